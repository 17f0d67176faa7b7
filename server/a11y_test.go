package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"renke/county"
	"renke/demo"
	"renke/sampling"
)

// axeSHA256 pins the vendored axe-core (testdata/axe, fetched by its
// fetch.sh from the npm package axe-core 4.14.1): a new version is a
// deliberate change of this line.
const axeSHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"

var axeSource = func() func(t *testing.T) string {
	var src string
	return func(t *testing.T) string {
		t.Helper()
		if src != "" {
			return src
		}
		b, err := os.ReadFile(filepath.Join("..", "testdata", "axe", "axe.min.js"))
		if err != nil {
			t.Fatalf("axe-core: %v (testdata/axe/fetch.sh brings it)", err)
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != axeSHA256 {
			t.Fatalf("testdata/axe/axe.min.js is not the pinned axe-core 4.14.1")
		}
		src = string(b)
		return src
	}
}()

// axeProblems runs axe-core on the page open in ctx (its default rules:
// WCAG 2.x A and AA and best practices) and returns the serious and
// critical violations, each with the first elements it names.
func axeProblems(t *testing.T, ctx context.Context) []string {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axeSource(t)+";true")); err != nil {
		t.Fatalf("inject axe-core: %v", err)
	}
	var r struct {
		Passed   int
		Problems []string
	}
	r = evaluate[struct {
		Passed   int
		Problems []string
	}](t, ctx, `axe.run(document).then(r => ({Passed: r.passes.length, Problems: r.violations
		.filter(v => v.impact === 'serious' || v.impact === 'critical')
		.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' — ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))}))`)
	if r.Passed < 10 { // colour contrast, labels, names, lang, title… apply to every page
		t.Fatalf("axe passed only %d rules: it did not look at the page", r.Passed)
	}
	return r.Problems
}

// checkPage runs axe on the page and fails the test for each serious or
// critical violation.
func checkAccessible(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	for _, p := range axeProblems(t, ctx) {
		t.Errorf("%s: %s", name, p)
	}
}

// viewport sets a phone's 360 px or a desktop's width.
func viewport(width int) chromedp.Action[chromedp.Void] {
	if width < 800 {
		return chromedp.EmulateViewport(int64(width), 740, chromedp.EmulateScale(2), chromedp.EmulateMobile)
	}
	return chromedp.EmulateViewport(int64(width), 900)
}

// closedLink makes a closed campaign of the demo unit with one link.
func closedLink(t *testing.T, e *env) string {
	t.Helper()
	ctx := context.Background()
	var cid int64
	if err := e.pool.QueryRow(ctx, `INSERT INTO campaigns (unit_id, title, status) VALUES ($1, '已结束的调查', 'closed') RETURNING id`, e.demo.Unit.ID).Scan(&cid); err != nil {
		t.Fatal(err)
	}
	if _, err := e.pool.Exec(ctx, `INSERT INTO questionnaires (campaign_id, kind, definition) VALUES ($1, 'social', '{"kind":"social","title":"t","categories":["parent"],"scale":[],"items":[]}')`, cid); err != nil {
		t.Fatal(err)
	}
	if _, err := e.pool.Exec(ctx, `INSERT INTO links (campaign_id, code) VALUES ($1, 'closedlink')`, cid); err != nil {
		t.Fatal(err)
	}
	return "closedlink"
}

