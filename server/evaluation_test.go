package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"renke/demo"
	"renke/evaluation"
	"renke/workbook"
)

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// console is a browser-like client of the staff console.
type console struct {
	t    *testing.T
	e    *env
	c    *http.Client
	csrf string
}

func (e *env) anonymousConsole() *console {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &console{t: e.t, e: e, c: c}
}

// consoleClient logs in through the login page.
func (e *env) consoleClient() *console { return e.consoleAs(demo.Username, demo.Password) }

// consoleAs is a console session of an account, signed in through the form.
func (e *env) consoleAs(username, password string) *console {
	k := e.anonymousConsole()
	k.get("/console/login")
	body, code, loc := k.post("/console/login", url.Values{"username": {username}, "password": {password}, "next": {"/console"}})
	if code != http.StatusSeeOther || loc != "/console" {
		e.t.Fatalf("login: %d %s %s", code, loc, body)
	}
	e.passSecondFactor(k.c, username)
	return k
}

func (k *console) do(req *http.Request) (string, int, string) {
	k.t.Helper()
	resp, err := k.c.Do(req)
	if err != nil {
		k.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindSubmatch(b); m != nil {
		k.csrf = string(m[1])
	}
	return string(b), resp.StatusCode, resp.Header.Get("Location")
}

func (k *console) get(path string) (string, int) {
	req, _ := http.NewRequest(http.MethodGet, k.e.srv.URL+path, nil)
	body, code, _ := k.do(req)
	return body, code
}

// post sends a form with the page's CSRF token unless the form has one.
func (k *console) post(path string, form url.Values) (string, int, string) {
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", k.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, k.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return k.do(req)
}

func (k *console) upload(path string, fields url.Values, file []byte) (string, int, string) {
	return k.uploadFile(path, fields, "学校统计.xlsx", file)
}

// uploadFile posts a multipart form with one file under the name.
func (k *console) uploadFile(path string, fields url.Values, name string, file []byte) (string, int, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("_csrf", k.csrf)
	for name, vs := range fields {
		_ = w.WriteField(name, vs[0])
	}
	fw, _ := w.CreateFormFile("file", name)
	_, _ = fw.Write(file)
	_ = w.Close()
	req, _ := http.NewRequest(http.MethodPost, k.e.srv.URL+path, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return k.do(req)
}

func (k *console) download(path string) []byte {
	k.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, k.e.srv.URL+path, nil)
	resp, err := k.c.Do(req)
	if err != nil {
		k.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "officedocument") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		k.t.Fatalf("download %s: %d %s", path, resp.StatusCode, resp.Header)
	}
	return b
}

func workbookOf(t *testing.T, schools []evaluation.School) []byte {
	var buf bytes.Buffer
	if err := workbook.Schools(&buf, schools); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestConsoleLoginAndCSRF(t *testing.T) {
	e := newEnv(t)
	k := e.anonymousConsole()
	if _, code, loc := k.do(mustReq(http.MethodGet, e.srv.URL+"/console/units/1/evaluation")); code != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/login?next=") {
		t.Fatalf("anonymous: %d %s", code, loc)
	}
	page, _ := k.get("/console/login")
	if !strings.Contains(page, "工作人员登录") || k.csrf == "" {
		t.Fatal("login page has no form token")
	}
	// A login form without the token, as a cross-site page would post it.
	body, code, _ := k.post("/console/login", url.Values{"_csrf": {""}, "username": {demo.Username}, "password": {demo.Password}})
	if code != http.StatusForbidden || !strings.Contains(body, "请返回并刷新页面") {
		t.Errorf("login without token: %d", code)
	}
	body, code, _ = k.post("/console/login", url.Values{"username": {demo.Username}, "password": {"wrong"}})
	if code != http.StatusUnauthorized || !strings.Contains(body, "用户名或密码错误") || !strings.Contains(body, `value="admin"`) {
		t.Errorf("wrong password: %d", code)
	}
	// An open redirect is not followed after login.
	_, code, loc := k.post("/console/login", url.Values{"username": {demo.Username}, "password": {demo.Password}, "next": {"//evil.example/console"}})
	if code != http.StatusSeeOther || loc != "/console" {
		t.Errorf("next to another site: %d %s", code, loc)
	}
	e.passSecondFactor(k.c, demo.Username) // an administrator's second factor
	if home, _ := k.get("/console"); !strings.Contains(home, "示范县") || !strings.Contains(home, "退出登录") {
		t.Error("console home does not list the demo county")
	}

	// A forged post with a valid session but a wrong token changes nothing.
	before := findingsOf(t, e)
	uid := e.demo.Unit.ID
	path := fmt.Sprintf("/console/units/%d/evaluation/findings", uid)
	form := url.Values{"_csrf": {"forged"}, "year": {"2025"}, "profile": {"hunan-xiangtan-2018"}}
	if body, code, _ := k.post(path, form); code != http.StatusForbidden || !strings.Contains(body, "请求来源无法确认") {
		t.Errorf("forged post: %d", code)
	}
	if after := findingsOf(t, e); after != before {
		t.Errorf("a forged post changed the findings: %s", after)
	}

	if _, code, loc := k.post("/console/logout", url.Values{}); code != http.StatusSeeOther || loc != "/console/login" {
		t.Errorf("logout: %d %s", code, loc)
	}
	if _, code, _ := k.do(mustReq(http.MethodGet, e.srv.URL+"/console")); code != http.StatusSeeOther {
		t.Errorf("after logout: %d", code)
	}
}

