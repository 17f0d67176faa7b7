package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"renke/county"
	"renke/demo"
	"renke/evaluation"
	"renke/sampling"
	"renke/staff"
	"renke/statistics"
)

// A county without a special school of its own (its pupils placed in the
// city's) reaches 达标 on the special-funds checks (Xiangtan's 10 and 15)
// only once a reviewer accepts its declaration of 不适用, with evidence;
// its own staff cannot accept it, and declaring again clears it.
func TestNotApplicableNeedsTheReviewer(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	st := e.stores()
	u, err := st.units.CreateUnit(ctx, county.Unit{Code: "430321", Name: "湘潭县", Kind: "county", Population: 800_000,
		Shares: sampling.Shares{Urban: 4000, Town: 3000, Rural: 3000}})
	if err != nil {
		t.Fatal(err)
	}
	var schools []evaluation.School
	for i := range 6 {
		schools = append(schools, demo.SchoolStats(fmt.Sprintf("第%d小学", i+1), county.Primary, sampling.Town, 700, 0, 1.1))
	}
	if err := st.stats.Import(ctx, u.ID, 2025, schools); err != nil {
		t.Fatal(err)
	}
	if err := st.stats.SaveFindings(ctx, u.ID, statistics.Findings{Year: 2025, Profile: "hunan-xiangtan-2018"}); err != nil {
		t.Fatal(err)
	}
	if _, err := staff.NewStore(e.pool).Create(ctx, "bureau", "bureau-password-2026", staff.Grant{Role: staff.UnitStaff, Units: []int64{u.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := staff.NewStore(e.pool).Create(ctx, "expert", "expert-password-2026", staff.Grant{Role: staff.Reviewer, Regions: []string{"430300"}}); err != nil {
		t.Fatal(err)
	}
	bureau, expert := e.apiAs("bureau", "bureau-password-2026"), e.apiAs("expert", "expert-password-2026")
	base := fmt.Sprintf("%s/api/v1/units/%d", e.srv.URL, u.ID)
	status := func(key string) evaluation.CheckResult {
		t.Helper()
		body, code := call(t, bureau, "GET", base+"/evaluation?year=2025", "")
		if code != http.StatusOK {
			t.Fatalf("evaluation: %d %s", code, body)
		}
		var r struct {
			Result evaluation.Result `json:"result"`
		}
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatal(err)
		}
		for _, ir := range r.Result.Indicators {
			for j, cr := range ir.Results {
				if evaluation.CheckKey(ir.No, j) == key {
					return cr
				}
			}
		}
		t.Fatalf("no check %s", key)
		return evaluation.CheckResult{}
	}
	if cr := status("15/1"); cr.Status != evaluation.Missing || !cr.Empty {
		t.Fatalf("15/1 before: %+v", cr)
	}
	reason := `{"year":2025,"check":"15/1","reason":"本县没有特殊教育学校，适龄残疾儿童在湘潭市特殊教育学校就读"}`
	if body, code := call(t, bureau, "POST", base+"/evaluation/not-applicable", reason); code != http.StatusCreated {
		t.Fatalf("declare: %d %s", code, body)
	}
	if _, code := call(t, bureau, "POST", base+"/evaluation/not-applicable", `{"year":2025,"check":"1/1","reason":"不想核查"}`); code != http.StatusUnprocessableEntity {
		t.Errorf("a check with schools in its scope declared 不适用: %d", code)
	}
	if cr := status("15/1"); cr.Status != evaluation.Missing || !strings.Contains(cr.NotApplicable, "待评估组认可") {
		t.Errorf("15/1 declared: %+v", cr)
	}
	accept := `{"year":2025,"check":"15/1"}`
	if _, code := call(t, bureau, "POST", base+"/evaluation/not-applicable/accept", accept); code != http.StatusForbidden {
		t.Errorf("the unit accepted its own declaration: %d", code)
	}
	if body, code := call(t, expert, "POST", base+"/evaluation/not-applicable/accept", accept); code != http.StatusUnprocessableEntity || !strings.Contains(body, "佐证材料") {
		t.Errorf("accepted without evidence: %d %s", code, body)
	}
	if _, code, _ := upload(t, expert, base+"/evaluation/not-applicable/evidence?year=2025&check=15/1", "安置协议.png", tinyPNG(t)); code != http.StatusForbidden {
		t.Errorf("a reviewer uploaded the unit's evidence: %d", code)
	}
	if body, code, _ := upload(t, bureau, base+"/evaluation/not-applicable/evidence?year=2025&check=15/1", "安置协议.png", tinyPNG(t)); code != http.StatusCreated {
		t.Fatalf("evidence: %d %s", code, body)
	}
	if body, code := call(t, expert, "POST", base+"/evaluation/not-applicable/accept", accept); code != http.StatusNoContent {
		t.Fatalf("accept: %d %s", code, body)
	}
	if cr := status("15/1"); cr.Status != evaluation.Pass || !strings.Contains(cr.NotApplicable, "expert 已认可") {
		t.Errorf("15/1 accepted: %+v", cr)
	}
	// Indicator 10's special-funds check is its own declaration.
	if cr := status("10/5"); cr.Status != evaluation.Missing || cr.Rule != evaluation.RuleSpecialFunds {
		t.Errorf("10/5 undeclared: %+v", cr)
	}
	// Declaring again (another reason) clears the acceptance.
	if _, code := call(t, bureau, "POST", base+"/evaluation/not-applicable", strings.Replace(reason, "湘潭市", "市", 1)); code != http.StatusCreated {
		t.Fatal("redeclare")
	}
	if cr := status("15/1"); cr.Status != evaluation.Missing {
		t.Errorf("15/1 after declaring again: %s", cr.Status)
	}
	// The console shows the declaration, and the reviewer's button.
	k := e.consoleAs("expert", "expert-password-2026")
	if body, _ := k.get(fmt.Sprintf("/console/units/%d/evaluation?year=2025", u.ID)); !strings.Contains(body, `data-check="15/1"`) || !strings.Contains(body, "认可不适用") || !strings.Contains(body, "安置协议.png") {
		t.Error("the evaluation page lacks the declaration or the reviewer's button")
	}
	if _, code, _ := k.post(fmt.Sprintf("/console/units/%d/evaluation/not-applicable/accept", u.ID), map[string][]string{"year": {"2025"}, "check": {"15/1"}}); code != http.StatusSeeOther {
		t.Errorf("the reviewer's console accept: %d", code)
	}
	if cr := status("15/1"); cr.Status != evaluation.Pass {
		t.Errorf("15/1 accepted in the console: %s", cr.Status)
	}
}

// Five years of education spending entered in the findings form score
// Xiangtan's 8.2 by themselves, and read back into the form.
func TestSeriesInTheFindingsForm(t *testing.T) {
	e := newEnv(t)
	k := e.consoleClient()
	unit := fmt.Sprintf("/console/units/%d/evaluation", e.demo.Unit.ID)
	body, _ := k.get(unit + "?year=2025")
	if !strings.Contains(body, "国家标准") {
		t.Fatal("the evaluation page")
	}
	form := map[string][]string{"year": {"2025"}, "profile": {"hunan-xiangtan-2018"}}
	for i, v := range []string{"50000", "52000", "52000", "55000", "56000"} {
		form[fmt.Sprintf("ser_edu_budget_%d", 2021+i)] = []string{v}
	}
	for i, v := range []string{"9000", "9100", "9050", "9300", "9800"} { // 2023 falls
		form[fmt.Sprintf("ser_edu_budget_per_pupil_%d", 2021+i)] = []string{v}
	}
	if _, code, _ := k.post(unit+"/findings", form); code != http.StatusSeeOther {
		t.Fatalf("findings: %d", code)
	}
	body, _ = k.get(unit + "?year=2025")
	if !strings.Contains(body, `name="ser_edu_budget_per_pupil_2023" value="9050"`) {
		t.Error("the form does not read the series back")
	}
	res, code := call(t, e.staffClient(), "GET", fmt.Sprintf("%s/api/v1/units/%d/evaluation?year=2025", e.srv.URL, e.demo.Unit.ID), "")
	if code != http.StatusOK {
		t.Fatal(code)
	}
	var r struct {
		Result evaluation.Result `json:"result"`
	}
	_ = json.Unmarshal([]byte(res), &r)
	for _, ir := range r.Result.Indicators {
		for _, it := range ir.Scored {
			if it.No == "8.2" && (it.Score == nil || *it.Score != 0 || !strings.Contains(it.Note, "下降")) {
				t.Errorf("8.2 from a series that fell: %+v", it)
			}
		}
	}
}

// Evidence of a finding (a judgement, a scored item, a veto item) is kept
// for the year, shown beside it, and refused for a finding the profile
// has not.
func TestFindingEvidence(t *testing.T) {
	e := newEnv(t)
	c := e.staffClient()
	base := fmt.Sprintf("%s/api/v1/units/%d/evaluation/evidence?year=2025", e.srv.URL, e.demo.Unit.ID)
	if body, code, _ := upload(t, c, base+"&finding=j:left_behind_care", "留守儿童台账.pdf", []byte("%PDF-1.4\n1 0 obj\n%%EOF\n")); code != http.StatusCreated || !strings.Contains(body, `"subject_key":"j:left_behind_care"`) {
		t.Fatalf("judgement evidence: %d %s", code, body)
	}
	if _, code, _ := upload(t, c, base+"&finding=j:no_such", "x.pdf", []byte("%PDF-1.4\n%%EOF\n")); code != http.StatusUnprocessableEntity {
		t.Errorf("evidence of no finding: %d", code)
	}
	body, _ := e.consoleClient().get(fmt.Sprintf("/console/units/%d/evaluation?year=2025", e.demo.Unit.ID))
	i := strings.Index(body, `data-finding="j:left_behind_care"`)
	if i < 0 || !strings.Contains(body[i:min(len(body), i+2000)], "留守儿童台账.pdf") {
		t.Error("the evaluation page does not show the judgement's evidence")
	}
}
