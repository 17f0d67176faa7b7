package server

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"renke/county"
	"renke/demo"
	"renke/evaluation"
	"renke/sampling"
	"renke/staff"
	"renke/statistics"
	"renke/survey"
	"renke/workbook"
)

// cityWorkbook is a unit list of n counties of the city 4303, with its
// rows changed by edit before it is written.
func cityWorkbook(t *testing.T, n int, edit func(row int, cells []any)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sheet := "Sheet1"
	hdr := []any{}
	for _, h := range workbook.UnitHeaders() {
		hdr = append(hdr, h)
	}
	_ = f.SetSheetRow(sheet, "A1", &hdr)
	for i := range n {
		// 20 + 30 + 50 = 100.
		row := []any{fmt.Sprintf("4303%02d", i+2), fmt.Sprintf("第%d县", i+1), "县", 300_000 + 10_000*i, 20, 30, 50, "第七次全国人口普查", 2020, "测试用代码"}
		if edit != nil {
			edit(i, row)
		}
		_ = f.SetSheetRow(sheet, fmt.Sprintf("A%d", i+2), &row)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A city's survey staff import their counties from a workbook: a bad row
// saves nothing and is named by row and column; a good list adds the
// units, which the staff then reach and nothing else; a second import
// updates; another city's list, a reviewer and county staff are refused.
func TestRegionUnitImport(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	accounts := staff.NewStore(e.pool)
	for _, a := range []struct {
		name string
		g    staff.Grant
	}{
		{"city-staff", staff.Grant{Role: staff.UnitStaff, Regions: []string{"430300"}}},
		{"city-reviewer", staff.Grant{Role: staff.Reviewer, Regions: []string{"4303"}}},
		{"county-staff", staff.Grant{Role: staff.UnitStaff, Units: []int64{e.demo.Unit.ID}}},
	} {
		if _, err := accounts.Create(ctx, a.name, "password-2026-x", a.g); err != nil {
			t.Fatal(err)
		}
	}
	units := func(prefix string) (n int) {
		_ = e.pool.QueryRow(ctx, `SELECT count(*) FROM units WHERE code LIKE $1 || '%'`, prefix).Scan(&n)
		return n
	}
	k := e.consoleAs("city-staff", "password-2026-x")
	home, _ := k.get("/console")
	if !strings.Contains(home, `id="import-units"`) || !strings.Contains(home, `href="/console/regions/430300"`) {
		t.Fatalf("the city staff's home offers neither the import nor the region:\n%.3000s", home)
	}
	if tpl := k.download("/console/units-template.xlsx"); len(tpl) < 1000 {
		t.Errorf("template: %d bytes", len(tpl))
	}

	// Row 7 has shares adding to 90, row 9 another city's code.
	bad := cityWorkbook(t, 10, func(i int, row []any) {
		switch i {
		case 5:
			row[6] = 40
		case 7:
			row[0] = "430102"
		}
	})
	page, status, _ := k.uploadFile("/console/regions", url.Values{"region": {"4303"}}, "名单.xlsx", bad)
	if status != http.StatusUnprocessableEntity || units("4303") != 0 ||
		!strings.Contains(page, "第 7 行") || !strings.Contains(page, "之和须为 100%（现为 90.00%）") ||
		!strings.Contains(page, "430102 不属于湘潭市 (430300)") {
		t.Fatalf("a bad list: %d, %d units saved\n%.3000s", status, units("4303"), page)
	}
	page, status, _ = k.uploadFile("/console/regions", url.Values{"region": {"430300"}}, "名单.xlsx", cityWorkbook(t, 10, nil))
	if status != http.StatusSeeOther || units("4303") != 10 {
		t.Fatalf("a good list: %d, %d units\n%.1000s", status, units("4303"), page)
	}
	page, _ = k.get("/console/regions/4303")
	if !strings.Contains(page, "已导入 10 个评价单位（新增 10 个，更新 0 个）") || len(regionRowOrder(page)) != 10 {
		t.Errorf("the region after the import:\n%.2000s", page)
	}
	// Again, with one population changed: every unit is updated, none added.
	k.uploadFile("/console/regions", url.Values{"region": {"4303"}}, "名单.xlsx", cityWorkbook(t, 10, func(i int, row []any) {
		if i == 0 {
			row[3] = 555_555
		}
	}))
	var pop int64
	_ = e.pool.QueryRow(ctx, `SELECT population FROM units WHERE code = '430302'`).Scan(&pop)
	if page, _ := k.get("/console/regions/4303"); !strings.Contains(page, "新增 0 个，更新 10 个") || pop != 555_555 {
		t.Errorf("a second import: population %d", pop)
	}
	// The exported list reads back as the ten units.
	if got, err := workbook.ParseUnits(bytes.NewReader(k.download("/console/regions/4303/units.xlsx")), "4303"); err != nil || len(got) != 10 {
		t.Errorf("the exported list: %d units, %v", len(got), err)
	}

	// Outside the grant: another city, by the form and by the API.
	if _, status, _ := k.uploadFile("/console/regions", url.Values{"region": {"4302"}}, "名单.xlsx", cityWorkbook(t, 1, func(_ int, row []any) { row[0] = "430202" })); status != http.StatusForbidden || units("4302") != 0 {
		t.Errorf("another city's list: %d", status)
	}
	api := e.apiAs("city-staff", "password-2026-x")
	one := `{"units":[{"code":"%s","name":"新区","kind":"district","population":1000,"shares":{"urban":10000,"town":0,"rural":0}}]}`
	if body, status := call(t, api, "POST", e.srv.URL+"/api/v1/regions/4302/units", fmt.Sprintf(one, "430202")); status != http.StatusForbidden {
		t.Errorf("API, another city: %d %s", status, body)
	}
	if body, status := call(t, api, "POST", e.srv.URL+"/api/v1/regions/4303/units", fmt.Sprintf(one, "430202")); status != http.StatusUnprocessableEntity || units("4302") != 0 ||
		!strings.Contains(body, "不是湘潭市 (430300)的县级行政区划代码") {
		t.Errorf("API, a unit outside the region: %d %s", status, body)
	}
	two := `{"units":[{"code":"430399","name":"新区","kind":"district","population":1000,"shares":{"urban":10000,"town":0,"rural":0},"code_reason":"新设"},
		{"code":"430399","name":"新区","kind":"district","population":2000,"shares":{"urban":10000,"town":0,"rural":0},"code_reason":"新设"}]}`
	if body, status := call(t, api, "POST", e.srv.URL+"/api/v1/regions/4303/units", two); status != http.StatusUnprocessableEntity || units("4303") != 10 ||
		!strings.Contains(body, "代码 430399 与第 1 个重复") {
		t.Errorf("API, a code twice: %d %s", status, body)
	}
	// 430399 is on no division list: refused, then taken with a reason.
	if body, status := call(t, api, "POST", e.srv.URL+"/api/v1/regions/4303/units", fmt.Sprintf(one, "430399")); status != http.StatusUnprocessableEntity || units("4303") != 10 ||
		!strings.Contains(body, "430399 不是国家统计局 2023 年统计用区划代码") || !strings.Contains(body, "请填写代码说明") {
		t.Errorf("API, an unlisted code without a reason: %d %s", status, body)
	}
	withReason := `{"units":[{"code":"430399","name":"新区","kind":"district","population":1000,"shares":{"urban":10000,"town":0,"rural":0},"code_reason":"2026 年新设立，湘政函〔2026〕1号"}]}`
	if body, status := call(t, api, "POST", e.srv.URL+"/api/v1/regions/4303/units", withReason); status != http.StatusOK || units("4303") != 11 ||
		!strings.Contains(body, `"added":1`) {
		t.Errorf("API import: %d %s", status, body)
	}
	var reason string
	if err := e.pool.QueryRow(ctx, `SELECT code_reason FROM units WHERE code = '430399'`).Scan(&reason); err != nil || reason != "2026 年新设立，湘政函〔2026〕1号" {
		t.Errorf("the reason kept: %q %v", reason, err)
	}
	for _, who := range []string{"city-reviewer", "county-staff"} {
		if body, status := call(t, e.apiAs(who, "password-2026-x"), "POST", e.srv.URL+"/api/v1/regions/4303/units", fmt.Sprintf(one, "430398")); status != http.StatusForbidden || units("4303") != 11 {
			t.Errorf("%s imports: %d %s", who, status, body)
		}
	}

	// The city's staff reach the city's units, not the demo county, and run
	// a survey for all of them.
	if _, status := k.get(fmt.Sprintf("/console/units/%d", e.demo.Unit.ID)); status != http.StatusNotFound {
		t.Errorf("the demo county from the city's staff: %d", status)
	}
	k.get("/console/regions/4303")
	if _, status, _ := k.post("/console/regions/4303/campaigns", url.Values{"title": {"湘潭市 2026 年社会认可度调查"}}); status != http.StatusSeeOther {
		t.Errorf("the city's staff create the survey: %d", status)
	}
	var campaigns int
	_ = e.pool.QueryRow(ctx, `SELECT count(*) FROM campaigns c JOIN units u ON u.id = c.unit_id WHERE u.code LIKE '4303%'`).Scan(&campaigns)
	if campaigns != 11 {
		t.Errorf("%d campaigns, want one per unit", campaigns)
	}
}

// The evaluations of a city's units side by side: a unit with a class of
// 60 fails and names its school; a unit with no statistics is 待填报; the
// row links the unit's report, and the API gives the same verdicts.
func TestRegionEvaluation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := regionUnit(t, e, "430302", "雨湖区", sampling.Urban, 0)
	b := regionUnit(t, e, "430321", "湘潭县", sampling.Rural, 0)
	regionUnit(t, e, "430381", "湘乡市", sampling.Town, 0)
	st := statistics.NewStore(e.pool)
	good := []evaluation.School{
		demo.SchoolStats("雨湖一小", county.Primary, sampling.Urban, 900, 0, 1),
		demo.SchoolStats("雨湖二小", county.Primary, sampling.Urban, 850, 0, 1),
		demo.SchoolStats("雨湖中学", county.Junior, sampling.Urban, 0, 900, 1),
	}
	crowded := slices.Clone(good)
	crowded[1].Name, crowded[1].LargestClassPrimary = "湘潭县二小", 60
	crowded[0].Name, crowded[2].Name = "湘潭县一小", "湘潭县中学"
	if err := st.Import(ctx, a.ID, 2025, good); err != nil {
		t.Fatal(err)
	}
	if err := st.Import(ctx, b.ID, 2025, crowded); err != nil {
		t.Fatal(err)
	}
	// These schools are drawn to the national standards: the two units'
	// findings name them, where 湘乡市, with none, is read by the city's.
	for _, id := range []int64{a.ID, b.ID} {
		if err := st.SaveFindings(ctx, id, statistics.Findings{Year: 2025, Profile: "national-2017"}); err != nil {
			t.Fatal(err)
		}
	}
	k := e.consoleClient()
	page, status := k.get("/console/regions/4303/evaluation")
	if status != http.StatusOK {
		t.Fatalf("%d %.500s", status, page)
	}
	if rows := regionRowOrder(page); len(rows) != 3 || rows[0] != "430321" {
		t.Errorf("order %v: the failing unit is not first", rows)
	}
	if !strings.Contains(page, "湘潭县二小") || strings.Contains(page, "雨湖二小") || !strings.Contains(page, "尚无学校统计数据") ||
		!strings.Contains(page, fmt.Sprintf(`/console/units/%d/evaluation/report?year=2025`, b.ID)) {
		t.Errorf("the evaluation roll-up:\n%s", page[strings.Index(page, "<tbody>"):])
	}
	// The workbook: the failing unit first, its school named, its verdict.
	f, err := excelize.OpenReader(bytes.NewReader(k.download("/console/regions/4303/evaluation.xlsx")))
	if err != nil {
		t.Fatal(err)
	}
	sheet, _ := f.GetRows("各单位评估")
	if len(sheet) != 4 || sheet[1][0] != "430321" || sheet[1][5] != "未达标" || !slices.Contains(sheet[1], "湘潭县二小") || !slices.Contains(sheet[0], "未达标学校") {
		t.Errorf("the evaluation workbook: %v", sheet)
	}
	body, code := call(t, e.staffClient(), "GET", e.srv.URL+"/api/v1/regions/4303/evaluation", "")
	var rows []statistics.UnitEvaluation
	if err := json.Unmarshal([]byte(body), &rows); code != http.StatusOK || err != nil || len(rows) != 3 {
		t.Fatalf("API: %d %v %.300s", code, err, body)
	}
	// Each verdict is the unit's own evaluation page's.
	for _, r := range rows {
		own, _ := k.get(fmt.Sprintf("/console/units/%d/evaluation", r.Unit.ID))
		if !strings.Contains(own, "评估结论："+r.Verdict.Name()) {
			t.Errorf("%s: the roll-up says %s, its own page does not", r.Unit.Name, r.Verdict.Name())
		}
	}
	if rows[0].Verdict != evaluation.Fail || strings.Join(rows[0].FailingSchools, ",") != "湘潭县二小" || rows[2].Verdict == evaluation.Fail {
		t.Errorf("API rows: %+v", rows)
	}
	if rows[2].Unit.Code != "430381" || !strings.Contains(rows[2].Profile, "湘潭市") || strings.Contains(rows[0].Profile, "湘潭市") {
		t.Errorf("profiles: %s %s, want the city's for the unit whose findings name none", rows[0].Profile, rows[2].Profile)
	}
}

// A region's posters as one print job, unit by unit, and its QR codes as
// one ZIP with a folder per unit, each code decoding to its link; a
// closed unit's links are left out.
func TestRegionPosters(t *testing.T) {
	e := newEnv(t)
	for i, name := range []string{"雨湖区", "湘潭县", "湘乡市"} {
		regionUnit(t, e, fmt.Sprintf("4303%02d", i+2), name, sampling.Locales[i], 0)
	}
	api := e.staffClient()
	if body, code := call(t, api, "POST", e.srv.URL+"/api/v1/regions/4303/campaigns",
		`{"settings":{"title":"统一调查"},"kinds":["any"],"schools":true,"unit_wide":true}`); code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	k := e.consoleClient()
	page, status := k.get("/console/regions/4303/posters")
	if status != http.StatusOK || strings.Count(page, `<article class="poster">`) != 6 {
		t.Fatalf("posters: %d, %d posters", status, strings.Count(page, `<article class="poster">`))
	}
	if a, b, c := strings.Index(page, "雨湖区一小"), strings.Index(page, "湘潭县一小"), strings.Index(page, "湘乡市一小"); a < 0 || a > b || b > c {
		t.Errorf("posters not in unit order: %d %d %d", a, b, c)
	}
	// The city set the survey up: its posters, form and receipt check name
	// the city's bureau, and its pages the city.
	if n := strings.Count(page, "主办：湘潭市教育局"); n != 6 || strings.Contains(page, "主办：雨湖区教育局") || !strings.Contains(page, "<title>湘潭市 (430300) 调查二维码海报") {
		t.Errorf("%d posters name the city as organiser", n)
	}
	var wide string
	if err := e.pool.QueryRow(t.Context(), `SELECT l.code FROM links l JOIN campaigns c ON c.id = l.campaign_id JOIN units u ON u.id = c.unit_id
		WHERE u.code = '430302' AND l.school_id IS NULL`).Scan(&wide); err != nil {
		t.Fatal(err)
	}
	if form, _ := e.get("/s/" + wide + "?c=parent"); !strings.Contains(form, "主办：湘潭市教育局") {
		t.Error("the city's survey form does not name its organiser")
	}
	if region, _ := k.get("/console/regions/4303"); !strings.Contains(region, "湘潭市 (430300)") {
		t.Error("the region page does not name 湘潭市")
	}
	// The demo county's own survey names its own bureau.
	if poster, _ := e.get("/s/" + e.schoolLink() + "/poster"); !strings.Contains(poster, "主办：示范县教育局") {
		t.Error("the county's own poster lost its organiser")
	}
	resp, err := k.c.Get(e.srv.URL + "/console/regions/4303/qr.zip")
	if err != nil {
		t.Fatal(err)
	}
	zb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	zr, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	if err != nil {
		t.Fatal(err)
	}
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Fatal("zbarimg not found: install zbar-tools (CI does)")
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if !strings.HasSuffix(f.Name, ".png") {
			continue
		}
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		file := filepath.Join(t.TempDir(), "qr.png")
		_ = os.WriteFile(file, b, 0o644)
		out, err := exec.Command(zbar, "--raw", "-q", file).Output()
		if got := strings.TrimSpace(string(out)); err != nil || !strings.HasPrefix(got, e.srv.URL+"/s/") {
			t.Errorf("%s decodes to %q (%v)", f.Name, got, err)
		}
	}
	want := []string{"链接清单.csv", "430302-雨湖区/雨湖区一小-不限身份.png", "430302-雨湖区/全县通用-不限身份.png"}
	if len(names) != 7 || !slices.Contains(names, want[1]) || !slices.Contains(names, want[2]) || names[0] != want[0] {
		t.Errorf("ZIP entries %v", names)
	}
	// Closing one unit drops its posters.
	var id int64
	_ = e.pool.QueryRow(context.Background(), `SELECT c.id FROM campaigns c JOIN units u ON u.id = c.unit_id WHERE u.code = '430302'`).Scan(&id)
	call(t, api, "POST", fmt.Sprintf("%s/api/v1/campaigns/%d/open", e.srv.URL, id), "")
	call(t, api, "POST", fmt.Sprintf("%s/api/v1/campaigns/%d/close", e.srv.URL, id), "")
	if page, _ := k.get("/console/regions/4303/posters"); strings.Count(page, `<article class="poster">`) != 4 || strings.Contains(page, "雨湖区一小") {
		t.Errorf("a closed unit's posters are still printed")
	}
}

