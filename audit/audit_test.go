package audit

import (
	"testing"
	"time"
)

func TestThrottleDecide(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	ago := func(m int) time.Time { return now.Add(-time.Duration(m) * time.Minute) }
	// Failures from the client, of the account being logged in to.
	acct := func(ms ...int) []Failure {
		var fs []Failure
		for _, m := range ms {
			fs = append(fs, Failure{At: ago(m), SameAccount: true})
		}
		return fs
	}
	// Failures from the client, of other accounts.
	others := func(n, m int) []Failure {
		var fs []Failure
		for i := 0; i < n; i++ {
			fs = append(fs, Failure{At: ago(m)})
		}
		return fs
	}
	for _, tc := range []struct {
		name     string
		failures []Failure
		wait     time.Duration
		lock     Lock
	}{
		{"no failures", nil, 0, Lock{}},
		{"one failure slows by a second", acct(1), time.Second, Lock{}},
		{"four failures, four seconds", acct(1, 2, 3, 4), 4 * time.Second, Lock{}},
		{"five lock the account here until 15 min after the last", acct(1, 2, 3, 4, 5), 5 * time.Second, Lock{Until: ago(1).Add(15 * time.Minute), Account: true}},
		{"five, the oldest out of the window", acct(1, 2, 3, 4, 15), 4 * time.Second, Lock{}},
		{"five, all older than the window", acct(16, 17, 18, 19, 20), 0, Lock{}},
		{"19 from the client on other accounts", others(19, 2), 0, Lock{}},
		{"20 from the client lock the client", others(20, 2), 0, Lock{Until: ago(2).Add(15 * time.Minute)}},
		// 15 on other accounts + 5 on this one = 20: the client lock wins
		// when it lasts longer (its last failure is the newer).
		{"account and client both", append(acct(3, 4, 5, 6, 7), others(15, 1)...), 5 * time.Second, Lock{Until: ago(1).Add(15 * time.Minute)}},
	} {
		wait, lock := DefaultThrottle.Decide(tc.failures, now)
		if wait != tc.wait || !lock.Until.Equal(tc.lock.Until) || lock.Account != tc.lock.Account {
			t.Errorf("%s: wait %v lock %+v, want %v %+v", tc.name, wait, lock, tc.wait, tc.lock)
		}
	}
}