// TestRespondentPagesAccessible runs axe-core on every page a respondent
// meets, at 360 px and at desktop width: the identity choice, the form,
// the form sent back with problems, the receipt, the receipt check and a
// closed survey's notice. None may have a serious or critical violation.
func TestRespondentPagesAccessible(t *testing.T) {
	e := newEnv(t)
	closed := closedLink(t, e)
	wide := "/s/" + e.link("全县通用链接")
	for _, w := range []int{360, 1280} {
		b := browser(t, max(w, 800), 900)
		run(t, b, viewport(w), chromedp.Navigate(e.srv.URL+wide), chromedp.WaitVisible(chromedp.CSS(`.pick a`)))
		checkAccessible(t, b, fmt.Sprintf("identity choice at %d px", w))
		run(t, b, chromedp.Click(chromedp.CSS(`a[href="?c=parent"]`)), chromedp.WaitVisible(chromedp.CSS(`input[name="a_S01"]`)))
		checkAccessible(t, b, fmt.Sprintf("form at %d px", w))
		run(t, b, chromedp.Click(chromedp.CSS(`button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(`.alert`)))
		if n := evaluate[int](t, b, `document.querySelectorAll('.card.err').length`); n == 0 {
			t.Fatalf("an empty form came back with no problems marked")
		}
		checkAccessible(t, b, fmt.Sprintf("form with problems at %d px", w))
		answerAll(t, b)
		run(t, b, chromedp.Click(chromedp.CSS(`button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(`.receipt`)))
		checkAccessible(t, b, fmt.Sprintf("receipt at %d px", w))
		run(t, b, chromedp.Click(chromedp.CSS(`#check-link`)), chromedp.WaitVisible(chromedp.CSS(`#found`)))
		checkAccessible(t, b, fmt.Sprintf("receipt check at %d px", w))
		run(t, b, chromedp.Navigate(e.srv.URL+"/s/"+closed), chromedp.WaitVisible(chromedp.CSS(`.alert`)))
		if txt := evaluate[string](t, b, `document.querySelector('.alert').textContent`); !strings.Contains(txt, "结束") {
			t.Errorf("closed survey says %q", txt)
		}
		checkAccessible(t, b, fmt.Sprintf("closed survey at %d px", w))
	}
}

// answerAll picks a band or locale where asked and 比较满意 on every item.
func answerAll(t *testing.T, ctx context.Context) {
	t.Helper()
	evaluate[bool](t, ctx, `(() => {
		for (const name of ['band', 'locale']) { const r = document.querySelector('input[name="' + name + '"]'); if (r) r.click(); }
		const s = document.querySelector('select#school'); if (s && s.options.length > 1) s.selectedIndex = 1;
		document.querySelectorAll('fieldset .opts').forEach(o => { const r = o.querySelector('input[value="B"]'); if (r) r.click(); });
		return true; })()`)
}

// TestConsolePagesAccessible runs axe-core on the console's main pages at
// 360 px and desktop width.
func TestConsolePagesAccessible(t *testing.T) {
	e := newEnv(t)
	fillSample(t, e, e.demo.Campaign.ID, 0.2)
	ctx := context.Background()
	if _, err := county.NewStore(e.pool).CreateUnit(ctx, county.Unit{Code: "430302", Name: "雨湖区", Kind: "district", Population: 500_000,
		Shares: sampling.Shares{Urban: 6000, Town: 2500, Rural: 1500}}); err != nil {
		t.Fatal(err)
	}
	unit, cp := fmt.Sprint(e.demo.Unit.ID), fmt.Sprint(e.demo.Campaign.ID)
	pages := []struct{ name, path, ready string }{
		{"评价单位", "/console", "main"},
		{"单位", "/console/units/" + unit, "#settings"},
		{"调查", "/console/campaigns/" + cp, "main"},
		{"进度与认可度", "/console/campaigns/" + cp + "/dashboard", "main"},
		{"学校与链接进度", "/console/campaigns/" + cp + "/progress", "main"},
		{"复核", "/console/campaigns/" + cp + "/review", "main"},
		{"指标评估", "/console/units/" + unit + "/evaluation", "main"},
		{"自评轮次", "/console/units/" + unit + "/rounds", "main"},
		{"整改台账", "/console/units/" + unit + "/ledger", "main"},
		{"地区总览", "/console/regions/4303", "main"},
		{"地区指标评估", "/console/regions/4303/evaluation", "main"},
		{"地区整改台账", "/console/regions/4303/ledger", "main"},
		{"账号", "/console/accounts", "main"},
	}
	for _, w := range []int{360, 1280} {
		b := browser(t, max(w, 800), 900)
		run(t, b, viewport(w), chromedp.Navigate(e.srv.URL+"/console/login"), chromedp.WaitVisible(chromedp.CSS(`input[name="username"]`)))
		checkAccessible(t, b, fmt.Sprintf("登录 at %d px", w))
		run(t, b, chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), demo.Username),
			chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), demo.Password),
			chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#enrolment, #second-factor`)))
		checkAccessible(t, b, fmt.Sprintf("二次验证 at %d px", w))
		screenshot(t, b, fmt.Sprintf("second-factor-%d.png", w))
		passSecondFactorInBrowser(t, b, e, demo.Username)
		for _, p := range pages {
			run(t, b, chromedp.Navigate(e.srv.URL+p.path), chromedp.WaitVisible(chromedp.CSS(p.ready)))
			checkAccessible(t, b, fmt.Sprintf("%s (%s) at %d px", p.name, p.path, w))
		}
		// The other two administrators' pages.
		for _, who := range []struct{ name, path string }{{demo.SecurityUsername, "/console/accounts"}, {demo.AuditorUsername, "/console/audit"}} {
			a := browser(t, max(w, 800), 900)
			run(t, a, viewport(w))
			loginAs(t, a, e, who.path, who.name, demo.Password)
			run(t, a, chromedp.WaitVisible(chromedp.CSS(`main`)))
			checkAccessible(t, a, fmt.Sprintf("%s (%s) at %d px", who.path, who.name, w))
		}
	}
}

