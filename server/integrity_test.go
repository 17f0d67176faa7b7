package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"renke/intake"
)

// solve finds a nonce proving bits of work for a token, as pow.js does.
func solve(token string, bits int) string {
	for n := 0; ; n++ {
		if intake.WorkDone(token, strconv.Itoa(n)) >= bits {
			return strconv.Itoa(n)
		}
	}
}

var powRE = regexp.MustCompile(`data-pow="(\d+)"`)

func TestSoftRateLimitAsksForProofOfWork(t *testing.T) {
	e := newEnvWith(t, func(c *Config) { c.SubmitRate = 3 })
	code := e.schoolLink()
	for i := range 3 {
		if body, status := e.post("/s/"+code, parentForm(e.token("/s/"+code+"?c=parent"), "A")); status != http.StatusOK {
			t.Fatalf("submission %d within the limit: %d\n%s", i+1, status, body)
		}
	}
	// The fourth from the same address is not refused outright: the form
	// comes back, answers kept, asking for a proof of work: 18 bits past
	// the rate, 2 more since this client keeps no device cookie.
	const limitedPowBits = 20
	tok := e.token("/s/" + code + "?c=parent")
	before := e.state()
	body, status := e.postFlagged("/s/"+code, parentForm(tok, "B"))
	m := powRE.FindStringSubmatch(body)
	if status != http.StatusTooManyRequests || m == nil || m[1] != strconv.Itoa(limitedPowBits) ||
		!strings.Contains(body, `value="B" checked`) || !strings.Contains(body, "/static/pow.js") {
		t.Fatalf("past the limit: %d, pow %v\n%s", status, m, body)
	}
	if e.state() != before {
		t.Fatal("a submission past the limit was stored")
	}
	// A wrong proof is asked again; a right one is stored.
	form := parentForm(tok, "B")
	form.Set("pow", "12345")
	if intake.WorkDone(tok, "12345") < limitedPowBits {
		if _, status := e.post("/s/"+code, form); status != http.StatusTooManyRequests {
			t.Fatalf("wrong proof: %d", status)
		}
	}
	form.Set("pow", solve(tok, limitedPowBits))
	if body, status := e.post("/s/"+code, form); status != http.StatusOK || receipt(body) == "" {
		t.Fatalf("with proof of work: %d\n%s", status, body)
	}
	// The proof is bound to its token: reused on another form it is worth nothing.
	other := e.token("/s/" + code + "?c=parent")
	form = parentForm(other, "C")
	form.Set("pow", solve(tok, limitedPowBits))
	if intake.WorkDone(other, form.Get("pow")) < limitedPowBits {
		if _, status := e.post("/s/"+code, form); status != http.StatusTooManyRequests {
			t.Fatalf("a proof reused on another token: %d", status)
		}
	}
	// A client's own X-Forwarded-For does not buy a fresh allowance.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/s/"+code, strings.NewReader(parentForm(other, "C").Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("with a forged X-Forwarded-For: %d", resp.StatusCode)
	}
}

func TestCampaignProofOfWork(t *testing.T) {
	e := newEnv(t)
	code := e.schoolLink()
	if _, err := e.pool.Exec(context.Background(), `UPDATE campaigns SET pow_bits = 10`); err != nil {
		t.Fatal(err)
	}
	body, _ := e.get("/s/" + code + "?c=parent")
	if m := powRE.FindStringSubmatch(body); m == nil || m[1] != "10" {
		t.Fatalf("the form does not ask for the campaign's work:\n%s", body)
	}
	tok := tokenRE.FindStringSubmatch(body)[1]
	before := e.state()
	if _, status := e.post("/s/"+code, parentForm(tok, "A")); status != http.StatusUnprocessableEntity || e.state() != before {
		t.Fatalf("without proof: %d", status)
	}
	form := parentForm(tok, "A")
	form.Set("pow", solve(tok, 10))
	if body, status := e.post("/s/"+code, form); status != http.StatusOK || receipt(body) == "" {
		t.Fatalf("with proof: %d\n%s", status, body)
	}
}

// TestProofOfWorkInBrowser lets pow.js do the work in Chromium: the
// server accepts only what its own SHA-256 agrees with.
func TestProofOfWorkInBrowser(t *testing.T) {
	e := newEnv(t)
	code := e.schoolLink()
	if _, err := e.pool.Exec(context.Background(), `UPDATE campaigns SET pow_bits = 14`); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t, 500, 900)
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(360, 740, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(e.srv.URL+"/s/"+code+"?c=parent"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="a_S01"]`)),
		chromedp.Click(chromedp.CSS(`input[name="band"][value="3-4"]`)),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelectorAll('fieldset .opts').forEach(o => { const r = o.querySelector('input[value="A"]'); if (r) r.click(); }); true`))
			return err
		}),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.receipt`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "done-pow-360.png")
	var n int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM responses`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d responses (%v)", n, err)
	}
}

