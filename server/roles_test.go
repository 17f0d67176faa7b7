package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"renke/audit"
	"renke/demo"
	"renke/survey"
)

// The three administrators (三员分立), walked over every staff route: the
// audit administrator reads and exports the audit log and gets 403
// everywhere else; the security administrator reaches the accounts'
// locks, sessions and second factors and nothing else; the system
// administrator gets 403 on both of theirs. No route, walked by any of
// them, deletes or changes an audit entry.
func TestThreeAdministrators(t *testing.T) {
	e := newEnv(t)
	h, err := New(Config{SessionKey: []byte("test-session-key-0123456789abcdef")}, e.pool)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	var clerk int64
	if err := e.pool.QueryRow(ctx, `SELECT id FROM staff WHERE username = $1`, demo.Username).Scan(&clerk); err != nil {
		t.Fatal(err)
	}
	fill := func(path string) string {
		return strings.NewReplacer(":unit", fmt.Sprint(e.demo.Unit.ID), ":campaign", fmt.Sprint(e.demo.Campaign.ID),
			":account", fmt.Sprint(clerk), ":region", "4303", ":school", "1", ":kind", "social", ":session", strings.Repeat("0", 64)).Replace(path)
	}
	// The audit log before the walk, to hold it to after.
	type row struct {
		ID                     int64
		Action, Detail, Client string
	}
	snapshot := func() []row {
		rows, err := e.pool.Query(ctx, `SELECT id, action, detail, client FROM audit_log ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.ID, &r.Action, &r.Detail, &r.Client); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		return out
	}

	type walker struct {
		name  string
		k     *console
		api   *http.Client
		allow func(route string) bool // routes that must not answer 403
	}
	own := func(routes ...string) func(string) bool {
		return func(r string) bool { return slices.Contains(routes, r) }
	}
	auditor := walker{"审计管理员", e.consoleAs(demo.AuditorUsername, demo.Password), e.apiAs(demo.AuditorUsername, demo.Password),
		own("GET /console/audit", "GET /console/audit.xlsx", "GET /console", "GET /api/v1/me")}
	security := walker{"安全管理员", e.consoleAs(demo.SecurityUsername, demo.Password), e.apiAs(demo.SecurityUsername, demo.Password),
		own("GET /console/accounts", "POST /console/accounts/:account/disable", "POST /console/accounts/:account/enable",
			"POST /console/accounts/:account/sessions/:session/end", "POST /console/accounts/:account/second-factor/reset", "GET /console", "GET /api/v1/me")}
	before := snapshot()
	walked := 0
	for _, w := range []walker{auditor, security} {
		for _, r := range h.Routes() {
			if !strings.HasPrefix(r.Path, "/console") && !strings.HasPrefix(r.Path, "/api/v1") || strings.HasSuffix(r.Path, "/login") ||
				strings.HasSuffix(r.Path, "/logout") || strings.Contains(r.Path, "/second-factor") && !strings.Contains(r.Path, "/accounts/") ||
				r.Method == "echo_route_not_found" {
				continue // every account's own
			}
			route := r.Method + " " + r.Path
			if w.name == "安全管理员" && strings.HasSuffix(r.Path, "/disable") {
				continue // disabling the system administrator would end the walk's own premise; enabling is walked
			}
			var body string
			var code int
			if strings.HasPrefix(r.Path, "/console") {
				if r.Method == http.MethodGet {
					body, code = w.k.get(fill(r.Path))
				} else {
					w.k.get("/console/second-factor") // a fresh form token
					body, code, _ = w.k.post(fill(r.Path), url.Values{"title": {"x"}, "name": {"x"}, "year": {"2025"}})
				}
			} else {
				json := ""
				if r.Method != http.MethodGet {
					json = `{}`
				}
				body, code = call(t, w.api, r.Method, e.srv.URL+fill(r.Path), json)
			}
			walked++
			if w.allow(route) {
				if code == http.StatusForbidden || code >= 500 {
					t.Errorf("%s: %s answers %d: %.200s", w.name, route, code, body)
				}
			} else if code != http.StatusForbidden {
				t.Errorf("%s: %s answers %d, want 403", w.name, route, code)
			}
		}
	}
	if walked < 200 {
		t.Errorf("walked %d routes", walked)
	}
	// The system administrator: neither the security nor the audit work.
	admin := e.consoleClient()
	for _, path := range []string{"/console/audit", "/console/audit.xlsx"} {
		if _, code := admin.get(path); code != http.StatusForbidden {
			t.Errorf("the system administrator: GET %s: %d", path, code)
		}
	}
	for _, path := range []string{"/disable", "/enable", "/second-factor/reset", "/sessions/" + strings.Repeat("0", 64) + "/end"} {
		admin.get("/console/accounts")
		if _, code, _ := admin.post(fmt.Sprintf("/console/accounts/%d%s", clerk, path), url.Values{}); code != http.StatusForbidden {
			t.Errorf("the system administrator: POST …%s: %d", path, code)
		}
	}
	// The audit administrator's export holds the log's entries, each
	// sealed one with what proves it is in the signed audit log.
	key, err := survey.ParseLogKey(testLogKey)
	if err != nil {
		t.Fatal(err)
	}
	sealer := audit.NewStore(e.pool)
	if err := sealer.UseLogKey(key, nil); err != nil {
		t.Fatal(err)
	}
	if n, err := sealer.Seal(context.Background(), 0); err != nil || n < len(before) {
		t.Fatalf("sealed %d of %d+ entries: %v", n, len(before), err)
	}
	if proven := checkAuditExport(t, key, auditor.k.download("/console/audit.xlsx")); proven < len(before) {
		t.Errorf("%d rows of the export proven, want at least %d", proven, len(before))
	}
	after := snapshot()
	for i, r := range before {
		if i >= len(after) || after[i] != r {
			t.Fatalf("the audit entry %d changed or went in the walk", r.ID)
		}
	}
	if len(after) <= len(before) {
		t.Error("the walk left no audit entries")
	}
}

// checkAuditExport checks an audit export as an inspector would, without
// the server: the checkpoint on its second sheet against the deployment's
// key, and each row's leaf (from its canonical form) against that root by
// its inclusion proof. It returns how many rows it proved.
func checkAuditExport(t *testing.T, key *survey.LogKey, b []byte) int {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	meta, _ := x.GetRows("检查点")
	var text string
	for _, r := range meta {
		if len(r) == 2 && r[0] == "签名的检查点" {
			text = r[1]
		}
	}
	cp, _, err := survey.OpenCheckpoint(text, audit.LogOrigin(key.Name()), key.Verifier())
	if err != nil {
		t.Fatalf("the export's checkpoint %q: %v", text, err)
	}
	rows, _ := x.GetRows("操作日志")
	proven := 0
	for _, r := range rows[1:] {
		if len(r) < 11 || r[8] == "未入日志" || strings.HasPrefix(r[10], "未附") {
			continue
		}
		index, _ := strconv.ParseInt(r[8], 10, 64)
		var proof [][]byte
		for _, h := range strings.Fields(r[10]) {
			p, err := base64.StdEncoding.DecodeString(h)
			if err != nil {
				t.Fatal(err)
			}
			proof = append(proof, p)
		}
		if !strings.Contains(r[9], `"id":`+r[0]+",") {
			t.Errorf("row %s: its leaf is another entry's: %s", r[0], r[9])
		}
		if err := survey.VerifyInclusion(index, cp.Size, survey.LeafHash([]byte(r[9])), proof, cp.Root); err != nil {
			t.Errorf("row %s (leaf %d): %v", r[0], index, err)
		}
		proven++
	}
	return proven
}
