package server

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/csv"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"renke/demo"
	"renke/intake"
	"renke/staff"
)

// cookieOf is the value of a client's staff session cookie.
func (e *env) cookieOf(c *http.Client) *http.Cookie {
	u, _ := url.Parse(e.srv.URL + "/api/v1/me")
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == sessionName {
			return ck
		}
	}
	e.t.Fatal("no session cookie")
	return nil
}

// replay asks /api/v1/me with a saved cookie, as a thief holding it would.
func (e *env) replay(ck *http.Cookie) int {
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/v1/me", nil)
	req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Sessions live on the server: an old cookie is worth nothing after
// logout, a new password, a new role or units, disabling the account, or
// the idle and absolute lifetimes.
func TestSessionsAreRevocable(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// The test puts the clerk's password back after each case: a store
	// that keeps no history lets it.
	accounts := staff.NewStore(e.pool).WithPolicy(staff.Policy{MinLength: 10, Classes: 3, History: 0, Idle: staff.IdleCeiling})
	clerk, err := accounts.Create(ctx, "clerk", isolatedPassword, staff.Grant{Role: staff.UnitStaff, Units: []int64{e.demo.Unit.ID}})
	if err != nil {
		t.Fatal(err)
	}
	admin := e.consoleClient()
	security := e.consoleAs(demo.SecurityUsername, demo.Password) // disables accounts and ends sessions (三员分立)

	c := e.apiAs("clerk", isolatedPassword)
	ck := e.cookieOf(c)
	if code := e.replay(ck); code != http.StatusOK {
		t.Fatalf("a live session: %d", code)
	}
	call(t, c, "POST", e.srv.URL+"/api/v1/logout", "")
	if code := e.replay(ck); code != http.StatusUnauthorized {
		t.Errorf("after logout the old cookie gets %d", code)
	}

	// Console logout too.
	k := e.consoleAs("clerk", isolatedPassword)
	u, _ := url.Parse(e.srv.URL + "/console")
	var kc *http.Cookie
	for _, x := range k.c.Jar.Cookies(u) {
		if x.Name == sessionName {
			kc = x
		}
	}
	k.get("/console")
	k.post("/console/logout", url.Values{})
	if code := e.replay(kc); code != http.StatusUnauthorized {
		t.Errorf("after console logout the old cookie gets %d", code)
	}

	for _, tc := range []struct {
		name string
		act  func()
	}{
		{"password reset by an admin", func() {
			admin.get("/console/accounts")
			admin.post(fmt.Sprintf("/console/accounts/%d", clerk.ID), url.Values{"role": {"staff"}, "unit": {itoa(e.demo.Unit.ID)}, "password": {isolatedPassword + "2"}})
		}},
		{"role changed", func() {
			admin.get("/console/accounts")
			admin.post(fmt.Sprintf("/console/accounts/%d", clerk.ID), url.Values{"role": {"reviewer"}, "unit": {itoa(e.demo.Unit.ID)}})
		}},
		{"account disabled", func() {
			security.get("/console/accounts")
			if _, code, _ := security.post(fmt.Sprintf("/console/accounts/%d/disable", clerk.ID), url.Values{}); code != http.StatusSeeOther {
				t.Fatalf("disable: %d", code)
			}
		}},
		{"idle too long", func() {
			_, _ = e.pool.Exec(ctx, `UPDATE staff_sessions SET seen_at = now() - interval '3 hours' WHERE staff_id = $1`, clerk.ID)
		}},
		{"signed in too long ago", func() {
			_, _ = e.pool.Exec(ctx, `UPDATE staff_sessions SET created_at = now() - interval '9 hours' WHERE staff_id = $1`, clerk.ID)
		}},
		{"ended by the security administrator", func() {
			body, _ := security.get("/console/accounts")
			i := strings.Index(body, fmt.Sprintf("/console/accounts/%d/sessions/", clerk.ID))
			if i < 0 {
				t.Fatal("the security administrator sees no session to end")
			}
			path := body[i : i+strings.Index(body[i:], `"`)]
			if _, code, _ := security.post(path, url.Values{}); code != http.StatusSeeOther {
				t.Fatalf("end session: %d", code)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Whatever the last case left: the account enabled, with the
			// password it has, signed in afresh.
			_ = accounts.SetDisabled(ctx, clerk.ID, false)
			_ = accounts.SetPassword(ctx, clerk.ID, isolatedPassword)
			c := e.apiAs("clerk", isolatedPassword)
			ck := e.cookieOf(c)
			if code := e.replay(ck); code != http.StatusOK {
				t.Fatalf("before: %d", code)
			}
			tc.act()
			if code := e.replay(ck); code != http.StatusUnauthorized {
				t.Errorf("the old cookie gets %d", code)
			}
		})
	}

	// A disabled account cannot sign in, and is told so once its password
	// is right.
	_ = accounts.SetDisabled(ctx, clerk.ID, true)
	if body, code := call(t, &http.Client{}, "POST", e.srv.URL+"/api/v1/login", `{"username":"clerk","password":"`+isolatedPassword+`"}`); code != http.StatusForbidden || !strings.Contains(body, "账号已停用") {
		t.Errorf("disabled login: %d %s", code, body)
	}
	if body, code := call(t, &http.Client{}, "POST", e.srv.URL+"/api/v1/login", `{"username":"clerk","password":"wrong-password"}`); code != http.StatusUnauthorized || strings.Contains(body, "停用") {
		t.Errorf("disabled account, wrong password: %d %s", code, body)
	}
}

// State-changing API requests must be JSON from our own origin, login
// included.
func TestAPIRefusesCrossOriginRequests(t *testing.T) {
	e := newEnv(t)
	c := e.staffClient()
	before := e.fingerprint(t)
	send := func(method, path, contentType, body string, header map[string]string) int {
		req, _ := http.NewRequest(method, e.srv.URL+"/api/v1"+path, strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	evil := map[string]string{"Origin": "http://evil.example"}
	unit, cp := itoa(e.demo.Unit.ID), itoa(e.demo.Campaign.ID)
	for _, tc := range []struct {
		name                      string
		method, path, ctype, body string
		header                    map[string]string
	}{
		{"text/plain create campaign, cross-origin", "POST", "/units/" + unit + "/campaigns", "text/plain", `{"title":"x"}`, evil},
		{"text/plain create campaign, no Origin", "POST", "/units/" + unit + "/campaigns", "text/plain", `{"title":"x"}`, nil},
		{"form-encoded link", "POST", "/campaigns/" + cp + "/links", "application/x-www-form-urlencoded", `label=x`, nil},
		{"form-encoded close, cross-origin", "POST", "/campaigns/" + cp + "/close", "application/x-www-form-urlencoded", ``, evil},
		{"JSON, but cross-site by Sec-Fetch-Site", "POST", "/units/" + unit + "/campaigns", "application/json", `{"title":"x"}`, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"JSON close, cross-origin", "POST", "/campaigns/" + cp + "/close", "", ``, evil},
		{"text/plain login, cross-origin", "POST", "/login", "text/plain", `{"username":"admin","password":"` + demo.Password + `"}`, evil},
	} {
		if code := send(tc.method, tc.path, tc.ctype, tc.body, tc.header); code != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", tc.name, code)
		}
	}
	if after := e.fingerprint(t); after != before {
		t.Errorf("refused requests changed the database")
	}
	// From our own page, and from a script (no Origin), JSON goes through.
	if code := send("POST", "/units/"+unit+"/campaigns", "application/json", `{"title":"同源"}`, map[string]string{"Origin": e.srv.URL, "Sec-Fetch-Site": "same-origin"}); code != http.StatusCreated {
		t.Errorf("same-origin JSON: %d", code)
	}
	if code := send("POST", "/units/"+unit+"/campaigns", "application/json; charset=utf-8", `{"title":"脚本"}`, nil); code != http.StatusCreated {
		t.Errorf("script JSON: %d", code)
	}
}

// fingerprint counts what the API could have changed.
func (e *env) fingerprint(t *testing.T) string {
	var campaigns, links, sessions int
	var status string
	err := e.pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM campaigns), (SELECT count(*) FROM links),
		(SELECT count(*) FROM staff_sessions), (SELECT status FROM campaigns WHERE id = $1)`, e.demo.Campaign.ID).Scan(&campaigns, &links, &sessions, &status)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(campaigns, links, sessions, status)
}

// Forty logins at once for one account from one address, one with the
// right password: the failures are counted one after the other, so the
// burst locks after five, like a sequence does.
func TestParallelLoginsLock(t *testing.T) {
	e := newEnv(t)
	codes := make(chan int, 40)
	var wg sync.WaitGroup
	for i := range 40 {
		pw := "wrong-password-" + itoa(int64(i))
		if i == 20 {
			pw = demo.Password
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, code := call(t, &http.Client{}, "POST", e.srv.URL+"/api/v1/login", `{"username":"admin","password":"`+pw+`"}`)
			codes <- code
		}()
	}
	wg.Wait()
	close(codes)
	n := map[int]int{}
	for code := range codes {
		n[code]++
	}
	if checked := n[http.StatusUnauthorized] + n[http.StatusOK]; checked > 5 || n[http.StatusTooManyRequests] < 35 {
		t.Errorf("40 parallel logins: %v; want at most 5 passwords checked and the rest locked", n)
	}
}

// The lock is per source: five failures from a stranger's network lock
// the account there only; the admin's own network still signs in.
func TestLoginLockIsPerSource(t *testing.T) {
	e := newEnvWith(t, func(c *Config) {
		_, loopback, _ := net.ParseCIDR("127.0.0.1/32")
		c.TrustedProxies = []*net.IPNet{loopback}
	})
	login := func(from, password string) (string, int) {
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/login", strings.NewReader(`{"username":"admin","password":"`+password+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", from)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return b.String(), resp.StatusCode
	}
	for range 5 {
		login("203.0.113.9", "wrong-password")
	}
	if body, code := login("203.0.113.9", demo.Password); code != http.StatusTooManyRequests || !strings.Contains(body, "其他网络的登录不受影响") {
		t.Errorf("the stranger's network: %d %s", code, body)
	}
	if body, code := login("198.51.100.7", demo.Password); code != http.StatusOK {
		t.Errorf("the admin's own network: %d %s", code, body)
	}
}

// The CSV export is made for Excel: what a respondent typed never runs as
// a formula there.
func TestCSVExportHasNoLiveFormula(t *testing.T) {
	e := newEnv(t)
	code := e.schoolLink()
	for _, s := range []string{`=HYPERLINK("http://x","y")`, `+cmd|' /C calc'!A0`, `@SUM(1+1)`, "-2+3", "\t=1+1"} {
		f := parentForm(e.token("/s/"+code+"?c=parent"), "A")
		f.Set("suggestion", s)
		if _, status := e.post("/s/"+code, f); status != http.StatusOK {
			t.Fatalf("submit %q: %d", s, status)
		}
	}
	k := e.consoleClient()
	req, _ := http.NewRequest("GET", e.srv.URL+fmt.Sprintf("/console/campaigns/%d/responses.csv", e.demo.Campaign.ID), nil)
	resp, err := k.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil || len(rows) < 6 {
		t.Fatalf("csv: %d rows, %v", len(rows), err)
	}
	found := 0
	for _, row := range rows[1:] {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("a live formula: %q", cell)
			}
			if strings.Contains(cell, "HYPERLINK") || strings.Contains(cell, "calc") {
				found++
			}
		}
	}
	if found != 2 {
		t.Errorf("the suggestions should be kept as text: found %d", found)
	}
}

