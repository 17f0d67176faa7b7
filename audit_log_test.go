package main

// The audit log against the deployment's host: a witness watches
// /log/audit and cosigns; the host edits an entry in the database, and
// verify-audit names it; the host rewrites the log with its own key, and
// the witness refuses the rewritten checkpoint.

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"renke/audit"
	"renke/demo"
	"renke/witness"
)

func TestAuditLogAgainstTheHost(t *testing.T) {
	ctx := context.Background()
	w, err := witness.Open(t.TempDir(), "province-witness", witness.Config{})
	if err != nil {
		t.Fatal(err)
	}
	f := newLogFixture(t, w)
	auditLog := audit.NewStore(f.pool)
	if err := auditLog.UseLogKey(f.key, f.keys); err != nil {
		t.Fatal(err)
	}
	// Staff act: a login and binding the second factor are audit entries.
	k := apiClient(t, f.srv.URL, demo.Username, demo.Password)
	if n, err := auditLog.Seal(ctx, 0); err != nil || n < 2 {
		t.Fatalf("sealed %d entries: %v", n, err)
	}

	// The witness's configuration names only the URL and the key: the
	// origin follows from /log/audit.
	cfg, err := witness.ParseConfig(strings.NewReader("log audit " + f.srv.URL + "/log/audit " + f.key.VerifierKey() + "\n"))
	if err != nil || cfg.Logs[0].Origin != f.key.Name()+"/audit" {
		t.Fatalf("config: %+v %v", cfg.Logs, err)
	}
	w.Config = cfg
	poll := func() []witness.Alarm {
		t.Helper()
		alarms, unreachable := w.Poll(ctx)
		if len(unreachable) > 0 {
			t.Fatalf("unreachable: %v", unreachable)
		}
		return alarms
	}
	if a := poll(); len(a) > 0 {
		t.Fatalf("alarms on an honest log: %v", a)
	}
	// More actions, sealed; the witness checks the log grew consistently.
	if resp, err := k.Post(f.srv.URL+"/api/v1/logout", "application/json", nil); err != nil || resp.StatusCode >= 400 {
		t.Fatalf("logout: %v %v", resp, err)
	}
	if err := auditLog.Record(ctx, audit.Entry{Username: demo.Username, Client: "127.0.0.1", Action: "修改单位", Detail: "单位 示范县", Status: 200}); err != nil {
		t.Fatal(err)
	}
	if n, err := auditLog.Seal(ctx, 0); err != nil || n == 0 {
		t.Fatalf("sealed %d: %v", n, err)
	}
	if a := poll(); len(a) > 0 {
		t.Fatalf("alarms on an honest log: %v", a)
	}
	// The cosignature came back to the server.
	resp, err := http.Get(f.srv.URL + "/log/audit/cosignatures")
	if err != nil {
		t.Fatal(err)
	}
	var cosigned []struct{ Witness string }
	_ = json.NewDecoder(resp.Body).Decode(&cosigned)
	resp.Body.Close()
	if len(cosigned) == 0 || cosigned[len(cosigned)-1].Witness != "province-witness" {
		t.Errorf("cosignatures: %+v", cosigned)
	}
	var out bytes.Buffer
	if err := verifyAudit(ctx, auditLog, f.key, []string{"-witness", w.Dir}, &out); err != nil {
		t.Fatalf("an honest log: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "1 of 1 outside checkpoints agree") {
		t.Errorf("verify-audit: %s", out.String())
	}

	// The host edits the first login's entry as superuser, triggers off.
	var id int64
	if err := f.pool.QueryRow(ctx, `SELECT entry_id FROM audit_leaves WHERE idx = 0`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	host := func(sqls ...string) {
		t.Helper()
		all := append([]string{`ALTER TABLE audit_log DISABLE TRIGGER audit_log_kept`, `ALTER TABLE audit_leaves DISABLE TRIGGER audit_leaves_sealed`,
			`ALTER TABLE audit_nodes DISABLE TRIGGER audit_nodes_sealed`, `ALTER TABLE audit_checkpoints DISABLE TRIGGER audit_checkpoints_sealed`}, sqls...)
		all = append(all, `ALTER TABLE audit_log ENABLE TRIGGER audit_log_kept`, `ALTER TABLE audit_leaves ENABLE TRIGGER audit_leaves_sealed`,
			`ALTER TABLE audit_nodes ENABLE TRIGGER audit_nodes_sealed`, `ALTER TABLE audit_checkpoints ENABLE TRIGGER audit_checkpoints_sealed`)
		for _, sql := range all {
			if _, err := f.pool.Exec(ctx, sql); err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
		}
	}
	host(`UPDATE audit_log SET client = '10.9.9.9' WHERE id = ` + strconv.FormatInt(id, 10))
	out.Reset()
	err = verifyAudit(ctx, auditLog, f.key, []string{"-witness", w.Dir}, &out)
	if err == nil || !strings.Contains(out.String(), "审计记录 #"+strconv.FormatInt(id, 10)+"（第 0 片叶子）已被改动") || !strings.Contains(out.String(), "10.9.9.9") {
		t.Errorf("an edited entry: %v\n%s", err, out.String())
	}

	// The host rewrites the log from that entry on with its own key: the
	// witness refuses the new checkpoint, and verify with the witness's
	// store names the entry.
	host(`DELETE FROM audit_leaves`, `DELETE FROM audit_nodes`, `DELETE FROM audit_checkpoints`, `DELETE FROM audit_cosignatures`)
	if _, err := auditLog.Seal(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if a := poll(); len(a) != 1 || !strings.Contains(a[0].Text, "second root") && !strings.Contains(a[0].Text, "does not extend") {
		t.Errorf("the witness on a rewritten log: %v", a)
	}
	out.Reset()
	err = verifyAudit(ctx, auditLog, f.key, []string{"-witness", w.Dir}, &out)
	if err == nil || !strings.Contains(out.String(), "审计记录 #"+strconv.FormatInt(id, 10)+"（第 0 片叶子）与见证方 province-witness 所存的叶子不符") {
		t.Errorf("a rewritten log against the witness: %v\n%s", err, out.String())
	}
}
