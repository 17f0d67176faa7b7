package server

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"renke/survey"
)

func TestSubmitStoresOnceAndReturnsTheSameReceipt(t *testing.T) {
	e := newEnv(t)
	code := e.schoolLink()
	tok := e.token("/s/" + code + "?c=parent")
	before := e.state()
	body, status := e.post("/s/"+code, parentForm(tok, "A"))
	if status != http.StatusOK || !strings.Contains(body, "提交成功") {
		t.Fatalf("submit: %d\n%s", status, body)
	}
	first := receipt(body)
	if len(first) != 10 {
		t.Fatalf("no receipt in %s", body)
	}
	after := e.state()
	if after.responses != before.responses+1 || after.answers != before.answers+12 || after.admitted != before.admitted+1 {
		t.Fatalf("one submission wrote %+v → %+v", before, after)
	}
	// Double tap, retry, back-and-resend: the same token gives the same
	// receipt and no new row — even with other answers.
	for _, opt := range []string{"A", "D"} {
		body, status = e.post("/s/"+code, parentForm(tok, opt))
		if status != http.StatusOK || receipt(body) != first {
			t.Fatalf("resubmit: %d receipt %q, want %q", status, receipt(body), first)
		}
	}
	if again := e.state(); again != after {
		t.Fatalf("resubmits changed the database: %+v → %+v", after, again)
	}
	// What is stored: the school, its locale, the band; a 22-bit hash of
	// the address (three bytes, the last two bits zero), never the IP.
	var locale, band, ua string
	var ipHash []byte
	var fill int
	err := e.pool.QueryRow(context.Background(), `SELECT locale, grade_band, ua_family, ip_hash, fill_ms FROM responses WHERE receipt = $1`, first).
		Scan(&locale, &band, &ua, &ipHash, &fill)
	if err != nil {
		t.Fatal(err)
	}
	if locale != "urban" || band != "3-4" || ua != "script" || len(ipHash) != 3 || ipHash[2]&3 != 0 || fill < 0 {
		t.Errorf("stored locale %s band %s ua %s hash %x fill %d", locale, band, ua, ipHash, fill)
	}
	if strings.Contains(string(ipHash), "127.0.0.1") {
		t.Error("raw IP stored")
	}
}

