package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"renke/county"
	"renke/dbtest"
	"renke/sampling"
	"renke/staff"
	"renke/survey"
)

// shownRate matches a recognition rate as pages and exports show one: an
// interval beside a rate, or the people behind it.
var shownRate = regexp.MustCompile(`95% 区间 [0-9]|社会认可度 [0-9]|（[0-9.]+%–[0-9.]+%，n=[0-9]+ 人）|"rate":0\.[0-9]*[1-9]`)

// A blind survey (盲评): a city runs it for its county; the county's staff
// see its settings, questionnaires, posters and progress and get 403 on
// every other campaign route, walked from the route table so that a new
// route cannot slip through; their evaluation, region pages and rounds
// say the result is withheld; the city's staff see everything. Whether a
// survey is blind is fixed at its creation.
func TestBlindSurvey(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := regionUnit(t, e, "430302", "雨湖区", sampling.Urban, 0)
	accounts := staff.NewStore(e.pool)
	if _, err := accounts.Create(ctx, "city-staff", "City-survey-2026", staff.Grant{Role: staff.UnitStaff, Regions: []string{"4303"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := accounts.Create(ctx, "yuhu-staff", "Yuhu-bureau-2026", staff.Grant{Role: staff.UnitStaff, Units: []int64{u.ID}}); err != nil {
		t.Fatal(err)
	}
	city, countyStaff := e.consoleAs("city-staff", "City-survey-2026"), e.consoleAs("yuhu-staff", "Yuhu-bureau-2026")
	cityAPI, countyAPI := e.apiAs("city-staff", "City-survey-2026"), e.apiAs("yuhu-staff", "Yuhu-bureau-2026")

	// A county cannot make its own survey blind.
	if body, code := call(t, countyAPI, "POST", fmt.Sprintf("%s/api/v1/units/%d/campaigns", e.srv.URL, u.ID), `{"title":"自办","blind":true}`); code != http.StatusUnprocessableEntity || !strings.Contains(body, "只有市、省") {
		t.Errorf("a county's own blind survey: %d %s", code, body)
	}
	// The city sets up a blind survey for its units and opens it.
	if page, _ := city.get("/console/regions/4303"); !strings.Contains(page, `name="blind"`) {
		t.Error("the region's survey form offers no 盲评")
	}
	if page, code, _ := city.post("/console/regions/4303/campaigns", url.Values{"title": {"2026 年湘潭市社会认可度调查（盲评）"}, "blind": {"on"}}); code != http.StatusSeeOther {
		t.Fatalf("create: %d %.300s", code, page)
	}
	var cpID int64
	if err := e.pool.QueryRow(ctx, `SELECT id FROM campaigns WHERE unit_id = $1 AND blind`, u.ID).Scan(&cpID); err != nil {
		t.Fatalf("no blind campaign: %v", err)
	}
	city.get("/console/regions/4303")
	if _, code, _ := city.post("/console/regions/4303/open", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("open: %d", code)
	}
	fillSample(t, e, cpID, 0.6)
	base := fmt.Sprintf("/console/campaigns/%d", cpID)

	// The city sees the answers.
	if page, code := city.get(base + "/dashboard"); code != http.StatusOK || !strings.Contains(page, "认可度") || !strings.Contains(page, "该单位的工作人员看不到本页") {
		t.Fatalf("the city's dashboard: %d", code)
	}
	if page, _ := city.get("/console/regions/4303"); !shownRate.MatchString(page) || strings.Contains(page, "不向本单位公开") || !strings.Contains(page, "· 盲评") {
		t.Errorf("the city's region page does not show the rate")
	}
	if body, code := call(t, cityAPI, "GET", fmt.Sprintf("%s/api/v1/campaigns/%d/report", e.srv.URL, cpID), ""); code != http.StatusOK || !shownRate.MatchString(body) {
		t.Errorf("the city's report: %d %.200s", code, body)
	}

	// The county: every campaign route walked.
	h, err := New(Config{SessionKey: []byte("test-session-key-0123456789abcdef")}, e.pool)
	if err != nil {
		t.Fatal(err)
	}
	fill := strings.NewReplacer(":campaign", fmt.Sprint(cpID), ":kind", "social", ":response", "1", ":unit", fmt.Sprint(u.ID), ":region", "4303")
	walked, progress := 0, 0
	for _, r := range h.Routes() {
		if !strings.Contains(r.Path, ":campaign") || strings.HasPrefix(r.Path, "/log/") {
			continue // the public sample log serves hashes only
		}
		route := r.Method + " " + r.Path
		var body string
		var code int
		if strings.HasPrefix(r.Path, "/console") {
			if r.Method == http.MethodGet {
				body, code = countyStaff.get(fill.Replace(r.Path))
			} else {
				countyStaff.get(base + "/progress") // a fresh form token
				body, code, _ = countyStaff.post(fill.Replace(r.Path), url.Values{"title": {"改名"}, "reason": {"试试"}, "confirm": {"on"}})
			}
		} else {
			payload := ""
			if r.Method != http.MethodGet {
				payload = `{"title":"改名","blind":false}`
			}
			body, code = call(t, countyAPI, r.Method, e.srv.URL+fill.Replace(r.Path), payload)
		}
		walked++
		if progressRoutes[route] {
			progress++
			if code != http.StatusOK {
				t.Errorf("%s: %d for the county, want its progress: %.200s", route, code, body)
			}
			if shownRate.MatchString(body) {
				t.Errorf("%s shows the county a rate: %s", route, shownRate.FindString(body))
			}
		} else if code != http.StatusForbidden {
			t.Errorf("%s: %d for the county, want 403: %.200s", route, code, body)
		} else if !strings.Contains(body, "盲评") && !strings.Contains(body, "其他管理员的职责") {
			t.Errorf("%s: the 403 does not say why: %.200s", route, body)
		}
	}
	if walked < 40 || progress != len(progressRoutes) {
		t.Errorf("walked %d campaign routes, %d of them progress (of %d)", walked, progress, len(progressRoutes))
	}
	var title string
	_ = e.pool.QueryRow(ctx, `SELECT title FROM campaigns WHERE id = $1`, cpID).Scan(&title)
	if strings.Contains(title, "改名") {
		t.Error("the county changed the blind survey")
	}
	// Progress without the review queue: which schools' answers are
	// flagged is for the organiser.
	if _, err := e.pool.Exec(ctx, `UPDATE responses SET flags = '{burst}' WHERE id IN (SELECT id FROM responses
		WHERE campaign_id = $1 AND school_id IS NOT NULL ORDER BY id LIMIT 7)`, cpID); err != nil {
		t.Fatal(err)
	}
	dbtest.RecountTallies(t, e.pool, cpID)
	flagged := func(page string) int64 {
		n := int64(0)
		for _, m := range regexp.MustCompile(`<td class="r">([0-9,]+)</td><td class="r">([0-9,]+)</td><td class="r">([0-9,]+)</td>`).FindAllStringSubmatch(page, -1) {
			v, _ := strconv.ParseInt(strings.ReplaceAll(m[3], ",", ""), 10, 64)
			n += v
		}
		return n
	}
	if page, _ := countyStaff.get(base + "/progress"); strings.Contains(page, `<th class="r">被标记</th>`) || !strings.Contains(page, "盲评不公开") || flagged(page) != 0 {
		t.Errorf("the county's progress page shows the flagged counts")
	}
	if page, _ := city.get(base + "/progress"); !strings.Contains(page, `<th class="r">被标记</th>`) || flagged(page) != 14 { // 7 by school, 7 by link
		t.Errorf("the city's progress page has %d flagged, want 14", flagged(page))
	}
	for who, k := range map[string]*console{"county": countyStaff, "city": city} {
		book, err := excelize.OpenReader(bytes.NewReader(k.download(base + "/progress.xlsx")))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := book.GetRows("各学校")
		var withheld, sum int
		for _, r := range rows[1:] {
			if r[4] == "盲评不公开" {
				withheld++
			} else if n, err := strconv.Atoi(r[4]); err == nil {
				sum += n
			}
		}
		if who == "county" && (withheld != len(rows)-1 || sum != 0) || who == "city" && (withheld != 0 || sum != 7) {
			t.Errorf("the %s's progress workbook: %d rows withheld, %d flagged (of %d rows)", who, withheld, sum, len(rows)-1)
		}
	}
	// What the county's pages say instead.
	if page, _ := countyStaff.get(base); !strings.Contains(page, "本调查由湘潭市教育局组织，作答数据不向被评估单位公开") || strings.Contains(page, "/dashboard") {
		t.Errorf("the campaign page does not say the survey is blind")
	}
	if page, _ := countyStaff.get(fmt.Sprintf("/console/units/%d", u.ID)); !strings.Contains(page, "盲评：作答数据不向本单位公开") || strings.Contains(page, base+"/dashboard") {
		t.Errorf("the unit's page offers the county the blind survey's dashboard")
	}
	if page, _ := city.get(base); !strings.Contains(page, "被评估单位的工作人员只能看到本调查的设置") {
		t.Errorf("the city is not told the survey is blind")
	}
	for _, path := range []string{fmt.Sprintf("/console/units/%d/evaluation", u.ID), fmt.Sprintf("/console/units/%d/evaluation/report", u.ID)} {
		if page, code := countyStaff.get(path); code != http.StatusOK || !strings.Contains(page, "由上级组织，不向本单位公开") || shownRate.MatchString(page) {
			t.Errorf("%s for the county: %d, withheld %v", path, code, strings.Contains(page, "不向本单位公开"))
		}
	}
	if page, _ := city.get(fmt.Sprintf("/console/units/%d/evaluation", u.ID)); strings.Contains(page, "不向本单位公开") || !shownRate.MatchString(page) {
		t.Errorf("the city's view of the county's evaluation withholds the rate: %s", page)
	}
	for _, path := range []string{"/console/regions/4303", "/console/regions/4303/evaluation", "/console/regions/4303/dossier"} {
		if page, code := countyStaff.get(path); code != http.StatusOK || !strings.Contains(page, "不向本单位公开") || shownRate.MatchString(page) {
			t.Errorf("%s for the county: %d, withheld %v, rate %q: %.300s", path, code, strings.Contains(page, "不向本单位公开"), shownRate.FindString(page), page)
		}
	}
	// The city's region evaluation comes from the cache the county's
	// visit did not spoil, and the other way round.
	if page, _ := city.get("/console/regions/4303/evaluation"); strings.Contains(page, "不向本单位公开") {
		t.Errorf("the city's region evaluation withholds")
	}
	if page, _ := countyStaff.get("/console/regions/4303/evaluation"); !strings.Contains(page, "不向本单位公开") {
		t.Errorf("the county's region evaluation after the city's shows the rate")
	}
	var ev struct {
		Result struct {
			Recognition *struct {
				Withheld string  `json:"withheld"`
				Rate     float64 `json:"rate"`
				Admitted int     `json:"admitted"`
			} `json:"recognition"`
		} `json:"result"`
	}
	body, _ := call(t, countyAPI, "GET", fmt.Sprintf("%s/api/v1/units/%d/evaluation", e.srv.URL, u.ID), "")
	if err := json.Unmarshal([]byte(body), &ev); err != nil || ev.Result.Recognition == nil || ev.Result.Recognition.Withheld == "" ||
		ev.Result.Recognition.Rate != 0 || ev.Result.Recognition.Admitted == 0 {
		t.Errorf("the county's evaluation API: %v %.300s", err, body)
	}

	// Fixed at creation: not by the city, not by SQL.
	if body, code := call(t, cityAPI, "PUT", fmt.Sprintf("%s/api/v1/campaigns/%d", e.srv.URL, cpID), `{"blind":false}`); code != http.StatusForbidden || !strings.Contains(body, "创建调查时确定") {
		t.Errorf("unblinding: %d %s", code, body)
	}
	if _, err := e.pool.Exec(ctx, `UPDATE campaigns SET blind = false WHERE id = $1`, cpID); err == nil || !strings.Contains(err.Error(), "fixed") {
		t.Errorf("unblinding by SQL: %v", err)
	}
	cp, err := survey.NewStore(e.pool).CampaignAnswers(ctx, county.Scope{Units: []int64{u.ID}}, cpID)
	if err != survey.ErrBlind || !cp.Blind {
		t.Errorf("the domain lookup: %v", err)
	}
	// The sample log bound it at open: a host who unblinds the survey
	// with the trigger off is named by the log's verification.
	blindProblem := func() string {
		v, err := survey.NewStore(e.pool).Verify(ctx, cpID)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range v.Problems {
			if strings.Contains(p.Text, "盲评") {
				return p.Text
			}
		}
		return ""
	}
	if p := blindProblem(); p != "" {
		t.Errorf("before any change: %s", p)
	}
	for _, sql := range []string{`ALTER TABLE campaigns DISABLE TRIGGER campaigns_blind_fixed`,
		fmt.Sprintf(`UPDATE campaigns SET blind = false WHERE id = %d`, cpID), `ALTER TABLE campaigns ENABLE TRIGGER campaigns_blind_fixed`} {
		if _, err := e.pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	if p := blindProblem(); !strings.Contains(p, "是否盲评被改动而未记入日志——日志记为盲评，数据库中为非盲评") {
		t.Errorf("an unblinding by hand is not named: %q", p)
	}
}
