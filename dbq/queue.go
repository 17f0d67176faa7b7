package dbq

// Not generated: lets a transaction send several of the generated queries
// in one round trip (a pgx.Batch), with the very SQL and arguments the
// generated methods send.

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Queue puts the query that call sends into b instead of running it. The
// generated method called on q returns at once with an error to ignore;
// read the query's result through the returned QueuedQuery (Exec, Query,
// QueryRow, or the Into and One helpers), which pgx calls when the batch
// runs.
//
//	dbq.Queue(b, func(q *dbq.Queries) { q.LockQuotaCells(ctx, id) }).Query(dbq.Into(&cells, pgx.RowToStructByPos[dbq.QuotaCell]))
func Queue(b *pgx.Batch, call func(q *Queries)) *pgx.QueuedQuery {
	var r recorder
	call(New(&r))
	if r.sql == "" {
		panic("dbq.Queue: the call sent no query")
	}
	return b.Queue(r.sql, r.args...)
}

// Into collects a queued query's rows into *out.
func Into[T any](out *[]T, row pgx.RowToFunc[T]) func(pgx.Rows) error {
	return func(rows pgx.Rows) (err error) {
		*out, err = pgx.CollectRows(rows, row)
		return err
	}
}

// One stores a queued query's only row in *out; no row is pgx.ErrNoRows.
func One[T any](out *T, row pgx.RowToFunc[T]) func(pgx.Rows) error {
	return func(rows pgx.Rows) (err error) {
		*out, err = pgx.CollectExactlyOneRow(rows, row)
		return err
	}
}

var errQueued = errors.New("dbq: queued, not run")

// recorder is a DBTX that keeps the query it is asked to run.
type recorder struct {
	sql  string
	args []any
}

func (r *recorder) keep(sql string, args []any) {
	if r.sql != "" {
		panic("dbq.Queue: the call sent more than one query")
	}
	r.sql, r.args = sql, args
}

func (r *recorder) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	r.keep(sql, args)
	return pgconn.CommandTag{}, errQueued
}

func (r *recorder) Query(_ context.Context, sql string, args ...any) (pgx.Rows, error) {
	r.keep(sql, args)
	return nil, errQueued
}

func (r *recorder) QueryRow(_ context.Context, sql string, args ...any) pgx.Row {
	r.keep(sql, args)
	return queuedRow{}
}

type queuedRow struct{}

func (queuedRow) Scan(...any) error { return errQueued }
