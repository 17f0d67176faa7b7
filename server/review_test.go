package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"renke/assessment"
	"renke/staff"
)

// A county's round from evidence to the city's review: the head signs it
// off (no one else can), the staff submit it, the city's reviewer records
// opinions (two disagreements), returns it — the two become problems of
// the county's ledger — and accepts the resubmitted next round, which
// strikes them off. The region's roll-up shows each stage.
func TestSubmissionAndReview(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	accounts := staff.NewStore(e.pool)
	if _, err := accounts.Create(ctx, "head", "head-password-2026", staff.Grant{Role: staff.Head, Units: []int64{e.demo.Unit.ID}}); err != nil {
		t.Fatal(err)
	}
	// The demo county, placed in 湘潭市 for its city to review.
	if _, err := e.pool.Exec(ctx, `UPDATE units SET code = '430302' WHERE id = $1`, e.demo.Unit.ID); err != nil {
		t.Fatal(err)
	}
	region := "4303"
	if _, err := accounts.Create(ctx, "city", "city-password-2026", staff.Grant{Role: staff.Reviewer, Regions: []string{region}}); err != nil {
		t.Fatal(err)
	}
	bureau, head, city := e.staffClient(), e.apiAs("head", "head-password-2026"), e.apiAs("city", "city-password-2026")
	unit := fmt.Sprintf("%s/api/v1/units/%d", e.srv.URL, e.demo.Unit.ID)
	must := func(c *http.Client, path, body string, want int) string {
		t.Helper()
		got, code := call(t, c, "POST", unit+path, body)
		if code != want {
			t.Fatalf("POST %s: %d, want %d: %s", path, code, want, got)
		}
		return got
	}
	must(bureau, "/rounds", `{"year":2025}`, http.StatusCreated)
	var ps []assessment.Problem
	body, _ := call(t, bureau, "GET", unit+"/problems", "")
	_ = json.Unmarshal([]byte(body), &ps)
	if _, code, _ := upload(t, bureau, fmt.Sprintf("%s/problems/%d/evidence", unit, ps[0].ID), "整改方案.pdf", []byte("%PDF-1.4\n1 0 obj\n%%EOF\n")); code != http.StatusCreated {
		t.Fatalf("evidence: %d", code)
	}
	must(bureau, "/rounds/1/sign-off", "", http.StatusForbidden) // the staff are not the head
	must(city, "/rounds/1/sign-off", "", http.StatusForbidden)
	must(head, "/rounds/1/sign-off", "", http.StatusOK)
	must(city, "/rounds/1/opinions", `{"indicator":"2.1","opinion":"disagree","reason":"x"}`, http.StatusConflict) // not submitted yet
	if got := must(bureau, "/rounds/1/submit", "", http.StatusOK); !strings.Contains(got, `"stage":"submitted"`) {
		t.Errorf("submitted: %s", got)
	}
	must(bureau, "/rounds/1/opinions", `{"indicator":"1.1","opinion":"agree"}`, http.StatusForbidden) // the unit reviews nothing
	must(city, "/rounds/1/opinions", `{"indicator":"1.1","opinion":"agree"}`, http.StatusOK)
	must(city, "/rounds/1/opinions", `{"indicator":"2.1","opinion":"disagree"}`, http.StatusUnprocessableEntity) // no reason
	must(city, "/rounds/1/opinions", `{"indicator":"2.1","opinion":"disagree","reason":"布局规划未经县政府批准印发"}`, http.StatusOK)
	must(city, "/rounds/1/opinions", `{"indicator":"3.3","opinion":"needs_evidence","reason":"缺少学校章程汇编"}`, http.StatusOK)
	must(city, "/rounds/1/opinions", `{"indicator":"9.9","opinion":"agree"}`, http.StatusUnprocessableEntity)
	must(city, "/rounds/1/conclusion", `{"outcome":"accepted","conclusion":"通过"}`, http.StatusUnprocessableEntity) // two opinions against
	if got := must(city, "/rounds/1/conclusion", `{"outcome":"returned","conclusion":"请按意见整改后重新申报"}`, http.StatusOK); !strings.Contains(got, `"stage":"returned"`) {
		t.Errorf("returned: %s", got)
	}
	body, _ = call(t, bureau, "GET", unit+"/problems", "")
	ps = nil
	_ = json.Unmarshal([]byte(body), &ps)
	review := map[string]assessment.Problem{}
	for _, p := range ps {
		if strings.HasPrefix(p.Key, "复核/") {
			review[p.Key] = p
		}
	}
	if len(review) != 2 || review["复核/2.1"].Struck || !strings.Contains(review["复核/2.1"].Title, "布局规划未经县政府批准印发") || !review["复核/3.3"].Judged {
		t.Fatalf("review problems: %+v", review)
	}
	var rows []assessment.UnitStanding
	body, _ = call(t, city, "GET", fmt.Sprintf("%s/api/v1/regions/%s/ledger", e.srv.URL, region), "")
	_ = json.Unmarshal([]byte(body), &rows)
	if len(rows) != 1 || rows[0].Stage != assessment.Returned || rows[0].Submitted != 1 {
		t.Errorf("the region's roll-up: %+v", rows)
	}
	// A resubmission is a new round: the returned one is not signed again.
	must(head, "/rounds/1/sign-off", "", http.StatusConflict)
	must(bureau, "/rounds", `{"year":2025,"note":"按复核意见整改后"}`, http.StatusCreated)
	must(head, "/rounds/1/sign-off", "", http.StatusUnprocessableEntity) // only the newest round
	must(head, "/rounds/2/sign-off", "", http.StatusOK)
	must(bureau, "/rounds/2/submit", "", http.StatusOK)
	// Freezing a round meanwhile leaves the review problems alone.
	must(city, "/rounds/2/opinions", `{"indicator":"2.1","opinion":"agree"}`, http.StatusOK)
	must(city, "/rounds/2/opinions", `{"indicator":"3.3","opinion":"agree"}`, http.StatusOK)
	must(city, "/rounds/2/conclusion", `{"outcome":"accepted","conclusion":"整改到位，同意通过市级复核"}`, http.StatusOK)
	body, _ = call(t, bureau, "GET", unit+"/problems", "")
	ps = nil
	_ = json.Unmarshal([]byte(body), &ps)
	for _, p := range ps {
		if strings.HasPrefix(p.Key, "复核/") && (!p.Struck || p.StruckBy == nil || *p.StruckBy != "city") {
			t.Errorf("review problem %s after acceptance: %+v", p.Key, p)
		}
		if strings.HasPrefix(p.Key, "复核/") && len(p.History) != 0 {
			t.Errorf("a round recorded a finding of the review problem %s: %+v", p.Key, p.History)
		}
	}
	body, _ = call(t, city, "GET", unit+"/submissions", "")
	var subs []assessment.Submission
	_ = json.Unmarshal([]byte(body), &subs)
	if len(subs) != 2 || subs[0].Stage != assessment.Returned || subs[1].Stage != assessment.Accepted || len(subs[0].Opinions) != 3 {
		t.Errorf("submissions: %+v", subs)
	}
	// The reviewer's console shows the round's opinions and conclusion.
	k := e.consoleAs("city", "city-password-2026")
	page, code := k.get(fmt.Sprintf("/console/units/%d/rounds/1", e.demo.Unit.ID))
	if code != http.StatusOK || !strings.Contains(page, `id="opinions"`) || !strings.Contains(page, "退回整改") || !strings.Contains(page, "布局规划未经县政府批准印发") {
		t.Errorf("round 1 page for the reviewer: %d", code)
	}
}