func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	e := newEnv(t)
	code := e.schoolLink()
	general := e.link("全县通用链接")
	ctx := context.Background()

	// A draft and a closed campaign, each with a link.
	var draftLink, closedLink string
	for _, st := range []string{"draft", "closed"} {
		var cid int64
		err := e.pool.QueryRow(ctx, `INSERT INTO campaigns (unit_id, title, status) VALUES ($1, $2, $3) RETURNING id`,
			e.demo.Unit.ID, st, st).Scan(&cid)
		if err != nil {
			t.Fatal(err)
		}
		def := `{"kind":"social","title":"t","categories":["parent"],"scale":[],"items":[]}`
		if _, err := e.pool.Exec(ctx, `INSERT INTO questionnaires (campaign_id, kind, definition) VALUES ($1, 'social', $2)`, cid, def); err != nil {
			t.Fatal(err)
		}
		var lc string
		if err := e.pool.QueryRow(ctx, `INSERT INTO links (campaign_id, code) VALUES ($1, $2) RETURNING code`, cid, st+"link").Scan(&lc); err != nil {
			t.Fatal(err)
		}
		if st == "draft" {
			draftLink = lc
		} else {
			closedLink = lc
		}
	}

	tok := e.token("/s/" + code + "?c=parent")
	with := func(mod func(url.Values)) string {
		v := parentForm(tok, "B")
		mod(v)
		return v.Encode()
	}
	// A token binds its link: the general link's cases use its own.
	tokG := e.token("/s/" + general + "?c=parent")
	withG := func(mod func(url.Values)) string {
		v := parentForm(tokG, "B")
		mod(v)
		return v.Encode()
	}
	form := "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name        string
		path        string
		contentType string
		body        string
		status      int
		says        string
	}{
		{"malformed body", "/s/" + code, form, "token=%zz&a_S01=%", 400, "无法识别"},
		{"not a form", "/s/" + code, "application/json", `{"a_S01":"A"}`, 400, "提交格式不正确"},
		{"unknown link", "/s/nosuchcode", form, with(func(url.Values) {}), 404, "二维码链接无效"},
		{"draft campaign", "/s/" + draftLink, form, with(func(url.Values) {}), 403, "尚未开始"},
		{"closed campaign", "/s/" + closedLink, form, with(func(url.Values) {}), 410, "已经结束"},
		{"missing answer", "/s/" + code, form, with(func(v url.Values) { v.Del("a_S07") }), 422, "此题尚未作答"},
		{"option not in scale", "/s/" + code, form, with(func(v url.Values) { v.Set("a_S03", "Q") }), 422, "所选答案无效"},
		{"item not in questionnaire", "/s/" + code, form, with(func(v url.Values) { v.Set("a_T01", "A") }), 422, "没有编号为 T01 的题目"},
		{"oversized body", "/s/" + code, form, with(func(v url.Values) { v.Set("suggestion", strings.Repeat("长", 30000)) }), 413, "内容过大"},
		{"suggestion too long", "/s/" + code, form, with(func(v url.Values) { v.Set("suggestion", strings.Repeat("字", 501)) }), 422, "意见建议最多 500 字"},
		{"invalid UTF-8", "/s/" + code, form, with(func(url.Values) {}) + "&suggestion=%ff%fe", 400, "无法识别的字符"},
		{"forged token", "/s/" + code, form, with(func(v url.Values) { v.Set("token", tok[:len(tok)-2]+"AA") }), 400, "页面已失效"},
		{"no token", "/s/" + code, form, with(func(v url.Values) { v.Del("token") }), 400, "页面已失效"},
		{"category not on this link", "/s/" + code, form, with(func(v url.Values) { v.Set("category", "teacher") }), 400, "选择您的身份"},
		{"band the school lacks", "/s/" + code, form, with(func(v url.Values) { v.Set("band", "7-9") }), 422, "没有七至九年级"},
		{"students from grade 3", "/s/" + general, form, withG(func(v url.Values) {
			for k := range v {
				if strings.HasPrefix(k, "a_") {
					v.Del(k)
				}
			}
			v.Set("category", "student")
			v.Set("band", "1-2")
			v.Set("school", "1")
		}), 422, "三年级及以上"},
		{"resident without locale", "/s/" + general, form, withG(func(v url.Values) { v.Set("category", "resident") }), 422, "请选择您的居住地"},
		{"school of the general link missing", "/s/" + general, form, withG(func(url.Values) {}), 422, "请选择学校"},
		{"token of another link", "/s/" + general, form, with(func(url.Values) {}), 409, "从另一个调查链接打开"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.state()
			body, status := e.postRaw(tc.path, tc.contentType, tc.body)
			if status != tc.status {
				t.Errorf("status %d, want %d", status, tc.status)
			}
			if !strings.Contains(body, tc.says) {
				t.Errorf("page does not say %q:\n%.2000s", tc.says, body)
			}
			if after := e.state(); after != before {
				t.Errorf("database changed: %+v → %+v", before, after)
			}
		})
	}

	// A re-shown form keeps every answer given and the same token.
	body, _ := e.post("/s/"+code, func() url.Values { v := parentForm(tok, "C"); v.Del("a_S05"); return v }())
	if !strings.Contains(body, `name="a_S04" value="C" checked`) || !strings.Contains(body, tok) || !strings.Contains(body, `value="3-4" checked`) {
		t.Error("re-shown form lost answers or token")
	}
}

