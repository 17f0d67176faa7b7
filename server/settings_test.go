package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"renke/audit"
	"renke/staff"
)

// The settings that decide the verdict freeze when the survey opens: county
// staff cannot change the threshold of an open or a closed campaign, by the
// console or the API; the platform admin can, with a reason, and the change
// is recorded with its old and new value, shown on the dashboard, printed
// in the dossier and named in the audit log.
func TestVerdictSettingsFrozen(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const password = "county-staff-2026"
	if _, err := staff.NewStore(e.pool).Create(ctx, "county-staff", password, staff.Grant{Role: staff.UnitStaff, Units: []int64{e.demo.Unit.ID}}); err != nil {
		t.Fatal(err)
	}
	id := itoa(e.demo.Campaign.ID)
	api := e.srv.URL + "/api/v1/campaigns/" + id
	county, admin := e.apiAs("county-staff", password), e.staffClient()
	countyConsole, adminConsole := e.consoleAs("county-staff", password), e.consoleClient()
	settingsForm := func(threshold, reason string) url.Values {
		v := url.Values{"title": {e.demo.Campaign.Title}, "threshold": {threshold}, "scoring_method": {"top2"},
			"min_fill_seconds": {"20"}, "pow_bits": {"0"}, "token_hours": {"36"}}
		if reason != "" {
			v.Set("reason", reason)
		}
		return v
	}
	threshold := func() float64 {
		var th float64
		if err := e.pool.QueryRow(ctx, `SELECT threshold FROM campaigns WHERE id = $1`, e.demo.Campaign.ID).Scan(&th); err != nil {
			t.Fatal(err)
		}
		return th
	}

	for _, stage := range []string{"open", "closed"} {
		if stage == "closed" {
			if body, status := call(t, admin, "POST", api+"/close", ""); status != http.StatusOK {
				t.Fatalf("close: %d %s", status, body)
			}
		}
		before := threshold()
		// County staff: refused through the API and through the console,
		// and nothing changes.
		if body, status := call(t, county, "PUT", api, `{"threshold":0.8,"reason":"县里觉得 85% 太高"}`); status != http.StatusForbidden || !strings.Contains(body, "达标线和计分方法已冻结") {
			t.Errorf("%s, county staff, API: %d %s", stage, status, body)
		}
		countyConsole.get("/console/campaigns/" + id)
		if body, status, _ := countyConsole.post("/console/campaigns/"+id, settingsForm("80", "")); status != http.StatusForbidden || !strings.Contains(body, "达标线和计分方法已冻结") {
			t.Errorf("%s, county staff, console: %d %.300s", stage, status, body)
		}
		if page, _ := countyConsole.get("/console/campaigns/" + id); !frozenField.MatchString(page) {
			t.Errorf("%s: the county's settings form offers the threshold", stage)
		}
		// The admin without a reason: refused; with one: changed.
		if body, status := call(t, admin, "PUT", api, `{"threshold":0.8}`); status != http.StatusUnprocessableEntity || !strings.Contains(body, "须填写理由") {
			t.Errorf("%s, admin without a reason: %d %s", stage, status, body)
		}
		if threshold() != before {
			t.Fatalf("%s: refused changes moved the threshold to %v", stage, threshold())
		}
	}
	// The admin changes it twice after the close: once by the API, once by
	// the console, each with a reason.
	if body, status := call(t, admin, "PUT", api, `{"threshold":0.8,"reason":"省厅通知本次按 80% 试评"}`); status != http.StatusOK || !strings.Contains(body, `"threshold":0.8`) {
		t.Fatalf("admin with a reason, API: %d %s", status, body)
	}
	adminConsole.get("/console/campaigns/" + id)
	if body, status, _ := adminConsole.post("/console/campaigns/"+id, settingsForm("82", "复核组要求改为 82%")); status != http.StatusSeeOther {
		t.Fatalf("admin with a reason, console: %d %.500s", status, body)
	}
	if threshold() != 0.82 {
		t.Errorf("threshold %v, want 0.82", threshold())
	}

	dossier, _ := adminConsole.get("/console/campaigns/" + id + "/dossier")
	for _, want := range []string{"修改达标线", "85% → <b>80%</b>", "80% → <b>82%</b>", "省厅通知本次按 80% 试评", "复核组要求改为 82%",
		"开始调查时冻结的设置", "达标线 85%", "开始后修改 2 次"} {
		if !strings.Contains(dossier, want) {
			t.Errorf("the dossier does not print %q", want)
		}
	}
	if strings.Contains(dossier, "0001-01-01") {
		t.Error("the dossier prints a date of year 0001")
	}
	dash, _ := adminConsole.get("/console/campaigns/" + id + "/dashboard")
	if !strings.Contains(dash, `id="setting-changes"`) || !strings.Contains(dash, "将达标线由 80% 改为 <b>82%</b>，理由：复核组要求改为 82%") {
		t.Errorf("the dashboard does not show the changes:\n%.3000s", dash)
	}
	// A unit's population, changed after its survey opened: named in the
	// audit log with its old and new value, and the campaign keeps the
	// population it was designed on.
	unitAPI := e.srv.URL + "/api/v1/units/" + itoa(e.demo.Unit.ID)
	if body, status := call(t, admin, "PUT", unitAPI, `{"population":`+itoa(e.demo.Unit.Population*2)+`}`); status != http.StatusOK {
		t.Fatalf("unit population: %d %s", status, body)
	}
	if body, _ := call(t, admin, "GET", api, ""); !strings.Contains(body, `"population":`+itoa(e.demo.Unit.Population)+`,`) {
		t.Errorf("the campaign does not keep the population it was designed on: %s", body)
	}
	entries, err := audit.NewStore(e.pool).List(ctx, audit.Filter{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour), Max: 100})
	if err != nil {
		t.Fatal(err)
	}
	var logged []string
	for _, en := range entries {
		if strings.Contains(en.Detail, "达标线：") {
			logged = append(logged, en.Detail)
		}
	}
	if len(logged) != 2 || !strings.Contains(strings.Join(logged, "\n"), "达标线：85% → 80%") || !strings.Contains(strings.Join(logged, "\n"), "达标线：80% → 82%") {
		t.Errorf("audit log: %q", logged)
	}
	population := fmt.Sprintf("常住人口：%d → %d", e.demo.Unit.Population, e.demo.Unit.Population*2)
	if !slices.ContainsFunc(entries, func(en audit.Entry) bool { return strings.Contains(en.Detail, population) }) {
		t.Errorf("the audit log does not name the population change %q", population)
	}
}

