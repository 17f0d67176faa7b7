// Package audit keeps the log of staff actions (who, when, from where,
// on which unit, what) and decides, from the failed logins in it, when
// a login must wait or is locked.
package audit

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"renke/dbq"
)

// Actions recorded outside the HTTP routes.
const (
	Login       = "login"
	LoginFailed = "login_failed"
	LoginLocked = "login_locked"
)

// Entry is one staff action.
type Entry struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	StaffID  *int64    `json:"staff_id"`
	Username string    `json:"username"`
	Client   string    `json:"client"`
	UnitID   *int64    `json:"unit_id"`
	UnitName string    `json:"unit_name"`
	Action   string    `json:"action"`
	Detail   string    `json:"detail"`
	Status   int       `json:"status"`
}

// Store keeps the log in PostgreSQL.
type Store struct{ q *dbq.Queries }

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{q: dbq.New(pool)} }

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// Record writes an entry.
func (s *Store) Record(ctx context.Context, e Entry) error {
	return s.q.RecordAudit(ctx, dbq.RecordAuditParams{StaffID: e.StaffID, Username: clip(e.Username, 100),
		Client: clip(e.Client, 64), UnitID: e.UnitID, Action: clip(e.Action, 64), Detail: clip(e.Detail, 2000), Status: int32(e.Status)})
}

// Filter selects entries: one unit (nil: all) between two times.
type Filter struct {
	UnitID   *int64
	From, To time.Time
	Max      int
}

// List returns the entries of the filter, newest first.
func (s *Store) List(ctx context.Context, f Filter) ([]Entry, error) {
	rows, err := s.q.ListAudit(ctx, dbq.ListAuditParams{UnitID: f.UnitID, From: f.From, To: f.To, Max: int32(f.Max)})
	out := make([]Entry, len(rows))
	for i, r := range rows {
		out[i] = Entry{ID: r.ID, At: r.At, StaffID: r.StaffID, Username: r.Username, Client: r.Client, UnitID: r.UnitID,
			UnitName: r.UnitName, Action: r.Action, Detail: r.Detail, Status: int(r.Status)}
	}
	return out, err
}

// Throttle is the login policy: within Window, each failure of an account
// slows its next attempt by Step; AccountLimit failures lock the account,
// and ClientLimit failures from one client lock that client, until Window
// has passed since the last failure. A successful login clears the
// account's count.
type Throttle struct {
	Window       time.Duration
	Step         time.Duration
	AccountLimit int
	ClientLimit  int
}

// DefaultThrottle: 5 failures lock an account and 20 lock a client for 15 minutes.
var DefaultThrottle = Throttle{Window: 15 * time.Minute, Step: time.Second, AccountLimit: 5, ClientLimit: 20}

// Failure is a recent failed login.
type Failure struct {
	At          time.Time
	SameAccount bool
	SameClient  bool
}

// Decide says how long the next attempt waits and until when it is locked
// (zero when it is not), from the failures newest first.
func (t Throttle) Decide(failures []Failure, now time.Time) (wait time.Duration, lockedUntil time.Time) {
	var account, client int
	var lastAccount, lastClient time.Time
	for _, f := range failures {
		if now.Sub(f.At) >= t.Window {
			continue
		}
		if f.SameAccount {
			account++
			if f.At.After(lastAccount) {
				lastAccount = f.At
			}
		}
		if f.SameClient {
			client++
			if f.At.After(lastClient) {
				lastClient = f.At
			}
		}
	}
	if account >= t.AccountLimit {
		lockedUntil = lastAccount.Add(t.Window)
	}
	if client >= t.ClientLimit && lastClient.Add(t.Window).After(lockedUntil) {
		lockedUntil = lastClient.Add(t.Window)
	}
	return time.Duration(account) * t.Step, lockedUntil
}

// Failures returns the recent failed logins of an account or a client.
func (s *Store) Failures(ctx context.Context, username, client string, since time.Time) ([]Failure, error) {
	rows, err := s.q.RecentLoginFailures(ctx, dbq.RecentLoginFailuresParams{Since: since, Username: username, Client: client})
	out := make([]Failure, len(rows))
	for i, r := range rows {
		out[i] = Failure{At: r.At, SameAccount: r.SameAccount, SameClient: r.SameClient}
	}
	return out, err
}
