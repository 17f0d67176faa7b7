package server

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"renke/demo"
)

// TestDashboardAndDossier: with a sample in, the dashboard shows the
// counts the database holds, draws its charts without script, and the
// dossier carries the design, the sample, every method and what was left
// out. Screenshots at desktop and phone sizes go to testdata/screenshots.
func TestDashboardAndDossier(t *testing.T) {
	e := newEnv(t)
	fillSample(t, e, e.demo.Campaign.ID, 0.8)
	var admitted, over int
	if err := e.pool.QueryRow(t.Context(), `SELECT count(*) FILTER (WHERE status = 'admitted'), count(*) FILTER (WHERE status = 'over_quota')
		FROM responses WHERE campaign_id = $1`, e.demo.Campaign.ID).Scan(&admitted, &over); err != nil {
		t.Fatal(err)
	}
	k := e.consoleClient()
	base := fmt.Sprintf("/console/campaigns/%d", e.demo.Campaign.ID)
	body, code := k.get(base + "/dashboard")
	if code != 200 {
		t.Fatalf("dashboard: %d", code)
	}
	for _, want := range []string{
		fmt.Sprintf(`<span id="admitted">%d</span>`, admitted),
		fmt.Sprintf(`<b id="over-quota">%d</b>`, over),
		`每 30 秒自动刷新本页`,                                                      // offered, not done unasked
		`id="by-item"`, `id="by-school"`, `class="ivchart"`, `class="line"`, // the 85% line
	} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %s", want)
		}
	}
	if strings.Contains(body, "<script") {
		t.Error("the dashboard uses script")
	}
	// Asked to, it refreshes itself every 30 s, and offers to stop.
	if strings.Contains(body, `http-equiv="refresh"`) {
		t.Error("the dashboard refreshes itself unasked")
	}
	if auto, _ := k.get(base + "/dashboard?auto=1"); !strings.Contains(auto, `<meta http-equiv="refresh" content="30">`) ||
		!strings.Contains(auto, `<a href="/console/campaigns/`+fmt.Sprint(e.demo.Campaign.ID)+`/dashboard">停止自动刷新</a>`) {
		t.Error("asked to, the dashboard does not refresh itself or offer to stop")
	}
	dossier, code := k.get(base + "/dossier")
	if code != 200 {
		t.Fatalf("dossier: %d", code)
	}
	for _, want := range []string{"812345", "1.5‰", "1219", "满意度前两级占比", "加权平均分", "超出配额", "95% 置信区间"} {
		if !strings.Contains(dossier, want) {
			t.Errorf("dossier lacks %q", want)
		}
	}

	for _, size := range []struct {
		name string
		w, h int
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		ctx := browser(t, 1280, 900)
		if size.w < 500 { // a window cannot be narrower; a phone is emulated
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(size.w), int64(size.h), chromedp.EmulateScale(2), chromedp.EmulateMobile)); err != nil {
				t.Fatal(err)
			}
		}
		login(t, ctx, e, base+"/dashboard")
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#by-item svg`))); err != nil {
			t.Fatal(err)
		}
		if got := evaluate[string](t, ctx, `document.querySelector('#admitted').textContent`); got != fmt.Sprint(admitted) {
			t.Errorf("%s dashboard shows %s admitted, want %d", size.name, got, admitted)
		}
		if w := evaluate[int](t, ctx, `document.documentElement.scrollWidth`); w > size.w {
			t.Errorf("%s dashboard is %d px wide", size.name, w)
		}
		screenshot(t, ctx, "dashboard-"+size.name+".png")
		if err := chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+base+"/dossier"), chromedp.WaitVisible(chromedp.CSS(`#questionnaires`))); err != nil {
			t.Fatal(err)
		}
		if w := evaluate[int](t, ctx, `document.documentElement.scrollWidth`); w > size.w {
			t.Errorf("%s dossier is %d px wide", size.name, w)
		}
		screenshot(t, ctx, "dossier-"+size.name+".png")
	}
}

// login signs the browser in through the console form and goes to path.
func login(t *testing.T, ctx context.Context, e *env, path string) {
	t.Helper()
	loginAs(t, ctx, e, path, demo.Username, demo.Password)
}