// TestConcurrentSubmitsNeverOvershoot fires 500 submissions at once at a
// cell with 10 places left, from 500 phones on addresses of their own
// (one address would be a concentrated source, held for review).
func TestConcurrentSubmitsNeverOvershoot(t *testing.T) {
	e := newEnvWith(t, func(c *Config) {
		_, loopback, _ := net.ParseCIDR("127.0.0.1/32")
		c.TrustedProxies = []*net.IPNet{loopback}
	})
	ctx := context.Background()
	cid := e.demo.Campaign.ID
	var target int
	err := e.pool.QueryRow(ctx, `UPDATE quota_cells SET admitted = target - 10
		WHERE campaign_id = $1 AND category = 'parent' AND locale = 'urban' RETURNING target`, cid).Scan(&target)
	if err != nil {
		t.Fatal(err)
	}
	code := e.schoolLink()
	const n = 500
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = e.token("/s/" + code + "?c=parent")
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n}}
	var wg sync.WaitGroup
	start := make(chan struct{})
	results := make([]string, n)
	codes := make([]int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/s/"+code, strings.NewReader(parentForm(tokens[i], "A").Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.0.%d.%d", i/250, 1+i%250))
			req.AddCookie(e.deviceOf(tokens[i]))
			resp, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var b strings.Builder
			buf := make([]byte, 4096)
			for {
				k, err := resp.Body.Read(buf)
				b.Write(buf[:k])
				if err != nil {
					break
				}
			}
			results[i], codes[i] = b.String(), resp.StatusCode
		}(i)
	}
	close(start)
	wg.Wait()
	admittedPages, fullPages := 0, 0
	for i := range results {
		if codes[i] != http.StatusOK {
			t.Fatalf("submission %d: status %d\n%.500s", i, codes[i], results[i])
		}
		switch {
		case strings.Contains(results[i], "提交成功"):
			admittedPages++
		case strings.Contains(results[i], "样本名额已满"):
			fullPages++
		}
	}
	if admittedPages != 10 || fullPages != n-10 {
		t.Errorf("respondents told: %d admitted, %d full; want 10 and %d", admittedPages, fullPages, n-10)
	}
	var admitted, overQuota int
	var cell int
	err = e.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM responses WHERE campaign_id = $1 AND status = 'admitted' AND category = 'parent' AND locale = 'urban'),
		(SELECT count(*) FROM responses WHERE campaign_id = $1 AND status = 'over_quota'),
		(SELECT admitted FROM quota_cells WHERE campaign_id = $1 AND category = 'parent' AND locale = 'urban')`, cid).
		Scan(&admitted, &overQuota, &cell)
	if err != nil {
		t.Fatal(err)
	}
	if admitted != 10 || overQuota != n-10 || cell != target {
		t.Errorf("database: %d admitted, %d over quota, cell at %d of %d; want 10, %d, %d", admitted, overQuota, cell, target, n-10, target)
	}
}

// TestReportMatchesHandComputedValues submits a small sample through the
// form and checks the report of every method.
func TestReportMatchesHandComputedValues(t *testing.T) {
	e := newEnv(t)
	code, general := e.schoolLink(), e.link("全县通用链接")
	submit := func(path string, v url.Values) {
		t.Helper()
		body, status := e.post(path, v)
		if status != http.StatusOK {
			t.Fatalf("submit: %d\n%.1500s", status, body)
		}
	}
	// Three parents at the urban school: all 满意; all 一般; S01 不满意 and
	// the rest 不了解. One rural resident: all 比较满意.
	submit("/s/"+code, parentForm(e.token("/s/"+code+"?c=parent"), "A"))
	submit("/s/"+code, parentForm(e.token("/s/"+code+"?c=parent"), "C"))
	third := parentForm(e.token("/s/"+code+"?c=parent"), "X")
	third.Set("a_S01", "D")
	submit("/s/"+code, third)
	resident := answers("B")
	resident.Set("token", e.token("/s/"+general+"?c=resident"))
	resident.Set("category", "resident")
	resident.Set("locale", "rural")
	submit("/s/"+general, resident)

	c := e.staffClient()
	var r survey.RecognitionReport
	getJSON(t, c, e.srv.URL+"/api/v1/campaigns/"+itoa(e.demo.Campaign.ID)+"/report", &r)
	if r.Answers != 37 || r.DontKnow != 11 || r.Responses[survey.Admitted] != 4 {
		t.Fatalf("answers %d, don't know %d, admitted %d; want 37, 11, 4", r.Answers, r.DontKnow, r.Responses[survey.Admitted])
	}
	want := map[survey.Method]float64{
		survey.TopTwo:           24.0 / 37,                               // 12 满意 + 12 比较满意
		survey.TopThree:         36.0 / 37,                               // + 12 一般
		survey.WeightedPoints:   (12*100 + 12*60 + 12*80) / 37.0 / 100,   // 77.84 points
		survey.CategoryWeighted: (610*(12.0/25) + 102*1.0) / (610 + 102), // quota shares 610 and 102 of 1,219
	}
	for _, m := range r.Methods {
		if math.Abs(m.Rate-want[m.Method]) > 1e-9 {
			t.Errorf("%s: %.6f, want %.6f", m.Method, m.Rate, want[m.Method])
		}
	}
	// The interval counts the four people, not the 37 answers: per
	// respondent (top two, rated) = (12, 12) (0, 12) (0, 1) (12, 12), so
	// R = 24/37, V = 4/3 · Σ(y − R·a)² / 37² and n_eff = R(1−R)/V ≈ 2.4.
	R := 24.0 / 37
	var ss float64
	for _, d := range []float64{12 - 12*R, -12 * R, -R, 12 - 12*R} {
		ss += d * d
	}
	ne := R * (1 - R) / (4.0 / 3 * ss / (37 * 37))
	iv := survey.Wilson(R*ne, ne)
	if r.Respondents != 4 || math.Abs(r.Result.Low-iv.Low) > 1e-9 || math.Abs(r.Result.High-iv.High) > 1e-9 || r.Result.Pass || r.Margin != survey.NoiseFail {
		t.Errorf("n %d, result %+v margin %s; want n 4, %.4f–%.4f", r.Respondents, r.Result, r.Margin, iv.Low, iv.High)
	}
	if !r.Provisional || r.Shortfall != "样本未达设计量：已纳入 4 / 1219，结论为暂定" {
		t.Errorf("4 of 1,219 admitted: provisional %v %q", r.Provisional, r.Shortfall)
	}
	groups := map[string]float64{}
	for _, g := range append(append(r.ByItem, r.ByLocale...), r.ByCategory...) {
		groups[g.Key] = g.TopTwo.Rate
	}
	for key, rate := range map[string]float64{"S01": 2.0 / 4, "S02": 2.0 / 3, "urban": 12.0 / 25, "rural": 1, "parent": 12.0 / 25, "resident": 1} {
		if math.Abs(groups[key]-rate) > 1e-9 {
			t.Errorf("%s: %.4f, want %.4f", key, groups[key], rate)
		}
	}
	if len(r.BySchool) != 1 || r.BySchool[0].Key != "示范县实验小学" || r.BySchool[0].Answers != 25 {
		t.Errorf("by school: %+v", r.BySchool)
	}
}

func TestQRCodeDecodesToTheFormURL(t *testing.T) {
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Fatal("zbarimg not found: install zbar-tools (CI does)")
	}
	e := newEnv(t)
	code := e.schoolLink()
	resp, err := http.Get(e.srv.URL + "/s/" + code + "/qr.png?size=300")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("qr: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	file := filepath.Join(t.TempDir(), "qr.png")
	f, _ := os.Create(file)
	if _, err := f.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out, err := exec.Command(zbar, "--raw", "-q", file).Output()
	if err != nil {
		t.Fatalf("zbarimg: %v", err)
	}
	if got, want := strings.TrimSpace(string(out)), e.srv.URL+"/s/"+code; got != want {
		t.Errorf("decoded %q, want %q", got, want)
	}
	for _, bad := range []string{"?size=12", "?size=99999", "?size=abc"} {
		if _, st := e.get("/s/" + code + "/qr.png" + bad); st != http.StatusBadRequest {
			t.Errorf("size %s: %d", bad, st)
		}
	}
	if _, st := e.get("/s/nosuchcode/qr.png"); st != http.StatusNotFound {
		t.Errorf("unknown code: %d", st)
	}
	poster, st := e.get("/s/" + code + "/poster")
	if st != 200 || !strings.Contains(poster, "示范县实验小学") || !strings.Contains(poster, e.srv.URL+"/s/"+code) || !strings.Contains(poster, "qr.png") {
		t.Errorf("poster: %d\n%.800s", st, poster)
	}
}

// TestClientForwardedForIsNotBelieved: without TRUSTED_PROXIES the address
// is the socket's, whatever X-Forwarded-For a client sends.
func TestClientForwardedForIsNotBelieved(t *testing.T) {
	e := newEnv(t)
	code := e.schoolLink()
	var hashes [][]byte
	for _, xff := range []string{"", "203.0.113.7"} {
		req, _ := http.NewRequest("POST", e.srv.URL+"/s/"+code, strings.NewReader(parentForm(e.token("/s/"+code+"?c=parent"), "A").Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("submit: %d", resp.StatusCode)
		}
	}
	rows, err := e.pool.Query(context.Background(), `SELECT ip_hash FROM responses ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var h []byte
		rows.Scan(&h)
		hashes = append(hashes, h)
	}
	if len(hashes) != 2 || string(hashes[0]) != string(hashes[1]) {
		t.Errorf("a spoofed X-Forwarded-For changed the address: %x", hashes)
	}
}

