package staff_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"renke/dbtest"
	"renke/staff"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Enrolment by a first code gives ten recovery codes; a code is good once
// (its step, or an older one, is refused after); a neighbouring step is
// taken for a phone's clock; a recovery code works once, as typed; a
// reset ends the account's sessions and its enrolment.
func TestSecondFactor(t *testing.T) {
	ctx := context.Background()
	s := staff.NewStore(dbtest.New(t))
	a, err := s.Create(ctx, "root-admin", "password-2026-x", staff.Grant{Role: staff.Admin})
	if err != nil {
		t.Fatal(err)
	}
	if !a.NeedsSecondFactor() || a.SecondFactor {
		t.Fatalf("an admin: needs %v, enrolled %v", a.NeedsSecondFactor(), a.SecondFactor)
	}
	if err := s.VerifySecondFactor(ctx, a.ID, "123456", time.Now()); !errors.Is(err, staff.ErrNotEnrolled) {
		t.Fatalf("not enrolled: %v", err)
	}
	e, err := s.BeginEnrolment(ctx, a)
	if err != nil || !strings.HasPrefix(e.URL, "otpauth://totp/") || !strings.Contains(e.URL, "secret="+e.Secret) {
		t.Fatalf("enrolment %+v %v", e, err)
	}
	if again, ok, err := s.PendingEnrolment(ctx, a); err != nil || !ok || again.Secret != e.Secret {
		t.Fatalf("pending enrolment: %+v %v %v", again, ok, err)
	}
	now := time.Date(2026, 12, 5, 10, 0, 15, 0, time.UTC)
	if _, err := s.ConfirmEnrolment(ctx, a, "000000", now); !errors.Is(err, staff.ErrBadCode) && code(t, e.Secret, now) != "000000" {
		t.Errorf("a wrong first code: %v", err)
	}
	codes, err := s.ConfirmEnrolment(ctx, a, code(t, e.Secret, now), now)
	if err != nil || len(codes) != staff.RecoveryCodes {
		t.Fatalf("confirm: %d codes, %v", len(codes), err)
	}
	if a, _ = s.Get(ctx, a.ID); !a.SecondFactor {
		t.Fatal("not enrolled after confirming")
	}
	if _, err := s.BeginEnrolment(ctx, a); !errors.Is(err, staff.ErrEnrolled) {
		t.Errorf("enrolling again: %v", err)
	}
	// The code that confirmed is used; so is any older one.
	if err := s.VerifySecondFactor(ctx, a.ID, code(t, e.Secret, now), now); !errors.Is(err, staff.ErrBadCode) {
		t.Errorf("the same code again: %v", err)
	}
	later := now.Add(30 * time.Second)
	if err := s.VerifySecondFactor(ctx, a.ID, code(t, e.Secret, later.Add(30*time.Second)), later); err != nil {
		t.Errorf("a phone half a minute fast: %v", err)
	}
	if err := s.VerifySecondFactor(ctx, a.ID, code(t, e.Secret, later), later); !errors.Is(err, staff.ErrBadCode) {
		t.Errorf("a code older than the last taken: %v", err)
	}
	if err := s.VerifySecondFactor(ctx, a.ID, code(t, e.Secret, now.Add(10*time.Minute)), later); !errors.Is(err, staff.ErrBadCode) {
		t.Errorf("a code ten minutes ahead: %v", err)
	}
	typed := strings.ToLower(strings.Replace(codes[3], "-", " ", 1))
	if err := s.VerifySecondFactor(ctx, a.ID, typed, later); err != nil {
		t.Errorf("a recovery code as typed (%q): %v", typed, err)
	}
	if err := s.VerifySecondFactor(ctx, a.ID, codes[3], later); !errors.Is(err, staff.ErrBadCode) {
		t.Errorf("a recovery code twice: %v", err)
	}
	if left, _ := s.RecoveryCodesLeft(ctx, a.ID); left != staff.RecoveryCodes-1 {
		t.Errorf("%d recovery codes left", left)
	}
	token, err := s.StartSession(ctx, a.ID, "127.0.0.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, passed, err := s.SessionAccount(ctx, token, time.Now()); err != nil || passed {
		t.Fatalf("a new session passed: %v %v", passed, err)
	}
	if err := s.PassSession(ctx, token); err != nil {
		t.Fatal(err)
	}
	if _, passed, err := s.SessionAccount(ctx, token, time.Now()); err != nil || !passed {
		t.Fatalf("a passed session: %v %v", passed, err)
	}
	if err := s.ResetSecondFactor(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SessionAccount(ctx, token, time.Now()); !errors.Is(err, staff.ErrNoSession) {
		t.Errorf("a session outlived the reset: %v", err)
	}
	if a, _ = s.Get(ctx, a.ID); a.SecondFactor {
		t.Error("still enrolled after the reset")
	}
	if err := s.VerifySecondFactor(ctx, a.ID, codes[4], later); !errors.Is(err, staff.ErrNotEnrolled) {
		t.Errorf("a recovery code after the reset: %v", err)
	}
}

// A new password is none of the last five (the current one among them),
// and a session left idle past the policy's half hour ends.
func TestPasswordHistoryAndIdle(t *testing.T) {
	ctx := context.Background()
	s := staff.NewStore(dbtest.New(t))
	a, err := s.Create(ctx, "clerk", "first-pass-2026", staff.Grant{Role: staff.Admin})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(ctx, a.ID, "first-pass-2026"); err == nil || !strings.Contains(err.Error(), "最近 5 次") {
		t.Errorf("the current password again: %v", err)
	}
	for i := 2; i <= 6; i++ {
		if err := s.SetPassword(ctx, a.ID, "pass-number-"+string(rune('0'+i))); err != nil {
			t.Fatalf("password %d: %v", i, err)
		}
	}
	// Five others since: the first is free again; the second is not.
	if err := s.SetPassword(ctx, a.ID, "pass-number-3"); err == nil {
		t.Error("a password of the last five was taken")
	}
	if err := s.SetPassword(ctx, a.ID, "first-pass-2026"); err != nil {
		t.Errorf("a password six back: %v", err)
	}
	if err := s.SetPassword(ctx, a.ID, "weakpassword"); err == nil {
		t.Error("a password of one kind was taken")
	}
	token, err := s.StartSession(ctx, a.ID, "127.0.0.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SessionAccount(ctx, token, time.Now().Add(29*time.Minute)); err != nil {
		t.Errorf("29 minutes idle: %v", err)
	}
	if _, _, err := s.SessionAccount(ctx, token, time.Now().Add(29*time.Minute+31*time.Minute)); !errors.Is(err, staff.ErrNoSession) {
		t.Errorf("half an hour idle after the last use: %v", err)
	}
}
