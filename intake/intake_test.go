package intake

import (
	"strings"
	"testing"
	"time"
)

func TestFormToken(t *testing.T) {
	key := []byte("form-token-key-0123456789abcdef")
	now := time.UnixMilli(1_790_000_000_123)
	want := Token{Rendered: now, Campaign: 7, Link: 42, Device: DeviceTag(key, "AAAAAAAAAAAAAAAAAAAAAA")}
	tok := NewToken(key, want)
	got, ok := ReadToken(key, tok)
	if !ok || len(got.Submission) != 22 || !got.Rendered.Equal(now) || got.Campaign != 7 || got.Link != 42 || got.Device != want.Device {
		t.Fatalf("read back: %+v %v", got, ok)
	}
	if DeviceTag(key, "") != [8]byte{} || DeviceTag(key, "a") == DeviceTag(key, "b") {
		t.Error("device tags: none is zero, two cookies differ")
	}
	if other := NewToken(key, want); other == tok {
		t.Error("two forms got the same token")
	}
	for name, bad := range map[string]string{
		"other key":  NewToken([]byte("another-key"), want),
		"truncated":  tok[:len(tok)-1],
		"not base64": strings.Repeat("!", len(tok)),
		"empty":      "",
		"tampered":   flip(tok),
	} {
		if _, ok := ReadToken(key, bad); ok {
			t.Errorf("%s token accepted", name)
		}
	}
}

// The proof of work asked grows with the forms from one address in the
// last minute: none up to the rate, then 18 bits and 2 more per doubling,
// 2 more without the device cookie, never less than the campaign's own.
func TestRequiredWork(t *testing.T) {
	for _, tc := range []struct {
		campaign, rate, lastMinute int
		cookieless                 bool
		want                       int
	}{
		{0, 30, 0, false, 0},
		{0, 30, 29, true, 0},   // under the rate: nothing, cookie or not
		{0, 30, 30, false, 18}, // the 31st in a minute
		{0, 30, 59, false, 18},
		{0, 30, 59, true, 20},  // the 60th, without its cookie
		{0, 30, 60, false, 20}, // 2 × the rate
		{0, 30, 120, false, 22},
		{0, 30, 120, true, MaxWorkBits},
		{0, 30, 100_000, true, MaxWorkBits},
		{12, 30, 0, false, 12}, // the campaign asks of every submit
		{20, 30, 30, false, 20},
		{0, 0, 500, true, 0}, // SUBMIT_RATE=off
	} {
		if got := RequiredWork(tc.campaign, tc.rate, Load{LastMinute: tc.lastMinute}, tc.cookieless); got != tc.want {
			t.Errorf("RequiredWork(%d, %d, %d, %v) = %d, want %d", tc.campaign, tc.rate, tc.lastMinute, tc.cookieless, got, tc.want)
		}
	}
}

func flip(s string) string {
	b := []byte(s)
	if b[3] == 'A' {
		b[3] = 'B'
	} else {
		b[3] = 'A'
	}
	return string(b)
}

func TestUAFamily(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (Linux; Android 10) AppleWebKit/537.36 Chrome/86.0 Mobile Safari/537.36 MicroMessenger/8.0.2": "wechat",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 16_0) AppleWebKit/605.1.15 Version/16.0 Mobile/15E148 Safari/604.1":    "safari",
		"Mozilla/5.0 (Windows NT 10.0) Chrome/120.0 Safari/537.36 Edg/120.0":                                       "edge",
		"curl/8.0": "script",
		"":         "other",
	} {
		if got := UAFamily(ua); got != want {
			t.Errorf("%q: %s, want %s", ua, got, want)
		}
	}
}

// Past a budget the work grows with the excess, like past the rate; with
// SUBMIT_RATE=off nothing beyond the campaign's own level is asked.
func TestRequiredWorkPastABudget(t *testing.T) {
	tenMinutes := &Windows[1]
	for _, tc := range []struct {
		rate       int
		excess     float64
		cookieless bool
		want       int
	}{
		{30, 1.01, false, 18},
		{30, 2.5, false, 20}, // ⌊log₂ 2.5⌋ = 1
		{30, 4, true, 24},
		{30, 100, false, MaxWorkBits},
		{0, 100, true, 0},
	} {
		if got := RequiredWork(0, tc.rate, Load{Over: tenMinutes, Excess: tc.excess}, tc.cookieless); got != tc.want {
			t.Errorf("RequiredWork past a budget ×%.2f (rate %d, cookieless %v) = %d, want %d", tc.excess, tc.rate, tc.cookieless, got, tc.want)
		}
	}
}

// The budgets count per campaign and source, over each window: the 151st
// submission in ten minutes is over, and the source is concentrated since
// ten minutes before; forms served to new devices count on their own; an
// IPv6 phone moving within its /64 stays one source; a day later the
// source starts again.
func TestBudgets(t *testing.T) {
	var b Budgets
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	src := Source("2001:db8:1:2::17")
	if Source("2001:db8:1:2:ffff::1") != src || Source("2001:db8:1:3::17") == src || Source("::ffff:203.0.113.9") != "203.0.113.9" {
		t.Fatalf("sources: %s", src)
	}
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 3 * time.Second) } // 20 a minute
	for i := range 150 {
		if l := b.Load(1, src, at(i)); l.Concentrated() {
			t.Fatalf("submission %d: %s", i+1, l)
		}
		b.Submitted(1, src, at(i))
	}
	l := b.Load(1, src, at(150))
	if l.Over == nil || l.Over.Span != 10*time.Minute || !l.Since(at(150)).Equal(at(150).Add(-10*time.Minute)) || l.InWindow != 151 {
		t.Fatalf("the 151st in ten minutes: %+v", l)
	}
	if other := b.Load(2, src, at(150)); other.Concentrated() {
		t.Errorf("another campaign shares the budget: %s", other)
	}
	for i := range 41 {
		b.Served(3, "203.0.113.9", true, t0.Add(time.Duration(i)*time.Second))
		b.Served(3, "203.0.113.9", false, t0.Add(time.Duration(i)*time.Second)) // a returning device: not counted
	}
	if l := b.Load(3, "203.0.113.9", t0.Add(41*time.Second)); l.Over == nil || l.Over.Span != time.Minute {
		t.Errorf("41 new devices in a minute: %+v", l)
	}
	if l := b.Load(1, src, t0.Add(25*time.Hour)); l.Concentrated() || l.InWindow != 1 {
		t.Errorf("a day later: %+v", l)
	}
}
