package server

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"renke/evaluation"
	"renke/intake"
	"renke/survey"
)

// A token from another campaign or link, or an old one, is never taken:
// the form comes back with the answers kept and a fresh token, which then
// goes through.
func TestTokensBoundAndDated(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	code, general := e.schoolLink(), e.link("全县通用链接")
	key := derive([]byte("test-session-key-0123456789abcdef"), "form-token")

	// A form of another campaign of the unit.
	surveys := survey.NewStore(e.pool)
	other, err := surveys.CreateCampaign(ctx, e.demo.Unit.ID, survey.Titled("另一个调查"))
	if err != nil {
		t.Fatal(err)
	}
	otherLink, _ := surveys.CreateLink(ctx, survey.Link{CampaignID: other.ID})
	if _, err := surveys.Open(ctx, other.ID, "测试"); err != nil {
		t.Fatal(err)
	}
	fromOther := e.token("/s/" + otherLink.Code + "?c=parent")
	fromGeneral := e.token("/s/" + general + "?c=parent")
	own, _ := intake.ReadToken(key, e.token("/s/"+code+"?c=parent"))
	own.Rendered = time.Now().Add(-37 * time.Hour) // opened the day before yesterday
	expired := intake.NewToken(key, own)
	for name, tok := range map[string]string{"another campaign": fromOther, "another link": fromGeneral, "expired": expired} {
		before := e.state()
		body, status := e.post("/s/"+code, parentForm(tok, "B"))
		if status != http.StatusConflict || !strings.Contains(body, "您的答案已保留") || !strings.Contains(body, `value="B" checked`) {
			t.Fatalf("%s: %d\n%.600s", name, status, body)
		}
		if e.state() != before {
			t.Fatalf("%s: a refused token stored something", name)
		}
		fresh := tokenRE.FindStringSubmatch(body)
		if fresh == nil || fresh[1] == tok {
			t.Fatalf("%s: no fresh token", name)
		}
		if got, ok := intake.ReadToken(key, fresh[1]); !ok || got.Link != own.Link || got.Campaign != e.demo.Campaign.ID {
			t.Fatalf("%s: the fresh token is not this link's: %+v", name, got)
		}
		if body, status := e.post("/s/"+code, parentForm(fresh[1], "B")); status != http.StatusOK || receipt(body) == "" {
			t.Errorf("%s: the kept form, submitted again: %d", name, status)
		}
	}
	// The campaign says how long a form lasts.
	if body, status := call(t, e.staffClient(), "PUT", e.srv.URL+"/api/v1/campaigns/"+itoa(e.demo.Campaign.ID), `{"token_hours":72}`); status != http.StatusOK {
		t.Fatalf("token_hours 72: %d %s", status, body)
	}
	own.Submission = ""
	own.Rendered = time.Now().Add(-37 * time.Hour)
	if body, status := e.post("/s/"+code, parentForm(intake.NewToken(key, own), "B")); status != http.StatusOK || receipt(body) == "" {
		t.Errorf("37 hours with 72 allowed: %d", status)
	}
}

// phone is a respondent's browser in the simulation: its own cookies (or
// none), its address, and its user agent.
type phone struct {
	c    *http.Client
	ip   string
	ua   string
	work time.Duration // CPU spent on proofs of work
}

func newPhone(ip string, cookies bool) *phone {
	p := &phone{c: &http.Client{}, ip: ip, ua: "Mozilla/5.0 (iPhone) MicroMessenger/8.0.50"}
	if cookies {
		p.c.Jar, _ = cookiejar.New(nil)
	}
	return p
}

