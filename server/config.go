// Package server turns HTTP requests into calls on the domain packages.
package server

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"renke/staff"
	"renke/survey"
)

// Config is the service configuration, read only from the environment.
type Config struct {
	DatabaseURL    string       // DATABASE_URL; empty: run a local cluster (development)
	ListenAddr     string       // LISTEN_ADDR, default 127.0.0.1:8080
	BaseURL        string       // BASE_URL, the public address QR codes point at; empty: from the request
	SessionKey     []byte       // SESSION_KEY, at least 32 characters
	TrustedProxies []*net.IPNet // TRUSTED_PROXIES: comma-separated CIDRs or addresses of reverse proxies
	DataDir        string       // DATA_DIR, for the local development cluster, default .data
	ProfilesDir    string       // PROFILES_DIR: extra evaluation profiles (*.json) beside the built-in ones
	// SUBMIT_RATE: submissions a minute from one client address before the
	// form asks for a proof of work; default 30, "off" never asks. The
	// zero Config (tests) has no limit.
	SubmitRate int
	// WeChat service account for campaigns that require WeChat sign-in:
	// WECHAT_APP_ID and WECHAT_APP_SECRET (both or neither), and the OAuth
	// endpoints WECHAT_AUTHORIZE_URL and WECHAT_TOKEN_URL (default
	// WeChat's own).
	WeChatAppID, WeChatSecret          string
	WeChatAuthorizeURL, WeChatTokenURL string
	// LOG_KEY: the Ed25519 signed-note private key (PRIVATE+KEY+name+…)
	// that signs the sample logs' checkpoints. Unset, the command keeps one
	// in DATA_DIR/log.key, made on the first start; the zero Config
	// (tests) signs with a key of the process's own.
	LogKey string
	// LOG_SM2_KEY: an SM2 private key (renke log-key -sm2 NAME) of the log
	// key's name; set, every checkpoint and package manifest carries an SM2
	// signature line beside the Ed25519 one (商用密码).
	LogSM2Key string
	// WITNESS_KEYS: comma-separated verifier keys (name+hash+key) of the
	// witnesses whose cosignatures the server keeps and prints.
	WitnessKeys []string
	// The staff password and session policy: PASSWORD_MIN_LENGTH (default
	// 10, at least 8), PASSWORD_CLASSES (kinds of character, default 3 of
	// 4), PASSWORD_HISTORY (last passwords not reused, default 5) and
	// SESSION_IDLE_MINUTES (default 30, at most 30). The zero Config (tests)
	// has staff.DefaultPolicy.
	Policy staff.Policy
}

// policy is the staff policy of c: DefaultPolicy where unset.
func (c Config) policy() staff.Policy {
	if c.Policy == (staff.Policy{}) {
		return staff.DefaultPolicy
	}
	return c.Policy
}

// DefaultSubmitRate is SUBMIT_RATE when unset: a school's parents behind one
// address rarely submit more than one every two seconds, sustained.
const DefaultSubmitRate = 30

