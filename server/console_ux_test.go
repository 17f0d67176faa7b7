package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"renke/demo"
	"renke/survey"
)

// run runs chromedp actions and fails the test on error.
func run(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// A few answers at the demo school's link: the other schools stay at none.
func answerDemo(t *testing.T, e *env, n int) {
	t.Helper()
	code := e.schoolLink()
	for range n {
		if _, status := e.post("/s/"+code, parentForm(e.token("/s/"+code+"?c=parent"), "A")); status != http.StatusOK {
			t.Fatalf("submit: %d", status)
		}
	}
}

// Closing asks first, and an admin can reopen with a reason the dossier
// prints; the per-school table shows the schools that have not started.
func TestCloseReopenAndSchoolProgressInBrowser(t *testing.T) {
	e := newEnv(t)
	answerDemo(t, e, 3)
	// And one whose device cookie did not come back: held for review.
	code := e.schoolLink()
	if _, status := e.postFlagged("/s/"+code, parentForm(e.token("/s/"+code+"?c=parent"), "A")); status != http.StatusOK {
		t.Fatalf("submit: %d", status)
	}
	ctx := browser(t, 1280, 900)
	cp := fmt.Sprintf("/console/campaigns/%d", e.demo.Campaign.ID)
	login(t, ctx, e, cp+"/dashboard")
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#schools`)))
	// Every school is listed, those without answers first and marked.
	rows := evaluate[[]string](t, ctx, `[...document.querySelectorAll('#schools tbody tr')].map(r => r.textContent)`)
	if len(rows) != len(e.demo.Schools) || !strings.Contains(rows[0], "尚未开始") || !strings.Contains(rows[len(rows)-1], "示范县实验小学") {
		t.Errorf("dashboard schools, behind first: %q", rows)
	}
	screenshot(t, ctx, "dashboard-desktop.png")
	run(t, ctx, chromedp.Navigate(e.srv.URL+cp+"/progress?sort=name"), chromedp.WaitVisible(chromedp.CSS(`#by-link`)))
	if n := evaluate[int](t, ctx, `document.querySelectorAll('#by-school tr.notstarted').length`); n != len(e.demo.Schools)-1 {
		t.Errorf("%d schools marked not started, want %d", n, len(e.demo.Schools)-1)
	}
	screenshot(t, ctx, "progress-desktop.png")
	run(t, ctx, chromedp.Navigate(e.srv.URL+cp+"/review"), chromedp.WaitVisible(chromedp.CSS(`#queue`)))
	if got := evaluate[string](t, ctx, `document.querySelector('#queue tbody tr').textContent`); !strings.Contains(got, "家长") || !strings.Contains(got, "满意 12") {
		t.Errorf("review row in words: %q", got)
	}
	screenshot(t, ctx, "review-desktop.png")

	// Close: one click only asks.
	run(t, ctx, chromedp.Navigate(e.srv.URL+cp), chromedp.Click(chromedp.CSS(`#close`)), chromedp.WaitVisible(chromedp.CSS(`#confirm-close`)))
	if st := evaluate[string](t, ctx, `document.title`); !strings.Contains(st, "结束调查") {
		t.Errorf("confirmation page title %q", st)
	}
	var status string
	_ = e.pool.QueryRow(context.Background(), `SELECT status FROM campaigns WHERE id = $1`, e.demo.Campaign.ID).Scan(&status)
	if status != "open" {
		t.Fatalf("the first click closed the campaign: %s", status)
	}
	run(t, ctx, chromedp.Click(chromedp.CSS(`#confirm`)), chromedp.WaitVisible(chromedp.CSS(`#reopen`)))
	if got := evaluate[string](t, ctx, `document.querySelector('#status').textContent`); got != "已结束" {
		t.Errorf("after confirming: %q", got)
	}
	run(t, ctx,
		chromedp.SendKeys(chromedp.CSS(`#reopen input[name="reason"]`), "部分学校家长会延期，延长调查三天"),
		chromedp.Click(chromedp.CSS(`#reopen button`)),
		chromedp.WaitVisible(chromedp.CSS(`#close`)))
	if got := evaluate[string](t, ctx, `document.querySelector('#status').textContent`); got != "进行中" {
		t.Errorf("after reopening: %q", got)
	}
	run(t, ctx, chromedp.Navigate(e.srv.URL+cp+"/dossier"), chromedp.WaitVisible(chromedp.CSS(`#events`)))
	if got := evaluate[string](t, ctx, `document.querySelector('#events').textContent`); !strings.Contains(got, "延长调查三天") || !strings.Contains(got, "重新开放") || !strings.Contains(got, "结束调查") {
		t.Errorf("dossier events: %q", got)
	}
	// Empty cells read 0 / N, never the target alone.
	cells := evaluate[[]string](t, ctx, `[...document.querySelectorAll('#quota tbody td.r')].map(td => td.textContent.trim())`)
	zero := 0
	for _, c := range cells {
		if strings.HasPrefix(c, "0 / ") {
			zero++
		} else if !strings.Contains(c, " / ") && !strings.HasSuffix(c, "%") {
			t.Errorf("a quota cell shows %q without what it admitted", c)
		}
	}
	if zero == 0 {
		t.Errorf("no empty cell shows 0 / N: %q", cells)
	}
	screenshot(t, ctx, "dossier-desktop.png")
	// The audit log names the actions and their outcome in words.
	aud := browser(t, 1280, 900)
	loginAs(t, aud, e, "/console/audit", demo.AuditorUsername, demo.Password)
	run(t, aud, chromedp.WaitVisible(chromedp.CSS(`#audit`)))
	if got := evaluate[string](t, aud, `document.querySelector('#audit').textContent`); !strings.Contains(got, "重新开放调查") || !strings.Contains(got, "成功") || strings.Contains(got, "campaign=") {
		t.Errorf("audit log: %.300q", got)
	}
}

// The questionnaire editor, from an edit to a phone preview to an answered
// form; an opened campaign shows its questionnaire read-only.
func TestQuestionnaireEditorInBrowser(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	surveys := survey.NewStore(e.pool)
	cp, err := surveys.CreateCampaign(ctx, e.demo.Unit.ID, survey.Titled("问卷编辑测试"))
	if err != nil {
		t.Fatal(err)
	}
	social := survey.SocialForm
	link, err := surveys.CreateLink(ctx, survey.Link{CampaignID: cp.ID, SchoolID: &e.demo.Schools[0].ID, Kind: &social})
	if err != nil {
		t.Fatal(err)
	}
	b := browser(t, 1280, 900)
	base := fmt.Sprintf("/console/campaigns/%d/questionnaires/social", cp.ID)
	login(t, b, e, base)
	run(t, b,
		chromedp.WaitVisible(chromedp.CSS(`#editor`)),
		chromedp.SetValue(chromedp.CSS(`textarea[name="i0_text"]`), "您对孩子所在学校的课后服务满意吗？"),
		chromedp.SetValue(chromedp.CSS(`input[name="i0_order"]`), "99"), // the first item moves last
		chromedp.SetValue(chromedp.CSS(`#items tr.new textarea`), "您对学校食堂的饭菜质量满意吗？"),
		chromedp.SetValue(chromedp.CSS(`#items tr.new input`), "1"), // the new one comes first
		chromedp.Click(chromedp.CSS(`input[name="i1_delete"]`)),
		chromedp.Click(chromedp.CSS(`#save-questionnaire`)),
		chromedp.WaitVisible(chromedp.CSS(`.alert.ok`)),
	)
	screenshot(t, b, "editor-desktop.png")
	forms, _ := surveys.Forms(ctx, cp.ID)
	var q survey.Questionnaire
	for _, f := range forms {
		if f.Kind == survey.SocialForm {
			q = f.Questionnaire
		}
	}
	if len(q.Items) != 12 || q.Items[0].Text != "您对学校食堂的饭菜质量满意吗？" || q.Items[len(q.Items)-1].Text != "您对孩子所在学校的课后服务满意吗？" {
		t.Fatalf("saved questionnaire: %d items, first %q, last %q", len(q.Items), q.Items[0].Text, q.Items[len(q.Items)-1].Text)
	}
	// The phone preview shows it as a respondent would, and takes nothing.
	phone := browser(t, 360, 740)
	login(t, phone, e, base+"/preview")
	run(t, phone, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile), chromedp.Navigate(e.srv.URL+base+"/preview"),
		chromedp.WaitVisible(chromedp.CSS(`fieldset legend`)))
	if got := evaluate[string](t, phone, `document.querySelector('#a_`+q.Items[0].ID+` legend').textContent`); !strings.Contains(got, "食堂") || !strings.Contains(got, "1/12") {
		t.Errorf("preview's first item %q", got)
	}
	if w := evaluate[int](t, phone, `document.documentElement.scrollWidth`); w > 360 {
		t.Errorf("preview is %d px wide at 360", w)
	}
	if dis := evaluate[bool](t, phone, `document.querySelector('button[type="submit"]').disabled`); !dis {
		t.Error("the preview can be submitted")
	}
	screenshot(t, phone, "editor-preview-360.png")
	// Open, then answer the edited form.
	if _, err := surveys.Open(ctx, cp.ID, "测试"); err != nil {
		t.Fatal(err)
	}
	v := url.Values{"token": {e.token("/s/" + link.Code + "?c=parent")}, "category": {"parent"}, "band": {"3-4"}}
	for _, it := range q.Items {
		v.Set("a_"+it.ID, "A")
	}
	if body, status := e.post("/s/"+link.Code, v); status != http.StatusOK || receipt(body) == "" {
		t.Errorf("answering the edited form: %d", status)
	}
	run(t, b, chromedp.Navigate(e.srv.URL+base), chromedp.WaitVisible(chromedp.CSS(`#editor`)))
	if n := evaluate[int](t, b, `document.querySelectorAll('#editor textarea:not([disabled]), #save-questionnaire').length`); n != 0 {
		t.Errorf("an opened campaign's questionnaire has %d editable fields", n)
	}
}