// TestFloorPolicyAdmitsBeyondTarget: under "floor" a full cell still admits.
func TestFloorPolicyAdmitsBeyondTarget(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	cid := e.demo.Campaign.ID
	var target int
	if _, err := e.pool.Exec(ctx, `UPDATE campaigns SET quota_policy = 'floor' WHERE id = $1`, cid); err != nil {
		t.Fatal(err)
	}
	if err := e.pool.QueryRow(ctx, `UPDATE quota_cells SET admitted = target WHERE campaign_id = $1 AND category = 'parent' AND locale = 'urban' RETURNING target`, cid).Scan(&target); err != nil {
		t.Fatal(err)
	}
	code := e.schoolLink()
	body, status := e.post("/s/"+code, parentForm(e.token("/s/"+code+"?c=parent"), "A"))
	if status != 200 || !strings.Contains(body, "提交成功") {
		t.Fatalf("floor: %d\n%.500s", status, body)
	}
	var admitted int
	e.pool.QueryRow(ctx, `SELECT admitted FROM quota_cells WHERE campaign_id = $1 AND category = 'parent' AND locale = 'urban'`, cid).Scan(&admitted)
	if admitted != target+1 {
		t.Errorf("cell at %d, want %d", admitted, target+1)
	}
}

func TestSlottedPage(t *testing.T) {
	for _, tt := range []struct {
		page, want string
	}{
		{"", ""},
		{"no slots", "no slots"},
		{"<p>[A]</p>", "<p>1</p>"},
		{"[A][B]", "12"},
		{"[B] then [A] and [A] again, [C]", "2 then 1 and 1 again, 333"},
		{"[A", "[A"},
	} {
		if got := cutAtSlots(tt.page, "[A]", "[B]", "[C]").fill("1", "2", "333"); got != tt.want {
			t.Errorf("%q filled: %q, want %q", tt.page, got, tt.want)
		}
	}
}