// Address hashes are keyed per campaign and cut to 22 bits (one value for
// about 1,024 addresses); closing the campaign destroys the key, and then
// not even SESSION_KEY matches a hash to an address.
func TestClosedCampaignHashesCannotBeMatched(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	code := e.schoolLink()
	if _, status := e.post("/s/"+code, parentForm(e.token("/s/"+code+"?c=parent"), "A")); status != http.StatusOK {
		t.Fatal(status)
	}
	var stored []byte
	if err := e.pool.QueryRow(ctx, `SELECT ip_hash FROM responses ORDER BY id DESC LIMIT 1`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	var key []byte
	if err := e.pool.QueryRow(ctx, `SELECT key FROM campaign_keys WHERE campaign_id = $1`, e.demo.Campaign.ID).Scan(&key); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stored, intake.AddressHash(key, "127.0.0.1")) || len(stored) != 3 {
		t.Fatalf("while open, the campaign's key matches the address to one of about 1,024 (the test's premise): %x", stored)
	}
	k := e.consoleClient()
	k.get(fmt.Sprintf("/console/campaigns/%d", e.demo.Campaign.ID))
	if _, status, _ := k.post(fmt.Sprintf("/console/campaigns/%d/close", e.demo.Campaign.ID), url.Values{"confirm": {"yes"}}); status != http.StatusSeeOther {
		t.Fatalf("close: %d", status)
	}
	var left int
	_ = e.pool.QueryRow(ctx, `SELECT count(*) FROM campaign_keys WHERE campaign_id = $1`, e.demo.Campaign.ID).Scan(&left)
	if left != 0 {
		t.Error("the campaign's key outlived it")
	}
	// Everything the holder of SESSION_KEY can derive, tried on the address.
	sk := []byte("test-session-key-0123456789abcdef")
	for _, k := range [][]byte{sk, derive(sk, "ip-hash"), derive(sk, "device-hash"), derive(sk, "form-token"), derive(sk, "cookie-hash")} {
		for _, h := range [][]byte{intake.AddressHash(k, "127.0.0.1"), intake.KeyedHash(k, "ip", "127.0.0.1"), oldHash(k, "127.0.0.1")} {
			if bytes.Equal(h, stored) {
				t.Errorf("a hash of the closed campaign matched the address with a key from SESSION_KEY")
			}
		}
	}
}

