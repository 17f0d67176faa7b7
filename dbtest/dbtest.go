// Package dbtest gives tests a real PostgreSQL: Main starts a throwaway
// cluster for a test binary, and New hands each test a fresh, migrated
// database. Without PostgreSQL the tests fail loudly; they never skip.
package dbtest

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"renke/database"
	"renke/dbq"
	"renke/pgcluster"
)

const template = "renke_template"

var (
	cluster *pgcluster.Cluster
	seq     atomic.Int64
)

// Main runs the tests of a package against a cluster of its own, removed
// afterwards. Use it as: func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }
func Main(m *testing.M) int {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "renke-test-pg-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "dbtest:", err)
		return 1
	}
	cluster, err = pgcluster.Start(ctx, dir, pgcluster.Options{})
	if err != nil {
		os.RemoveAll(dir)
		fmt.Fprintln(os.Stderr, "dbtest: cannot start PostgreSQL for the tests:", err)
		return 1
	}
	defer cluster.Remove()
	if err := cluster.CreateDatabase(ctx, template, ""); err != nil {
		fmt.Fprintln(os.Stderr, "dbtest:", err)
		return 1
	}
	pool, err := database.Open(ctx, cluster.URL(template))
	if err != nil {
		fmt.Fprintln(os.Stderr, "dbtest: migrate:", err)
		return 1
	}
	pool.Close()
	return m.Run()
}

// New returns a pool on a fresh migrated database of its own.
func New(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	return NewWithConfig(tb, nil)
}

// NewWithConfig is New with a hook to adjust the pool configuration.
func NewWithConfig(tb testing.TB, tune func(*pgxpool.Config)) *pgxpool.Pool {
	tb.Helper()
	if cluster == nil {
		tb.Fatal("dbtest: no cluster; call dbtest.Main from TestMain")
	}
	ctx := context.Background()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), seq.Add(1))
	if err := cluster.CreateDatabase(ctx, name, template); err != nil {
		tb.Fatal(err)
	}
	cfg, err := pgxpool.ParseConfig(cluster.URL(name))
	if err != nil {
		tb.Fatal(err)
	}
	if tune != nil {
		tune(cfg)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// URL is the connection string of the database behind pool.
func URL(pool *pgxpool.Pool) string {
	return pool.Config().ConnString()
}

// SocialResponses fills a campaign, for benchmarks, with n admitted
// responses to its social questionnaire formID through one new link:
// parents, residents, NPC deputies and CPPCC members in turn, spread over
// the three locales and the unit's schools, 12 answers each (mostly
// satisfied, a few "don't know"), a suggestion on one in ten.
func SocialResponses(tb testing.TB, pool *pgxpool.Pool, campaignID, formID int64, n int) {
	tb.Helper()
	ctx := context.Background()
	var linkID int64
	if err := pool.QueryRow(ctx, `INSERT INTO links (campaign_id, code) VALUES ($1::bigint, 'bench-' || $1::bigint) RETURNING id`, campaignID).Scan(&linkID); err != nil {
		tb.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `
		WITH unit_schools AS (
			SELECT s.id, row_number() OVER (ORDER BY s.id) - 1 AS k, count(*) OVER () AS total
			FROM schools s JOIN campaigns c ON c.unit_id = s.unit_id WHERE c.id = $1::bigint)
		INSERT INTO responses (campaign_id, questionnaire_id, link_id, submission_id, receipt, category, locale,
			grade_band, school_id, status, ip_hash, ua_family, fill_ms, suggestion)
		SELECT $1::bigint, $2, $3, 's' || $1::bigint || '-' || g, 'R' || $1::bigint || '-' || lpad(g::text, 9, '0'),
			(ARRAY['parent','resident','npc','cppcc'])[1 + g % 4], (ARRAY['urban','town','rural'])[1 + g % 3], '3-4',
			(SELECT id FROM unit_schools WHERE k = g % total), 'admitted', '\x00', 'wechat', 90000,
			CASE WHEN g % 10 = 0 THEN '希望增加课后服务的内容，减少重复作业。' ELSE '' END
		FROM generate_series(1, $4::int) g`, campaignID, formID, linkID, n); err != nil {
		tb.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `
		UPDATE responses r SET answers = (SELECT array_agg('S' || lpad(i::text, 2, '0') || '='
			|| (ARRAY['A','A','A','B','B','C','D','X'])[1 + (r.id * 7 + i * 13) % 8] ORDER BY i) FROM generate_series(1, 12) i)
		WHERE r.campaign_id = $1`, campaignID); err != nil {
		tb.Fatal(err)
	}
	RecountTallies(tb, pool, campaignID)
	_, _ = pool.Exec(ctx, `ANALYZE`)
}

// RecountTallies sets a campaign's answer tallies, response and source counts
// from its responses, as
// admission would have kept them, for responses stored straight in the
// database.
func RecountTallies(tb testing.TB, pool *pgxpool.Pool, campaignID int64) {
	tb.Helper()
	ctx := context.Background()
	q := dbq.New(pool)
	if err := q.DeleteTallies(ctx, campaignID); err != nil {
		tb.Fatal(err)
	}
	if err := q.RecountTallies(ctx, campaignID); err != nil {
		tb.Fatal(err)
	}
	if err := q.DeleteResponseCounts(ctx, campaignID); err != nil {
		tb.Fatal(err)
	}
	if err := q.RecountResponses(ctx, campaignID); err != nil {
		tb.Fatal(err)
	}
	if err := q.DeleteSourceCounts(ctx, campaignID); err != nil {
		tb.Fatal(err)
	}
	if err := q.RecountSources(ctx, campaignID); err != nil {
		tb.Fatal(err)
	}
	if err := q.DeleteRespondentSums(ctx, campaignID); err != nil {
		tb.Fatal(err)
	}
	if err := q.RecountRespondentSums(ctx, campaignID); err != nil {
		tb.Fatal(err)
	}
}
