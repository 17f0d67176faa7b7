package server

import (
	"crypto/rand"
	"renke/survey"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
)

func TestConfigFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := ConfigFromEnv(env(map[string]string{}))
	if err != nil || c.ListenAddr != "127.0.0.1:8080" || c.DataDir != ".data" || len(c.TrustedProxies) != 0 {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, err = ConfigFromEnv(env(map[string]string{"TRUSTED_PROXIES": "10.0.0.1, 172.16.0.0/12,::1", "BASE_URL": "https://survey.example.gov.cn/"}))
	if err != nil || len(c.TrustedProxies) != 3 || c.BaseURL != "https://survey.example.gov.cn" || !c.Secure() {
		t.Fatalf("proxies and base: %+v %v", c, err)
	}
	logKey, _ := survey.GenerateLogKey("survey.example.gov.cn")
	_, witnessKey, _ := note.GenerateKey(rand.Reader, "city.example")
	c, err = ConfigFromEnv(env(map[string]string{"LOG_KEY": logKey + "\n", "WITNESS_KEYS": witnessKey + ", " + witnessKey}))
	if err != nil || c.LogKey != logKey || len(c.WitnessKeys) != 2 {
		t.Fatalf("log and witness keys: %+v %v", c, err)
	}
	for name, m := range map[string]map[string]string{
		"short key":          {"SESSION_KEY": "short"},
		"bad proxy":          {"TRUSTED_PROXIES": "not-an-ip"},
		"relative URL":       {"BASE_URL": "survey.example.gov.cn"},
		"log key not a key":  {"LOG_KEY": "secret"},
		"log key public":     {"LOG_KEY": witnessKey},
		"witness key broken": {"WITNESS_KEYS": witnessKey + ",city+1234+AAAA"},
	} {
		_, err := ConfigFromEnv(env(m))
		var variable string
		for k := range m {
			variable = k
		}
		if err == nil || !strings.Contains(err.Error(), variable) {
			t.Errorf("%s: %v, want an error naming %s", name, err, variable)
		}
	}
}

func TestFormToken(t *testing.T) {
	key := derive([]byte("k"), "form-token")
	now := time.UnixMilli(1_790_000_000_123)
	want := formToken{Rendered: now, Campaign: 7, Link: 42, Device: deviceTag(key, "AAAAAAAAAAAAAAAAAAAAAA")}
	tok := newToken(key, want)
	got, ok := readToken(key, tok)
	if !ok || len(got.Submission) != 22 || !got.Rendered.Equal(now) || got.Campaign != 7 || got.Link != 42 || got.Device != want.Device {
		t.Fatalf("read back: %+v %v", got, ok)
	}
	if deviceTag(key, "") != [8]byte{} || deviceTag(key, "a") == deviceTag(key, "b") {
		t.Error("device tags: none is zero, two cookies differ")
	}
	if other := newToken(key, want); other == tok {
		t.Error("two forms got the same token")
	}
	for name, bad := range map[string]string{
		"other key":  newToken(derive([]byte("other"), "form-token"), want),
		"truncated":  tok[:len(tok)-1],
		"not base64": strings.Repeat("!", len(tok)),
		"empty":      "",
		"tampered":   flip(tok),
	} {
		if _, ok := readToken(key, bad); ok {
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
		if got := requiredWork(tc.campaign, tc.rate, tc.lastMinute, tc.cookieless); got != tc.want {
			t.Errorf("requiredWork(%d, %d, %d, %v) = %d, want %d", tc.campaign, tc.rate, tc.lastMinute, tc.cookieless, got, tc.want)
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
		if got := uaFamily(ua); got != want {
			t.Errorf("%q: %s, want %s", ua, got, want)
		}
	}
}
