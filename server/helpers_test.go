package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"renke/dbtest"
	"renke/demo"
	"renke/staff"
	"renke/survey"
)

func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(logOut(), nil)))
	os.Exit(dbtest.Main(m))
}

// env is a running server on a fresh database with the demo county.
type env struct {
	t    *testing.T
	pool *pgxpool.Pool
	srv  *httptest.Server
	demo *demo.Seeded
	// devices keeps the device cookie each form was served with, by its
	// token: e.post sends it back, as the phone the form went to would.
	mu      sync.Mutex
	devices map[string]*http.Cookie
	// factors are the second factors the tests enrolled, by username.
	factors map[string]*factor
}

// factor is what the tests know of an account's second factor: its TOTP
// secret, its unused recovery codes, and the newest step a code was used
// for (a code is good once).
type factor struct {
	secret string
	codes  []string
	step   int64
}

// totpAt is the account's code of a 30-second step.
func totpAt(t testing.TB, secret string, step int64) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, time.Unix(step*30, 0), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// nextCode is a code the server will take for the enrolled account: this
// step's, else the next step's (as from a phone half a minute fast), else
// a recovery code, else this step's after waiting for it.
func (e *env) nextCode(username string) string {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	f := e.factors[username]
	if f == nil {
		e.t.Fatalf("%s has no second factor the tests know", username)
	}
	for {
		now := time.Now().Unix() / 30
		switch {
		case now > f.step:
			f.step = now
			return totpAt(e.t, f.secret, now)
		case now+1 > f.step:
			f.step = now + 1
			return totpAt(e.t, f.secret, now+1)
		case len(f.codes) > 0:
			c := f.codes[0]
			f.codes = f.codes[1:]
			return c
		}
		time.Sleep(time.Second)
	}
}

// passSecondFactor passes the second factor of a client's session, through
// the API, when its account needs one: enrolling it first if the tests
// have not.
func (e *env) passSecondFactor(c *http.Client, username string) {
	e.t.Helper()
	body, code := call(e.t, c, "GET", e.srv.URL+"/api/v1/me", "")
	var me struct {
		Role         string `json:"role"`
		SecondFactor bool   `json:"second_factor"`
	}
	if err := json.Unmarshal([]byte(body), &me); code != http.StatusOK || err != nil {
		e.t.Fatalf("me: %d %s", code, body)
	}
	if !staff.Role(me.Role).Administrator() && !me.SecondFactor {
		return
	}
	e.mu.Lock()
	known := e.factors[username] != nil
	e.mu.Unlock()
	if !known {
		body, code := call(e.t, c, "POST", e.srv.URL+"/api/v1/second-factor/enrolment", "")
		var en struct{ Secret string }
		if err := json.Unmarshal([]byte(body), &en); code != http.StatusCreated || err != nil {
			e.t.Fatalf("enrolment: %d %s", code, body)
		}
		step := time.Now().Unix() / 30
		body, code = call(e.t, c, "POST", e.srv.URL+"/api/v1/second-factor/enrolment/confirm", `{"code":"`+totpAt(e.t, en.Secret, step)+`"}`)
		var out struct {
			RecoveryCodes []string `json:"recovery_codes"`
		}
		if err := json.Unmarshal([]byte(body), &out); code != http.StatusOK || err != nil || len(out.RecoveryCodes) != 10 {
			e.t.Fatalf("confirm: %d %s", code, body)
		}
		e.mu.Lock()
		e.factors[username] = &factor{secret: en.Secret, codes: out.RecoveryCodes, step: step}
		e.mu.Unlock()
		return
	}
	if body, code := call(e.t, c, "POST", e.srv.URL+"/api/v1/second-factor", `{"code":"`+e.nextCode(username)+`"}`); code != http.StatusNoContent {
		e.t.Fatalf("second factor: %d %s", code, body)
	}
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, nil)
}

// logSize is the demo campaign's log size.
func (e *env) logSize() int64 {
	e.t.Helper()
	var n int64
	if err := e.pool.QueryRow(context.Background(), `SELECT log_size FROM campaigns WHERE id = $1`, e.demo.Campaign.ID).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// testLogKey signs the checkpoints of the servers these tests start,
// unless a test sets its own.
var testLogKey = func() string {
	k, err := survey.GenerateLogKey("test.localhost")
	if err != nil {
		panic(err)
	}
	return k
}()

// newEnvWith is newEnv with a configuration change.
func newEnvWith(t *testing.T, tune func(*Config)) *env {
	t.Helper()
	pool := dbtest.New(t)
	cfg := Config{SessionKey: []byte("test-session-key-0123456789abcdef"), LogKey: testLogKey}
	if tune != nil {
		tune(&cfg)
	}
	key, err := survey.ParseLogKey(cfg.LogKey)
	if err != nil {
		t.Fatal(err)
	}
	// The demo campaign opens under the server's key: its log's first
	// checkpoint is the server's.
	seeded, err := demo.SeedWith(context.Background(), pool, demo.Options{LogKey: key})
	if err != nil || seeded == nil {
		t.Fatalf("seed: %v", err)
	}
	// The tests' respondents post at once, where a parent takes minutes:
	// no minimum fill time, so an honest test response is not held for
	// review as "fast" (the stuffing tests set their own).
	if _, err := pool.Exec(context.Background(), `UPDATE campaigns SET min_fill_seconds = 0`); err != nil {
		t.Fatal(err)
	}
	h, err := New(cfg, pool)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, pool: pool, srv: srv, demo: seeded, devices: map[string]*http.Cookie{}, factors: map[string]*factor{}}
}