func mustReq(method, u string) *http.Request {
	r, _ := http.NewRequest(method, u, nil)
	return r
}

func findingsOf(t *testing.T, e *env) string {
	var profile, figures string
	err := e.pool.QueryRow(context.Background(), `SELECT profile, figures::text FROM evaluation_inputs WHERE unit_id = $1`, e.demo.Unit.ID).Scan(&profile, &figures)
	if err != nil {
		t.Fatal(err)
	}
	return profile + " " + figures
}

func statsCount(t *testing.T, e *env) int {
	var n int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM school_stats`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestEvaluationConsole(t *testing.T) {
	e := newEnv(t)
	k := e.consoleClient()
	base := fmt.Sprintf("/console/units/%d/evaluation", e.demo.Unit.ID)

	page, code := k.get(base)
	if code != http.StatusOK || !strings.Contains(page, `<b id="school-count">8</b>`) || !strings.Contains(page, "评估结论：未达标") {
		t.Fatalf("evaluation page: %d\n%s", code, page)
	}
	report, _ := k.get(base + "/report?year=2025")
	for _, want := range []string{
		"示范县实验小学：义务教育阶段 2160 人，超过 2000 人的上限 160 人", // school size
		"河口村小学（小学）", // a failing school in the gap list
		"石门教学点（不足 50 人的教学点不参加资源配置评估）",
		"名额分配向农村初中倾斜", // a judgement entered as not met
		"尚未填报",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q", want)
		}
	}

	// The result workbook opens and has every sheet.
	f, err := excelize.OpenReader(bytes.NewReader(k.download(base + "/report.xlsx?year=2025")))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.GetSheetList(), ","); got != "评估结论,学校指标,差异系数,指标核查,整改清单" {
		t.Errorf("sheets %s", got)
	}
	if v, _ := f.GetCellValue("评估结论", "B3"); v != "未达标" {
		t.Errorf("verdict cell %q", v)
	}
	// The schools export reads back as the same schools.
	back, err := workbook.ParseSchools(bytes.NewReader(k.download(base + "/schools.xlsx?year=2025")))
	if err != nil || len(back) != 8 || back[0].Name != "示范县实验小学" {
		t.Errorf("export: %d schools, %v", len(back), err)
	}
	if _, err := workbook.ParseSchools(bytes.NewReader(k.download("/console/evaluation/template.xlsx"))); err == nil {
		t.Error("the template imported as if it had schools")
	}

	// A workbook with an error imports nothing and names row and column.
	k.get(base)
	bad := demo.County(30, 9)
	bad[1].KeyPrimary = bad[1].TeachersPrimary + 1
	bad[1].KeyJunior = bad[1].TeachersJunior + 1
	body, code, _ := k.upload(base+"/import", url.Values{"year": {"2025"}}, workbookOf(t, bad))
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "未导入任何数据") || !strings.Contains(body, "<td>第 3 行</td><td>O</td>") {
		t.Errorf("bad workbook: %d\n%s", code, body)
	}
	if n := statsCount(t, e); n != 8 {
		t.Errorf("a refused import left %d statistics rows, want 8", n)
	}
	if body, code, _ := k.upload(base+"/import", url.Values{"year": {"2025"}}, []byte("not a workbook")); code != http.StatusUnprocessableEntity || !strings.Contains(body, ".xlsx") {
		t.Errorf("not a workbook: %d", code)
	}
	// A good one replaces the year.
	_, code, loc := k.upload(base+"/import", url.Values{"year": {"2025"}}, workbookOf(t, demo.County(30, 9)))
	if code != http.StatusSeeOther || !strings.Contains(loc, "saved=import") {
		t.Fatalf("good workbook: %d %s", code, loc)
	}
	if page, _ := k.get(loc); !strings.Contains(page, `<b id="school-count">30</b>`) || !strings.Contains(page, "学校统计数据已导入") {
		t.Error("page does not show the 30 imported schools")
	}

	// Findings: a bad figure saves nothing and keeps what was typed.
	before := findingsOf(t, e)
	form := url.Values{"year": {"2025"}, "profile": {"hunan-xiangtan-2018"}, "fig_retention_junior_pct": {"120"}, "fig_teacher_pay": {"98000"}}
	body, code, _ = k.post(base+"/findings", form)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "“初中三年巩固率”是百分比，不能超过 100") || !strings.Contains(body, `value="98000"`) {
		t.Errorf("bad findings: %d", code)
	}
	if after := findingsOf(t, e); after != before {
		t.Errorf("bad findings were saved: %s", after)
	}
	form.Set("fig_retention_junior_pct", "99.3")
	form.Set("campaign", fmt.Sprint(e.demo.Campaign.ID))
	form.Set("sc_8.1", "3")
	form.Set("v_key_schools", "yes")
	form.Set("vn_key_schools", "某校设重点班")
	if _, code, loc = k.post(base+"/findings", form); code != http.StatusSeeOther {
		t.Fatalf("good findings: %d", code)
	}
	page, _ = k.get(loc)
	if !strings.Contains(page, "县级数据与评定已保存") || !strings.Contains(page, `name="sc_8.1" value="3"`) || !strings.Contains(page, "湖南省湘潭市") {
		t.Error("saved findings are not shown")
	}
	// The veto now decides, through the API too.
	api := e.staffClient()
	out, code := call(t, api, http.MethodGet, e.srv.URL+fmt.Sprintf("/api/v1/units/%d/evaluation?year=2025", e.demo.Unit.ID), "")
	var res struct {
		Profile string `json:"profile"`
		Schools int    `json:"schools"`
		Result  evaluation.Result
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != http.StatusOK {
		t.Fatalf("api: %d %s", code, out)
	}
	if res.Profile != "hunan-xiangtan-2018" || res.Schools != 30 || res.Result.Verdict != evaluation.Fail || res.Result.Vetoes[2].Status != evaluation.Fail {
		t.Errorf("api result: %s %d %s %+v", res.Profile, res.Schools, res.Result.Verdict, res.Result.Vetoes)
	}

	// Bad addresses.
	for _, p := range []string{"/console/units/999/evaluation", "/console/units/abc/evaluation"} {
		if _, code := k.get(p); code != http.StatusNotFound && code != http.StatusBadRequest {
			t.Errorf("%s: %d", p, code)
		}
	}
	if body, code := k.get(base + "?year=1800"); code != http.StatusBadRequest || !strings.Contains(body, "学年须为") {
		t.Errorf("year 1800: %d", code)
	}
	// A campaign of another unit cannot be linked.
	form.Set("campaign", "999999")
	if body, code, _ := k.post(base+"/findings", form); code != http.StatusUnprocessableEntity || !strings.Contains(body, "不属于本单位") {
		t.Errorf("foreign campaign: %d", code)
	}
}

// TestEvaluationInBrowser logs in through the page, imports a school
// workbook, runs the evaluation and opens the report, in Chromium, at
// desktop and phone sizes.
func TestEvaluationInBrowser(t *testing.T) {
	e := newEnv(t)
	file := filepath.Join(t.TempDir(), "学校统计.xlsx")
	if err := os.WriteFile(file, workbookOf(t, demo.County(40, 5)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t, 1280, 900)
	base := fmt.Sprintf("%s/console/units/%d/evaluation", e.srv.URL, e.demo.Unit.ID)
	loginAs(t, ctx, e, strings.TrimPrefix(base, e.srv.URL), demo.Username, demo.Password)
	err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(`#school-count`)),
		chromedp.SetUploadFiles(chromedp.CSS(`input[name="file"]`), []string{file}),
		chromedp.Click(chromedp.CSS(`form[enctype] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.alert.ok`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if n := evaluate[string](t, ctx, `document.querySelector('#school-count').textContent`); n != "40" {
		t.Errorf("school count after import %q, want 40", n)
	}
	screenshot(t, ctx, "evaluation-desktop.png")
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`a[href*="/evaluation/report"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#schools`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	rows := evaluate[int](t, ctx, `document.querySelectorAll('#schools tbody tr').length`)
	// 40 synthetic schools: 2 special schools and the small teaching points
	// are excluded, nine-year schools give two rows.
	if rows < 35 {
		t.Errorf("report shows %d school rows", rows)
	}
	verdict := evaluate[string](t, ctx, `document.querySelector('#verdict h2').textContent`)
	if !strings.HasPrefix(verdict, "一、评估结论：") {
		t.Errorf("verdict heading %q", verdict)
	}
	if n := evaluate[int](t, ctx, `document.querySelectorAll('#schools td.bad').length`); n == 0 {
		t.Error("no failing value is marked in the school table")
	}
	screenshot(t, ctx, "report-desktop.png")
	// The printed report: A4 through the print stylesheet.
	yes := true
	pdf, err := chromedp.Call(ctx, cdppage.PrintToPDF, cdppage.PrintToPDFParams{PreferCSSPageSize: &yes})
	if err != nil || !bytes.HasPrefix(pdf.Data, []byte("%PDF")) {
		t.Errorf("print to PDF: %v", err)
	}
	_ = os.WriteFile(filepath.Join(screenshotDir(t), "report.pdf"), pdf.Data, 0o644)

	// On a phone the page itself does not scroll sideways; the wide table does.
	err = chromedp.Do(ctx,
		chromedp.EmulateViewport(360, 740, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#schools`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if w := evaluate[int](t, ctx, `document.documentElement.scrollWidth`); w > 361 {
		t.Errorf("report at 360 px is %d px wide", w)
	}
	screenshot(t, ctx, "report-phone.png")
}

func TestSchoolEnteredByHand(t *testing.T) {
	e := newEnv(t)
	k := e.consoleClient()
	base := fmt.Sprintf("/console/units/%d/evaluation", e.demo.Unit.ID)
	page, code := k.get(base + "/schools/new?year=2025")
	if code != http.StatusOK || !strings.Contains(page, `name="f_EnrolPrimary"`) || !strings.Contains(page, "<option>九年一贯制学校</option>") {
		t.Fatalf("new school form: %d", code)
	}
	form := url.Values{"year": {"2025"}}
	for h, v := range map[string]string{"Name": "新建小学", "Type": "小学", "Locale": "镇区", "Public": "公办", "Boarding": "否",
		"EnrolPrimary": "300", "ClassesPrimary": "8", "LargestClassPrimary": "40", "TeachersPrimary": "20", "QualifiedPrimary": "15",
		"KeyPrimary": "3", "PEArtsPrimary": "3", "Certified": "20", "TeachingArea": "1500", "SportsArea": "2400",
		"EquipmentValue": "650000", "MultimediaRooms": "8", "MusicRooms": "1", "MusicRoomMinArea": "96", "ArtRooms": "1",
		"ArtRoomMinArea": "90", "OperatingFunds": "220000", "TrainingFunds": "12000"} {
		form.Set("f_"+h, v)
	}
	// A mistake: more key teachers than teachers. Nothing is saved, the
	// values stay in the form.
	form.Set("f_KeyPrimary", "21")
	before := statsCount(t, e)
	body, code, _ := k.post(base+"/schools", form)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "小学县级以上骨干教师数：21 人，多于小学专任教师数 20 人") || !strings.Contains(body, `value="1500"`) {
		t.Errorf("bad school: %d", code)
	}
	if statsCount(t, e) != before {
		t.Error("a refused school was saved")
	}
	form.Set("f_KeyPrimary", "3")
	_, code, loc := k.post(base+"/schools", form)
	if code != http.StatusSeeOther || !strings.Contains(loc, "saved=school") {
		t.Fatalf("good school: %d %s", code, loc)
	}
	page, _ = k.get(loc)
	if !strings.Contains(page, `<b id="school-count">9</b>`) || !strings.Contains(page, ">新建小学</a>") {
		t.Error("the new school is not counted")
	}
	// Edit it: rename and change a figure; its id stays.
	id := regexp.MustCompile(`/schools/(\d+)\?year=2025">新建小学`).FindStringSubmatch(page)
	if id == nil {
		t.Fatal("no edit link")
	}
	if page, _ := k.get(base + "/schools/" + id[1] + "?year=2025"); !strings.Contains(page, `value="新建小学"`) || !strings.Contains(page, `value="650000"`) {
		t.Error("edit form not filled")
	}
	form.Set("f_Name", "新建实验小学")
	form.Set("f_KeyPrimary", "2")
	if _, code, _ := k.post(base+"/schools/"+id[1], form); code != http.StatusSeeOther {
		t.Fatalf("edit: %d", code)
	}
	report, _ := k.get(base + "/report?year=2025")
	if !strings.Contains(report, "新建实验小学") || statsCount(t, e) != before+1 {
		t.Error("edit did not replace the school")
	}
	// Renaming onto another school's name is refused.
	form.Set("f_Name", "河口村小学")
	if body, code, _ := k.post(base+"/schools/"+id[1], form); code != http.StatusUnprocessableEntity || !strings.Contains(body, "本单位已有同名学校") {
		t.Errorf("rename onto another school: %d", code)
	}
	if _, code := k.get(base + "/schools/999999?year=2025"); code != http.StatusNotFound {
		t.Errorf("unknown school: %d", code)
	}
}

// backdateFailures moves the failed logins 16 minutes back, as if the
// lock window had passed: with the audit log's keeping trigger off, since
// no entry may change otherwise.
func backdateFailures(t *testing.T, e *env) {
	t.Helper()
	for _, sql := range []string{`ALTER TABLE audit_log DISABLE TRIGGER audit_log_kept`,
		`UPDATE audit_log SET at = at - interval '16 minutes' WHERE action = 'login_failed'`,
		`ALTER TABLE audit_log ENABLE TRIGGER audit_log_kept`} {
		if _, err := e.pool.Exec(context.Background(), sql); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoginThrottleAndAuditLog(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	k := e.anonymousConsole()
	k.get("/console/login")
	if _, code, _ := k.post("/console/login", url.Values{"username": {"admin"}, "password": {"wrong-password"}}); code != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", code)
	}
	var n int
	_ = e.pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'login_failed' AND username = 'admin' AND client = '127.0.0.1'`).Scan(&n)
	if n != 1 {
		t.Fatalf("failed login recorded %d times", n)
	}
	// Failures from another network lock nothing here (the lock is per
	// source: a stranger cannot lock the admin out of their own network).
	if _, err := e.pool.Exec(ctx, `INSERT INTO audit_log (username, client, action, status)
		SELECT 'ADMIN', '10.0.0.9', 'login_failed', 401 FROM generate_series(1, 10)`); err != nil {
		t.Fatal(err)
	}
	if _, code, _ := k.post("/console/login", url.Values{"username": {"admin"}, "password": {"wrong-password"}}); code != http.StatusUnauthorized {
		t.Fatalf("failures elsewhere locked this network: %d", code)
	}
	// Three more from this address make five: the account is locked here,
	// even for the right password, in the console and the API.
	if _, err := e.pool.Exec(ctx, `INSERT INTO audit_log (username, client, action, status)
		SELECT 'ADMIN', '127.0.0.1', 'login_failed', 401 FROM generate_series(1, 3)`); err != nil {
		t.Fatal(err)
	}
	body, code, _ := k.post("/console/login", url.Values{"username": {"admin"}, "password": {demo.Password}})
	if code != http.StatusTooManyRequests || !strings.Contains(body, "连续登录失败次数过多，已暂停从此网络登录，请于") {
		t.Errorf("locked account: %d", code)
	}
	if out, code := call(t, http.DefaultClient, http.MethodPost, e.srv.URL+"/api/v1/login", `{"username":"admin","password":"`+demo.Password+`"}`); code != http.StatusTooManyRequests || !strings.Contains(out, "已暂停从此网络登录") {
		t.Errorf("locked account through the API: %d %s", code, out)
	}
	// After the window the lock is gone, and a success clears the count.
	backdateFailures(t, e)
	k = e.consoleClient()

	// Twenty failures from one address on any accounts lock that address.
	if _, err := e.pool.Exec(ctx, `INSERT INTO audit_log (username, client, action, status)
		SELECT 'user' || i, '127.0.0.1', 'login_failed', 401 FROM generate_series(1, 20) i`); err != nil {
		t.Fatal(err)
	}
	k2 := e.anonymousConsole()
	k2.get("/console/login")
	if _, code, _ := k2.post("/console/login", url.Values{"username": {"admin"}, "password": {demo.Password}}); code != http.StatusTooManyRequests {
		t.Errorf("locked client: %d", code)
	}

	// Staff actions are logged with who, where, which unit and what.
	base := fmt.Sprintf("/console/units/%d/evaluation", e.demo.Unit.ID)
	k.get(base)
	if _, code, _ := k.upload(base+"/import", url.Values{"year": {"2025"}}, workbookOf(t, demo.County(12, 2))); code != http.StatusSeeOther {
		t.Fatalf("import: %d", code)
	}
	k.download(base + "/report.xlsx?year=2025")
	k.post(base+"/findings", url.Values{"year": {"2025"}, "profile": {"national-2017"}, "fig_hs_quota_pct": {"abc"}})
	if _, code := k.get("/console/audit"); code != http.StatusForbidden {
		t.Errorf("the system administrator reads the audit log: %d", code)
	}
	// The audit administrator signs in once this network's lock is past.
	backdateFailures(t, e)
	k = e.consoleAs(demo.AuditorUsername, demo.Password) // the audit administrator's alone (三员分立)
	page, code := k.get("/console/audit")
	if code != http.StatusOK {
		t.Fatalf("audit page: %d", code)
	}
	// Names, not ids; outcomes in words, not HTTP codes.
	for _, want := range []string{"<td>导入学校统计数据</td><td>单位 示范县，2025 学年</td><td class=\"r\" title=\"HTTP 303\">成功</td>",
		"<td>导出评估结果</td>", "<td>保存县级数据与评定</td>", "<td class=\"r fail\" title=\"HTTP 422\">失败（被拒绝）</td>", "<td>登录失败</td>", "<td>登录被暂停（失败次数过多）</td>", "<td>示范县</td>", "<td>127.0.0.1</td>"} {
		if !strings.Contains(page, want) {
			t.Errorf("audit page lacks %q", want)
		}
	}
	// Filtered by another unit and by a past day, nothing shows.
	other, _ := k.get("/console/audit?unit=999999")
	if strings.Contains(other, "导入学校统计数据") {
		t.Error("the unit filter does not filter")
	}
	old, _ := k.get("/console/audit?from=2020-01-01&to=2020-01-31")
	if !strings.Contains(old, "这段时间没有记录") {
		t.Error("the date filter does not filter")
	}
	if body, code := k.get("/console/audit?from=yesterday"); code != http.StatusBadRequest || !strings.Contains(body, "日期“yesterday”无效") {
		t.Errorf("bad date: %d", code)
	}
}

// TestEveryStaffChangeIsAudited: every state-changing staff route has a
// Chinese action name, so the audit log records it.
func TestEveryStaffChangeIsAudited(t *testing.T) {
	e := newEnv(t)
	h, err := New(Config{SessionKey: []byte("test-session-key-0123456789abcdef")}, e.pool)
	if err != nil {
		t.Fatal(err)
	}
	names := actionNames(h)
	for _, r := range h.Routes() {
		staffRoute := strings.HasPrefix(r.Path, "/console") || strings.HasPrefix(r.Path, "/api/v1")
		// Logging in and out is recorded by signIn; a preview posts a form
		// only to show what it would give, and saves nothing.
		login := strings.HasSuffix(r.Path, "/login") || strings.HasSuffix(r.Path, "/logout") || strings.HasSuffix(r.Path, "/preview")
		changes := r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch || r.Method == http.MethodDelete
		if staffRoute && !login && changes && names[r.Method+" "+r.Path] == "" {
			t.Errorf("%s %s changes state but has no action name", r.Method, r.Path)
		}
	}
}

// TestUploadLimit: a body over the upload limit is refused before any
// middleware reads it, with a Chinese message, and changes nothing.
func TestUploadLimit(t *testing.T) {
	e := newEnv(t)
	k := e.consoleClient()
	base := fmt.Sprintf("/console/units/%d/evaluation", e.demo.Unit.ID)
	k.get(base)
	before := statsCount(t, e)
	body, code, _ := k.upload(base+"/import", url.Values{"year": {"2025"}}, bytes.Repeat([]byte("x"), 10<<20))
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "提交的内容过大") {
		t.Errorf("10 MB upload: %d", code)
	}
	if statsCount(t, e) != before {
		t.Error("an oversized upload changed the statistics")
	}
	// A 100 KB form to a page that takes small forms is refused too.
	if _, code, _ := k.post(base+"/findings", url.Values{"year": {"2025"}, "jn_layout_plan": {strings.Repeat("字", 40_000)}}); code != http.StatusRequestEntityTooLarge {
		t.Errorf("100 KB findings form: %d", code)
	}
}