var frozenField = regexp.MustCompile(`name="threshold" value="[0-9.]+" inputmode="decimal" disabled`)

// Opening asks first and lists what it freezes; WeChat-only answering is
// refused on a deployment without a WeChat account; closing short of the
// sample says so first, in red.
func TestOpenAndCloseConfirmations(t *testing.T) {
	e := newEnv(t)
	k := e.consoleClient()
	api := e.staffClient()
	body, status := call(t, api, "POST", e.srv.URL+"/api/v1/units/"+itoa(e.demo.Unit.ID)+"/campaigns", `{"title":"第二轮自查"}`)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	id := body[strings.Index(body, `"id":`)+5 : strings.Index(body, `,`)]
	if body, status := call(t, api, "POST", e.srv.URL+"/api/v1/campaigns/"+id+"/links", `{}`); status != http.StatusCreated {
		t.Fatalf("link: %d %s", status, body)
	}
	if body, status := call(t, api, "PUT", e.srv.URL+"/api/v1/campaigns/"+id, `{"wechat_only":true}`); status != http.StatusUnprocessableEntity || !strings.Contains(body, "未配置微信服务号") {
		t.Errorf("WeChat-only without an account: %d %s", status, body)
	}
	k.get("/console/campaigns/" + id)
	page, status, _ := k.post("/console/campaigns/"+id+"/open", url.Values{})
	if status != http.StatusOK || !strings.Contains(page, "确认开始调查？") || !strings.Contains(page, "开始后，以下内容将冻结") ||
		!strings.Contains(page, "达标线</th><td>85%") || !strings.Contains(page, "样本量</th><td class=\"n\"><b>1,219</b>") {
		t.Errorf("open without confirming: %d\n%.3000s", status, page)
	}
	var st string
	e.pool.QueryRow(context.Background(), `SELECT status FROM campaigns WHERE id = $1`, id).Scan(&st)
	if st != "draft" {
		t.Fatalf("opened without confirmation: %s", st)
	}
	if _, status, _ := k.post("/console/campaigns/"+id+"/open", url.Values{"confirm": {"yes"}}); status != http.StatusSeeOther {
		t.Fatalf("open: %d", status)
	}
	closing, _ := k.get("/console/campaigns/" + id + "/close")
	if !strings.Contains(closing, `<p class="alert" id="shortfall"><b>样本未达设计量：已纳入 0 / 1219`) {
		t.Errorf("closing short of the sample does not say so first:\n%.2000s", closing)
	}
}