// The region's dossier prints each unit's row and its log's latest
// signed checkpoint, which the unit's log verifies against.
func TestRegionDossier(t *testing.T) {
	e := newEnv(t)
	a := regionUnit(t, e, "430302", "雨湖区", sampling.Urban, 0)
	regionUnit(t, e, "430321", "湘潭县", sampling.Rural, 0)
	api := e.staffClient()
	call(t, api, "POST", e.srv.URL+"/api/v1/regions/4303/campaigns", `{"settings":{"title":"统一调查"},"kinds":["any"],"schools":true}`)
	call(t, api, "POST", e.srv.URL+"/api/v1/regions/4303/open", "")
	var code string
	_ = e.pool.QueryRow(context.Background(), `SELECT l.code FROM links l JOIN campaigns c ON c.id = l.campaign_id WHERE c.unit_id = $1`, a.ID).Scan(&code)
	for range 3 {
		if _, status := e.post("/s/"+code, parentForm(e.token("/s/"+code+"?c=parent"), "A")); status != http.StatusOK {
			t.Fatalf("answer: %d", status)
		}
	}
	k := e.consoleClient()
	page, status := k.get("/console/regions/4303/dossier")
	if status != http.StatusOK || len(regionRowOrder(page)) != 2 {
		t.Fatalf("dossier: %d %.500s", status, page)
	}
	st := survey.NewStore(e.pool)
	cps, err := st.Campaigns(context.Background(), a.ID)
	if err != nil || len(cps) != 1 {
		t.Fatal(cps, err)
	}
	cp, err := st.LatestCheckpoint(context.Background(), cps[0].ID)
	if err != nil || cp.Size == 0 {
		t.Fatal(cp, err)
	}
	if !strings.Contains(page, fmt.Sprintf("%x", cp.Root)) || !strings.Contains(page, fmt.Sprintf(`<td class="r">%d</td>`, cp.Size)) {
		t.Errorf("the dossier lacks 雨湖区's checkpoint %d %x", cp.Size, cp.Root)
	}
	// The reviewer's check: the printed size and root on the unit's verify
	// page agree; a root one digit off does not.
	root := fmt.Sprintf("%x", cp.Root)
	verify := fmt.Sprintf("/console/campaigns/%d/verify?size=%d&root=%s", cps[0].ID, cp.Size, root)
	if !strings.Contains(page, html.EscapeString(verify)) {
		t.Errorf("the dossier does not link the check %s", verify)
	}
	if page, _ := k.get(verify); !strings.Contains(page, "打印的检查点（"+fmt.Sprint(cp.Size)+" 条）与重新计算的日志一致") {
		t.Errorf("the printed checkpoint does not verify:\n%s", page)
	}
	wrong := root[:63] + map[bool]string{true: "1", false: "0"}[root[63] == '0']
	if page, _ := k.get(fmt.Sprintf("/console/campaigns/%d/verify?size=%d&root=%s", cps[0].ID, cp.Size, wrong)); !strings.Contains(page, "与重新计算的日志不一致") {
		t.Errorf("a wrong root verifies")
	}
}

