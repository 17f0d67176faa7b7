package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"renke/intake"
)

// fakeWeChat is a local stand-in for WeChat's web authorisation, following
// its published protocol: /connect/oauth2/authorize redirects to
// redirect_uri with a code and the state; /sns/oauth2/access_token
// exchanges the code, once, for an openid, and answers its error codes
// (40013 invalid appid, 40125 invalid appsecret, 40029 invalid code,
// 40163 code been used).
type fakeWeChat struct {
	srv           *httptest.Server
	appID, secret string
	mu            sync.Mutex
	user          string            // the openid the next authorisation signs in
	codes         map[string]string // code → openid
	used          map[string]bool
}

func newFakeWeChat(t *testing.T) *fakeWeChat {
	f := &fakeWeChat{appID: "wx1234567890abcdef", secret: "fake-secret", codes: map[string]string{}, used: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/connect/oauth2/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("appid") != f.appID || q.Get("scope") != "snsapi_base" || q.Get("response_type") != "code" {
			http.Error(w, "参数错误", http.StatusBadRequest)
			return
		}
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		code := hex.EncodeToString(b)
		f.mu.Lock()
		f.codes[code] = f.user
		f.mu.Unlock()
		back, _ := url.Parse(q.Get("redirect_uri"))
		bq := back.Query()
		bq.Set("code", code)
		bq.Set("state", q.Get("state"))
		back.RawQuery = bq.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	})
	mux.HandleFunc("/sns/oauth2/access_token", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		answer := func(v any) { _ = json.NewEncoder(w).Encode(v) }
		f.mu.Lock()
		defer f.mu.Unlock()
		openid, known := f.codes[q.Get("code")]
		switch {
		case q.Get("appid") != f.appID:
			answer(map[string]any{"errcode": 40013, "errmsg": "invalid appid"})
		case q.Get("secret") != f.secret:
			answer(map[string]any{"errcode": 40125, "errmsg": "invalid appsecret"})
		case !known:
			answer(map[string]any{"errcode": 40029, "errmsg": "invalid code"})
		case f.used[q.Get("code")]:
			answer(map[string]any{"errcode": 40163, "errmsg": "code been used"})
		default:
			f.used[q.Get("code")] = true
			answer(map[string]any{"access_token": "ACCESS", "expires_in": 7200, "refresh_token": "REFRESH", "openid": openid, "scope": "snsapi_base"})
		}
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeWeChat) signInAs(openid string) {
	f.mu.Lock()
	f.user = openid
	f.mu.Unlock()
}

const wechatUA = "Mozilla/5.0 (Linux; Android 12) AppleWebKit/537.36 Chrome/116.0 Mobile Safari/537.36 MicroMessenger/8.0.50"

// wechatBrowser follows redirects like WeChat's browser, keeping cookies.
func wechatBrowser(ua string) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Transport: uaTransport{ua}}
}

type uaTransport struct{ ua string }

func (u uaTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r.Header.Set("User-Agent", u.ua)
	return http.DefaultTransport.RoundTrip(r)
}

