package audit_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"renke/audit"
	"renke/dbtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// The audit log is kept: an entry younger than 180 days cannot be deleted
// nor changed, even by SQL; a login attempt still becomes a login; an
// entry past 180 days may go.
func TestAuditEntriesAreKept(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.New(t)
	s := audit.NewStore(pool)
	if err := s.Record(ctx, audit.Entry{Username: "admin", Client: "127.0.0.1", Action: "停用账号", Detail: "账号 clerk", Status: 303}); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := pool.QueryRow(ctx, `SELECT max(id) FROM audit_log`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		`DELETE FROM audit_log WHERE id = $1`,
		`UPDATE audit_log SET detail = '' WHERE id = $1`,
		`UPDATE audit_log SET status = 200 WHERE id = $1`,
		`UPDATE audit_log SET at = at - interval '1 day' WHERE id = $1`,
	} {
		if _, err := pool.Exec(ctx, sql, id); err == nil || !strings.Contains(err.Error(), "audit entry") {
			t.Errorf("%s: %v", sql, err)
		}
	}
	// A login attempt becomes a login.
	a, err := s.BeginLogin(ctx, audit.DefaultThrottle, "admin", "127.0.0.1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var staffID int64
	if err := pool.QueryRow(ctx, `INSERT INTO staff (username, password_hash, role) VALUES ('admin', 'x', 'admin') RETURNING id`).Scan(&staffID); err != nil {
		t.Fatal(err)
	}
	if err := s.Succeeded(ctx, a, staffID, "admin"); err != nil {
		t.Errorf("a login attempt marked a login: %v", err)
	}
	// Past 180 days (backdated with the trigger off, as time would), an
	// entry may be deleted.
	for _, sql := range []string{`ALTER TABLE audit_log DISABLE TRIGGER audit_log_kept`,
		`UPDATE audit_log SET at = now() - interval '181 days' WHERE id = ` + strconv.FormatInt(id, 10),
		`ALTER TABLE audit_log ENABLE TRIGGER audit_log_kept`} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `DELETE FROM audit_log WHERE id = $1`, id); err != nil {
		t.Errorf("an entry of 181 days: %v", err)
	}
}
