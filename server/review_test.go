package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
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
