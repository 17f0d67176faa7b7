package server

import (
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"renke/staff"
	"renke/survey"
)

func TestConfigFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := ConfigFromEnv(env(map[string]string{}))
	if err != nil || c.ListenAddr != "127.0.0.1:8080" || c.DataDir != ".data" || len(c.TrustedProxies) != 0 {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	sm2key, _ := survey.GenerateSM2Key("survey.example.gov.cn")
	edKey, _ := survey.GenerateLogKey("survey.example.gov.cn")
	if c, err := ConfigFromEnv(env(map[string]string{"LOG_KEY": edKey, "LOG_SM2_KEY": sm2key})); err != nil || c.LogSM2Key != sm2key {
		t.Errorf("LOG_SM2_KEY: %v", err)
	} else if k, err := c.ParseLogKey(); err != nil || k.SM2VerifierKey() == "" {
		t.Errorf("the log key with its SM2 line: %v", err)
	}
	if c.Policy != staff.DefaultPolicy || c.Policy.Idle != 30*time.Minute {
		t.Errorf("default policy: %+v", c.Policy)
	}
	c, err = ConfigFromEnv(env(map[string]string{"PASSWORD_MIN_LENGTH": "12", "PASSWORD_CLASSES": "4", "PASSWORD_HISTORY": "0", "SESSION_IDLE_MINUTES": "15"}))
	if err != nil || c.Policy != (staff.Policy{MinLength: 12, Classes: 4, History: 0, Idle: 15 * time.Minute}) {
		t.Errorf("policy: %+v %v", c.Policy, err)
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
		"password too short": {"PASSWORD_MIN_LENGTH": "6"},
		"one class":          {"PASSWORD_CLASSES": "1"},
		"history of 100":     {"PASSWORD_HISTORY": "100"},
		"idle an hour":       {"SESSION_IDLE_MINUTES": "60"},
		"SM2 key not a key":  {"LOG_SM2_KEY": "PRIVATE+KEY+x+00000000+AAAA"},
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