// link returns the code of the demo link with the label.
func (e *env) link(label string) string {
	for _, l := range e.demo.Links {
		if l.Label == label {
			return l.Code
		}
	}
	e.t.Fatalf("no demo link %q", label)
	return ""
}

// schoolLink is the parents' link of 示范县实验小学 (urban primary).
func (e *env) schoolLink() string { return e.link("示范县实验小学家长") }

var tokenRE = regexp.MustCompile(`name="token" value="([^"]+)"`)

// token GETs a form as a new phone and returns its submission token; the
// device cookie the phone was given goes back with e.post of the token.
func (e *env) token(path string) string {
	e.t.Helper()
	resp, err := http.Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	m := tokenRE.FindSubmatch(b)
	if m == nil {
		e.t.Fatalf("GET %s: no token in\n%s", path, b)
	}
	for _, c := range resp.Cookies() {
		if c.Name == deviceCookie {
			e.mu.Lock()
			e.devices[string(m[1])] = c
			e.mu.Unlock()
		}
	}
	return string(m[1])
}

func (e *env) get(path string) (string, int) {
	e.t.Helper()
	resp, err := http.Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode
}

// postFlagged sends a form without the device cookie its phone was given,
// as a script that keeps no cookies does: the response is flagged, and so
// held for review.
func (e *env) postFlagged(path string, form url.Values) (string, int) {
	e.t.Helper()
	return e.postRaw(path, "application/x-www-form-urlencoded", form.Encode())
}

// deviceOf is the device cookie the phone of a token from e.token was given.
func (e *env) deviceOf(token string) *http.Cookie {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c := e.devices[token]; c != nil {
		return c
	}
	e.t.Fatalf("no device for token %.12s…", token)
	return nil
}

// post sends a form; one with a token from e.token carries the device
// cookie its phone was given.
func (e *env) post(path string, form url.Values) (string, int) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	e.mu.Lock()
	if c := e.devices[form.Get("token")]; c != nil {
		req.AddCookie(c)
	}
	e.mu.Unlock()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode
}

func (e *env) postRaw(path, contentType, body string) (string, int) {
	e.t.Helper()
	resp, err := http.Post(e.srv.URL+path, contentType, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode
}

// answers is a complete social questionnaire with every item answered opt.
func answers(opt string) url.Values {
	v := url.Values{}
	for i := 1; i <= 12; i++ {
		v.Set("a_S"+twoDigits(i), opt)
	}
	return v
}

func twoDigits(i int) string { return string([]byte{byte('0' + i/10), byte('0' + i%10)}) }

// parentForm is a valid parent submission at the school link.
func parentForm(token, opt string) url.Values {
	v := answers(opt)
	v.Set("token", token)
	v.Set("category", "parent")
	v.Set("band", "3-4")
	return v
}

var receiptRE = regexp.MustCompile(`class="receipt">([A-Z0-9]+)<`)

func receipt(body string) string {
	if m := receiptRE.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

// dbState is a fingerprint of everything a submission writes.
type dbState struct{ responses, answers, admitted int64 }

func (e *env) state() dbState {
	e.t.Helper()
	var s dbState
	err := e.pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM responses), (SELECT coalesce(sum(cardinality(answers)), 0) FROM responses),
		(SELECT coalesce(sum(admitted), 0) FROM quota_cells)`).Scan(&s.responses, &s.answers, &s.admitted)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// staffClient is an HTTP client logged in as the demo admin.
func (e *env) staffClient() *http.Client { return e.apiAs(demo.Username, demo.Password) }

// apiAs is an HTTP client logged in to the API as an account.
func (e *env) apiAs(username, password string) *http.Client {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Post(e.srv.URL+"/api/v1/login", "application/json",
		strings.NewReader(`{"username":"`+username+`","password":"`+password+`"}`))
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("login: %d", resp.StatusCode)
	}
	e.passSecondFactor(c, username)
	return c
}

func call(t *testing.T, c *http.Client, method, url, body string) (string, int) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode
}

// logOut is where the server logs go in tests: nowhere, unless
// RENKE_TEST_LOG is set.
func logOut() io.Writer {
	if os.Getenv("RENKE_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}
