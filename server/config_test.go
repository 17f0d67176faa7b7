package server

import (
	"strings"
	"testing"
	"time"
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
	for name, m := range map[string]map[string]string{
		"short key":    {"SESSION_KEY": "short"},
		"bad proxy":    {"TRUSTED_PROXIES": "not-an-ip"},
		"relative URL": {"BASE_URL": "survey.example.gov.cn"},
	} {
		if _, err := ConfigFromEnv(env(m)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestFormToken(t *testing.T) {
	key := derive([]byte("k"), "form-token")
	now := time.UnixMilli(1_790_000_000_123)
	tok := newToken(key, now)
	sid, at, ok := readToken(key, tok)
	if !ok || len(sid) != 22 || !at.Equal(now) {
		t.Fatalf("read back: %q %v %v", sid, at, ok)
	}
	if other := newToken(key, now); other == tok {
		t.Error("two forms got the same token")
	}
	for name, bad := range map[string]string{
		"other key":  newToken(derive([]byte("other"), "form-token"), now),
		"truncated":  tok[:len(tok)-1],
		"not base64": strings.Repeat("!", len(tok)),
		"empty":      "",
		"tampered":   flip(tok),
	} {
		if _, _, ok := readToken(key, bad); ok {
			t.Errorf("%s token accepted", name)
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
