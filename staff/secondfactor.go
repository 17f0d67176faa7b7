package staff

// The second factor of a staff sign-in (二次验证): a six-digit TOTP code
// (RFC 6238: HMAC-SHA-1, 30-second steps, as every authenticator app
// makes them) or one of ten recovery codes. Every administrator must pass
// it; any other account may enrol, and is then asked for it too. A code is
// good once: the newest step accepted is kept, and a code of that step or
// an older one is refused; a recovery code is marked used.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"renke/dbq"
)

// RecoveryCodes is how many recovery codes an enrolment gives.
const RecoveryCodes = 10

// Issuer names the deployment in an authenticator app.
const Issuer = "认可"

var (
	// ErrBadCode refuses a wrong, old or used code.
	ErrBadCode = Refusal("动态口令或恢复码不正确，或已经用过。请输入验证器应用上当前显示的 6 位数字，或一个未用过的恢复码。")
	// ErrNotEnrolled: the account has no confirmed second factor.
	ErrNotEnrolled = Refusal("此账号尚未绑定动态口令，请先完成绑定")
	// ErrEnrolled: a confirmed enrolment is changed only after a reset.
	ErrEnrolled = Refusal("此账号已绑定动态口令；如需更换手机，请平台管理员解除绑定后重新绑定")
)

var totpOpts = totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// Administrator reports whether the role is one of the three
// administrators (系统、安全、审计管理员): such an account must pass a
// second factor.
func (r Role) Administrator() bool { return r == Admin || r == Security || r == Auditor }

// NeedsSecondFactor reports whether the account must pass a second
// factor to act: every administrator, and every account that enrolled.
func (a Account) NeedsSecondFactor() bool { return a.Role.Administrator() || a.SecondFactor }

// Enrolment is a second factor being set up: the secret in base32 for
// typing into an app, and the otpauth:// URL its QR code carries.
type Enrolment struct {
	Secret string `json:"secret"`
	URL    string `json:"otpauth_url"`
}

// BeginEnrolment gives the account a new secret to confirm with a first
// code (ConfirmEnrolment), replacing one not yet confirmed. An account
// with a confirmed second factor is refused (ErrEnrolled).
func (s *Store) BeginEnrolment(ctx context.Context, a Account) (Enrolment, error) {
	if a.SecondFactor {
		return Enrolment{}, ErrEnrolled
	}
	e, err := enrolmentOf(a.Username, nil)
	if err != nil {
		return Enrolment{}, err
	}
	return e, s.q.BeginSecondFactor(ctx, dbq.BeginSecondFactorParams{StaffID: a.ID, Secret: e.Secret})
}

// PendingEnrolment is the account's enrolment begun and not confirmed,
// if any (ok false: none), so a page shown again shows the same secret.
func (s *Store) PendingEnrolment(ctx context.Context, a Account) (e Enrolment, ok bool, err error) {
	secret, err := s.q.UnconfirmedSecret(ctx, a.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return Enrolment{}, false, nil
	} else if err != nil {
		return Enrolment{}, false, err
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret) // pquerna/otp writes it unpadded
	if err != nil {
		return Enrolment{}, false, err
	}
	e, err = enrolmentOf(a.Username, raw)
	return e, err == nil, err
}

// enrolmentOf is the enrolment of a raw secret; nil: a new random one.
func enrolmentOf(username string, secret []byte) (Enrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: Issuer, AccountName: username, Period: totpOpts.Period,
		Digits: totpOpts.Digits, Algorithm: totpOpts.Algorithm, Secret: secret})
	if err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Secret: key.Secret(), URL: key.URL()}, nil
}

// ConfirmEnrolment confirms the account's new secret with a code from the
// app and returns its recovery codes, shown this once: only their hashes
// are kept.
func (s *Store) ConfirmEnrolment(ctx context.Context, a Account, code string, now time.Time) ([]string, error) {
	var codes []string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := dbq.New(tx)
		f, err := q.SecondFactorForUpdate(ctx, a.ID)
		if errors.Is(err, pgx.ErrNoRows) {
			return Refusal("请先开始绑定动态口令")
		} else if err != nil {
			return err
		}
		if f.ConfirmedAt != nil {
			return ErrEnrolled
		}
		step, ok := matchTOTP(f.Secret, code, now, f.LastStep)
		if !ok {
			return ErrBadCode
		}
		if err := q.ConfirmSecondFactor(ctx, dbq.ConfirmSecondFactorParams{StaffID: a.ID, LastStep: step}); err != nil {
			return err
		}
		codes, err = newRecoveryCodes(ctx, q, a.ID)
		return err
	})
	return codes, err
}

