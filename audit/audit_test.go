package audit

import (
	"testing"
	"time"
)

func TestThrottleDecide(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	ago := func(m int) time.Time { return now.Add(-time.Duration(m) * time.Minute) }
	acct := func(ms ...int) []Failure {
		var fs []Failure
		for _, m := range ms {
			fs = append(fs, Failure{At: ago(m), SameAccount: true, SameClient: true})
		}
		return fs
	}
	clientOnly := func(n, m int) []Failure {
		var fs []Failure
		for i := 0; i < n; i++ {
			fs = append(fs, Failure{At: ago(m), SameClient: true})
		}
		return fs
	}
	for _, tc := range []struct {
		name     string
		failures []Failure
		wait     time.Duration
		until    time.Time
	}{
		{"no failures", nil, 0, time.Time{}},
		{"one failure slows by a second", acct(1), time.Second, time.Time{}},
		{"four failures, four seconds", acct(1, 2, 3, 4), 4 * time.Second, time.Time{}},
		{"five lock until 15 min after the last", acct(1, 2, 3, 4, 5), 5 * time.Second, ago(1).Add(15 * time.Minute)},
		{"five, the oldest out of the window", acct(1, 2, 3, 4, 15), 4 * time.Second, time.Time{}},
		{"five, all older than the window", acct(16, 17, 18, 19, 20), 0, time.Time{}},
		{"19 from one client on other accounts", clientOnly(19, 2), 0, time.Time{}},
		{"20 from one client lock the client", clientOnly(20, 2), 0, ago(2).Add(15 * time.Minute)},
	} {
		wait, until := DefaultThrottle.Decide(tc.failures, now)
		if wait != tc.wait || !until.Equal(tc.until) {
			t.Errorf("%s: wait %v until %v, want %v %v", tc.name, wait, until, tc.wait, tc.until)
		}
	}
}
