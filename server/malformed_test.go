package server

import (
	gz "compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// Rows rewritten by hand (a short hash, a null one, a wrong index) give
// named problems on every page that verifies, and no crash; a handler
// that panics answers 500 with the Chinese error page.
func TestMalformedChainRowsAreNamedNotCrashes(t *testing.T) {
	e := newEnv(t)
	answerDemo(t, e, 3)
	ctx := context.Background()
	for _, sql := range []string{
		`UPDATE chain_entries SET hash = '\x01'::bytea WHERE pos = 1`,
		`UPDATE chain_entries SET hash = ''::bytea WHERE pos = 2`,
		`UPDATE chain_entries SET pos = 7 WHERE pos = 3`,
	} {
		if _, err := e.pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	body, code := call(t, e.staffClient(), "GET", e.srv.URL+"/api/v1/campaigns/"+itoa(e.demo.Campaign.ID)+"/verify", "")
	if code != http.StatusOK || !strings.Contains(body, `"ok":false`) || !strings.Contains(body, "malformed") || !strings.Contains(body, "第 3 条记录已被删除") {
		t.Errorf("API verify: %d %.500s", code, body)
	}
	k := e.consoleClient()
	for _, path := range []string{"/verify", "/dossier"} {
		page, code := k.get("/console/campaigns/" + itoa(e.demo.Campaign.ID) + path)
		if code != http.StatusOK || (path == "/verify" && !strings.Contains(page, "校验值长度异常")) {
			t.Errorf("%s: %d %.300s", path, code, page)
		}
	}
}

// A handler that panics answers 500 with the Chinese error page, over a
// compressed connection too, instead of dropping the connection.
func TestPanicAnswers500(t *testing.T) {
	e := newEnv(t)
	h, err := New(Config{SessionKey: []byte("test-session-key-0123456789abcdef")}, e.pool)
	if err != nil {
		t.Fatal(err)
	}
	h.GET("/boom", func(echo.Context) error { panic("a malformed row") })
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, gzip := range []bool{false, true} {
		req, _ := http.NewRequest("GET", srv.URL+"/boom", nil)
		if gzip {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatalf("gzip %v: the connection dropped: %v", gzip, err)
		}
		var r io.Reader = resp.Body
		if resp.Header.Get("Content-Encoding") == "gzip" {
			if r, err = gz.NewReader(resp.Body); err != nil {
				t.Fatal(err)
			}
		}
		b, _ := io.ReadAll(r)
		resp.Body.Close()
		if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(b), "服务器暂时无法处理您的请求") {
			t.Errorf("gzip %v: %d %.200s", gzip, resp.StatusCode, b)
		}
	}
}
