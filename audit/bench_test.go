package audit_test

import (
	"context"
	"testing"
	"time"

	"renke/audit"
	"renke/dbtest"
)

// A busy province's half year: 100,000 audit entries sealed (at most
// 5,000 a sealing), then the whole log verified and a listing proven.
//
//	go test -run - -bench AuditLog -benchtime 3x ./audit
//
// and then 100 consistency and 100 inclusion proofs in the 100,000-leaf
// tree, as witnesses and inspectors ask them.
func BenchmarkAuditLog100k(b *testing.B) {
	ctx := context.Background()
	pool := dbtest.New(b)
	s, _ := logStore(b, pool)
	if _, err := pool.Exec(ctx, `INSERT INTO audit_log (at, username, client, action, detail, status)
		SELECT now() - interval '1 hour' + g * interval '10 ms', 'clerk' || g % 50, '10.0.' || g % 250 || '.1', '修改单位', '单位 示范县，第 ' || g || ' 次', 200
		FROM generate_series(1, 100000) g`); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for {
		n, err := s.Seal(ctx, audit.SealAge)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	sealing := time.Since(start)
	b.ResetTimer()
	for b.Loop() {
		c, err := s.VerifyLog(ctx, time.Now())
		if err != nil || !c.OK() || c.Size != 100_000 {
			b.Fatalf("%+v %v", c, err)
		}
		p, err := s.ListProven(ctx, audit.Filter{From: time.Now().Add(-2 * time.Hour), To: time.Now(), Max: 200_000})
		if err != nil || len(p.Proofs) != audit.MaxProofs {
			b.Fatalf("%d proofs, %v", len(p.Proofs), err)
		}
	}
	b.ReportMetric(float64(sealing.Milliseconds()), "ms-to-seal-100k")
	// What a witness asks at each poll, and an inspector of one row.
	start = time.Now()
	for i := range int64(100) {
		if _, err := s.ConsistencyProof(ctx, 50_000+i, 100_000); err != nil {
			b.Fatal(err)
		}
		if _, err := s.InclusionProof(ctx, i*997, 100_000); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/200, "µs-per-proof")
}
