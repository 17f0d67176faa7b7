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