// ConfigFromEnv reads the configuration with getenv (os.Getenv).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		DatabaseURL: getenv("DATABASE_URL"),
		ListenAddr:  getenv("LISTEN_ADDR"),
		BaseURL:     strings.TrimRight(getenv("BASE_URL"), "/"),
		SessionKey:  []byte(getenv("SESSION_KEY")),
		DataDir:     getenv("DATA_DIR"),
		ProfilesDir: getenv("PROFILES_DIR"),
	}
	if c.ListenAddr == "" {
		c.ListenAddr = "127.0.0.1:8080"
	}
	if c.DataDir == "" {
		c.DataDir = ".data"
	}
	switch r := getenv("SUBMIT_RATE"); r {
	case "":
		c.SubmitRate = DefaultSubmitRate
	case "off":
	default:
		n, err := strconv.Atoi(r)
		if err != nil || n < 1 || n > 100000 {
			return c, fmt.Errorf("SUBMIT_RATE %q: want submissions per minute (1 to 100000) or off", r)
		}
		c.SubmitRate = n
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fmt.Errorf("BASE_URL %q: want an absolute http(s) URL such as https://survey.example.gov.cn", c.BaseURL)
		}
	}
	if len(c.SessionKey) > 0 && len(c.SessionKey) < 32 {
		return c, errors.New("SESSION_KEY must be at least 32 characters")
	}
	for _, p := range strings.Split(getenv("TRUSTED_PROXIES"), ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !strings.Contains(p, "/") {
			if ip := net.ParseIP(p); ip != nil && ip.To4() != nil {
				p += "/32"
			} else {
				p += "/128"
			}
		}
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			return c, fmt.Errorf("TRUSTED_PROXIES: %q is not an address or CIDR", p)
		}
		c.TrustedProxies = append(c.TrustedProxies, n)
	}
	c.WeChatAppID, c.WeChatSecret = getenv("WECHAT_APP_ID"), getenv("WECHAT_APP_SECRET")
	if (c.WeChatAppID == "") != (c.WeChatSecret == "") {
		return c, errors.New("WECHAT_APP_ID and WECHAT_APP_SECRET: set both (a service account's AppID and AppSecret) or neither")
	}
	c.WeChatAuthorizeURL, c.WeChatTokenURL = getenv("WECHAT_AUTHORIZE_URL"), getenv("WECHAT_TOKEN_URL")
	for name, v := range map[string]string{"WECHAT_AUTHORIZE_URL": c.WeChatAuthorizeURL, "WECHAT_TOKEN_URL": c.WeChatTokenURL} {
		if u, err := url.Parse(v); v != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "") {
			return c, fmt.Errorf("%s %q: want an absolute http(s) URL", name, v)
		}
	}
	if k := strings.TrimSpace(getenv("LOG_KEY")); k != "" {
		if _, err := survey.ParseLogKey(k); err != nil {
			return c, fmt.Errorf("LOG_KEY: %v", err)
		}
		c.LogKey = k
	}
	c.Policy = staff.DefaultPolicy
	for _, v := range []struct {
		name   string
		into   *int
		lo, hi int
	}{
		{"PASSWORD_MIN_LENGTH", &c.Policy.MinLength, staff.MinPasswordFloor, 72},
		{"PASSWORD_CLASSES", &c.Policy.Classes, 2, 4},
		{"PASSWORD_HISTORY", &c.Policy.History, 0, 24},
	} {
		if raw := strings.TrimSpace(getenv(v.name)); raw != "" {
			n, err := strconv.Atoi(raw)
			if err != nil || n < v.lo || n > v.hi {
				return c, fmt.Errorf("%s %q: want a whole number from %d to %d", v.name, raw, v.lo, v.hi)
			}
			*v.into = n
		}
	}
	if raw := strings.TrimSpace(getenv("SESSION_IDLE_MINUTES")); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > int(staff.IdleCeiling/time.Minute) {
			return c, fmt.Errorf("SESSION_IDLE_MINUTES %q: want 1 to %d (等级保护: a staff session left idle ends within 30 minutes)", raw, int(staff.IdleCeiling/time.Minute))
		}
		c.Policy.Idle = time.Duration(n) * time.Minute
	}
	if k := strings.TrimSpace(getenv("LOG_SM2_KEY")); k != "" {
		if _, _, err := survey.NewSM2Signer(k); err != nil {
			return c, fmt.Errorf("LOG_SM2_KEY: %v", err)
		}
		c.LogSM2Key = k
	}
	for _, k := range strings.Split(getenv("WITNESS_KEYS"), ",") {
		if k = strings.TrimSpace(k); k == "" {
			continue
		}
		if _, err := survey.NewWitnessVerifier(k); err != nil {
			return c, fmt.Errorf("WITNESS_KEYS: %q is not a witness's verifier key (name+hash+key): %v", k, err)
		}
		c.WitnessKeys = append(c.WitnessKeys, k)
	}
	return c, nil
}

// ParseLogKey is the deployment's checkpoint key from LOG_KEY, with the
// SM2 line of LOG_SM2_KEY when it is set.
func (c Config) ParseLogKey() (*survey.LogKey, error) {
	k, err := survey.ParseLogKey(c.LogKey)
	if err != nil {
		return nil, fmt.Errorf("LOG_KEY: %w", err)
	}
	if c.LogSM2Key != "" {
		if err := k.WithSM2(c.LogSM2Key); err != nil {
			return nil, fmt.Errorf("LOG_SM2_KEY: %w", err)
		}
	}
	return k, nil
}

// Secure reports whether the public address is https, so cookies are Secure.
func (c Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// MemoryLimit is the server's soft memory limit (GOMEMLIMIT overrides
// it): near it the garbage collector runs more often, so a large export
// or a busy evening stays within a small server's memory.
const MemoryLimit = 128 << 20

// GCPercent is the server's garbage-collection target (GOGC overrides it).
// The live heap is small, so collecting at 100% growth ran the collector
// several times a second on a busy evening, a tenth of the server's time;
// MemoryLimit still bounds the heap.
const GCPercent = 400