// oldHash is how addresses were hashed before keys per campaign.
func oldHash(key []byte, ip string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(ip))
	return m.Sum(nil)[:16]
}

// Only the server's own flash says an action succeeded; a link cannot.
func TestBannersComeFromTheServer(t *testing.T) {
	e := newEnv(t)
	k := e.consoleClient()
	spoof := "已为您开通管理员权限请访问恶意网站"
	for _, path := range []string{"/console/accounts", fmt.Sprintf("/console/campaigns/%d/review", e.demo.Campaign.ID),
		fmt.Sprintf("/console/campaigns/%d", e.demo.Campaign.ID), fmt.Sprintf("/console/units/%d", e.demo.Unit.ID)} {
		if body, _ := k.get(path + "?ok=" + url.QueryEscape(spoof)); strings.Contains(body, spoof) {
			t.Errorf("%s shows the text of ?ok=", path)
		}
	}
	// A real action's message shows once, then is gone.
	k.get(fmt.Sprintf("/console/units/%d", e.demo.Unit.ID))
	_, code, loc := k.post(fmt.Sprintf("/console/units/%d/schools", e.demo.Unit.ID), url.Values{"name": {"新学校"}, "type": {"primary"}, "locale": {"urban"}})
	if code != http.StatusSeeOther || strings.Contains(loc, "ok=") {
		t.Fatalf("add school: %d %s", code, loc)
	}
	if body, _ := k.get(loc); !strings.Contains(body, "已添加 新学校") {
		t.Error("the flash did not show")
	}
	if body, _ := k.get(loc); strings.Contains(body, "已添加 新学校") {
		t.Error("the flash showed twice")
	}
}