// A city imports every county's school roster in one workbook: a bad row
// saves nothing and is named; the good workbook adds each unit's schools,
// and the downloaded rosters read back.
func TestRegionRosterImport(t *testing.T) {
	e := newEnv(t)
	a := regionUnit(t, e, "430302", "雨湖区", sampling.Urban, 0)
	b := regionUnit(t, e, "430321", "湘潭县", sampling.Rural, 0)
	// book writes the region's roster workbook as the download gives it.
	book := func(units []county.Unit, schools map[int64][]county.School) []byte {
		var buf bytes.Buffer
		if err := workbook.RegionRoster(&buf, units, schools); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	school := func(name string, typ county.SchoolType, locale sampling.Locale, primary, junior int32) county.School {
		return county.School{Name: name, Type: typ, Locale: locale, Public: true, EnrolPrimary: primary, EnrolJunior: junior}
	}
	outside := county.Unit{ID: -1, Code: "110101", Name: "东城区"}
	schools := func() (n int) {
		_ = e.pool.QueryRow(context.Background(), `SELECT count(*) FROM schools WHERE unit_id IN ($1, $2)`, a.ID, b.ID).Scan(&n)
		return n
	}
	k := e.consoleClient()
	k.get("/console/regions/4303")
	page, status, _ := k.uploadFile("/console/regions/4303/schools", url.Values{}, "名单.xlsx", book([]county.Unit{a, outside},
		map[int64][]county.School{a.ID: {school("第一中学", county.Junior, sampling.Urban, 0, 900)},
			outside.ID: {school("东城小学", county.Primary, sampling.Urban, 500, 0)}}))
	if status != http.StatusUnprocessableEntity || schools() != 2 || !strings.Contains(page, "110101 不是本地区已有的评价单位") {
		t.Fatalf("a bad workbook: %d, %d schools\n%.2000s", status, schools(), page)
	}
	k.get("/console/regions/4303")
	_, status, _ = k.uploadFile("/console/regions/4303/schools", url.Values{}, "名单.xlsx", book([]county.Unit{a, b},
		map[int64][]county.School{a.ID: {school("第一中学", county.Junior, sampling.Urban, 0, 900)},
			b.ID: {school("第一中学", county.Junior, sampling.Rural, 0, 700),
				school("湘潭县一小", county.Primary, sampling.Rural, 800, 0)}})) // 湘潭县一小 is already there: updated
	if status != http.StatusSeeOther || schools() != 4 {
		t.Fatalf("a good workbook: %d, %d schools", status, schools())
	}
	if page, _ := k.get("/console/regions/4303"); !strings.Contains(page, "已导入 2 个单位的 3 所学校（新增 2 所，更新 1 所）") {
		t.Errorf("the flash:\n%.3000s", page)
	}
	back, err := workbook.ParseRegionRoster(bytes.NewReader(k.download("/console/regions/4303/schools.xlsx")), func(string) bool { return true })
	if err != nil || len(back["430302"]) != 2 || len(back["430321"]) != 2 {
		t.Errorf("the downloaded rosters: %+v %v", back, err)
	}
}
