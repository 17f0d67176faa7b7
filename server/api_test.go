package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"renke/sampling"
	"renke/survey"
)

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

func getJSON(t *testing.T, c *http.Client, url string, v any) {
	t.Helper()
	body, status := call(t, c, "GET", url, "")
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, status, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func TestStaffAPIRequiresASession(t *testing.T) {
	e := newEnv(t)
	anon := &http.Client{}
	for _, path := range []string{"/api/v1/me", "/api/v1/units", "/api/v1/campaigns/1/report", "/api/v1/campaigns/1/progress"} {
		if body, status := call(t, anon, "GET", e.srv.URL+path, ""); status != http.StatusUnauthorized || !strings.Contains(body, "请先登录") {
			t.Errorf("%s without session: %d %s", path, status, body)
		}
	}
	if _, status := call(t, anon, "POST", e.srv.URL+"/api/v1/units", `{"code":"x"}`); status != http.StatusUnauthorized {
		t.Errorf("create without session: %d", status)
	}
	if body, status := call(t, anon, "POST", e.srv.URL+"/api/v1/login", `{"username":"admin","password":"wrong-password"}`); status != http.StatusUnauthorized || !strings.Contains(body, "用户名或密码错误") {
		t.Errorf("bad login: %d %s", status, body)
	}
	// A forged cookie is no session.
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/me", nil)
	req.AddCookie(&http.Cookie{Name: sessionName, Value: "forged"})
	if resp, _ := anon.Do(req); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged cookie: %d", resp.StatusCode)
	}
	// Logout ends the session.
	c := e.staffClient()
	if _, status := call(t, c, "POST", e.srv.URL+"/api/v1/logout", ""); status != http.StatusNoContent {
		t.Errorf("logout: %d", status)
	}
	if _, status := call(t, c, "GET", e.srv.URL+"/api/v1/me", ""); status != http.StatusUnauthorized {
		t.Errorf("after logout: %d", status)
	}
}

