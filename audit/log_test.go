package audit_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/mod/sumdb/note"

	"renke/audit"
	"renke/dbtest"
	"renke/survey"
)

func logStore(t testing.TB, pool *pgxpool.Pool) (*audit.Store, *survey.LogKey) {
	t.Helper()
	skey, err := survey.GenerateLogKey("audit.test")
	if err != nil {
		t.Fatal(err)
	}
	key, err := survey.ParseLogKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	s := audit.NewStore(pool)
	if err := s.UseLogKey(key, nil); err != nil {
		t.Fatal(err)
	}
	return s, key
}

// asHost runs statements as the host's superuser would: with the keeping
// triggers off.
func asHost(t *testing.T, pool *pgxpool.Pool, sqls ...string) {
	t.Helper()
	ctx := context.Background()
	tables := []string{"audit_log DISABLE TRIGGER audit_log_kept", "audit_leaves DISABLE TRIGGER audit_leaves_sealed", "audit_checkpoints DISABLE TRIGGER audit_checkpoints_sealed"}
	for _, tb := range tables {
		if _, err := pool.Exec(ctx, "ALTER TABLE "+tb); err != nil {
			t.Fatal(err)
		}
	}
	for _, sql := range sqls {
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	for _, tb := range tables {
		if _, err := pool.Exec(ctx, "ALTER TABLE "+strings.Replace(tb, "DISABLE", "ENABLE", 1)); err != nil {
			t.Fatal(err)
		}
	}
}

func record(t *testing.T, s *audit.Store, n int, action string) {
	t.Helper()
	for i := range n {
		if err := s.Record(context.Background(), audit.Entry{Username: "admin", Client: "10.0.0.1", Action: action,
			Detail: "单位 示范县，第 " + string(rune('0'+i)) + " 次", Status: 200}); err != nil {
			t.Fatal(err)
		}
	}
}

func verifyLog(t *testing.T, s *audit.Store, ev ...survey.Evidence) audit.LogCheck {
	t.Helper()
	c, err := s.VerifyLog(context.Background(), time.Now(), ev...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Every audit entry becomes a leaf of a signed log: its checkpoints open
// with Go's note verifier, its proofs check with the Merkle library, and
// an entry changed or deleted behind the application is named by id.
func TestAuditLogIsSignedAndVerified(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.New(t)
	s, key := logStore(t, pool)
	record(t, s, 5, "修改单位")
	if n, err := s.Seal(ctx, 0); err != nil || n != 5 {
		t.Fatalf("sealed %d, %v; want 5", n, err)
	}
	// Nothing new and signed just now: no tick.
	if n, err := s.Seal(ctx, 0); err != nil || n != 0 {
		t.Fatalf("sealed %d again, %v; want 0", n, err)
	}
	cp5, err := s.LatestCheckpoint(ctx)
	if err != nil || cp5.Size != 5 {
		t.Fatalf("checkpoint %+v, %v", cp5, err)
	}
	n, err := note.Open([]byte(cp5.Note), note.VerifierList(key.Verifier()))
	if err != nil || !strings.HasPrefix(n.Text, "audit.test/audit\n5\n") {
		t.Fatalf("note.Open: %v %q", err, n.Text)
	}
	// Entries too young are left for the next sealing.
	record(t, s, 3, "开始调查")
	if n, err := s.Seal(ctx, audit.SealAge); err != nil || n != 0 {
		t.Fatalf("sealed %d young entries, %v", n, err)
	}
	if n, err := s.Seal(ctx, 0); err != nil || n != 3 {
		t.Fatalf("sealed %d, %v; want 3", n, err)
	}
	cp8, _ := s.LatestCheckpoint(ctx)
	cons, err := s.ConsistencyProof(ctx, 5, 8)
	if err != nil {
		t.Fatal(err)
	}
	if err := survey.VerifyConsistency(5, 8, cons, cp5.Root, cp8.Root); err != nil {
		t.Errorf("consistency 5→8: %v", err)
	}
	// The listing carries each entry's leaf; its canonical form and an
	// inclusion proof check against the checkpoint.
	entries, err := s.List(ctx, audit.Filter{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour), Max: 100})
	if err != nil || len(entries) != 8 {
		t.Fatalf("%d entries, %v", len(entries), err)
	}
	for _, e := range entries {
		if e.LeafIndex == nil {
			t.Fatalf("entry #%d has no leaf", e.ID)
		}
		p, err := s.InclusionProof(ctx, *e.LeafIndex, 8)
		if err != nil {
			t.Fatal(err)
		}
		if err := survey.VerifyInclusion(*e.LeafIndex, 8, survey.LeafHash(e.Canonical()), p, cp8.Root); err != nil {
			t.Errorf("entry #%d at leaf %d: %v", e.ID, *e.LeafIndex, err)
		}
	}
	if c := verifyLog(t, s); !c.OK() || c.Size != 8 || c.Checkpoints != 2 {
		t.Fatalf("a clean log: %+v", c)
	}
	// Leaves and checkpoints refuse change through the database.
	for _, sql := range []string{`UPDATE audit_leaves SET hash = '\x00' WHERE idx = 0`, `DELETE FROM audit_checkpoints`} {
		if _, err := pool.Exec(ctx, sql); err == nil || !strings.Contains(err.Error(), "signed audit log") {
			t.Errorf("%s: %v", sql, err)
		}
	}

	// What a witness keeps: the leaf hashes of 8.
	held, err := s.LeafHashes(ctx, 0, 8)
	if err != nil {
		t.Fatal(err)
	}
	witnessed := survey.Evidence{Source: "见证方 w ", Size: 8, Root: cp8.Root, Leaves: held, Witnessed: true}
	ids := make([]int64, 8)
	for _, e := range entries {
		ids[*e.LeafIndex] = e.ID
	}
	id := func(i int) string { return "#" + strconv.FormatInt(ids[i], 10) }

	// A host edits an entry: named by id.
	asHost(t, pool, `UPDATE audit_log SET detail = '什么也没做' WHERE id = `+strconv.FormatInt(ids[2], 10))
	c := verifyLog(t, s, witnessed)
	if c.OK() || !mentions(c.Problems, "审计记录 "+id(2)+"（第 2 片叶子）已被改动") || !mentions(c.Problems, "什么也没做") {
		t.Errorf("an edited entry: %q", c.Problems)
	}
	if mentions(c.Problems, id(3)) {
		t.Errorf("an untouched entry named: %q", c.Problems)
	}
	// ...and its stored leaf with it: the signed roots disagree, and the
	// witness's leaves name the entry.
	asHost(t, pool, `UPDATE audit_leaves l SET hash = sha256('\x00'::bytea || convert_to('x', 'UTF8')) WHERE idx = 2`)
	c = verifyLog(t, s, witnessed)
	if !mentions(c.Problems, "与签名的检查点不符") || !mentions(c.Problems, "审计记录 "+id(2)+"（第 2 片叶子）与见证方 w 所存的叶子不符") {
		t.Errorf("an edited entry and leaf: %q", c.Problems)
	}

	// A young entry deleted: named; an entry past its keeping: counted.
	pool2 := dbtest.New(t)
	s2, _ := logStore(t, pool2)
	record(t, s2, 4, "导出")
	if _, err := s2.Seal(ctx, 0); err != nil {
		t.Fatal(err)
	}
	var first, second int64
	if err := pool2.QueryRow(ctx, `SELECT min(id), min(id) + 1 FROM audit_log`).Scan(&first, &second); err != nil {
		t.Fatal(err)
	}
	asHost(t, pool2, `DELETE FROM audit_log WHERE id = `+strconv.FormatInt(second, 10),
		`UPDATE audit_leaves SET at = now() - interval '200 days' WHERE entry_id = `+strconv.FormatInt(first, 10),
		`DELETE FROM audit_log WHERE id = `+strconv.FormatInt(first, 10))
	c = verifyLog(t, s2)
	if c.Expired != 1 || len(c.Problems) != 1 || !mentions(c.Problems, "审计记录 #"+strconv.FormatInt(second, 10)+"（第 1 片叶子") || !mentions(c.Problems, "已被删除") {
		t.Errorf("deleted entries: %+v", c)
	}
	// An entry kept out of the log is named.
	asHost(t, pool2, `INSERT INTO audit_log (at, username, action) VALUES (now() - interval '1 hour', 'admin', '删除学校')`)
	c = verifyLog(t, s2)
	if !mentions(c.Problems, "早该入日志却不在其中") {
		t.Errorf("an unsealed old entry: %q", c.Problems)
	}
}

// A quiet log ticks: an hour after its last checkpoint, sealing adds a
// tick entry and signs, so a witness sees it advance.
func TestAuditLogTicks(t *testing.T) {
	ctx := context.Background()
	pool := dbtest.New(t)
	s, _ := logStore(t, pool)
	if n, err := s.Seal(ctx, audit.SealAge); err != nil || n != 1 {
		t.Fatalf("an empty log's first sealing: %d, %v; want a tick", n, err)
	}
	if n, _ := s.Seal(ctx, audit.SealAge); n != 0 {
		t.Fatalf("ticked again at once: %d", n)
	}
	asHost(t, pool, `UPDATE audit_checkpoints SET signed_at = now() - interval '61 minutes'`)
	if n, err := s.Seal(ctx, audit.SealAge); err != nil || n != 1 {
		t.Fatalf("an hour on: %d, %v; want a tick", n, err)
	}
	all, _ := s.List(ctx, audit.Filter{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour), Max: 10, Ticks: true})
	shown, _ := s.List(ctx, audit.Filter{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour), Max: 10})
	if len(all) != 2 || all[0].Action != audit.Tick || len(shown) != 0 {
		t.Errorf("ticks: %d listed with them, %d without", len(all), len(shown))
	}
	if c := verifyLog(t, s); !c.OK() || c.Size != 2 {
		t.Errorf("%+v", c)
	}
}

func mentions(problems []string, s string) bool {
	for _, p := range problems {
		if strings.Contains(p, s) {
			return true
		}
	}
	return false
}
