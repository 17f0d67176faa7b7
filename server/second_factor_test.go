package server

import (
	"encoding/base64"
	"encoding/json"
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"renke/demo"
	"renke/staff"
)

// rawLogin is an API session signed in with the password alone.
func (e *env) rawLogin(username, password string) *http.Client {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if body, code := call(e.t, c, "POST", e.srv.URL+"/api/v1/login", `{"username":"`+username+`","password":"`+password+`"}`); code != http.StatusOK {
		e.t.Fatalf("login: %d %s", code, body)
	}
	return c
}

// An administrator acts only after a second factor: enrolled by QR (the
// image decodes to the secret's otpauth:// URL) and a first code; each
// later session needs a code, which is good once, or a recovery code,
// good once too; the admin's reset ends the sessions and asks for a new
// enrolment. An ordinary account is not asked until it enrols.
func TestSecondFactorForAdministrators(t *testing.T) {
	e := newEnv(t)
	units := e.srv.URL + "/api/v1/units"
	a := e.rawLogin(demo.Username, demo.Password)
	if body, code := call(t, a, "GET", units, ""); code != http.StatusForbidden || !strings.Contains(body, "二次验证") {
		t.Fatalf("an admin without a second factor: %d %s", code, body)
	}
	if _, code := call(t, a, "POST", e.srv.URL+"/api/v1/units", `{"code":"x1","name":"乙县","kind":"county","population":1,"shares":{"urban":10000,"town":0,"rural":0}}`); code != http.StatusForbidden {
		t.Errorf("an admin without a second factor creates a unit: %d", code)
	}
	if body, code := call(t, a, "GET", e.srv.URL+"/api/v1/me", ""); code != http.StatusOK || !strings.Contains(body, `"second_factor":false`) {
		t.Errorf("me before the second factor: %d %s", code, body)
	}

	// Enrolment in the console: the QR code carries the secret.
	k := e.anonymousConsole()
	k.get("/console/login")
	if _, code, loc := k.post("/console/login", url.Values{"username": {demo.Username}, "password": {demo.Password}, "next": {"/console/units/new"}}); code != http.StatusSeeOther || loc != "/console/units/new" {
		t.Fatalf("console login: %d %s", code, loc)
	}
	if _, code, loc := k.do(mustGet(t, e.srv.URL+"/console/units/new")); code != http.StatusSeeOther || loc != "/console/second-factor?next="+url.QueryEscape("/console/units/new") {
		t.Fatalf("the console before the second factor: %d %s", code, loc)
	}
	page, _ := k.get("/console/second-factor?next=%2Fconsole%2Funits%2Fnew")
	secret := regexp.MustCompile(`id="secret">([A-Z2-7]+)<`).FindStringSubmatch(page)
	img := regexp.MustCompile(`src="data:image/png;base64,([^"]+)"`).FindStringSubmatch(page)
	if secret == nil || img == nil {
		t.Fatalf("no enrolment on the page:\n%.2000s", page)
	}
	png, err := base64.StdEncoding.DecodeString(html.UnescapeString(img[1]))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "totp.png")
	_ = os.WriteFile(file, png, 0o644)
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Fatal("zbarimg not found: install zbar-tools (make test does)")
	}
	out, err := exec.Command(zbar, "--raw", "-q", file).Output()
	if got := strings.TrimSpace(string(out)); err != nil || !strings.HasPrefix(got, "otpauth://totp/") || !strings.Contains(got, "secret="+secret[1]) {
		t.Errorf("the QR code reads %q (%v)", got, err)
	}
	step := time.Now().Unix() / 30
	if body, code, _ := k.post("/console/second-factor/enrolment", url.Values{"code": {"12345"}, "next": {"/console/units/new"}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "不正确") {
		t.Errorf("a wrong first code: %d", code)
	}
	body, code, _ := k.post("/console/second-factor/enrolment", url.Values{"code": {totpAt(t, secret[1], step)}, "next": {"/console/units/new"}})
	codes := regexp.MustCompile(`<li>([2-9A-Z]{5}-[2-9A-Z]{5})</li>`).FindAllStringSubmatch(body, -1)
	if code != http.StatusOK || len(codes) != staff.RecoveryCodes || !strings.Contains(body, `href="/console/units/new"`) {
		t.Fatalf("confirming: %d, %d recovery codes\n%.1500s", code, len(codes), body)
	}
	if _, code := k.get("/console/units/new"); code != http.StatusOK {
		t.Errorf("after enrolling, the console: %d", code)
	}
	// The API session of before is still held; it passes with a code.
	if body, code := call(t, a, "POST", e.srv.URL+"/api/v1/second-factor", `{"code":"`+totpAt(t, secret[1], step)+`"}`); code != http.StatusUnprocessableEntity {
		t.Errorf("the enrolling code used again: %d %s", code, body)
	}
	if body, code := call(t, a, "POST", e.srv.URL+"/api/v1/second-factor", `{"code":"`+strings.ToLower(codes[0][1])+`"}`); code != http.StatusNoContent {
		t.Errorf("a recovery code: %d %s", code, body)
	}
	if _, code := call(t, a, "GET", units, ""); code != http.StatusOK {
		t.Errorf("after the second factor: %d", code)
	}
	b := e.rawLogin(demo.Username, demo.Password)
	if body, code := call(t, b, "POST", e.srv.URL+"/api/v1/second-factor", `{"code":"`+codes[0][1]+`"}`); code != http.StatusUnprocessableEntity {
		t.Errorf("a recovery code twice: %d %s", code, body)
	}
	if body, code := call(t, b, "POST", e.srv.URL+"/api/v1/second-factor", `{"code":"`+totpAt(t, secret[1], step+1)+`"}`); code != http.StatusNoContent {
		t.Errorf("the next step's code: %d %s", code, body)
	}
	if _, code := call(t, b, "GET", units, ""); code != http.StatusOK {
		t.Errorf("the second session after its code: %d", code)
	}

	// An ordinary account is not asked; once it enrols, it is.
	if _, err := staff.NewStore(e.pool).Create(t.Context(), "county-staff", "password-2026-x", staff.Grant{Role: staff.UnitStaff, Units: []int64{e.demo.Unit.ID}}); err != nil {
		t.Fatal(err)
	}
	s := e.rawLogin("county-staff", "password-2026-x")
	if _, code := call(t, s, "GET", units, ""); code != http.StatusOK {
		t.Errorf("unit staff without a second factor: %d", code)
	}
	body, _ = call(t, s, "POST", e.srv.URL+"/api/v1/second-factor/enrolment", "")
	var en staff.Enrolment
	_ = json.Unmarshal([]byte(body), &en)
	if body, code := call(t, s, "POST", e.srv.URL+"/api/v1/second-factor/enrolment/confirm", `{"code":"`+totpAt(t, en.Secret, time.Now().Unix()/30)+`"}`); code != http.StatusOK {
		t.Fatalf("unit staff enrols: %d %s", code, body)
	}
	if _, code := call(t, e.rawLogin("county-staff", "password-2026-x"), "GET", units, ""); code != http.StatusForbidden {
		t.Errorf("unit staff that enrolled, without a code: %d", code)
	}

	// The admin resets the staff member's enrolment (a lost phone): its
	// sessions end, and it is not asked again.
	var id int64
	_ = e.pool.QueryRow(t.Context(), `SELECT id FROM staff WHERE username = 'county-staff'`).Scan(&id)
	if _, code, _ := k.post("/console/accounts/"+strconv.FormatInt(id, 10)+"/second-factor/reset", url.Values{}); code != http.StatusForbidden {
		t.Errorf("the system administrator resets a second factor: %d", code)
	}
	sec := e.consoleAs(demo.SecurityUsername, demo.Password) // the security administrator's act (三员分立)
	sec.get("/console/accounts")
	if _, code, _ := sec.post("/console/accounts/"+strconv.FormatInt(id, 10)+"/second-factor/reset", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("reset: %d", code)
	}
	if _, code := call(t, s, "GET", units, ""); code != http.StatusUnauthorized {
		t.Errorf("a session of the reset account: %d", code)
	}
	if _, code := call(t, e.rawLogin("county-staff", "password-2026-x"), "GET", units, ""); code != http.StatusOK {
		t.Errorf("after the reset, unit staff: %d", code)
	}
	var actions int
	_ = e.pool.QueryRow(t.Context(), `SELECT count(*) FROM audit_log WHERE action IN ('绑定动态口令', '二次验证', '解除动态口令绑定')`).Scan(&actions)
	if actions < 5 {
		t.Errorf("%d second-factor acts in the audit log", actions)
	}
}

func mustGet(t *testing.T, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