// VerifySecondFactor checks a code for the account's confirmed enrolment:
// a TOTP code of this step or the one before or after (a phone's clock
// may be half a minute off) newer than the last one accepted, or an unused
// recovery code, which is used up.
func (s *Store) VerifySecondFactor(ctx context.Context, accountID int64, code string, now time.Time) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := dbq.New(tx)
		f, err := q.SecondFactorForUpdate(ctx, accountID)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && f.ConfirmedAt == nil) {
			return ErrNotEnrolled
		} else if err != nil {
			return err
		}
		if step, ok := matchTOTP(f.Secret, code, now, f.LastStep); ok {
			return q.AcceptStep(ctx, dbq.AcceptStepParams{StaffID: accountID, LastStep: step})
		}
		n, err := q.UseRecoveryCode(ctx, dbq.UseRecoveryCodeParams{StaffID: accountID, Hash: recoveryHash(code)})
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrBadCode
		}
		return nil
	})
}

// RecoveryCodesLeft counts the account's unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, accountID int64) (int64, error) {
	return s.q.RecoveryCodesLeft(ctx, accountID)
}

// ResetSecondFactor removes an account's enrolment and recovery codes (a
// lost phone: the admin's act) and ends its sessions; an administrator
// then enrols again at the next sign-in.
func (s *Store) ResetSecondFactor(ctx context.Context, accountID int64) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := dbq.New(tx)
		if _, err := q.GetStaff(ctx, accountID); errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		if _, err := q.DeleteSecondFactor(ctx, accountID); err != nil {
			return err
		}
		if err := q.DeleteRecoveryCodes(ctx, accountID); err != nil {
			return err
		}
		return q.EndAccountSessions(ctx, dbq.EndAccountSessionsParams{StaffID: accountID, Why: EndedSecondFactor})
	})
}

// PassSession records that the session of a token passed the second
// factor.
func (s *Store) PassSession(ctx context.Context, token string) error {
	return s.q.PassSession(ctx, tokenID(token))
}

// matchTOTP finds the step, within one of now's, whose code is code and
// which is newer than last.
func matchTOTP(secret, code string, now time.Time, last int64) (int64, bool) {
	code = strings.TrimSpace(code)
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return 0, false
	}
	step := now.Unix() / int64(totpOpts.Period)
	for d := int64(-1); d <= 1; d++ {
		st := step + d
		if st <= last {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(st*int64(totpOpts.Period), 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return st, true
		}
	}
	return 0, false
}

// recoveryAlphabet leaves out 0, 1, I and O, which read alike.
const recoveryAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// newRecoveryCodes replaces the account's recovery codes with new ones,
// XXXXX-XXXXX (50 bits each), and returns them.
func newRecoveryCodes(ctx context.Context, q *dbq.Queries, accountID int64) ([]string, error) {
	if err := q.DeleteRecoveryCodes(ctx, accountID); err != nil {
		return nil, err
	}
	codes := make([]string, RecoveryCodes)
	for i := range codes {
		b := make([]byte, 10)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		for j := range b {
			b[j] = recoveryAlphabet[int(b[j])%len(recoveryAlphabet)]
		}
		codes[i] = string(b[:5]) + "-" + string(b[5:])
		if err := q.AddRecoveryCode(ctx, dbq.AddRecoveryCodeParams{StaffID: accountID, Hash: recoveryHash(codes[i])}); err != nil {
			return nil, err
		}
	}
	return codes, nil
}

// recoveryHash is the hash a recovery code is kept as, read as typed:
// spaces, hyphens and case do not matter.
func recoveryHash(code string) []byte {
	code = strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "\u3000", "").Replace(code))
	sum := sha256.Sum256([]byte(code))
	return sum[:]
}