func fetch(t *testing.T, c *http.Client, method, u string, form url.Values) (string, int, string) {
	t.Helper()
	var resp *http.Response
	var err error
	if form == nil {
		resp, err = c.Get(u)
	} else {
		resp, err = c.PostForm(u, form)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String(), resp.StatusCode, resp.Request.URL.String()
}

// The WeChat flow end to end against the fake: silent sign-in, one
// response per WeChat user (a second submission gets the first receipt),
// a code used once, and a browser outside WeChat told what to do.
func TestWeChatSignIn(t *testing.T) {
	fake := newFakeWeChat(t)
	e := newEnvWith(t, func(c *Config) {
		c.WeChatAppID, c.WeChatSecret = fake.appID, fake.secret
		c.WeChatAuthorizeURL, c.WeChatTokenURL = fake.srv.URL+"/connect/oauth2/authorize", fake.srv.URL+"/sns/oauth2/access_token"
	})
	if body, status := call(t, e.staffClient(), "PUT", e.srv.URL+"/api/v1/campaigns/"+itoa(e.demo.Campaign.ID), `{"wechat_only":true}`); status != http.StatusOK {
		t.Fatalf("wechat_only: %d %s", status, body)
	}
	code := e.schoolLink()
	// open signs in through WeChat and returns the form's token.
	open := func(c *http.Client) string {
		t.Helper()
		form, status, at := fetch(t, c, "GET", e.srv.URL+"/s/"+code+"?c=parent", nil)
		m := tokenRE.FindStringSubmatch(form)
		if status != http.StatusOK || m == nil || !strings.Contains(at, "/wx?") {
			t.Fatalf("after WeChat's sign-in: %d at %s\n%.400s", status, at, form)
		}
		return m[1]
	}
	submit := func(c *http.Client, token string) string {
		t.Helper()
		body, status, _ := fetch(t, c, "POST", e.srv.URL+"/s/"+code, parentForm(token, "B"))
		if status != http.StatusOK {
			t.Fatalf("submit: %d\n%.400s", status, body)
		}
		return receipt(body)
	}

	// One WeChat user opens the form on two phones, then submits both: the
	// second submission gets the first receipt, and nothing more is stored.
	fake.signInAs("o6_bmjrPTlm6_2sgVt7hMZOPfL2M")
	phoneA, phoneB := wechatBrowser(wechatUA), wechatBrowser(wechatUA)
	tokA, tokB := open(phoneA), open(phoneB)
	first := submit(phoneA, tokA)
	if first == "" {
		t.Fatal("no receipt")
	}
	before := e.state()
	if again := submit(phoneB, tokB); again != first {
		t.Errorf("second submission by the same openid: receipt %s, want %s", again, first)
	}
	// Opening the link again goes straight to the receipt.
	page, _, _ := fetch(t, wechatBrowser(wechatUA), "GET", e.srv.URL+"/s/"+code+"?c=parent", nil)
	if receipt(page) != first {
		t.Errorf("reopening the link as the same user shows %q, want the receipt %s", receipt(page), first)
	}
	if e.state() != before {
		t.Error("the same WeChat user was stored twice")
	}
	// Another WeChat user is another response.
	fake.signInAs("o6_bmjrPTlm6_2sgVt7hMZOPfL2N")
	other := wechatBrowser(wechatUA)
	if second := submit(other, open(other)); second == "" || second == first {
		t.Errorf("another user: %q", second)
	}
	var users int
	_ = e.pool.QueryRow(context.Background(), `SELECT count(DISTINCT wechat_hash) FROM responses WHERE wechat_hash IS NOT NULL`).Scan(&users)
	if users != 2 {
		t.Errorf("%d WeChat users stored, want 2", users)
	}
	var plain int
	_ = e.pool.QueryRow(context.Background(), `SELECT count(*) FROM responses WHERE position('o6_bmjr' in encode(wechat_hash, 'escape')) > 0`).Scan(&plain)
	if plain != 0 {
		t.Error("an openid is stored in the clear")
	}

	// A code is good once: replaying WeChat's way back fails with its error.
	fake.signInAs("o6_bmjrPTlm6_2sgVt7hMZOPfL2P")
	noRedirect := wechatBrowser(wechatUA)
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noRedirect.Get(e.srv.URL + "/s/" + code + "?c=parent")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || len(resp.Cookies()) != 0 || !strings.HasPrefix(resp.Header.Get("Location"), fake.srv.URL) {
		t.Fatalf("the way out: %d, cookies %v, to %s", resp.StatusCode, resp.Cookies(), resp.Header.Get("Location"))
	}
	resp, err = noRedirect.Get(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back := resp.Header.Get("Location")
	if body, status, _ := fetch(t, noRedirect, "GET", back, nil); status != http.StatusOK || !strings.Contains(body, `name="token"`) {
		t.Fatalf("the way back: %d", status)
	}
	if body, status, _ := fetch(t, noRedirect, "GET", back, nil); status != http.StatusBadGateway || !strings.Contains(body, "授权码只能使用一次") {
		t.Errorf("a code used twice: %d %.300s", status, body)
	}
	// A forged state is refused before any code is spent.
	forged := strings.Replace(back, "state=", "state=x", 1)
	if _, status, _ := fetch(t, noRedirect, "GET", forged, nil); status != http.StatusBadRequest {
		t.Errorf("forged state: %d", status)
	}

	// Outside WeChat: told to open the link in WeChat, no form.
	body, status, _ := fetch(t, wechatBrowser("Mozilla/5.0 (Windows NT 10.0) Chrome/120.0"), "GET", e.srv.URL+"/s/"+code+"?c=parent", nil)
	if status != http.StatusOK || !strings.Contains(body, "仅限在微信中填写") || strings.Contains(body, `name="token"`) {
		t.Errorf("outside WeChat: %d %.300s", status, body)
	}
	// A token without a WeChat user (from before the switch) is refused.
	key := derive([]byte("test-session-key-0123456789abcdef"), "form-token")
	var linkID int64
	_ = e.pool.QueryRow(context.Background(), `SELECT id FROM links WHERE code = $1`, code).Scan(&linkID)
	tok := intake.NewToken(key, intake.Token{Rendered: time.Now().Add(-time.Minute), Campaign: e.demo.Campaign.ID, Link: linkID})
	if body, status := e.post("/s/"+code, parentForm(tok, "A")); status != http.StatusBadRequest || !strings.Contains(body, "须在微信中填写") {
		t.Errorf("a token without a WeChat user: %d", status)
	}
	// The campaign page says the mode is on.
	k := e.consoleClient()
	page, _ = k.get(fmt.Sprintf("/console/campaigns/%d", e.demo.Campaign.ID))
	if !strings.Contains(page, "仅限微信内填写</b>") {
		t.Error("the campaign page does not say WeChat sign-in is on")
	}
}
