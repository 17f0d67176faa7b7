package server

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"renke/county"
	"renke/sampling"
	"renke/staff"
	"renke/survey"
)

// regionUnit makes a unit of the city 4303 with one school in locale and,
// unless share is 0, an open campaign whose sample is filled to share.
func regionUnit(t *testing.T, e *env, code, name string, locale sampling.Locale, share float64) county.Unit {
	t.Helper()
	ctx := context.Background()
	units, surveys := county.NewStore(e.pool), survey.NewStore(e.pool)
	shares := sampling.Shares{}
	switch locale {
	case sampling.Urban:
		shares.Urban = 10000
	case sampling.Rural:
		shares.Rural = 10000
	default:
		shares.Town = 10000
	}
	u, err := units.CreateUnit(ctx, county.Unit{Code: code, Name: name, Kind: "county", Population: 400_000, Shares: shares, CodeReason: "测试用代码"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := units.CreateSchool(ctx, county.School{UnitID: u.ID, Name: name + "一小", Type: county.Primary, Locale: locale, EnrolPrimary: 800}); err != nil {
		t.Fatal(err)
	}
	if share == 0 {
		return u
	}
	c, err := surveys.CreateCampaign(ctx, u.ID, survey.Titled(name+"社会认可度调查"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := surveys.CreateLink(ctx, survey.Link{CampaignID: c.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := surveys.Open(ctx, c.ID, "测试"); err != nil {
		t.Fatal(err)
	}
	fillSample(t, e, c.ID, share)
	return u
}

// A city's units side by side: weakest first, a unit with no survey last,
// each a click from its dashboard; the API gives the same rows; a unit's
// staff sees only its own unit.
func TestRegionDashboard(t *testing.T) {
	e := newEnv(t)
	regionUnit(t, e, "430302", "雨湖区", sampling.Urban, 0.9)
	rural := regionUnit(t, e, "430321", "湘潭县", sampling.Rural, 0.6)
	regionUnit(t, e, "430381", "湘乡市", sampling.Urban, 0.4)
	none := regionUnit(t, e, "430382", "韶山市", sampling.Town, 0)
	regionUnit(t, e, "110101", "东城区", sampling.Urban, 0.5) // another province

	k := e.consoleClient()
	home, _ := k.get("/console")
	if !strings.Contains(home, `href="/console/regions/430300"`) {
		t.Errorf("the console does not offer the city:\n%.2000s", home)
	}
	// The whole country, for the platform admin: every unit with a
	// division code, both provinces.
	if !strings.Contains(home, `href="/console/regions/000000"`) {
		t.Errorf("the admin's console does not offer the whole country")
	}
	if page, status := k.get("/console/regions/000000"); status != http.StatusOK || len(regionRowOrder(page)) != 5 || !strings.Contains(page, "全国") {
		t.Errorf("the whole country: %d, rows %v", status, regionRowOrder(page))
	}
	for _, code := range []string{"4303", "430300"} {
		page, status := k.get("/console/regions/" + code)
		if status != http.StatusOK {
			t.Fatalf("%s: %d %.500s", code, status, page)
		}
		rows := regionRowOrder(page)
		if len(rows) != 4 || rows[0] != "430321" || rows[3] != "430382" {
			t.Errorf("%s: rows %v, want 4 with the rural 湘潭县 first and 韶山市 (no survey) last", code, rows)
		}
		for _, want := range []string{"湘潭县社会认可度调查", "尚未建立调查", `id="region-chart"`, "95% 置信区间"} {
			if !strings.Contains(page, want) {
				t.Errorf("%s: no %q", code, want)
			}
		}
	}
	// The same table as a workbook.
	xlsx, status := k.get("/console/regions/4303/export.xlsx")
	f, err := excelize.OpenReader(strings.NewReader(xlsx))
	if status != http.StatusOK || err != nil {
		t.Fatalf("export: %d %v", status, err)
	}
	sheet, _ := f.GetRows("各单位")
	if len(sheet) != 5 || sheet[1][0] != "430321" || sheet[4][0] != "430382" || sheet[4][3] != "尚未建立调查" || sheet[1][11] == "" {
		t.Errorf("export rows: %q", sheet)
	}
	if _, status := k.get("/console/regions/43a3"); status != http.StatusNotFound {
		t.Errorf("a malformed region: %d", status)
	}
	if _, status := k.get("/console/regions/5100"); status != http.StatusNotFound {
		t.Errorf("a region with no units: %d", status)
	}

	body, code := call(t, e.staffClient(), "GET", e.srv.URL+"/api/v1/regions/4303", "")
	var rows []survey.UnitRow
	if err := json.Unmarshal([]byte(body), &rows); code != http.StatusOK || err != nil || len(rows) != 4 {
		t.Fatalf("API: %d %v %.500s", code, err, body)
	}
	if rows[0].Unit.ID != rural.ID || rows[3].Unit.ID != none.ID || rows[3].Campaign != nil {
		t.Errorf("API order: %s, %s", rows[0].Unit.Name, rows[3].Unit.Name)
	}
	for _, r := range rows[:3] {
		if r.Answers == 0 || r.Counted == 0 || r.SampleSize == 0 || r.LastAt == nil || r.Result.Low > r.Result.Rate || r.Result.High < r.Result.Rate {
			t.Errorf("%s: %+v", r.Unit.Name, r)
		}
	}
	// The locale mix: every respondent of a unit answered at its one
	// school, in the locale holding the whole population, so no gap; once
	// the population is said to be half rural, urban is 50 points over.
	for _, r := range rows[:3] {
		if r.LocaleGap.Deviation != 0 || r.Locales[0].Count+r.Locales[1].Count+r.Locales[2].Count != int(r.Counted) {
			t.Errorf("%s: locale gaps %+v", r.Unit.Name, r.Locales)
		}
	}
	var xx county.Unit
	for _, r := range rows {
		if r.Unit.Name == "湘乡市" { // urban
			xx = r.Unit
		}
	}
	// The shares a campaign is judged by froze when it opened: editing the
	// unit afterwards moves nothing.
	xx.Shares = sampling.Shares{Urban: 5000, Rural: 5000}
	if _, err := county.NewStore(e.pool).UpdateUnit(context.Background(), xx); err != nil {
		t.Fatal(err)
	}
	page, _ := k.get("/console/regions/4303")
	if page = html.UnescapeString(page); strings.Contains(page, "个百分点") {
		t.Errorf("a unit edited after its survey opened moved the locale gap:\n%s", page[strings.Index(page, "<tbody>"):])
	}
	// A campaign opened on a half-rural population: urban is 50 points over.
	if _, err := e.pool.Exec(context.Background(), `UPDATE campaigns SET shares = '{5000,0,5000}' WHERE unit_id = $1`, xx.ID); err != nil {
		t.Fatal(err)
	}
	page, _ = k.get("/console/regions/4303")
	if page = html.UnescapeString(page); !strings.Contains(page, "城区 +50.0 个百分点") || !strings.Contains(page, "与常住人口一致") {
		t.Errorf("the locale gap is not shown:\n%s", page[strings.Index(page, "<tbody>"):])
	}
	// Each row's rate is the unit's own report's overall rate.
	st := survey.NewStore(e.pool)
	for _, r := range rows[:3] {
		p, err := st.Progress(context.Background(), *r.Campaign)
		if err != nil {
			t.Fatal(err)
		}
		forms, _ := st.Forms(context.Background(), r.Campaign.ID)
		rep, err := st.Recognition(context.Background(), *r.Campaign, forms, p)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%.6f %.6f %.6f", rep.Result.Rate, rep.Result.Low, rep.Result.High) !=
			fmt.Sprintf("%.6f %.6f %.6f", r.Result.Rate, r.Result.Low, r.Result.High) || int64(p.Counted) != r.Counted {
			t.Errorf("%s: region row %+v, the unit's report %+v, counted %d", r.Unit.Name, r.Result, rep.Result, p.Counted)
		}
	}

	// A reviewer granted the city reaches all its units, one created after
	// the grant too, and nothing else; reads only.
	k.get("/console/accounts")
	if page, status, _ := k.post("/console/accounts", url.Values{"username": {"city-reviewer"}, "password": {"reviewer-password-1"},
		"role": {"reviewer"}, "regions": {"430300"}}); status != http.StatusSeeOther {
		t.Fatalf("creating a region reviewer: %d %.500s", status, page)
	}
	if page, _ := k.get("/console/accounts"); !strings.Contains(page, "湘潭市 (430300)") {
		t.Errorf("the accounts page does not show the region")
	}
	k.get("/console/accounts")
	if page, status, _ := k.post("/console/accounts", url.Values{"username": {"bad-region"}, "password": {"reviewer-password-1"},
		"role": {"reviewer"}, "regions": {"43x"}}); status != http.StatusUnprocessableEntity || !strings.Contains(page, "地区代码“43x”无效") {
		t.Errorf("a bad region: %d %.300s", status, page)
	}
	later := regionUnit(t, e, "430304", "岳塘区", sampling.Urban, 0)
	r := e.consoleAs("city-reviewer", "reviewer-password-1")
	page, status = r.get("/console/regions/4303")
	if got := regionRowOrder(page); status != http.StatusOK || len(got) != 5 {
		t.Errorf("the region reviewer's overview: %d, rows %v", status, got)
	}
	if _, status := r.get(fmt.Sprintf("/console/units/%d", later.ID)); status != http.StatusOK {
		t.Errorf("a unit created after the grant: %d", status)
	}
	if _, status := r.get(fmt.Sprintf("/console/units/%d", e.demo.Unit.ID)); status != http.StatusNotFound {
		t.Errorf("a unit outside the region: %d", status)
	}
	if _, status := r.get("/console/regions/11"); status != http.StatusNotFound {
		t.Errorf("another province: %d", status)
	}

	// Staff of one unit reach only that unit of the region.
	if _, err := staff.NewStore(e.pool).Create(context.Background(), "staff-xt", "staff-password-1", staff.Grant{Role: staff.UnitStaff, Units: []int64{rural.ID}}); err != nil {
		t.Fatal(err)
	}
	body, _ = call(t, e.apiAs("staff-xt", "staff-password-1"), "GET", e.srv.URL+"/api/v1/regions/4303", "")
	if err := json.Unmarshal([]byte(body), &rows); err != nil || len(rows) != 1 || rows[0].Unit.ID != rural.ID {
		t.Errorf("unit staff's region: %.300s", body)
	}
}

// regionRowOrder is the unit codes of the region table, in order.
func regionRowOrder(page string) []string {
	var out []string
	for _, part := range strings.Split(page, `<tr data-unit="`)[1:] {
		out = append(out, part[:strings.Index(part, `"`)])
	}
	return out
}

// One survey for a city's units: bad settings change nothing; each unit
// gets its own campaign and links (a unit without schools only the
// unit-wide one); they open together, answers in one show on the region's
// overview, and they close together with their logs sealed.
func TestRegionSurvey(t *testing.T) {
	e := newEnv(t)
	for i, name := range []string{"雨湖区", "湘潭县", "湘乡市"} {
		regionUnit(t, e, fmt.Sprintf("4303%02d", i+2), name, sampling.Locales[i], 0)
	}
	if _, err := county.NewStore(e.pool).CreateUnit(context.Background(), county.Unit{Code: "430382", Name: "韶山市", Kind: "county",
		Population: 100_000, Shares: sampling.Shares{Town: 10000}}); err != nil { // no schools yet
		t.Fatal(err)
	}
	api := e.staffClient()
	count := func() (n int) {
		_ = e.pool.QueryRow(context.Background(), `SELECT count(*) FROM campaigns c JOIN units u ON u.id = c.unit_id WHERE u.code LIKE '4303%'`).Scan(&n)
		return n
	}
	if body, code := call(t, api, "POST", e.srv.URL+"/api/v1/regions/4303/campaigns",
		`{"settings":{"title":"统一调查","threshold":2},"kinds":["any"],"schools":true,"unit_wide":true}`); code != http.StatusUnprocessableEntity || count() != 0 {
		t.Fatalf("bad settings: %d %s; %d campaigns", code, body, count())
	}
	k := e.consoleClient()
	k.get("/console/regions/4303")
	page, status, _ := k.post("/console/regions/4303/campaigns", url.Values{"title": {"2026 年社会认可度调查"}})
	if status != http.StatusSeeOther || count() != 4 {
		t.Fatalf("create: %d, %d campaigns\n%.300s", status, count(), page)
	}
	page, _ = k.get("/console/regions/4303")
	if !strings.Contains(page, "已为 4 个单位创建调查") || !strings.Contains(page, "韶山市：还没有学校名单，只建了全县通用链接") {
		t.Errorf("the flash does not say what was made:\n%.3000s", page)
	}
	var links int
	_ = e.pool.QueryRow(context.Background(), `SELECT count(*) FROM links l JOIN campaigns c ON c.id = l.campaign_id JOIN units u ON u.id = c.unit_id
		WHERE u.code LIKE '4303%'`).Scan(&links)
	if links != 3*2+1 {
		t.Errorf("%d links, want a school link and a unit-wide link for three units and one for 韶山市", links)
	}
	// Again: every unit already has one.
	if body, _ := call(t, api, "POST", e.srv.URL+"/api/v1/regions/4303/campaigns", `{"settings":{"title":"又一次"},"kinds":["any"],"unit_wide":true}`); count() != 4 || !strings.Contains(body, "已有未开始的调查") {
		t.Errorf("a second survey while one is in draft: %d campaigns, %s", count(), body)
	}
	body, code := call(t, api, "POST", e.srv.URL+"/api/v1/regions/4303/open", "")
	var out []survey.RegionOutcome
	if err := json.Unmarshal([]byte(body), &out); code != http.StatusOK || err != nil || len(out) != 4 {
		t.Fatalf("open: %d %v %.300s", code, err, body)
	}
	for _, o := range out {
		if !o.Done || o.Campaign.Status != survey.Open {
			t.Errorf("%s not opened: %+v", o.Unit.Name, o)
		}
	}
	// Answers in one unit show on the overview (posted at once, so with no
	// minimum fill time, as the env's demo campaign).
	if _, err := e.pool.Exec(context.Background(), `UPDATE campaigns SET min_fill_seconds = 0`); err != nil {
		t.Fatal(err)
	}
	var code2 string
	_ = e.pool.QueryRow(context.Background(), `SELECT l.code FROM links l JOIN campaigns c ON c.id = l.campaign_id JOIN units u ON u.id = c.unit_id
		WHERE u.code = '430303' AND l.school_id IS NOT NULL`).Scan(&code2)
	for range 3 {
		if _, status := e.post("/s/"+code2, parentForm(e.token("/s/"+code2+"?c=parent"), "A")); status != http.StatusOK {
			t.Fatalf("answer: %d", status)
		}
	}
	if rows := regionRowOrder(func() string { p, _ := k.get("/console/regions/4303"); return p }()); len(rows) != 4 || rows[0] != "430303" {
		t.Errorf("the answered unit is not ranked first: %v", rows)
	}
	k.get("/console/regions/4303")
	if _, status, _ := k.post("/console/regions/4303/close", url.Values{"confirm": {"on"}}); status != http.StatusSeeOther {
		t.Fatalf("close: %d", status)
	}
	var open, sealed int
	_ = e.pool.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE status = 'open'), count(*) FILTER (WHERE sealed_size IS NOT NULL)
		FROM campaigns c JOIN units u ON u.id = c.unit_id WHERE u.code LIKE '4303%'`).Scan(&open, &sealed)
	if open != 0 || sealed != 4 {
		t.Errorf("after closing: %d open, %d sealed", open, sealed)
	}
}

// The country's page is paged, a hundred units a page, weakest first, and
// summarised by province, each a link to its own page.
func TestNationalRegionPagedAndByProvince(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	units := county.NewStore(e.pool)
	for i := range 250 {
		prov := []int{43, 44, 45}[i%3]
		code := fmt.Sprintf("%02d%02d%02d", prov, 1+i/90, 1+i%90)
		if _, err := units.CreateUnit(ctx, county.Unit{Code: code, Name: "县" + code, Kind: "county", Population: 300_000,
			Shares: sampling.Shares{Urban: 4000, Town: 3000, Rural: 3000}, CodeReason: "测试用代码"}); err != nil {
			t.Fatal(err)
		}
	}
	k := e.consoleClient()
	page, status := k.get("/console/regions/000000")
	if status != http.StatusOK || len(regionRowOrder(page)) != 100 || !strings.Contains(page, "第 1 / 3 页") {
		t.Fatalf("page 1: %d, %d rows", status, len(regionRowOrder(page)))
	}
	provinces := strings.Count(page, `<tr data-province="`)
	if provinces != 3 || !strings.Contains(page, `<tr data-province="44"><td><a href="/console/regions/440000">`) ||
		!strings.Contains(page, `<td class="r">83</td><td class="r">0</td><td class="r">0</td><td class="r">83</td>`) {
		t.Errorf("%d province rows:\n%s", provinces, page[strings.Index(page, `id="provinces"`):][:1500])
	}
	last, _ := k.get("/console/regions/000000?page=3")
	seen := map[string]bool{}
	for _, p := range []string{page, last, func() string { p, _ := k.get("/console/regions/000000?page=2"); return p }()} {
		for _, u := range regionRowOrder(p) {
			seen[u] = true
		}
	}
	if len(regionRowOrder(last)) != 50 || len(seen) != 250 || !strings.Contains(last, "<b>3</b>") {
		t.Errorf("page 3: %d rows; %d units over the three pages", len(regionRowOrder(last)), len(seen))
	}
	if p, _ := k.get("/console/regions/000000?page=99"); len(regionRowOrder(p)) != 100 {
		t.Error("a page beyond the last is not the first")
	}
	// A province's own page is not summarised again.
	if p, _ := k.get("/console/regions/44"); strings.Contains(p, `id="provinces"`) || len(regionRowOrder(p)) != 83 {
		t.Errorf("province 44: %d rows", len(regionRowOrder(p)))
	}
}