// A respondent whose group is full learns it when choosing who they are,
// before answering.
func TestFullCellOnIdentityStep(t *testing.T) {
	e := newEnv(t)
	if _, err := e.pool.Exec(context.Background(), `UPDATE quota_cells SET admitted = target
		WHERE campaign_id = $1 AND category = 'parent' AND locale = 'urban'`, e.demo.Campaign.ID); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t, 360, 740)
	run(t, ctx, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile),
		chromedp.Navigate(e.srv.URL+"/s/"+e.schoolLink()), chromedp.WaitVisible(chromedp.CSS(`.pick`)))
	if got := evaluate[string](t, ctx, `document.querySelector('.pick .full').textContent`); !strings.Contains(got, "我是家长") || !strings.Contains(got, "名额已满") {
		t.Errorf("choice of a full group: %q", got)
	}
	if n := evaluate[int](t, ctx, `document.querySelectorAll('.pick a[href="?c=parent"]').length`); n != 0 {
		t.Error("a full group can still be chosen")
	}
	// Going to the form anyway is told the same, before any question.
	run(t, ctx, chromedp.Navigate(e.srv.URL+"/s/"+e.schoolLink()+"?c=parent"), chromedp.WaitVisible(chromedp.CSS(`main`)))
	body := evaluate[string](t, ctx, `document.body.textContent`)
	if !strings.Contains(body, survey.FullMessage("parent", "urban")) || strings.Contains(body, "提交问卷") {
		t.Errorf("full group at the form: %.300q", body)
	}
	screenshot(t, ctx, "full-cell-360.png")
}

