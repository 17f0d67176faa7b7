// Package audit keeps the log of staff actions (who, when, from where,
// on which unit, what) and decides, from the failed logins in it, when
// a login must wait or is locked.
package audit

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"golang.org/x/mod/sumdb/note"

	"renke/dbq"
	"renke/survey"
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
	// LeafIndex is the entry's leaf in the signed audit log; nil until
	// it is sealed (SealAge after it was made).
	LeafIndex *int64 `json:"leaf_index"`
}

// Store keeps the log in PostgreSQL.
type Store struct {
	pool      *pgxpool.Pool
	q         *dbq.Queries
	key       *survey.LogKey  // signs the audit log's checkpoints (UseLogKey)
	witnesses []note.Verifier // whose cosignatures it keeps
}

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool, q: dbq.New(pool)} }

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
	Ticks    bool // the log's own ticks too
}

// List returns the entries of the filter, newest first.
func (s *Store) List(ctx context.Context, f Filter) ([]Entry, error) {
	rows, err := s.q.ListAudit(ctx, dbq.ListAuditParams{UnitID: f.UnitID, From: f.From, To: f.To, Max: int32(f.Max), Ticks: f.Ticks})
	out := make([]Entry, len(rows))
	for i, r := range rows {
		out[i] = Entry{ID: r.ID, At: r.At, StaffID: r.StaffID, Username: r.Username, Client: r.Client, UnitID: r.UnitID,
			UnitName: r.UnitName, Action: r.Action, Detail: r.Detail, Status: int(r.Status), LeafIndex: r.LeafIndex}
	}
	return out, err
}

// Throttle is the login policy, per client address: within Window, each
// failure of an account from the address slows its next attempt there by
// Step; AccountLimit failures lock the account for that address, and
// ClientLimit failures of any accounts lock the address, until Window has
// passed since the last failure. A successful login clears the account's
// count. A stranger on another network can therefore not lock anyone out
// of their own.
type Throttle struct {
	Window       time.Duration
	Step         time.Duration
	AccountLimit int
	ClientLimit  int
}

// DefaultThrottle: 5 failures lock an account and 20 lock a client for 15 minutes.
var DefaultThrottle = Throttle{Window: 15 * time.Minute, Step: time.Second, AccountLimit: 5, ClientLimit: 20}

// Failure is a recent failed login from the client.
type Failure struct {
	At          time.Time
	SameAccount bool
}

// Lock says why and until when logins are refused.
type Lock struct {
	Until   time.Time
	Account bool // the account is locked for this address; else the address is
}

// Decide says how long the next attempt waits and what lock, if any,
// refuses it (a zero Until when none), from the client's failures.
func (t Throttle) Decide(failures []Failure, now time.Time) (wait time.Duration, lock Lock) {
	var account, client int
	var lastAccount, lastClient time.Time
	for _, f := range failures {
		if now.Sub(f.At) >= t.Window {
			continue
		}
		client++
		if f.At.After(lastClient) {
			lastClient = f.At
		}
		if f.SameAccount {
			account++
			if f.At.After(lastAccount) {
				lastAccount = f.At
			}
		}
	}
	if account >= t.AccountLimit {
		lock = Lock{Until: lastAccount.Add(t.Window), Account: true}
	}
	if client >= t.ClientLimit && lastClient.Add(t.Window).After(lock.Until) {
		lock = Lock{Until: lastClient.Add(t.Window)}
	}
	return time.Duration(account) * t.Step, lock
}

// Attempt is a login attempt recorded, as failed, before its password is
// checked.
type Attempt struct {
	ID   int64
	Wait time.Duration // before the password is checked
	Lock Lock          // non-zero Until: refused, nothing to check
}

// BeginLogin counts the client's recent failures and records the attempt
// as one, in one transaction that holds the client's lock: concurrent
// attempts from one address, on any server, are counted one after the
// other, so a burst locks after the limit like a sequence does. A locked
// attempt is recorded as locked.
func (s *Store) BeginLogin(ctx context.Context, t Throttle, username, client string, now time.Time) (Attempt, error) {
	var a Attempt
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := dbq.New(tx)
		if err := q.LockLogin(ctx, client); err != nil {
			return err
		}
		rows, err := q.RecentLoginFailures(ctx, dbq.RecentLoginFailuresParams{Since: now.Add(-t.Window), Username: username, Client: client})
		if err != nil {
			return err
		}
		failures := make([]Failure, len(rows))
		for i, r := range rows {
			failures[i] = Failure{At: r.At, SameAccount: r.SameAccount}
		}
		a.Wait, a.Lock = t.Decide(failures, now)
		if !a.Lock.Until.IsZero() && a.Lock.Until.After(now) {
			return q.RecordAudit(ctx, dbq.RecordAuditParams{Username: clip(username, 100), Client: clip(client, 64),
				Action: LoginLocked, Status: 429})
		}
		a.Lock = Lock{}
		a.ID, err = q.RecordLoginAttempt(ctx, dbq.RecordLoginAttemptParams{Username: clip(username, 100), Client: clip(client, 64)})
		return err
	})
	return a, err
}

// Succeeded turns an attempt into a login of the account.
func (s *Store) Succeeded(ctx context.Context, a Attempt, staffID int64, username string) error {
	return s.q.MarkLogin(ctx, dbq.MarkLoginParams{ID: a.ID, StaffID: &staffID, Username: clip(username, 100)})
}