func TestDeviceCookieFlagsASecondResponse(t *testing.T) {
	e := newEnv(t)
	code := e.schoolLink()
	jar, _ := cookiejar.New(nil)
	phone := &http.Client{Jar: jar}
	send := func() string {
		resp, err := phone.Get(e.srv.URL + "/s/" + code + "?c=parent")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp, err = phone.PostForm(e.srv.URL+"/s/"+code, parentForm(tokenRE.FindStringSubmatch(string(b))[1], "B"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		return receipt(string(b))
	}
	first, second := send(), send()
	flags := func(rc string) []string {
		var f []string
		if err := e.pool.QueryRow(context.Background(), `SELECT flags FROM responses WHERE receipt = $1`, rc).Scan(&f); err != nil {
			t.Fatal(err)
		}
		return f
	}
	// The test posts at once, so both are also "fast"; the device flag is
	// the second's alone.
	if f := flags(first); strings.Contains(strings.Join(f, ","), "device") {
		t.Errorf("first response flagged %v", f)
	}
	if f := flags(second); !strings.Contains(strings.Join(f, ","), "device") {
		t.Errorf("second response from the same phone flagged %v", f)
	}
	u, _ := url.Parse(e.srv.URL + "/s/")
	for _, c := range jar.Cookies(u) {
		if c.Name == deviceCookie && len(c.Value) == 22 {
			return
		}
	}
	t.Error("no device cookie was set")
}

var logRE = regexp.MustCompile(`记入样本日志第 <b>(\d+)</b> 条（校验码 <b class="mono">([0-9a-f]{12})</b>）`)
var checkLinkRE = regexp.MustCompile(`href="(/check\?receipt=[A-Z0-9]+&amp;c=\d+&amp;p=\d+&amp;n=\d+&amp;root=[0-9a-f]{64})"`)

func TestReceiptCheckPage(t *testing.T) {
	e := newEnv(t)
	code := e.schoolLink()
	body, _ := e.post("/s/"+code, parentForm(e.token("/s/"+code+"?c=parent"), "A"))
	m := logRE.FindStringSubmatch(body)
	link := checkLinkRE.FindStringSubmatch(body)
	rc := receipt(body)
	if m == nil || rc == "" || link == nil {
		t.Fatalf("the done page shows no place in the log or no check link:\n%s", body)
	}
	checkLink := strings.ReplaceAll(link[1], "&amp;", "&")
	for _, path := range []string{"/check?receipt=" + strings.ToLower(rc), checkLink} {
		page, status := e.get(path)
		if status != http.StatusOK || !strings.Contains(page, `data-verdict="in-sample"`) || !strings.Contains(page, "第 <b>"+m[1]+"</b> 条") ||
			!strings.Contains(page, m[2]) || !strings.Contains(page, "✓ 您的答卷现在的内容") || !strings.Contains(page, "✓ 最新检查点已由一致性证明确认") {
			t.Fatalf("check page %s: %d\n%s", path, status, page)
		}
	}
	// A root that is not the one signed for that size: the respondent is told.
	forged := checkLink[:len(checkLink)-4] + "0000"
	if page, _ := e.get(forged); !strings.Contains(page, `data-verdict="problem"`) || !strings.Contains(page, "您保存的回执记为") {
		t.Fatalf("a receipt with another root checks out:\n%s", page)
	}
	if page, status := e.get("/check?receipt=ABCDEFGHJK"); status != http.StatusNotFound || !strings.Contains(page, "没有找到回执码") {
		t.Fatalf("unknown receipt: %d\n%s", status, page)
	}
	if _, status := e.get("/check?receipt=" + strings.Repeat("A", 300)); status != http.StatusBadRequest {
		t.Fatalf("overlong receipt: %d", status)
	}
	if _, err := e.pool.Exec(context.Background(), `UPDATE responses SET answers = (SELECT array_agg(split_part(p, '=', 1) || '=D' ORDER BY n)
		FROM unnest(answers) WITH ORDINALITY a (p, n)) WHERE receipt = $1`, rc); err != nil {
		t.Fatal(err)
	}
	if page, _ := e.get(checkLink); !strings.Contains(page, "您的答卷现在的内容与入样时不一致") || strings.Contains(page, `data-verdict="in-sample"`) {
		t.Fatalf("an edited answer still checks out:\n%s", page)
	}
	// Deleted from the database, the log left as it was: the link accounts
	// for it (the leaf is there, the response gone, no decision), the bare
	// code says what it cannot prove.
	if _, err := e.pool.Exec(context.Background(), `DELETE FROM responses WHERE receipt = $1`, rc); err != nil {
		t.Fatal(err)
	}
	if page, _ := e.get(checkLink); !strings.Contains(page, `data-verdict="removed"`) ||
		!strings.Contains(page, "已从样本中移除：日志第 "+m[1]+" 条仍在且与您的回执一致，但数据库中已没有这份答卷，也没有任何记录的审核决定") {
		t.Fatalf("a deleted response's link:\n%s", page)
	}
	if page, status := e.get("/check?receipt=" + rc); status != http.StatusNotFound || !strings.Contains(page, "仅凭回执码无法证明") {
		t.Fatalf("a deleted response's bare code: %d\n%s", status, page)
	}
}

func TestReviewAndVerifyInConsole(t *testing.T) {
	e := newEnv(t)
	code := e.schoolLink()
	// Posted without the device cookie its form came with: flagged, held.
	rc := receipt(func() string {
		b, _ := e.postFlagged("/s/"+code, parentForm(e.token("/s/"+code+"?c=parent"), "A"))
		return b
	}())
	var id, campaign int64
	if err := e.pool.QueryRow(context.Background(), `SELECT id, campaign_id FROM responses WHERE receipt = $1`, rc).Scan(&id, &campaign); err != nil {
		t.Fatal(err)
	}
	k := e.consoleClient()
	base := fmt.Sprintf("/console/campaigns/%d", campaign)
	page, status := k.get(base + "/review")
	if status != http.StatusOK || !strings.Contains(page, `id="r`+strconv.FormatInt(id, 10)+`"`) || !strings.Contains(page, "提交未带回打开问卷时的设备标识") ||
		!strings.Contains(page, "暂未计入样本") {
		t.Fatalf("review queue: %d\n%s", status, page)
	}
	csrf := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(page)[1]
	before := e.state()
	if page, status, _ := k.post(fmt.Sprintf("%s/review/%d", base, id), url.Values{"_csrf": {csrf}, "decision": {"invalid"}, "reason": {""}}); status != http.StatusUnprocessableEntity || !strings.Contains(page, "请填写审核理由") {
		t.Fatalf("a decision without a reason: %d\n%s", status, page)
	}
	if e.state() != before {
		t.Fatal("a refused decision changed the database")
	}
	if _, status, _ := k.post(fmt.Sprintf("%s/review/%d", base, id), url.Values{"_csrf": {csrf}, "decision": {"invalid"}, "reason": {"同一家长 30 秒内提交两次，保留第一份"}}); status != http.StatusSeeOther {
		t.Fatalf("decision: %d", status)
	}
	var st string
	_ = e.pool.QueryRow(context.Background(), `SELECT status FROM responses WHERE id = $1`, id).Scan(&st)
	if st != "invalidated" {
		t.Fatalf("status %s after an invalid decision", st)
	}
	dossier, _ := k.get(base + "/dossier")
	var checkpoints int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM log_checkpoints WHERE campaign_id = $1`, campaign).Scan(&checkpoints); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(dossier, "同一家长 30 秒内提交两次，保留第一份") || !strings.Contains(dossier, fmt.Sprintf("通过，与 %d 个已签名检查点相符", checkpoints)) {
		t.Fatalf("the dossier does not list the exclusion and the chain:\n%s", dossier)
	}
	verify, _ := k.get(base + "/verify")
	if !strings.Contains(verify, "校验通过") {
		t.Fatalf("verify page:\n%s", verify)
	}
	if _, err := e.pool.Exec(context.Background(), `DELETE FROM responses WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	verify, _ = k.get(base + "/verify")
	if !strings.Contains(verify, `data-kind="removed"`) {
		t.Fatalf("a deleted response is not named:\n%s", verify)
	}
	api := e.staffClient()
	js, status := call(t, api, http.MethodGet, fmt.Sprintf("%s/api/v1/campaigns/%d/verify", e.srv.URL, campaign), "")
	if status != http.StatusOK || !strings.Contains(js, `"ok":false`) || !strings.Contains(js, `"kind":"removed"`) {
		t.Fatalf("verify API: %d %s", status, js)
	}
}
