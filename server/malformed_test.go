package server

import (
	gz "compress/gzip"
	"context"
	"fmt"
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
	// The first three leaves after the opening's. The third response's
	// proof needs the second's hash, which is about to go.
	var receipt string
	if err := e.pool.QueryRow(ctx, `SELECT receipt FROM responses r JOIN log_leaves l ON l.response_id = r.id WHERE l.idx = 3`).Scan(&receipt); err != nil {
		t.Fatal(err)
	}
	size := e.logSize()
	for _, sql := range []string{
		`UPDATE log_leaves SET hash = '\x01'::bytea WHERE idx = 1`,
		`ALTER TABLE log_leaves ALTER COLUMN hash DROP NOT NULL`,
		`UPDATE log_leaves SET hash = NULL WHERE idx = 2`,
		fmt.Sprintf(`UPDATE log_leaves SET idx = %d WHERE idx = 3`, size+4),
		`UPDATE log_checkpoints SET note = 'garbled' WHERE size = 1`,
		`UPDATE campaigns SET log_frontier = '{"\\x02"}'`,
	} {
		if _, err := e.pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	body, code := call(t, e.staffClient(), "GET", e.srv.URL+"/api/v1/campaigns/"+itoa(e.demo.Campaign.ID)+"/verify", "")
	for _, want := range []string{`"ok":false`, "第 2 条记录的校验值长度异常（1 字节", "第 3 条记录的校验值长度异常（0 字节",
		"第 4 条记录已被删除", fmt.Sprintf("序号为 %d，超出日志", size+5), "第 1 版检查点的签名、格式或内容无效"} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("API verify: %d, no %q in %.800s", code, want, body)
		}
	}
	k := e.consoleClient()
	for _, path := range []string{"/verify", "/dossier"} {
		page, code := k.get("/console/campaigns/" + itoa(e.demo.Campaign.ID) + path)
		if code != http.StatusOK || (path == "/verify" && !strings.Contains(page, "校验值长度异常")) {
			t.Errorf("%s: %d %.300s", path, code, page)
		}
	}
	// The respondent's check and the public proofs answer too.
	page, code := call(t, http.DefaultClient, "GET", e.srv.URL+"/check?receipt="+receipt, "")
	if code != http.StatusOK || !strings.Contains(page, "核验未通过") {
		t.Errorf("receipt check: %d %s", code, page[strings.Index(page, "<main>"):])
	}
	for _, path := range []string{"/checkpoint", "/proof/inclusion?index=0&size=3", "/proof/consistency?from=1&to=3", "/leaves?start=0&end=3"} {
		if body, code := call(t, http.DefaultClient, "GET", e.srv.URL+"/log/campaigns/"+itoa(e.demo.Campaign.ID)+path, ""); code >= 500 {
			t.Errorf("%s: %d %.300s", path, code, body)
		}
	}
	// A damaged right edge stops the log from growing: the submission is
	// refused with a message, nothing half-written.
	responses := func() (n int) {
		if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM responses`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := responses()
	link := e.schoolLink()
	if page, status := e.post("/s/"+link, parentForm(e.token("/s/"+link+"?c=parent"), "A")); status != http.StatusServiceUnavailable || !strings.Contains(page, "暂停") {
		t.Errorf("a submission to a damaged log answered %d %.300s", status, page)
	}
	if after := responses(); after != before {
		t.Errorf("responses %d → %d after a refused submission", before, after)
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
