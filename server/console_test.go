package server

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"golang.org/x/text/encoding/simplifiedchinese"

	"renke/county"
	"renke/sampling"
	"renke/workbook"
)

// rosterOf is a school roster workbook.
func rosterOf(t *testing.T, schools []county.School) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := workbook.Roster(&buf, schools); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var yiSchools = []county.School{
	{Name: "乙县实验小学", Type: county.Primary, Locale: sampling.Urban, Public: true, EnrolPrimary: 1800},
	{Name: "乙县第一中学", Type: county.Junior, Locale: sampling.Town, Public: true, EnrolJunior: 1200},
	{Name: "乙县山湾小学", Type: county.Primary, Locale: sampling.Rural, Public: true, EnrolPrimary: 240},
}

// TestSurveyEndToEndInBrowser: in Chromium, an admin logs in, creates a
// unit (previewing its quota), imports its schools from XLSX, creates and
// opens a campaign, prints the poster page; a parent answers at 360 px
// through a poster's link; the dashboard counts the answer.
func TestSurveyEndToEndInBrowser(t *testing.T) {
	e := newEnv(t)
	file := filepath.Join(t.TempDir(), "学校名单.xlsx")
	if err := os.WriteFile(file, rosterOf(t, yiSchools), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t, 1280, 900)
	text := func(sel string) string {
		t.Helper()
		return evaluate[string](t, ctx, `document.querySelector('`+sel+`').textContent`)
	}
	login(t, ctx, e, "/console")
	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`a[href="/console/units/new"]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="population"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "乙县"),
		chromedp.SendKeys(chromedp.CSS(`input[name="code"]`), "yixian"),
		chromedp.SendKeys(chromedp.CSS(`input[name="population"]`), "200000"),
		chromedp.SendKeys(chromedp.CSS(`input[name="population_source"]`), "第七次全国人口普查"),
		chromedp.SetValue(chromedp.CSS(`input[name="share_urban"]`), "30"),
		chromedp.SetValue(chromedp.CSS(`input[name="share_town"]`), "30"),
		chromedp.SetValue(chromedp.CSS(`input[name="share_rural"]`), "40"),
		chromedp.Click(chromedp.CSS(`button[formaction]`)), // preview, saves nothing
		chromedp.WaitVisible(chromedp.CSS(`#quota`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	// 200,000 × 1.5‰ = 300: 150 parents, 25 in each other category.
	if got := text(`#quota tr.sum td:nth-last-child(2)`); !strings.Contains(got, "300") {
		t.Errorf("preview total %q, want 300", got)
	}
	if got := text(`#quota tbody tr:first-child td:nth-last-child(2)`); !strings.Contains(got, "150") {
		t.Errorf("preview parents %q, want 150", got)
	}
	var n int
	_ = e.pool.QueryRow(context.Background(), `SELECT count(*) FROM units WHERE code = 'yixian'`).Scan(&n)
	if n != 0 {
		t.Fatal("the preview saved the unit")
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#settings button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`#schools input[type="file"]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`#schools input[type="file"]`), []string{file}),
		chromedp.Click(chromedp.CSS(`#schools form[enctype] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#school-list`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if rows := evaluate[int](t, ctx, `document.querySelectorAll('#school-list tbody tr').length`); rows != 3 {
		t.Errorf("%d schools after import, want 3", rows)
	}
	screenshot(t, ctx, "unit-desktop.png")
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`#campaigns input[name="title"]`), "乙县 2026 年社会认可度调查"),
		chromedp.Click(chromedp.CSS(`#campaigns button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`#links`)),
		chromedp.Click(chromedp.CSS(`#links button.primary`)), // a link per school, respondent picks
		chromedp.WaitVisible(chromedp.CSS(`#link-list`)),
		chromedp.Click(chromedp.CSS(`#open`)),
		chromedp.WaitVisible(chromedp.CSS(`#frozen`)), // what opening freezes, before it does
		chromedp.Click(chromedp.CSS(`#confirm`)),
		chromedp.WaitVisible(chromedp.CSS(`#close`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := text(`#status`); got != "进行中" {
		t.Errorf("status after opening %q", got)
	}
	screenshot(t, ctx, "campaign-desktop.png")
	campaignURL := evaluate[string](t, ctx, `location.pathname`)
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#posters`)),
		chromedp.WaitVisible(chromedp.CSS(`.poster img.qr`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := evaluate[int](t, ctx, `document.querySelectorAll('.poster').length`); got != 3 {
		t.Errorf("%d posters, want one per school", got)
	}
	loaded := evaluate[bool](t, ctx, `(async () => { for (const i of document.querySelectorAll('img.qr')) { await i.decode(); if (i.naturalWidth < 400) return false; } return true; })()`)
	if !loaded {
		t.Error("a poster's QR code did not load")
	}
	yes := true
	pdf, err := chromedp.Call(ctx, cdppage.PrintToPDF, cdppage.PrintToPDFParams{PreferCSSPageSize: &yes})
	if err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(screenshotDir(t), "posters.pdf"), pdf.Data, 0o644)
	if pages := len(regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(pdf.Data, -1)); pages != 3 {
		t.Errorf("poster sheet prints on %d pages, want 3 A4 pages", pages)
	}
	school := text(`.poster:first-of-type .school`)
	link := strings.TrimSpace(text(`.poster:first-of-type .url b`))

	// A parent on a phone opens the poster's link. (The test answers in
	// seconds, where a parent takes minutes: no minimum fill time, or the
	// response would be held for review as "fast".)
	if _, err := e.pool.Exec(context.Background(), `UPDATE campaigns SET min_fill_seconds = 0`); err != nil {
		t.Fatal(err)
	}
	phone := browser(t, 1280, 900)
	err = chromedp.Do(phone,
		chromedp.EmulateViewport(360, 740, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`a[href="?c=parent"]`)),
		chromedp.Click(chromedp.CSS(`a[href="?c=parent"]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="a_S01"]`)),
		chromedp.Click(chromedp.CSS(`input[name="band"][value="3-4"]`)),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelectorAll('fieldset .opts').forEach(o => { const r = o.querySelector('input[value="A"]'); if (r) r.click(); }); true`))
			return err
		}),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.receipt`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if w := evaluate[int](t, phone, `document.documentElement.scrollWidth`); w > 360 {
		t.Errorf("receipt page is %d px wide at 360", w)
	}

	err = chromedp.Do(ctx,
		chromedp.Navigate(e.srv.URL+campaignURL+"/dashboard"),
		chromedp.WaitVisible(chromedp.CSS(`#admitted`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := text(`#admitted`); got != "1" {
		t.Errorf("dashboard counts %q admitted, want 1", got)
	}
	if got := text(`#rate .big`); got != "100%" {
		t.Errorf("dashboard rate %q, want 100%% (every item 满意)", got)
	}
	if body := evaluate[string](t, ctx, `document.querySelector('#by-school').textContent`); !strings.Contains(body, school) {
		t.Errorf("the school of the poster (%s) is not on the dashboard", school)
	}
}

// TestRosterImport: a roster with a bad row saves nothing and names every
// bad cell; a CSV saved by Excel in GBK imports; re-importing updates by
// name instead of duplicating.
func TestRosterImport(t *testing.T) {
	e := newEnv(t)
	k := e.consoleClient()
	unit := fmt.Sprintf("/console/units/%d", e.demo.Unit.ID)
	count := func() (n int) {
		_ = e.pool.QueryRow(context.Background(), `SELECT count(*) FROM schools WHERE unit_id = $1`, e.demo.Unit.ID).Scan(&n)
		return n
	}
	before := count()
	k.get(unit)
	bad := "学校名称,学校类型,城乡类别,办学性质,小学在校生数,初中在校生数\n新建小学,小学,城区,公办,300,0\n坏学校,大学,城里,公办,-5,0\n"
	body, code, _ := k.uploadFile(unit+"/schools/import", nil, "名单.csv", []byte(bad))
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("bad roster: %d", code)
	}
	for _, want := range []string{"<td>第 3 行</td><td>B</td><td>学校类型</td>", "<td>第 3 行</td><td>C</td><td>城乡类别</td>",
		"<td>第 3 行</td><td>E</td><td>小学在校生数</td>", "未导入任何数据"} {
		if !strings.Contains(body, want) {
			t.Errorf("error list lacks %q", want)
		}
	}
	if count() != before {
		t.Fatal("a roster with a bad row saved schools")
	}
	gbk, err := simplifiedchinese.GBK.NewEncoder().String("学校名称,学校类型,城乡类别,办学性质,小学在校生数,初中在校生数\r\n新建小学,小学,城区,公办,300,0\r\n示范县实验小学,小学,城区,公办,2200,0\r\n")
	if err != nil {
		t.Fatal(err)
	}
	_, code, loc := k.uploadFile(unit+"/schools/import", nil, "名单.csv", []byte(gbk))
	if code != http.StatusSeeOther {
		t.Fatalf("GBK roster: %d", code)
	}
	if body, _ := k.get(loc); !strings.Contains(body, "新增 1 所，更新 1 所") {
		t.Errorf("import message missing after %s", loc)
	}
	if count() != before+1 {
		t.Errorf("schools %d, want %d", count(), before+1)
	}
	var enrol int
	_ = e.pool.QueryRow(context.Background(), `SELECT enrol_primary FROM schools WHERE unit_id = $1 AND name = '示范县实验小学'`, e.demo.Unit.ID).Scan(&enrol)
	if enrol != 2200 {
		t.Errorf("existing school not updated by name: %d", enrol)
	}
	// The template round-trips through the importer.
	_, code, _ = k.uploadFile(unit+"/schools/import", nil, "学校名单.xlsx", rosterOf(t, yiSchools))
	if code != http.StatusSeeOther || count() != before+4 {
		t.Errorf("XLSX roster: %d, %d schools", code, count())
	}
	if _, err := workbook.ParseRoster(bytes.NewReader(k.download("/console/schools-template.xlsx")), false); err == nil {
		t.Error("the empty template parses as a roster with schools")
	}
}
