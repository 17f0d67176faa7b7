package staff

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"renke/dbq"
)

// Sessions live on the server. The cookie carries only a random token;
// the database keeps its SHA-256 with the account, so a session is worth
// nothing once it is ended here, whatever the cookie says.

// SessionMax ends a session this long after sign-in, however busy; a
// session unused for the policy's Idle ends before.
const SessionMax = 8 * time.Hour

// Why a session ended, as the admin's session list says it.
const (
	EndedLogout   = "退出登录"
	EndedPassword = "密码已修改"
	EndedGrant    = "角色或单位已变更"
	EndedDisabled = "账号已停用"
	EndedByAdmin  = "管理员结束会话"
	// EndedSecondFactor: the admin reset the account's second factor.
	EndedSecondFactor = "动态口令已解除绑定"
)

// ErrNoSession says a token names no live session.
var ErrNoSession = errors.New("no live session")

// ErrDisabled refuses the login of a disabled account.
var ErrDisabled = Refusal("账号已停用，请联系平台管理员")

func tokenID(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// StartSession begins a session of an account and returns its token, for
// the cookie.
func (s *Store) StartSession(ctx context.Context, accountID int64, client, userAgent string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	if len(userAgent) > 200 {
		userAgent = userAgent[:200]
	}
	err := s.q.StartSession(ctx, dbq.StartSessionParams{ID: tokenID(token), StaffID: accountID, Client: client, UserAgent: userAgent})
	return token, err
}

// SessionAccount is the account of a live session: not ended, its account
// not disabled, used within the policy's Idle and begun within SessionMax; and
// whether the session passed the second factor. It marks the session
// used.
func (s *Store) SessionAccount(ctx context.Context, token string, now time.Time) (Account, bool, error) {
	id := tokenID(token)
	live, err := s.q.LiveSession(ctx, dbq.LiveSessionParams{ID: id, IdleSince: now.Add(-s.policy.Idle), BornSince: now.Add(-SessionMax)})
	if errors.Is(err, pgx.ErrNoRows) {
		return Account{}, false, ErrNoSession
	} else if err != nil {
		return Account{}, false, err
	}
	if err := s.q.TouchSession(ctx, id); err != nil {
		return Account{}, false, err
	}
	a, err := s.Get(ctx, live.StaffID)
	return a, live.Passed, err
}

// EndSession ends the session of a token (logging out).
func (s *Store) EndSession(ctx context.Context, token string) error {
	_, err := s.q.EndSession(ctx, dbq.EndSessionParams{ID: tokenID(token), Why: EndedLogout})
	return err
}

// Session is a live session as the admin sees it.
type Session struct {
	ID        string // hex of the token's hash: names the session, reveals nothing
	AccountID int64
	Started   time.Time
	Seen      time.Time
	Client    string
	UserAgent string
}

// Sessions lists the live sessions of every account, newest first per account.
func (s *Store) Sessions(ctx context.Context, now time.Time) ([]Session, error) {
	rows, err := s.q.LiveSessions(ctx, dbq.LiveSessionsParams{IdleSince: now.Add(-s.policy.Idle), BornSince: now.Add(-SessionMax)})
	out := make([]Session, 0, len(rows))
	for _, r := range rows {
		out = append(out, Session{ID: hex.EncodeToString(r.ID), AccountID: r.StaffID, Started: r.CreatedAt, Seen: r.SeenAt,
			Client: r.Client, UserAgent: r.UserAgent})
	}
	return out, err
}

// EndAccountSession ends one session of an account (the admin's action).
func (s *Store) EndAccountSession(ctx context.Context, accountID int64, sessionID string) error {
	id, err := hex.DecodeString(sessionID)
	if err != nil || len(id) != sha256.Size {
		return ErrNotFound
	}
	n, err := s.q.EndAccountSession(ctx, dbq.EndAccountSessionParams{ID: id, StaffID: accountID, Why: EndedByAdmin})
	if err == nil && n == 0 {
		return ErrNotFound
	}
	return err
}

// SetDisabled disables an account, ending its sessions, or enables it again.
func (s *Store) SetDisabled(ctx context.Context, id int64, disabled bool) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := dbq.New(tx)
		n, err := q.SetStaffDisabled(ctx, dbq.SetStaffDisabledParams{ID: id, Disabled: disabled})
		if err != nil {
			return err
		} else if n == 0 {
			return ErrNotFound
		}
		if !disabled {
			return nil
		}
		return q.EndAccountSessions(ctx, dbq.EndAccountSessionsParams{StaffID: id, Why: EndedDisabled})
	})
}