// TestFormByKeyboardAlone fills in and sends the whole form with the
// keyboard only (Tab, Space, Enter), as a person who cannot use a touch
// screen or mouse would; every control that takes focus shows it.
func TestFormByKeyboardAlone(t *testing.T) {
	e := newEnv(t)
	b := browser(t, 1280, 900)
	run(t, b, viewport(1280), chromedp.Navigate(e.srv.URL+"/s/"+e.link("全县通用链接")+"?c=resident"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="a_S01"]`)))
	key := func(k string) { run(t, b, chromedp.KeyEvent(k)) }
	sent := false
	for step := 0; step < 200 && !sent; step++ {
		key("\t")
		type focused struct {
			Tag, Type, Name, ID string
			Checked             bool
			Group               bool // a radio of a group already answered
			Outline             float64
		}
		f := evaluate[focused](t, b, `(() => { const a = document.activeElement; const s = getComputedStyle(a);
			const lab = a.closest('label'); const ring = lab && a.type === 'radio' ? getComputedStyle(lab) : s;
			return {Tag: a.tagName, Type: a.type || '', Name: a.name || '', ID: a.id || '', Checked: !!a.checked,
				Group: a.type === 'radio' && !!document.querySelector('input[name="' + a.name + '"]:checked'),
				Outline: Math.max(parseFloat(s.outlineWidth) || 0, parseFloat(ring.outlineWidth) || 0) * (s.outlineStyle === 'none' && ring.outlineStyle === 'none' ? 0 : 1)}; })()`)
		if f.Tag == "BODY" {
			continue
		}
		if f.Outline < 2 {
			t.Errorf("focus on %s %s %s is not visible (outline %.1f px)", f.Tag, f.Name, f.ID, f.Outline)
		}
		switch {
		case f.Type == "radio" && !f.Group:
			key(" ") // the first option of the group
		case f.Tag == "BUTTON" && f.Type == "submit":
			key("\r")
			sent = true
		}
	}
	if !sent {
		t.Fatal("Tab never reached the submit button")
	}
	run(t, b, chromedp.WaitVisible(chromedp.CSS(`.receipt`)))
	code := strings.TrimSpace(evaluate[string](t, b, `document.querySelector('.receipt').textContent`))
	var locale, status string
	var items int
	if err := e.pool.QueryRow(context.Background(), `SELECT locale, status, coalesce(array_length(answers, 1), 0) FROM responses WHERE receipt = $1`, code).
		Scan(&locale, &status, &items); err != nil {
		t.Fatalf("response behind receipt %q: %v", code, err)
	}
	if locale != "urban" || status != "admitted" || items != 12 {
		t.Errorf("stored by keyboard: locale %s, status %s, %d answers", locale, status, items)
	}
}

// firstScreen saves what a phone shows before any scrolling.
func firstScreen(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir(t), name), shot, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestElderMode: the 长辈模式 switch gives large type and targets and one
// answer a row, is kept for the rest of the visit, and leaves nothing to
// scroll sideways at 360 px, nor at 200% zoom (a 180 px layout); 朗读
// reads a question and its options with the browser's speech, and is not
// offered where the browser has none.
func TestElderMode(t *testing.T) {
	e := newEnv(t)
	wide := e.srv.URL + "/s/" + e.link("全县通用链接")
	b := browser(t, 800, 900)
	// Speech is caught rather than played: what would be said is kept.
	if _, err := chromedp.Call(b, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{
		Source: `if (window.speechSynthesis) { window.__said = []; speechSynthesis.speak = u => window.__said.push(u.text + '|' + u.lang); }`}); err != nil {
		t.Fatal(err)
	}
	run(t, b, viewport(360), chromedp.Navigate(wide), chromedp.WaitVisible(chromedp.CSS(`#elder`)))
	if size := evaluate[float64](t, b, `parseFloat(getComputedStyle(document.body).fontSize)`); size >= 20 {
		t.Fatalf("body type is %.0f px before the switch", size)
	}
	run(t, b, chromedp.Click(chromedp.CSS(`#elder`)), chromedp.Click(chromedp.CSS(`a[href="?c=parent"]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="a_S01"]`)))
	type look struct {
		Body, Legend, Tap, Columns, Over float64
		Checked                          bool
	}
	measure := func() look {
		return evaluate[look](t, b, `(() => { const o = document.querySelector('fieldset .opts');
			return {Body: parseFloat(getComputedStyle(document.body).fontSize),
				Legend: parseFloat(getComputedStyle(document.querySelector('legend')).fontSize),
				Tap: document.querySelector('.opts label').getBoundingClientRect().height,
				Columns: o ? getComputedStyle(o).gridTemplateColumns.split(' ').length : 0,
				Over: document.documentElement.scrollWidth - window.innerWidth,
				Checked: document.getElementById('elder').checked}; })()`)
	}
	l := measure()
	if l.Body < 20 || l.Legend < 20 || l.Tap < 56 || l.Columns != 1 || !l.Checked {
		t.Errorf("长辈模式 on the next page: %+v; want type ≥ 20 px, options ≥ 56 px tall, one a row, the switch kept", l)
	}
	if l.Over > 0 {
		t.Errorf("长辈模式 at 360 px scrolls sideways by %.0f px", l.Over)
	}
	firstScreen(t, b, "elder-360.png")

	// 朗读: each question has a button that speaks it and its options.
	n := evaluate[int](t, b, `document.querySelectorAll('button.say').length`)
	if items := evaluate[int](t, b, `document.querySelectorAll('fieldset .opts').length`); n != items || n == 0 {
		t.Errorf("%d 朗读 buttons for %d questions", n, items)
	}
	run(t, b, chromedp.Click(chromedp.CSS(`#a_S01 button.say`)))
	said := evaluate[[]string](t, b, `window.__said || []`)
	first := evaluate[string](t, b, `document.querySelector('#a_S01 legend').textContent.replace(/^\d+\/\d+/, '')`)
	if len(said) != 1 || !strings.Contains(said[0], first) || !strings.Contains(said[0], "选项：满意；比较满意；一般；不满意；不了解。") || !strings.HasSuffix(said[0], "|zh-CN") {
		t.Errorf("朗读 said %q; want the question %q, its options, in zh-CN", said, first)
	}

	// 200% zoom at 360 px: a 180 px wide layout, on every page of the visit.
	run(t, b, chromedp.EmulateViewport(180, 370, chromedp.EmulateScale(4), chromedp.EmulateMobile))
	if l := measure(); l.Over > 0 {
		t.Errorf("the form at 200%% zoom scrolls sideways by %.0f px", l.Over)
	}
	firstScreen(t, b, "elder-zoom200.png")
	run(t, b, chromedp.Click(chromedp.CSS(`button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(`.alert`)))
	if over := evaluate[float64](t, b, `document.documentElement.scrollWidth - window.innerWidth`); over > 0 {
		t.Errorf("the form with problems at 200%% zoom scrolls sideways by %.0f px", over)
	}
	answerAll(t, b)
	run(t, b, chromedp.Click(chromedp.CSS(`button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(`.receipt`)))
	if over := evaluate[float64](t, b, `document.documentElement.scrollWidth - window.innerWidth`); over > 0 {
		t.Errorf("the receipt at 200%% zoom scrolls sideways by %.0f px", over)
	}
	if !evaluate[bool](t, b, `document.documentElement.classList.contains('elder')`) {
		t.Error("长辈模式 was not kept on the receipt")
	}
	firstScreen(t, b, "elder-receipt-zoom200.png")

	// A browser without speech offers no 朗读 button.
	q := browser(t, 800, 900)
	if _, err := chromedp.Call(q, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{
		Source: `Object.defineProperty(window, 'speechSynthesis', {value: undefined});`}); err != nil {
		t.Fatal(err)
	}
	run(t, q, viewport(360), chromedp.Navigate(wide+"?c=parent"), chromedp.WaitVisible(chromedp.CSS(`input[name="a_S01"]`)))
	if n := evaluate[int](t, q, `document.querySelectorAll('button.say').length`); n != 0 {
		t.Errorf("%d 朗读 buttons without speech", n)
	}

	// Without JavaScript the switch still works, by CSS alone.
	nojs := browser(t, 800, 900)
	if _, err := chromedp.Call(nojs, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	run(t, nojs, viewport(360), chromedp.Navigate(wide+"?c=parent"), chromedp.WaitVisible(chromedp.CSS(`#elder`)),
		chromedp.Click(chromedp.CSS(`#elder`)))
	if size := evaluate[float64](t, nojs, `parseFloat(getComputedStyle(document.body).fontSize)`); size < 20 {
		t.Errorf("without JavaScript the switch gives %.0f px type", size)
	}
}