func (p *phone) do(t *testing.T, method, u string, form url.Values) string {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("X-Forwarded-For", p.ip)
	req.Header.Set("User-Agent", p.ua)
	resp, err := p.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// answer fills the form at link as a respondent who took fill to answer:
// the token is back-dated by fill (the simulation does not wait), answers
// come from pick, and a proof of work is done whenever the form asks.
// It returns the receipt, "" if the submit was refused.
func (p *phone) answer(t *testing.T, e *env, link string, fill time.Duration, pick func(item int) string) string {
	t.Helper()
	key := derive([]byte("test-session-key-0123456789abcdef"), "form-token")
	page := p.do(t, "GET", e.srv.URL+"/s/"+link+"?c=parent", nil)
	m := tokenRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form:\n%.300s", page)
	}
	tok, _ := intake.ReadToken(key, m[1])
	tok.Rendered = time.Now().Add(-fill)
	form := url.Values{"token": {intake.NewToken(key, tok)}, "category": {"parent"}, "band": {"3-4"}}
	for i := 1; i <= 12; i++ {
		form.Set(fmt.Sprintf("a_S%02d", i), pick(i))
	}
	for range 4 {
		body := p.do(t, "POST", e.srv.URL+"/s/"+link, form)
		if rc := receipt(body); rc != "" {
			return rc
		}
		w := powRE.FindStringSubmatch(body)
		if w == nil {
			return ""
		}
		var bits int
		fmt.Sscan(w[1], &bits)
		start := time.Now()
		form.Set("pow", solve(form.Get("token"), bits))
		p.work += time.Since(start)
	}
	return ""
}

// honest answers: mostly satisfied, as real parents are, not in lockstep.
func honest(r *rand.Rand) func(int) string {
	return func(int) string {
		switch x := r.Float64(); {
		case x < 0.5:
			return "A"
		case x < 0.8:
			return "B"
		case x < 0.95:
			return "C"
		default:
			return "D"
		}
	}
}

