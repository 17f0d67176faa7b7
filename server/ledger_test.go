package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"renke/assessment"
	"renke/county"
	"renke/demo"
	"renke/evaluation"
	"renke/sampling"
	"renke/staff"
	"renke/statistics"
	"renke/survey"
	"renke/workbook"
)

// upload posts a file as multipart field "file".
func upload(t *testing.T, c *http.Client, url, name string, data []byte) (string, int, http.Header) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	fw, _ := w.CreateFormFile("file", name)
	_, _ = fw.Write(data)
	_ = w.Close()
	req, _ := http.NewRequest(http.MethodPost, url, &b)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body), resp.StatusCode, resp.Header
}

func tinyPNG(t *testing.T) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func taskWorkbook(t *testing.T, rows ...[]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	_ = f.SetSheetRow("Sheet1", "A1", &[]any{"序号", "主要任务", "工作目标", "责任部门", "配合部门", "完成时间"})
	for i, r := range rows {
		_ = f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+2), &r)
	}
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The county's year through the API: a round frozen from the demo
// county, its problems, tasks imported (a bad workbook saves nothing),
// linked and exported in the seed's columns, evidence kept and served as
// a download only to the unit, and a judged problem struck off.
func TestLedgerAPI(t *testing.T) {
	e := newEnv(t)
	c := e.staffClient()
	unit := fmt.Sprintf("%s/api/v1/units/%d", e.srv.URL, e.demo.Unit.ID)

	body, code := call(t, c, "POST", unit+"/rounds", `{"year": 2025, "note": "第一轮"}`)
	if code != http.StatusCreated {
		t.Fatalf("freeze: %d %s", code, body)
	}
	var frozen struct {
		Round      assessment.Round       `json:"round"`
		Shortfalls []evaluation.Shortfall `json:"shortfalls"`
	}
	if err := json.Unmarshal([]byte(body), &frozen); err != nil {
		t.Fatal(err)
	}
	if frozen.Round.No != 1 || len(frozen.Shortfalls) == 0 || frozen.Round.CampaignID == nil || frozen.Round.Checkpoint == "" {
		t.Fatalf("round 1: %+v, %d shortfalls", frozen.Round, len(frozen.Shortfalls))
	}
	if _, code := call(t, c, "POST", unit+"/rounds", `{"year": 1990}`); code != http.StatusUnprocessableEntity {
		t.Errorf("a round of 1990: %d", code)
	}
	body, _ = call(t, c, "GET", unit+"/problems", "")
	var ps []assessment.Problem
	if err := json.Unmarshal([]byte(body), &ps); err != nil || len(ps) != len(frozen.Shortfalls) {
		t.Fatalf("problems: %d for %d shortfalls, %v", len(ps), len(frozen.Shortfalls), err)
	}
	var judged, figure assessment.Problem
	for _, p := range ps {
		switch {
		case p.Key == "2.14/2": // 名额分配向农村初中倾斜: the demo judges it not met
			judged = p
		case !p.Judged && p.SchoolID != 0:
			figure = p
		}
	}
	if judged.ID == 0 || figure.ID == 0 {
		t.Fatalf("no judged or school problem among %+v", ps)
	}

	// A bad task workbook: every bad cell named, nothing saved.
	bad := taskWorkbook(t, []any{1, "化解大班额", "目标", "区教体局", "", "2025年底"}, []any{2, "", "目标", "", "", "明年"})
	body, code, _ = upload(t, c, unit+"/tasks/import", "任务.xlsx", bad)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, `"column":"B"`) || !strings.Contains(body, `"column":"F"`) || !strings.Contains(body, `"column":"D"`) {
		t.Errorf("bad workbook: %d %s", code, body)
	}
	if body, _ := call(t, c, "GET", unit+"/tasks", ""); body != "[]\n" {
		t.Errorf("a bad workbook saved tasks: %s", body)
	}
	good := taskWorkbook(t,
		[]any{1, "名额分配向农村初中倾斜", "优质高中招生名额分配向农村初中倾斜。", "县教育局", "县发改委", "2026年8月"},
		[]any{2, "补足骨干教师", "每百名学生县级以上骨干教师达到 1 人。", "县教育局", "县人社局、县财政局", "2026年底"})
	if body, code, _ := upload(t, c, unit+"/tasks/import", "任务.xlsx", good); code != http.StatusOK || !strings.Contains(body, `"added":2`) {
		t.Fatalf("import: %d %s", code, body)
	}
	var tasks []assessment.Task
	body, _ = call(t, c, "GET", unit+"/tasks", "")
	_ = json.Unmarshal([]byte(body), &tasks)
	if len(tasks) != 2 || tasks[1].Partners[1] != "县财政局" {
		t.Fatalf("tasks %+v", tasks)
	}
	if body, code := call(t, c, "POST", fmt.Sprintf("%s/tasks/%d/links", unit, tasks[0].ID), fmt.Sprintf(`{"problems":[%d],"indicators":["2.14"]}`, judged.ID)); code != http.StatusOK {
		t.Fatalf("link: %d %s", code, body)
	}
	if _, code := call(t, c, "POST", fmt.Sprintf("%s/tasks/%d/links", unit, tasks[0].ID), `{"indicators":["9.9"]}`); code != http.StatusUnprocessableEntity {
		t.Errorf("an unknown indicator linked: %d", code)
	}
	if body, code := call(t, c, "POST", unit+"/tasks", `{"title":"新任务","lead":["县财政局"],"due_text":"尽快"}`); code != http.StatusUnprocessableEntity || !strings.Contains(body, "完成时间") {
		t.Errorf("a task due 尽快: %d %s", code, body)
	}
	// The export reads back in the seed's columns.
	req, _ := http.NewRequest("GET", unit+"/tasks.xlsx", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	xlsx, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	back, err := workbook.ParseTasks(bytes.NewReader(xlsx))
	if err != nil || len(back) != 2 || back[0].Title != tasks[0].Title || back[1].DueText != "2026年底" {
		t.Errorf("export read back: %+v %v", back, err)
	}

	// Evidence: a saved web page and an SVG with scripts are kept and
	// served only as bytes to download; a program is refused; 21 MB is
	// refused with the limit named; a picture is kept and served.
	probe := fmt.Sprintf("%s/problems/%d/evidence", unit, judged.ID)
	pages := fmt.Sprintf("%s/problems/%d/evidence", unit, figure.ID)
	for _, f := range []struct{ name, body string }{
		{"说明.html", "<html><script>alert(1)</script></html>"},
		{"图.svg", `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`},
	} {
		body, code, _ := upload(t, c, pages, f.name, []byte(f.body))
		if code != http.StatusCreated {
			t.Fatalf("%s: %d %s", f.name, code, body)
		}
		var ev assessment.Evidence
		_ = json.Unmarshal([]byte(body), &ev)
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/evidence/%d?view=1", unit, ev.ID), nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") ||
			!strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("%s served as %v", f.name, resp.Header)
		}
	}
	if body, code, _ := upload(t, c, probe, "工具.exe", []byte("MZ\x90\x00\x03")); code != http.StatusUnprocessableEntity || !strings.Contains(body, "不支持") {
		t.Errorf("a program as evidence: %d %s", code, body)
	}
	big := append([]byte("%PDF-1.7\n"), make([]byte, 21<<20)...)
	if body, code, _ := upload(t, c, probe, "大文件.pdf", big); code != http.StatusUnprocessableEntity || !strings.Contains(body, "20 MB") {
		t.Errorf("21 MB: %d %s", code, body)
	}
	// A figure's problem is not struck off by decision, with or without a file.
	if _, code := call(t, c, "POST", fmt.Sprintf("%s/problems/%d/strike", unit, figure.ID), `{"reason":"已整改"}`); code != http.StatusUnprocessableEntity {
		t.Errorf("a figure struck off by decision: %d", code)
	}
	if _, code := call(t, c, "POST", fmt.Sprintf("%s/problems/%d/strike", unit, judged.ID), `{"reason":"已出台方案"}`); code != http.StatusUnprocessableEntity {
		t.Errorf("struck off without evidence: %d", code)
	}
	body, code, _ = upload(t, c, probe, "方案.png", tinyPNG(t))
	if code != http.StatusCreated {
		t.Fatalf("PNG evidence: %d %s", code, body)
	}
	var ev assessment.Evidence
	_ = json.Unmarshal([]byte(body), &ev)
	req, _ = http.NewRequest("GET", fmt.Sprintf("%s/evidence/%d", unit, ev.ID), nil)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, tinyPNG(t)) || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("download: %d bytes, %v", len(got), resp.Header)
	}
	// Staff of another unit see none of it.
	other, err := e.stores().units.CreateUnit(context.Background(), county.Unit{Code: "990101", Name: "他县", Kind: "county", Population: 100_000,
		Shares: sampling.Shares{Urban: 5000, Town: 3000, Rural: 2000}, CodeReason: "测试用代码"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := staff.NewStore(e.pool).Create(context.Background(), "other", "other-unit-password-1", staff.Grant{Role: staff.UnitStaff, Units: []int64{other.ID}}); err != nil {
		t.Fatal(err)
	}
	oc := e.apiAs("other", "other-unit-password-1")
	if _, code := call(t, oc, "GET", fmt.Sprintf("%s/evidence/%d", unit, ev.ID), ""); code != http.StatusNotFound {
		t.Errorf("another unit's file: %d", code)
	}
	if _, code := call(t, oc, "GET", fmt.Sprintf("%s/api/v1/units/%d/evidence/%d", e.srv.URL, other.ID, ev.ID), ""); code != http.StatusNotFound {
		t.Errorf("a file asked for under another unit: %d", code)
	}
	// A reviewer of another region: 404 too.
	if _, err := staff.NewStore(e.pool).Create(context.Background(), "guangzhou", "guangzhou-reviewer-1", staff.Grant{Role: staff.Reviewer, Regions: []string{"4401"}}); err != nil {
		t.Fatal(err)
	}
	if _, code := call(t, e.apiAs("guangzhou", "guangzhou-reviewer-1"), "GET", fmt.Sprintf("%s/evidence/%d", unit, ev.ID), ""); code != http.StatusNotFound {
		t.Errorf("a reviewer of another region fetched the file: %d", code)
	}
	if body, code := call(t, c, "POST", fmt.Sprintf("%s/problems/%d/strike", unit, judged.ID), `{"reason":"县教育局已出台名额分配向农村初中倾斜的方案"}`); code != http.StatusNoContent {
		t.Fatalf("strike: %d %s", code, body)
	}
	body, _ = call(t, c, "GET", unit+"/ledger", "")
	var l assessment.Ledger
	if err := json.Unmarshal([]byte(body), &l); err != nil {
		t.Fatal(err)
	}
	if l.Total.Struck != 1 || l.Total.Tasks != 2 || len(l.Rounds) != 1 {
		t.Errorf("ledger totals %+v, %d rounds", l.Total, len(l.Rounds))
	}
	if tk := l.TaskByID(tasks[0].ID); tk == nil || tk.Status != "已销号" {
		t.Errorf("the linked task after its problem was struck off: %+v", tk)
	}
	// The audit log names the actions.
	var n int
	_ = e.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action IN ('冻结自查自评轮次', '导入年度任务清单', '决定问题销号', '上传问题佐证材料')`).Scan(&n)
	if n < 4 {
		t.Errorf("%d audited ledger actions", n)
	}
}

// seedRegionRounds makes n counties under 4303 with statistics and a
// frozen round each, the first with a task overdue.
func seedRegionRounds(t *testing.T, e *env, n int) {
	t.Helper()
	ctx := context.Background()
	s := e.stores()
	for i := range n {
		u, err := s.units.CreateUnit(ctx, county.Unit{Code: fmt.Sprintf("4303%02d", i+2), Name: fmt.Sprintf("第%d县", i+1), Kind: "county",
			Population: 300_000, Shares: sampling.Shares{Urban: 4000, Town: 3000, Rural: 3000}, CodeReason: "测试用代码"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.stats.Import(ctx, u.ID, 2025, demo.County(12, uint64(i+1))); err != nil {
			t.Fatal(err)
		}
		if err := s.stats.SaveFindings(ctx, u.ID, statistics.Findings{Year: 2025, Profile: "hunan-xiangtan-2018"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.assessments.Freeze(ctx, u, 2025, "测试", "", time.Now()); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if _, err := s.assessments.SaveTask(ctx, u.ID, assessment.Task{Title: "消除大班额", Lead: []string{"县教育局"}, DueText: "2025年底"}, "测试"); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// The ledgers in Chromium at a phone's 360 px and on a desktop: the
// county ledger (problems, tasks, departments) and a school's (一校一策)
// read without sideways scrolling on the phone; the city's roll-up lists
// its ten counties. Screenshots in testdata/screenshots.
func TestLedgerInBrowser(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s := e.stores()
	r, err := s.assessments.Freeze(ctx, e.demo.Unit, 2025, "示范县教育局", "第一轮", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.assessments.SaveTask(ctx, e.demo.Unit.ID, assessment.Task{Title: "补足河口村小学骨干教师", Goal: "每百名学生县级以上骨干教师达到 1 人。",
		Lead: []string{"县教育局"}, Partners: []string{"县人社局"}, DueText: "2026年8月"}, "示范县教育局"); err != nil {
		t.Fatal(err)
	}
	var school int64
	for _, sf := range r.Shortfalls() {
		if sf.School == "河口村小学" {
			school = sf.SchoolID
		}
	}
	if school == 0 {
		t.Fatal("the demo's 河口村小学 is short of nothing")
	}
	seedRegionRounds(t, e, 10)
	if _, err := staff.NewStore(e.pool).Create(ctx, "city", "city-reviewer-2026", staff.Grant{Role: staff.Reviewer, Regions: []string{"430300"}}); err != nil {
		t.Fatal(err)
	}
	ledger := fmt.Sprintf("/console/units/%d/ledger", e.demo.Unit.ID)
	for _, w := range []int{360, 1280} {
		b := browser(t, max(w, 800), 800)
		if w < 800 {
			run(t, b, chromedp.EmulateViewport(int64(w), 740, chromedp.EmulateMobile))
		}
		loginAs(t, b, e, ledger, demo.Username, demo.Password)
		run(t, b, chromedp.WaitVisible(chromedp.CSS(`#problems-list`)))
		if n := evaluate[int](t, b, `document.querySelectorAll('#problems-list article').length`); n != len(r.Shortfalls()) {
			t.Errorf("the ledger lists %d problems of %d", n, len(r.Shortfalls()))
		}
		if n := evaluate[int](t, b, `document.querySelectorAll('#tasks article.task').length`); n != 1 {
			t.Errorf("%d tasks shown", n)
		}
		if over := evaluate[int](t, b, `document.documentElement.scrollWidth - window.innerWidth`); over > 0 {
			t.Errorf("the ledger scrolls sideways by %d px at %d px", over, w)
		}
		screenshot(t, b, fmt.Sprintf("ledger-county-%d.png", w))
		run(t, b, chromedp.Navigate(fmt.Sprintf("%s/console/units/%d/ledger/schools/%d", e.srv.URL, e.demo.Unit.ID, school)),
			chromedp.WaitVisible(chromedp.CSS(`#rounds`)))
		if txt := evaluate[string](t, b, `document.querySelector('h1').textContent`); !strings.Contains(txt, "河口村小学") {
			t.Errorf("school ledger title %q", txt)
		}
		if over := evaluate[int](t, b, `document.documentElement.scrollWidth - window.innerWidth`); over > 0 {
			t.Errorf("the school ledger scrolls sideways by %d px at %d px", over, w)
		}
		screenshot(t, b, fmt.Sprintf("ledger-school-%d.png", w))
	}
	// A saved web page kept as evidence: opened in Chromium, it downloads
	// and its script never runs on the console's origin.
	var problem int64
	if err := e.pool.QueryRow(ctx, `SELECT min(id) FROM problems WHERE unit_id = $1`, e.demo.Unit.ID).Scan(&problem); err != nil {
		t.Fatal(err)
	}
	page, err := s.assessments.Attach(ctx, e.demo.Unit.ID, assessment.SubjectProblem, problem, "网页.html",
		[]byte(`<html><head><title>pwned</title></head><body><script>document.cookie="x=1";localStorage.setItem("ran","yes")</script></body></html>`), "测试")
	if err != nil {
		t.Fatal(err)
	}
	d := browser(t, 1280, 800)
	loginAs(t, d, e, ledger, demo.Username, demo.Password)
	run(t, d, chromedp.WaitVisible(chromedp.CSS(`#problems-list`)))
	nav, cancel := context.WithTimeout(d, 10*time.Second)
	_ = chromedp.Do(nav, chromedp.Navigate(fmt.Sprintf("%s/console/units/%d/evidence/%d?view=1", e.srv.URL, e.demo.Unit.ID, page.ID))) // a download: aborted
	cancel()
	if title := evaluate[string](t, d, `document.title`); title == "pwned" {
		t.Error("an uploaded web page rendered in the browser")
	}
	if ran := evaluate[string](t, d, `String(localStorage.getItem("ran"))`); ran == "yes" {
		t.Error("an uploaded web page's script ran")
	}

	// The printed registration form and evaluation report, A4 as printed.
	run(t, d, chromedp.Navigate(fmt.Sprintf("%s/console/units/%d/rounds/%d/registration", e.srv.URL, e.demo.Unit.ID, r.No)),
		chromedp.WaitVisible(chromedp.CSS(`#registration`)))
	if _, err := chromedp.Call(d, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	run(t, d, chromedp.EmulateViewport(794, 1123))
	screenshot(t, d, "registration-print.png")
	run(t, d, chromedp.Navigate(fmt.Sprintf("%s/console/units/%d/evaluation/report", e.srv.URL, e.demo.Unit.ID)), chromedp.WaitVisible(chromedp.CSS(`#verdict`)))
	screenshot(t, d, "report-print.png")

	// The city's reviewer: ten counties, the overdue task counted, read-only.
	b := browser(t, 1280, 900)
	loginAs(t, b, e, "/console/regions/4303/ledger", "city", "city-reviewer-2026")
	run(t, b, chromedp.WaitVisible(chromedp.CSS(`#region-ledger`)))
	if n := evaluate[int](t, b, `document.querySelectorAll('#region-ledger tbody tr').length`); n != 10 {
		t.Errorf("the city's roll-up lists %d units, want 10", n)
	}
	if v := evaluate[string](t, b, `document.querySelector('#region-ledger tr[data-unit="430302"] td:nth-child(6)').textContent`); strings.TrimSpace(v) != "1" {
		t.Errorf("overdue tasks of 第1县: %q", v)
	}
	screenshot(t, b, "ledger-region-1280.png")
	run(t, b, chromedp.Navigate(e.srv.URL+"/console/units/"+fmt.Sprint(unitID(t, e, "430302"))+"/ledger"), chromedp.WaitVisible(chromedp.CSS(`#problems-list`)))
	if n := evaluate[int](t, b, `document.querySelectorAll('#problems-list form, #tasks form').length`); n != 0 {
		t.Errorf("a reviewer is offered %d forms", n)
	}
}

// stores are the domain stores on the test's database, for setting up
// what a test then reads through the server.
type stores struct {
	units       *county.Store
	stats       *statistics.Store
	assessments *assessment.Store
}

func (e *env) stores() stores {
	e.t.Helper()
	ps, err := evaluation.LoadProfiles("")
	if err != nil {
		e.t.Fatal(err)
	}
	st := statistics.NewStore(e.pool)
	return stores{units: county.NewStore(e.pool), stats: st,
		assessments: assessment.NewStore(e.pool, &statistics.Evaluations{Stats: st, Surveys: survey.NewStore(e.pool), Profiles: ps})}
}

func unitID(t *testing.T, e *env, code string) int64 {
	var id int64
	if err := e.pool.QueryRow(context.Background(), `SELECT id FROM units WHERE code = $1`, code).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// The console's side of the county's year, form by form: freezing two
// rounds, each round's page, their comparison, a task added, progressed,
// linked and struck off on evidence, a bad task workbook listed by row and
// column on the ledger page, a department added, and the workbooks.
func TestLedgerConsole(t *testing.T) {
	e := newEnv(t)
	k := e.consoleClient()
	unit := fmt.Sprintf("/console/units/%d", e.demo.Unit.ID)
	body, code := k.get(unit + "/rounds")
	if code != http.StatusOK || !strings.Contains(body, "尚未冻结任何一轮") {
		t.Fatalf("rounds page: %d", code)
	}
	for i := range 2 {
		_, code, loc := k.post(unit+"/rounds", url.Values{"year": {"2025"}, "note": {fmt.Sprintf("第%d次", i+1)}})
		if code != http.StatusSeeOther || loc != fmt.Sprintf("%s/rounds/%d", unit, i+1) {
			t.Fatalf("freeze %d: %d %s", i+1, code, loc)
		}
	}
	if body, code := k.get(unit + "/rounds/2"); code != http.StatusOK || !strings.Contains(body, "第 2 轮自查自评") || !strings.Contains(body, `id="shortfalls"`) {
		t.Errorf("round page: %d", code)
	}
	if body, code := k.get(unit + "/rounds/compare?a=1&b=2"); code != http.StatusOK || !strings.Contains(body, "仍未达标") {
		t.Errorf("comparison: %d", code)
	}
	if _, code := k.get(unit + "/rounds/9"); code != http.StatusNotFound {
		t.Errorf("round 9: %d", code)
	}
	if body, code, _ := k.post(unit+"/rounds", url.Values{"year": {"2019"}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "尚无学校统计数据") {
		t.Errorf("a round of a year without statistics: %d", code)
	}
	k.get(unit + "/ledger")
	_, code, _ = k.post(unit+"/tasks", url.Values{"title": {"出台农村初中名额倾斜方案"}, "goal": {"优质高中名额分配向农村初中倾斜"},
		"lead": {"县教育局"}, "partners": {"县发改委、县财政局"}, "due": {"2027年6月"}})
	if code != http.StatusSeeOther {
		t.Fatalf("add task: %d", code)
	}
	l, _ := e.stores().assessments.Ledger(context.Background(), e.demo.Unit, time.Now())
	task := l.Tasks[0]
	if task.No != 1 || task.Due.Format("2006-01-02") != "2027-06-30" || len(task.Partners) != 2 {
		t.Fatalf("task %+v", task)
	}
	var judged assessment.Problem
	for _, p := range l.Problems {
		if p.Key == "2.14/2" {
			judged = p
		}
	}
	tp := fmt.Sprintf("%s/tasks/%d", unit, task.ID)
	if _, code, _ := k.post(tp+"/progress", url.Values{"progress": {"in_progress"}}); code != http.StatusSeeOther {
		t.Errorf("progress: %d", code)
	}
	if _, code, _ := k.post(tp+"/links", url.Values{"problem": {fmt.Sprint(judged.ID)}, "indicator": {"2.14"}}); code != http.StatusSeeOther {
		t.Errorf("link: %d", code)
	}
	if body, code, _ := k.post(tp+"/strike", url.Values{"reason": {"方案已出台"}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "所涉问题全部销号后") {
		t.Errorf("striking a task with problems: %d", code)
	}
	pp := fmt.Sprintf("%s/problems/%d", unit, judged.ID)
	if body, code, _ := k.post(pp+"/strike", url.Values{"reason": {"方案已出台"}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "请先上传佐证材料") {
		t.Errorf("strike without evidence: %d", code)
	}
	k.get(unit + "/ledger")
	if body, code, _ := k.uploadFile(pp+"/evidence", url.Values{}, "方案.png", tinyPNG(t)); code != http.StatusSeeOther {
		t.Fatalf("evidence: %d %s", code, body)
	}
	k.get(unit + "/ledger")
	if _, code, _ := k.post(pp+"/strike", url.Values{"reason": {"县教育局已出台方案"}}); code != http.StatusSeeOther {
		t.Errorf("strike: %d", code)
	}
	body, _ = k.get(unit + "/ledger")
	if !strings.Contains(body, fmt.Sprintf(`id="problem-%d" data-problem="%d" data-key="2.14/2" data-state="已销号"`, judged.ID, judged.ID)) ||
		!strings.Contains(body, fmt.Sprintf(`id="task-%d" data-task="%d" data-status="已销号"`, task.ID, task.ID)) {
		t.Error("the ledger does not show the problem and its task struck off")
	}
	bad := taskWorkbook(t, []any{"x", "", "目标", "", "", "明年"})
	body, code, _ = k.uploadFile(unit+"/tasks/import", url.Values{}, "任务.xlsx", bad)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="problems"`) || !strings.Contains(body, "完成时间") {
		t.Errorf("bad workbook on the page: %d", code)
	}
	if _, code, _ := k.post(unit+"/departments", url.Values{"name": {"县审计局"}}); code != http.StatusSeeOther {
		t.Errorf("department: %d", code)
	}
	for _, path := range []string{unit + "/ledger.xlsx", unit + "/tasks.xlsx", fmt.Sprintf("%s/ledger/schools/%d/ledger.xlsx", unit, firstSchool(t, e))} {
		f, err := excelize.OpenReader(bytes.NewReader(k.download(path)))
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		f.Close()
	}
	body, _ = k.get(unit + "/ledger")
	if !strings.Contains(body, `data-department="县审计局"`) {
		t.Error("the department list lacks the added department")
	}
}

func firstSchool(t *testing.T, e *env) int64 {
	var id int64
	if err := e.pool.QueryRow(context.Background(), `SELECT school_id FROM problems WHERE unit_id = $1 AND school_id <> 0 ORDER BY id LIMIT 1`, e.demo.Unit.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}