func TestCampaignLifecycle(t *testing.T) {
	e := newEnv(t)
	c := e.staffClient()
	base := e.srv.URL + "/api/v1"
	state := e.state()

	for name, body := range map[string]string{
		"malformed":       `{"code":`,
		"unknown field":   `{"code":"a","populaton":5}`,
		"shares not 100%": `{"code":"a1","name":"甲县","kind":"county","population":300000,"shares":{"urban":5000,"town":3000,"rural":1000}}`,
		"no population":   `{"code":"a1","name":"甲县","kind":"county","shares":{"urban":10000}}`,
		"bad kind":        `{"code":"a1","name":"甲县","kind":"state","population":1,"shares":{"urban":10000}}`,
	} {
		if got, status := call(t, c, "POST", base+"/units", body); status/100 != 4 || !strings.Contains(got, `"error"`) {
			t.Errorf("%s: %d %s", name, status, got)
		}
	}
	if after := e.state(); after != state {
		t.Fatalf("rejected requests changed the database")
	}

	body, status := call(t, c, "POST", base+"/units", `{"code":"430304","name":"甲区","kind":"district","population":300000,
		"population_source":"第七次全国人口普查","population_year":2020,"shares":{"urban":6000,"town":2500,"rural":1500}}`)
	if status != http.StatusCreated {
		t.Fatalf("create unit: %d %s", status, body)
	}
	var unit struct{ ID int64 }
	json.Unmarshal([]byte(body), &unit)
	u := base + "/units/" + itoa(unit.ID)
	body, status = call(t, c, "POST", u+"/schools", `{"name":"甲区一小","type":"primary","locale":"urban","enrol_primary":1200}`)
	if status != http.StatusCreated {
		t.Fatalf("create school: %d %s", status, body)
	}
	var school struct{ ID int64 }
	json.Unmarshal([]byte(body), &school)
	if body, status = call(t, c, "POST", u+"/schools", `{"name":"甲区二小","type":"primary","locale":"urban","enrol_junior":10}`); status != 422 {
		t.Errorf("primary school with junior pupils: %d %s", status, body)
	}

	body, status = call(t, c, "POST", u+"/campaigns", `{"title":"甲区 2026 年社会认可度调查","closes_at":"2026-12-31T18:00:00+08:00"}`)
	if status != http.StatusCreated {
		t.Fatalf("create campaign: %d %s", status, body)
	}
	var cp survey.Campaign
	json.Unmarshal([]byte(body), &cp)
	if cp.Status != survey.Draft || cp.RatePPM != 1500 || cp.Policy != sampling.Cap || cp.Method != survey.TopTwo || cp.Threshold != 0.85 {
		t.Errorf("defaults: %+v", cp)
	}
	cu := base + "/campaigns/" + itoa(cp.ID)

	// The allocation before opening: 300,000 × 1.5‰ = 450, parents 225.
	var a sampling.Allocation
	getJSON(t, c, cu+"/allocation", &a)
	if a.SampleSize != 450 || a.ByCategory[sampling.Parent] != 225 || a.ByCategory[sampling.Student] != 38 || len(a.Cells) != 21 {
		t.Errorf("allocation: %+v", a)
	}

	// While a draft, questionnaires can be edited; a bad one is refused.
	var forms []survey.Form
	getJSON(t, c, cu+"/questionnaires", &forms)
	if len(forms) != 3 {
		t.Fatalf("%d questionnaires", len(forms))
	}
	q := forms[0].Questionnaire
	q.Scale = []survey.Option{{Value: "A", Label: "满意", Rank: 1, Points: 100}, {Value: "B", Label: "基本满意", Rank: 2, Points: 60}, {Value: "D", Label: "不满意", Rank: 3}}
	raw, _ := json.Marshal(q)
	if body, status = call(t, c, "PUT", cu+"/questionnaires/social", string(raw)); status != 200 || !strings.Contains(body, `"version":2`) {
		t.Errorf("edit draft questionnaire: %d %s", status, body)
	}
	q.Items = append(q.Items, q.Items[0])
	raw, _ = json.Marshal(q)
	if body, status = call(t, c, "PUT", cu+"/questionnaires/social", string(raw)); status != 422 || !strings.Contains(body, "重复") {
		t.Errorf("duplicate item: %d %s", status, body)
	}
	if body, status = call(t, c, "PUT", cu, `{"threshold":1.5}`); status != 422 {
		t.Errorf("threshold 1.5: %d %s", status, body)
	}

	// Link bound to a school of another unit is refused.
	if body, status = call(t, c, "POST", cu+"/links", `{"school_id":`+itoa(e.demo.Schools[0].ID)+`}`); status != 422 {
		t.Errorf("foreign school link: %d %s", status, body)
	}
	body, status = call(t, c, "POST", cu+"/links", `{"school_id":`+itoa(school.ID)+`,"questionnaire":"social","label":"一小家长"}`)
	if status != http.StatusCreated || !strings.Contains(body, "/qr.png") {
		t.Fatalf("create link: %d %s", status, body)
	}
	var link linkView
	json.Unmarshal([]byte(body), &link)
	if _, st := e.get("/s/" + link.Code); st != http.StatusForbidden {
		t.Errorf("draft form: %d", st)
	}

	// Open: the quota is fixed and the questionnaires freeze.
	if body, status = call(t, c, "POST", cu+"/open", ""); status != 200 || !strings.Contains(body, `"sample_size":450`) {
		t.Fatalf("open: %d %s", status, body)
	}
	if _, status = call(t, c, "POST", cu+"/open", ""); status != http.StatusConflict {
		t.Errorf("open twice: %d", status)
	}
	if body, status = call(t, c, "PUT", cu+"/questionnaires/social", string(raw[:0])+`{}`); status == 200 {
		t.Errorf("edit after open: %d %s", status, body)
	}
	raw, _ = json.Marshal(forms[0].Questionnaire)
	if body, status = call(t, c, "PUT", cu+"/questionnaires/social", string(raw)); status != http.StatusConflict || !strings.Contains(body, "问卷已冻结") {
		t.Errorf("edit frozen questionnaire: %d %s", status, body)
	}
	if body, status = call(t, c, "PUT", cu, `{"rate_ppm":2000}`); status != http.StatusConflict {
		t.Errorf("change rate after open: %d %s", status, body)
	}
	if body, status = call(t, c, "PUT", cu, `{"scoring_method":"top3"}`); status != http.StatusUnprocessableEntity || !strings.Contains(body, "须填写理由") {
		t.Errorf("change method after open without a reason: %d %s", status, body)
	}
	if body, status = call(t, c, "PUT", cu, `{"scoring_method":"top3","reason":"按省里要求改用前三级"}`); status != 200 || !strings.Contains(body, `"top3"`) {
		t.Errorf("change method after open: %d %s", status, body)
	}
	form, st := e.get("/s/" + link.Code + "?c=parent")
	if st != 200 || !strings.Contains(form, "基本满意") {
		t.Errorf("open form does not show the edited scale: %d", st)
	}

	var p survey.Progress
	getJSON(t, c, cu+"/progress", &p)
	if p.SampleSize != 450 || len(p.Cells) != 21 || p.Admitted != 0 || len(p.GradeBalance) != 4 {
		t.Errorf("progress: %+v", p)
	}

	if _, status = call(t, c, "POST", cu+"/close", ""); status != 200 {
		t.Errorf("close: %d", status)
	}
	if body, st := e.get("/s/" + link.Code + "?c=parent"); st != http.StatusGone || !strings.Contains(body, "调查已经结束") {
		t.Errorf("closed form: %d", st)
	}
	if _, status = call(t, c, "GET", base+"/campaigns/999999", ""); status != 404 {
		t.Errorf("unknown campaign: %d", status)
	}
}
