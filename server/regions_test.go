package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

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
	u, err := units.CreateUnit(ctx, county.Unit{Code: code, Name: name, Kind: "county", Population: 400_000, Shares: shares})
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
	if _, err := surveys.Open(ctx, c.ID); err != nil {
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
	if !strings.Contains(home, `href="/console/regions/4303"`) {
		t.Errorf("the console does not offer the city:\n%.2000s", home)
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
	if page, _ := k.get("/console/accounts"); !strings.Contains(page, "地区 4303") {
		t.Errorf("the accounts page does not show the region")
	}
	k.get("/console/accounts")
	if page, status, _ := k.post("/console/accounts", url.Values{"username": {"bad-region"}, "password": {"reviewer-password-1"},
		"role": {"reviewer"}, "regions": {"43x"}}); status != http.StatusUnprocessableEntity || !strings.Contains(page, "地区代码“43x”无效") {
		t.Errorf("a bad region: %d %.300s", status, page)
	}
	later := regionUnit(t, e, "430304", "岳塘区", sampling.Urban, 0)
	r := e.consoleAs("city-reviewer", "reviewer-password-1")
	page, status := r.get("/console/regions/4303")
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
