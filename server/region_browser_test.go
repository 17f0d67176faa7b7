package server

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"renke/staff"
	"renke/workbook"
)

// A city in Chromium: its survey staff import twelve counties from a
// workbook and their school rosters from another, one survey is created and opened
// for all, parents answer in three counties (one each on a phone, the rest
// by form posts), and the region page ranks those three weakest first,
// with the chart of intervals in the same order, and a click leads to a
// county's own dashboard.
func TestRegionInBrowser(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "湘潭市评价单位.xlsx")
	if err := os.WriteFile(file, cityWorkbook(t, 12, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := staff.NewStore(e.pool).Create(ctx, "xiangtan", "xiangtan-2026-survey", staff.Grant{Role: staff.UnitStaff, Regions: []string{"430300"}}); err != nil {
		t.Fatal(err)
	}
	b := browser(t, 1280, 900)
	loginAs(t, b, e, "/console", "xiangtan", "xiangtan-2026-survey")
	run(t, b,
		chromedp.WaitVisible(chromedp.CSS(`#import-units`)),
		chromedp.SendKeys(chromedp.CSS(`#import-units input[name="region"]`), "430300"),
		chromedp.SetUploadFiles(chromedp.CSS(`#import-units input[name="file"]`), []string{file}),
		chromedp.Click(chromedp.CSS(`#import-units button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#region`)),
	)
	if n := evaluate[int](t, b, `document.querySelectorAll('#region tbody tr').length`); n != 12 {
		t.Fatalf("the region page lists %d units after importing 12", n)
	}
	if msg := evaluate[string](t, b, `document.querySelector('.alert.ok').textContent`); !strings.Contains(msg, "新增 12 个") {
		t.Errorf("flash %q", msg)
	}
	// Every county's roster in one workbook: one rural school each.
	roster := filepath.Join(t.TempDir(), "湘潭市学校名单.xlsx")
	f := excelize.NewFile()
	hdr := []any{workbook.RegionCodeHeader, workbook.RegionUnitHeader}
	for _, h := range workbook.RosterHeaders() {
		hdr = append(hdr, h)
	}
	_ = f.SetSheetRow("Sheet1", "A1", &hdr)
	for i := range 12 {
		_ = f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+2), &[]any{fmt.Sprintf("4303%02d", i+2), fmt.Sprintf("第%d县", i+1),
			fmt.Sprintf("第%d县实验小学", i+1), "小学", "乡村", "公办", 900, 0})
	}
	if err := f.SaveAs(roster); err != nil {
		t.Fatal(err)
	}
	run(t, b,
		marked(),
		chromedp.SetUploadFiles(chromedp.CSS(`#import-schools input[name="file"]`), []string{roster}),
		chromedp.Click(chromedp.CSS(`#import-schools button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`body:not([data-old]) .alert.ok`)),
	)
	if msg := evaluate[string](t, b, `document.querySelector('.alert.ok').textContent`); !strings.Contains(msg, "已导入 12 个单位的 12 所学校") {
		t.Fatalf("rosters: %q", msg)
	}
	run(t, b,
		chromedp.SendKeys(chromedp.CSS(`#region-survey input[name="title"]`), "湘潭市 2026 年义务教育优质均衡发展社会认可度调查"),
		marked(),
		chromedp.Click(chromedp.CSS(`#region-survey form[action$="/campaigns"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`body:not([data-old]) .alert.ok`)),
	)
	if msg := evaluate[string](t, b, `document.querySelector('.alert.ok').textContent`); !strings.Contains(msg, "已为 12 个单位创建调查") {
		t.Fatalf("create: %q", msg)
	}
	run(t, b,
		marked(),
		chromedp.Click(chromedp.CSS(`#region-survey form[action$="/open"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`body:not([data-old]) .alert.ok`)),
	)
	if msg := evaluate[string](t, b, `document.querySelector('.alert.ok').textContent`); !strings.Contains(msg, "开始调查：12 个单位") {
		t.Fatalf("open: %q", msg)
	}

	// Answers: 第3县 (430304) all 不满意 (D), 第5县 (430306) three 非常满意
	// and two D, 第1县 (430302) all A. The other nine have none.
	link := func(code string) string {
		var l string
		if err := e.pool.QueryRow(ctx, `SELECT l.code FROM links l JOIN campaigns c ON c.id = l.campaign_id JOIN units u ON u.id = c.unit_id
			WHERE u.code = $1 AND l.school_id IS NOT NULL`, code).Scan(&l); err != nil {
			t.Fatal(err)
		}
		return l
	}
	// (Answered in seconds, where parents take minutes: no minimum fill
	// time, or the responses would be held for review as "fast".)
	if _, err := e.pool.Exec(context.Background(), `UPDATE campaigns SET min_fill_seconds = 0`); err != nil {
		t.Fatal(err)
	}
	phone := browser(t, 360, 740)
	for _, a := range []struct {
		code string
		opts []string // the first answered on the phone
	}{
		{"430304", []string{"D", "D", "D", "D", "D"}},
		{"430306", []string{"A", "A", "A", "D", "D"}},
		{"430302", []string{"A", "A", "A", "A", "A"}},
	} {
		l := link(a.code)
		run(t, phone,
			chromedp.EmulateViewport(360, 740, chromedp.EmulateScale(2), chromedp.EmulateMobile),
			chromedp.Navigate(e.srv.URL+"/s/"+l),
			chromedp.WaitVisible(chromedp.CSS(`a[href="?c=parent"]`)),
			chromedp.Click(chromedp.CSS(`a[href="?c=parent"]`)),
			chromedp.WaitVisible(chromedp.CSS(`input[name="a_S01"]`)),
			chromedp.Click(chromedp.CSS(`input[name="band"][value="1-2"]`)),
			chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(
					`document.querySelectorAll('fieldset .opts').forEach(o => { const r = o.querySelector('input[value="%s"]'); if (r) r.click(); }); true`, a.opts[0])))
				return err
			}),
			chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`.receipt`)),
		)
		for _, opt := range a.opts[1:] {
			if _, status := e.post("/s/"+l, parentForm(e.token("/s/"+l+"?c=parent"), opt)); status != http.StatusOK {
				t.Fatalf("answer in %s: %d", a.code, status)
			}
		}
	}

	run(t, b, chromedp.Navigate(e.srv.URL+"/console/regions/4303"), chromedp.WaitVisible(chromedp.CSS(`#region`)))
	order := evaluate[[]string](t, b, `[...document.querySelectorAll('#region tbody tr')].map(r => r.dataset.unit)`)
	if len(order) != 12 || strings.Join(order[:3], ",") != "430304,430306,430302" {
		t.Errorf("ranking %v, want 430304, 430306, 430302 first", order)
	}
	counted := evaluate[[]string](t, b, `[...document.querySelectorAll('#region tbody tr')].slice(0, 4).map(r => r.cells[2].textContent.trim().split(' ')[0])`)
	if strings.Join(counted, ",") != "5,5,5,0" {
		t.Errorf("counted %v", counted)
	}
	chart := evaluate[[]string](t, b, `[...document.querySelectorAll('#region-chart .iv .l')].map(l => l.firstChild.textContent.trim())`)
	if strings.Join(chart, ",") != "第3县,第5县,第1县" {
		t.Errorf("chart rows %v", chart)
	}
	screenshot(t, b, "region-desktop.png")
	run(t, b,
		chromedp.Click(chromedp.CSS(`#region tbody tr:first-child a[href$="/dashboard"]`)),
		chromedp.WaitVisible(chromedp.CSS(`main h1`)),
	)
	if h := evaluate[string](t, b, `document.querySelector('main').textContent`); !strings.Contains(h, "第3县") {
		t.Errorf("the drill-down is not 第3县's dashboard: %.300s", h)
	}
	if u := evaluate[string](t, b, `location.pathname`); !strings.HasSuffix(u, "/dashboard") {
		t.Errorf("drilled into %s", u)
	}
}

// marked marks the page shown, so a wait for body:not([data-old]) waits
// for the next one.
func marked() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.body.dataset.old = '1'; true`))
		return err
	})
}