// TestStuffingSimulation plays honest parents and the stuffers of practice
// against the demo school's link, on loopback: 40 honest phones behind one
// school address, with their own cookies, human fill times and a real
// spread of answers; a script from one address that keeps no cookies; many
// tabs of one browser; a coached class posting a "standard answer"; and a
// script rotating proxy addresses. It prints, per kind, what was admitted,
// what flagged, and the attacker's proof-of-work CPU per admitted response,
// and asserts the headline: at least 95% of the scripted single-address
// responses flagged or refused, at most 5% of the honest phones flagged.
func TestStuffingSimulation(t *testing.T) {
	e := newEnvWith(t, func(c *Config) {
		_, loopback, _ := net.ParseCIDR("127.0.0.1/32")
		c.TrustedProxies = []*net.IPNet{loopback}
		c.SubmitRate = DefaultSubmitRate // as deployed
	})
	code := e.schoolLink()
	r := rand.New(rand.NewPCG(2026, 12))
	type kind struct {
		name     string
		receipts []string
		phones   []*phone
		honest   bool
	}
	var kinds []*kind
	play := func(k *kind, n int, ph func(i int) *phone, fill func() time.Duration, pick func(i int) func(int) string) {
		for i := range n {
			p := ph(i)
			if rc := p.answer(t, e, code, fill(), pick(i)); rc != "" {
				k.receipts = append(k.receipts, rc)
			} else {
				k.receipts = append(k.receipts, "")
			}
			k.phones = append(k.phones, p)
		}
		kinds = append(kinds, k)
	}
	human := func() time.Duration { return time.Duration(60+r.IntN(540)) * time.Second }
	justPast := func() time.Duration { return 21 * time.Second } // waits out the 20 s minimum
	school := "198.51.100.10"

	play(&kind{name: "honest phones behind one school address", honest: true}, 40,
		func(int) *phone { return newPhone(school, true) }, human, func(int) func(int) string { return honest(r) })
	script := newPhone("203.0.113.66", false)
	play(&kind{name: "one script, one address, no cookies"}, 60,
		func(int) *phone { return script }, justPast, func(int) func(int) string { return honest(r) })
	tabs := newPhone("203.0.113.77", true)
	play(&kind{name: "many tabs of one browser"}, 30,
		func(int) *phone { return tabs }, justPast, func(int) func(int) string { return honest(r) })
	standard := func(int) func(int) string {
		return func(item int) string { return map[bool]string{true: "A", false: "B"}[item%3 != 0] }
	}
	play(&kind{name: "coached class, standard answers"}, 30,
		func(int) *phone { return newPhone("198.51.100.20", true) }, human, standard)
	play(&kind{name: "script rotating proxy addresses"}, 30,
		func(i int) *phone { return newPhone(fmt.Sprintf("192.0.2.%d", 10+i), false) }, justPast, func(int) func(int) string { return honest(r) })

	ctx := context.Background()
	rates := map[string]float64{}
	t.Logf("%-42s %9s %8s %8s %8s %14s", "kind", "submitted", "refused", "admitted", "flagged", "CPU/admitted")
	for _, k := range kinds {
		var admitted, flagged, refused int
		for _, rc := range k.receipts {
			if rc == "" {
				refused++
				continue
			}
			var status string
			var flags []string
			if err := e.pool.QueryRow(ctx, `SELECT status, flags FROM responses WHERE receipt = $1`, rc).Scan(&status, &flags); err != nil {
				t.Fatal(err)
			}
			if status == "admitted" {
				admitted++
			}
			if len(flags) > 0 {
				flagged++
			}
		}
		var work time.Duration
		seen := map[*phone]bool{}
		for _, p := range k.phones {
			if !seen[p] {
				work += p.work
				seen[p] = true
			}
		}
		perAdmitted := 0.0
		if admitted > 0 {
			perAdmitted = work.Seconds() / float64(admitted)
		}
		t.Logf("%-42s %9d %8d %8d %8d %12.3f s", k.name, len(k.receipts), refused, admitted, flagged, perAdmitted)
		rates[k.name] = float64(flagged+refused) / float64(len(k.receipts))
	}
	if got := rates["one script, one address, no cookies"]; got < 0.95 {
		t.Errorf("scripted single-address responses flagged or refused: %.1f%%, want at least 95%%", got*100)
	}
	if got := rates["honest phones behind one school address"]; got > 0.05 {
		t.Errorf("honest phones behind one school address flagged: %.1f%%, want at most 5%%", got*100)
	}
	for _, name := range []string{"many tabs of one browser", "coached class, standard answers", "script rotating proxy addresses"} {
		if rates[name] < 0.8 {
			t.Errorf("%s: only %.0f%% flagged", name, rates[name]*100)
		}
	}

	// The dossier's exposure table shows the script's address as the
	// largest source, with its share of the counted sample.
	var key []byte
	if err := e.pool.QueryRow(ctx, `SELECT key FROM campaign_keys WHERE campaign_id = $1`, e.demo.Campaign.ID).Scan(&key); err != nil {
		t.Fatal(err)
	}
	var received int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM responses WHERE campaign_id = $1`, e.demo.Campaign.ID).Scan(&received); err != nil {
		t.Fatal(err)
	}
	dossier, _ := e.consoleClient().get("/console/campaigns/" + itoa(e.demo.Campaign.ID) + "/dossier")
	row := fmt.Sprintf(`<tr class="concentrated"><td class="mono">%x</td><td class="r">60</td><td class="r">%s%%</td><td class="r">0</td></tr>`,
		intake.AddressHash(key, "203.0.113.66"), evaluation.Num(60*100/float64(received)))
	if i := strings.Index(dossier, `id="exposure-sources"`); i < 0 || !strings.Contains(dossier[i:], row) {
		t.Errorf("the dossier's exposure table does not show the script's address (%s):\n%s", row, dossier[max(0, i):min(len(dossier), i+2000)])
	} else {
		t.Logf("exposure: the script's address sent 60 of %d received (%.1f%%), none counted; concentrated sources: %s", received, 6000/float64(received),
			strings.TrimSpace(stripTags(dossier[strings.Index(dossier, `id="exposure-concentrated"`):][:600])))
	}
}

// stripTags is an HTML fragment's text, roughly: for test logs.
func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}
