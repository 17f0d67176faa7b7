package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"renke/county"
	"renke/demo"
	"renke/sampling"
	"renke/staff"
	"renke/survey"
)

// isolated is the demo county (unit B) beside a second unit A, with a
// unit staff account and a reviewer of A.
type isolated struct {
	*env
	a, b             county.Unit
	campaignA        survey.Campaign
	staffA, reviewer string
}

const isolatedPassword = "unit-a-password-2026"

func newIsolated(t *testing.T) *isolated {
	e := newEnv(t)
	ctx := context.Background()
	units := county.NewStore(e.pool)
	a, err := units.CreateUnit(ctx, county.Unit{Code: "unit-a", Name: "甲县", Kind: "county", Population: 300_000,
		Shares: sampling.Shares{Urban: 3000, Town: 3000, Rural: 4000}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := units.Unit(ctx, county.Everything, e.demo.Unit.ID)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := survey.NewStore(e.pool).CreateCampaign(ctx, a.ID, survey.Titled("甲县调查"))
	if err != nil {
		t.Fatal(err)
	}
	accounts := staff.NewStore(e.pool)
	if _, err := accounts.Create(ctx, "staff-a", isolatedPassword, staff.Grant{Role: staff.UnitStaff, Units: []int64{a.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := accounts.Create(ctx, "reviewer-a", isolatedPassword, staff.Grant{Role: staff.Reviewer, Units: []int64{a.ID}}); err != nil {
		t.Fatal(err)
	}
	return &isolated{env: e, a: a, b: b, campaignA: cp, staffA: "staff-a", reviewer: "reviewer-a"}
}

// fingerprint is everything of unit B a request could change.
func (e *isolated) fingerprint() string {
	var out string
	err := e.pool.QueryRow(context.Background(), `SELECT concat_ws('|',
		(SELECT row(u.*)::text FROM units u WHERE id = $1),
		(SELECT string_agg(row(s.*)::text, ',' ORDER BY id) FROM schools s WHERE unit_id = $1),
		(SELECT string_agg(row(c.*)::text, ',' ORDER BY id) FROM campaigns c WHERE unit_id = $1),
		(SELECT count(*) FROM links l JOIN campaigns c ON c.id = l.campaign_id WHERE c.unit_id = $1),
		(SELECT count(*) FROM school_stats st JOIN schools s ON s.id = st.school_id WHERE s.unit_id = $1),
		(SELECT count(*) FROM evaluation_inputs WHERE unit_id = $1))`, e.b.ID).Scan(&out)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// TestUnitIsolation walks every staff route and API endpoint as the staff
// of unit A against unit B's resources: each answers 404 and changes
// nothing. Routes without a unit either list only A's units or are for
// admins only; a route this test does not know fails it.
func TestUnitIsolation(t *testing.T) {
	e := newIsolated(t)
	h, err := New(Config{SessionKey: []byte("test-session-key-0123456789abcdef")}, e.pool)
	if err != nil {
		t.Fatal(err)
	}
	var bSchool int64
	if err := e.pool.QueryRow(context.Background(), `SELECT min(id) FROM schools WHERE unit_id = $1`, e.b.ID).Scan(&bSchool); err != nil {
		t.Fatal(err)
	}
	fill := func(path string) string {
		return strings.NewReplacer(":unit", fmt.Sprint(e.b.ID), ":campaign", fmt.Sprint(e.demo.Campaign.ID),
			":school", fmt.Sprint(bSchool), ":kind", "social", ":account", "1", ":region", e.b.Code[:min(4, len(e.b.Code))]).Replace(path)
	}
	k := e.consoleAs(e.staffA, isolatedPassword)
	api := e.apiAs(e.staffA, isolatedPassword)
	before := e.fingerprint()

	// Routes with no unit in them, and what staff of A get there.
	unscoped := map[string]int{
		"GET /console": 200, "GET /console/schools-template.xlsx": 200, "GET /console/units-template.xlsx": 200,
		"GET /console/evaluation/template.xlsx": 200,
		"POST /console/regions":                 422, // no region in the form; with one, staff without the region's grant get 403 (TestRegionUnitImport)
		"GET /console/audit":                    403, "GET /console/accounts": 403, "POST /console/accounts": 403, "POST /console/accounts/:account": 403,
		"POST /console/campaigns/:campaign/reopen": 403, "POST /api/v1/campaigns/:campaign/reopen": 403,
		"POST /console/accounts/:account/disable": 403, "POST /console/accounts/:account/enable": 403, "POST /console/accounts/:account/sessions/:session/end": 403,
		"GET /console/units/new": 403, "POST /console/units/preview": 403, "POST /console/units": 403,
		"GET /api/v1/me": 200, "GET /api/v1/units": 200, "POST /api/v1/units": 403, "GET /api/v1/profiles": 200,
		// The account's own second factor: staff of A may enrol (no code
		// given here: refused), and only the admin resets another's.
		"GET /console/second-factor": 200, "POST /console/second-factor": 422, "POST /console/second-factor/enrolment": 422,
		"POST /api/v1/second-factor": 422, "POST /api/v1/second-factor/enrolment": 201, "POST /api/v1/second-factor/enrolment/confirm": 422,
		"POST /console/accounts/:account/second-factor/reset": 403, "GET /console/audit.xlsx": 403,
	}
	// Acts of a role (the head's sign-off, the reviewers' acts) refuse
	// anyone else by role first, naming nothing, as admin-only routes do.
	for _, p := range []string{"/units/:unit/rounds/:no/sign-off", "/units/:unit/rounds/:no/opinions", "/units/:unit/rounds/:no/conclusion",
		"/units/:unit/evaluation/not-applicable/accept"} {
		unscoped["POST /console"+p], unscoped["POST /api/v1"+p] = 403, 403
	}
	walked := 0
	for _, r := range h.Routes() {
		if !strings.HasPrefix(r.Path, "/console") && !strings.HasPrefix(r.Path, "/api/v1") ||
			strings.HasSuffix(r.Path, "/login") || strings.HasSuffix(r.Path, "/logout") || r.Method == "echo_route_not_found" {
			continue
		}
		key := r.Method + " " + r.Path
		path := fill(r.Path)
		var body string
		var code int
		if strings.HasPrefix(r.Path, "/console") {
			if r.Method == http.MethodGet {
				body, code = k.get(path)
			} else {
				k.get("/console") // a fresh token
				body, code, _ = k.post(path, url.Values{"title": {"x"}, "name": {"x"}, "year": {"2025"}})
			}
		} else {
			json := ""
			if r.Method != http.MethodGet {
				json = `{}`
			}
			body, code = call(t, api, r.Method, e.srv.URL+path, json)
		}
		walked++
		want, ok := unscoped[key]
		if (strings.Contains(r.Path, ":unit") || strings.Contains(r.Path, ":campaign") || strings.Contains(r.Path, ":region")) && !ok {
			want, ok = http.StatusNotFound, true // admin-only routes answer 403 first, naming nothing
		}
		if !ok {
			t.Errorf("%s: the isolation test does not know this route; add what staff of another unit should get", key)
			continue
		}
		if code != want {
			t.Errorf("%s as staff of unit A → %d, want %d\n%.300s", key, code, want, body)
		}
		if strings.Contains(body, e.b.Name) || strings.Contains(body, e.demo.Campaign.Title) {
			t.Errorf("%s shows unit B to staff of unit A", key)
		}
	}
	if walked < 50 {
		t.Errorf("walked only %d routes", walked)
	}
	if e.fingerprint() != before {
		t.Error("requests by staff of unit A changed unit B's data")
	}

	// A's own pages work, so the 404s above are isolation, not breakage.
	if body, code := k.get(fmt.Sprintf("/console/units/%d", e.a.ID)); code != 200 || !strings.Contains(body, "甲县") {
		t.Errorf("own unit: %d", code)
	}
	if body, code := k.get(fmt.Sprintf("/console/campaigns/%d", e.campaignA.ID)); code != 200 {
		t.Errorf("own campaign: %d\n%.500s", code, body)
	}
	var units []county.Unit
	getJSON(t, api, e.srv.URL+"/api/v1/units", &units)
	if len(units) != 1 || units[0].ID != e.a.ID {
		t.Errorf("API units for staff of A: %+v", units)
	}
}

// TestReviewerReadsOnly: a reviewer sees the units granted and changes
// nothing, in the console and through the API.
func TestReviewerReadsOnly(t *testing.T) {
	e := newIsolated(t)
	k := e.consoleAs(e.reviewer, isolatedPassword)
	body, code := k.get(fmt.Sprintf("/console/units/%d", e.a.ID))
	if code != 200 || strings.Contains(body, "导入学校名单</button>") || strings.Contains(body, "新建调查") {
		t.Errorf("reviewer's unit page: %d, or it offers changes", code)
	}
	if _, code := k.get(fmt.Sprintf("/console/units/%d", e.b.ID)); code != http.StatusNotFound {
		t.Errorf("reviewer on an ungranted unit: %d", code)
	}
	var name string
	body, code, _ = k.post(fmt.Sprintf("/console/units/%d/campaigns", e.a.ID), url.Values{"title": {"审核人员建的调查"}})
	if code != http.StatusForbidden || !strings.Contains(body, "只能查看") {
		t.Errorf("reviewer creating a campaign: %d", code)
	}
	_ = e.pool.QueryRow(context.Background(), `SELECT coalesce(max(title), '') FROM campaigns WHERE title = '审核人员建的调查'`).Scan(&name)
	if name != "" {
		t.Error("a reviewer created a campaign")
	}
	api := e.apiAs(e.reviewer, isolatedPassword)
	if _, code := call(t, api, http.MethodPost, fmt.Sprintf("%s/api/v1/campaigns/%d/open", e.srv.URL, e.campaignA.ID), `{}`); code != http.StatusForbidden {
		t.Errorf("reviewer opening a campaign through the API: %d", code)
	}
	if _, code := call(t, api, http.MethodGet, fmt.Sprintf("%s/api/v1/campaigns/%d/progress", e.srv.URL, e.campaignA.ID), ""); code != 200 {
		t.Errorf("reviewer reading progress: %d", code)
	}
}

// TestAccountsInConsole: an admin creates a unit staff account in the
// console; a bad grant is refused with a message and saves nothing; the
// new account sees only its unit; the audit log records the change.
func TestAccountsInConsole(t *testing.T) {
	e := newIsolated(t)
	k := e.consoleClient()
	k.get("/console/accounts")
	body, code, _ := k.post("/console/accounts", url.Values{"username": {"county-b"}, "password": {"b-password-2026"}, "role": {"staff"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "须指定一个评价单位") {
		t.Errorf("staff account without a unit: %d", code)
	}
	if _, err := staff.NewStore(e.pool).Authenticate(context.Background(), "county-b", "b-password-2026"); err == nil {
		t.Fatal("a refused account was saved")
	}
	_, code, _ = k.post("/console/accounts", url.Values{"username": {"county-b"}, "password": {"b-password-2026"}, "role": {"staff"},
		"unit": {fmt.Sprint(e.b.ID)}})
	if code != http.StatusSeeOther {
		t.Fatalf("create account: %d", code)
	}
	b := e.consoleAs("county-b", "b-password-2026")
	home, _ := b.get("/console")
	if !strings.Contains(home, e.b.Name) || strings.Contains(home, "甲县") {
		t.Error("the new account's home does not list exactly its unit")
	}
	log, _ := e.consoleAs(demo.AuditorUsername, demo.Password).get("/console/audit")
	if !strings.Contains(log, "创建账号") {
		t.Error("account creation is not in the audit log")
	}
}