// loginAs signs in through the form as an account, landing on path.
func loginAs(t *testing.T, ctx context.Context, e *env, path, username, password string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(e.srv.URL+path),
		chromedp.WaitVisible(chromedp.CSS(`input[name="username"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), username),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`input[name="password"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	passSecondFactorInBrowser(t, ctx, e, username)
}

// passSecondFactorInBrowser: an account with a second factor lands on its
// page after the password; it enrols the first time, else gives a code,
// as a person would.
func passSecondFactorInBrowser(t *testing.T, ctx context.Context, e *env, username string) {
	t.Helper()
	if evaluate[string](t, ctx, `location.pathname`) != "/console/second-factor" {
		return
	}
	if evaluate[bool](t, ctx, `!!document.getElementById('enrolment')`) {
		secret := evaluate[string](t, ctx, `document.getElementById('secret').textContent`)
		step := time.Now().Unix() / 30
		run(t, ctx, chromedp.SetValue(chromedp.CSS(`#enrolment input[name="code"]`), totpAt(t, secret, step)),
			chromedp.Click(chromedp.CSS(`#enrolment button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#recovery-codes`)))
		codes := evaluate[[]string](t, ctx, `[...document.querySelectorAll('#recovery-codes li')].map(li => li.textContent)`)
		e.mu.Lock()
		e.factors[username] = &factor{secret: secret, codes: codes, step: step}
		e.mu.Unlock()
		run(t, ctx, chromedp.Click(chromedp.CSS(`#recovery-codes a.button`)), chromedp.WaitNotPresent(chromedp.CSS(`#recovery-codes`)))
		return
	}
	run(t, ctx, chromedp.SetValue(chromedp.CSS(`#second-factor input[name="code"]`), e.nextCode(username)),
		chromedp.Click(chromedp.CSS(`#second-factor button[type="submit"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#second-factor`)))
}

// TestExports: the responses export as XLSX and as CSV with a BOM, one row
// per response with answers as labels; the tables workbook has its sheets;
// every QR code in the ZIP decodes to its link.
func TestExports(t *testing.T) {
	e := newEnv(t)
	fillSample(t, e, e.demo.Campaign.ID, 0.1)
	var total int
	if err := e.pool.QueryRow(t.Context(), `SELECT count(*) FROM responses WHERE campaign_id = $1`, e.demo.Campaign.ID).Scan(&total); err != nil {
		t.Fatal(err)
	}
	k := e.consoleClient()
	base := fmt.Sprintf("/console/campaigns/%d", e.demo.Campaign.ID)

	x, err := excelize.OpenReader(bytes.NewReader(k.download(base + "/responses.xlsx")))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.GetRows("答卷")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != total+1 {
		t.Errorf("XLSX has %d rows for %d responses", len(rows)-1, total)
	}
	head := strings.Join(rows[0], "|")
	if !strings.Contains(head, "回执码") || !strings.Contains(head, "S01 ") || !strings.HasSuffix(head, "意见建议") {
		t.Errorf("XLSX header: %s", head)
	}
	labels := map[string]bool{}
	for _, r := range rows[1:] {
		for _, c := range r[10:] {
			labels[c] = true
		}
	}
	for _, want := range []string{"满意", "比较满意"} {
		if !labels[want] {
			t.Errorf("no answer shown as %q; got %v", want, labels)
		}
	}
	if labels["A"] || labels["B"] {
		t.Error("answers exported as option codes, not labels")
	}
	// The fill time is a number Excel can sum; the flags and the review have
	// their own columns; the time is in the one format of every workbook.
	col := func(header string) int { return slices.Index(rows[0], header) + 1 }
	fill, _ := excelize.CoordinatesToCellName(col("填写用时（秒）"), 2)
	if typ, _ := x.GetCellType("答卷", fill); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("填写用时 is %v, not a number", typ)
	}
	if v, _ := x.GetCellValue("答卷", fill, excelize.Options{RawCellValue: true}); v == "" || strings.ContainsAny(v, "秒 ") {
		t.Errorf("填写用时 cell %q", v)
	}
	if col("系统标记") == 0 || col("审核决定") == 0 || col("审核理由") == 0 {
		t.Errorf("XLSX lacks the flag and review columns: %s", head)
	}
	when, _ := excelize.CoordinatesToCellName(col("提交时间"), 2)
	if v, _ := x.GetCellValue("答卷", when); !regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$`).MatchString(v) {
		t.Errorf("提交时间 shown as %q", v)
	}

	resp, err := k.c.Get(e.srv.URL + base + "/responses.csv")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.HasPrefix(raw, []byte("\xEF\xBB\xBF")) {
		t.Error("CSV has no UTF-8 BOM")
	}
	recs, err := csv.NewReader(bytes.NewReader(raw[3:])).ReadAll()
	if err != nil || len(recs) != total+1 || recs[0][1] != "回执码" {
		t.Errorf("CSV: %d records (%v)", len(recs), err)
	}

	tables, err := excelize.OpenReader(bytes.NewReader(k.download(base + "/tables.xlsx")))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"配额与进度", "认可度（各计分方法）", "按类别", "按评价内容", "按题目", "按学校", "按城乡", "年级段"} {
		if i, _ := tables.GetSheetIndex(s); i < 0 {
			t.Errorf("tables workbook lacks sheet %s", s)
		}
	}

	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Fatal("zbarimg not found: install zbar-tools (CI does)")
	}
	resp, err = k.c.Get(e.srv.URL + base + "/qr.zip")
	if err != nil {
		t.Fatal(err)
	}
	zb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("zip: %d", resp.StatusCode)
	}
	zr, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pngs := 0
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".png") {
			continue
		}
		pngs++
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		file := filepath.Join(dir, fmt.Sprint(pngs, ".png"))
		_ = os.WriteFile(file, b, 0o644)
		out, err := exec.Command(zbar, "--raw", "-q", file).Output()
		got := strings.TrimSpace(string(out))
		if err != nil || !strings.HasPrefix(got, e.srv.URL+"/s/") {
			t.Errorf("%s decodes to %q (%v)", f.Name, got, err)
		}
	}
	if pngs != len(e.demo.Links) {
		t.Errorf("ZIP has %d QR codes for %d links", pngs, len(e.demo.Links))
	}
}