// The self-assessment report: the bureau writes its sections until the
// head signs the round off; the .docx opens in a real reader (pandoc)
// and holds the round's tables and the sections as written.
func TestSelfReportDocx(t *testing.T) {
	e := newEnv(t)
	k := e.consoleClient()
	unit := fmt.Sprintf("/console/units/%d", e.demo.Unit.ID)
	k.get(unit + "/rounds")
	if _, code, _ := k.post(unit+"/rounds", url.Values{"year": {"2025"}}); code != http.StatusSeeOther {
		t.Fatalf("freeze: %d", code)
	}
	k.get(unit + "/rounds/1")
	if _, code, _ := k.post(unit+"/rounds/1/narrative", url.Values{"n_基本情况": {"示范县辖 12 个乡镇，义务教育学校 9 所。"},
		"n_存在的问题": {"河口村小学骨干教师不足。\n\n城关镇中学运动场地偏小。"}}); code != http.StatusSeeOther {
		t.Fatalf("narrative: %d", code)
	}
	k.get(unit + "/rounds/1")
	if _, code, _ := k.post(unit+"/rounds/1/narrative", url.Values{"n_登记表:contact": {"张老师"}, "n_登记表:phone": {"0731-5555 0000"}}); code != http.StatusSeeOther {
		t.Fatalf("registration fields: %d", code)
	}
	k.get(unit + "/rounds/1")
	if _, code, _ := k.post(unit+"/rounds/1/narrative", url.Values{"n_登记表:nope": {"x"}}); code != http.StatusUnprocessableEntity {
		t.Errorf("a field the profile has not: %d", code)
	}
	if body, code := k.get(unit + "/rounds/1/registration"); code != http.StatusOK || !strings.Contains(body, "张老师") || !strings.Contains(body, "0731-5555 0000") {
		t.Errorf("the registration form: %d", code)
	}
	docx := k.download(unit + "/rounds/1/report.docx")
	file := filepath.Join(t.TempDir(), "自评报告.docx")
	if err := os.WriteFile(file, docx, 0o644); err != nil {
		t.Fatal(err)
	}
	pandoc, err := exec.LookPath("pandoc")
	if err != nil {
		t.Fatal("pandoc not found: install Debian's pandoc (make test does)")
	}
	out, err := exec.Command(pandoc, "-f", "docx", "-t", "markdown", file).CombinedOutput()
	if err != nil {
		t.Fatalf("pandoc: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{"示范县县域义务教育优质均衡发展自评报告", "# 一、基本情况", "示范县辖 12 个乡镇", "# 二、自评结论", "资源配置",
		"每百名学生拥有县级以上骨干教师数", "# 四、社会认可度调查", "城关镇中学运动场地偏小", "名额分配向农村初中倾斜"} {
		if !strings.Contains(text, want) {
			t.Errorf("the report read by pandoc lacks %q", want)
		}
	}
	if !strings.Contains(text, "---") && !strings.Contains(text, "+---") {
		t.Error("the report read by pandoc has no table")
	}
	// Signed off, the sections are frozen.
	ctx := context.Background()
	if _, err := staff.NewStore(e.pool).Create(ctx, "head", "head-password-2026", staff.Grant{Role: staff.Head, Units: []int64{e.demo.Unit.ID}}); err != nil {
		t.Fatal(err)
	}
	head := e.apiAs("head", "head-password-2026")
	if _, code := call(t, head, "POST", fmt.Sprintf("%s/api/v1/units/%d/rounds/1/sign-off", e.srv.URL, e.demo.Unit.ID), ""); code != http.StatusOK {
		t.Fatalf("sign-off: %d", code)
	}
	if _, code := call(t, e.staffClient(), "PUT", fmt.Sprintf("%s/api/v1/units/%d/rounds/1/narrative", e.srv.URL, e.demo.Unit.ID), `{"基本情况":"改写"}`); code != http.StatusConflict {
		t.Errorf("a signed-off round's report rewritten: %d", code)
	}
}