// On a phone, the console's header breaks no word and no page scrolls
// sideways.
func TestConsoleAt360(t *testing.T) {
	e := newEnv(t)
	answerDemo(t, e, 2)
	ctx := browser(t, 360, 740)
	cp := fmt.Sprintf("/console/campaigns/%d", e.demo.Campaign.ID)
	run(t, ctx, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile))
	login(t, ctx, e, cp+"/dashboard")
	for _, page := range []struct{ path, shot string }{
		{cp + "/dashboard", "dashboard-360.png"}, {cp + "/progress", "progress-360.png"}, {cp + "/review", "review-360.png"},
		{cp + "/dossier", "dossier-360.png"}, {cp + "/questionnaires/social", "editor-360.png"}, {cp, ""}, {"/console/accounts", ""},
	} {
		run(t, ctx, chromedp.Navigate(e.srv.URL+page.path), chromedp.WaitVisible(chromedp.CSS(`main`)))
		if w := evaluate[int](t, ctx, `document.documentElement.scrollWidth`); w > 360 {
			t.Errorf("%s is %d px wide at 360: it scrolls sideways", page.path, w)
		}
		// A word broken over two lines makes its element two lines tall.
		broken := evaluate[[]string](t, ctx, `[...document.querySelectorAll('.bar a, .bar button')].filter(el => {
			const lh = parseFloat(getComputedStyle(el).lineHeight) || parseFloat(getComputedStyle(el).fontSize) * 1.5;
			return el.getClientRects().length > 1 || el.getBoundingClientRect().height > 2.2 * lh;
		}).map(el => el.textContent)`)
		if len(broken) > 0 {
			t.Errorf("%s: header items broken over lines: %q", page.path, broken)
		}
		if page.shot != "" {
			screenshot(t, ctx, page.shot)
		}
	}
}
