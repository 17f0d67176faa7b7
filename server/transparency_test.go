package server

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"renke/staff"
	"renke/survey"
)

// A witness's cosignature is kept only when the witness is configured and
// the log signed that very checkpoint; kept ones are printed, with the
// witness's name, on the dossier and the verify page; the key's
// fingerprint is on the posters and the console.
func TestCosignaturesKeptAndPrinted(t *testing.T) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "city.example")
	if err != nil {
		t.Fatal(err)
	}
	logKey, err := survey.GenerateLogKey("county.example")
	if err != nil {
		t.Fatal(err)
	}
	wkey, err := fnote.VKeyToCosignatureV1(vkey)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, func(c *Config) { c.LogKey, c.WitnessKeys = logKey, []string{wkey} })
	answerDemo(t, e, 3)
	base := e.srv.URL + "/log/campaigns/" + itoa(e.demo.Campaign.ID)
	key, _ := survey.ParseLogKey(logKey)

	// The opening, the three admissions and the flags their groups raised.
	size := e.logSize()
	checkpoint, code := call(t, http.DefaultClient, "GET", base+"/checkpoint", "")
	if code != http.StatusOK || size < 4 || !strings.HasPrefix(checkpoint, fmt.Sprintf("%s\n%d\n", key.Origin(e.demo.Campaign.ID), size)) {
		t.Fatalf("checkpoint: %d %q", code, checkpoint)
	}
	if k, _ := call(t, http.DefaultClient, "GET", e.srv.URL+"/log/key", ""); strings.TrimSpace(k) != key.VerifierKey() {
		t.Errorf("/log/key: %q", k)
	}
	cosign := func(signer note.Signer, text string) string {
		v, _ := note.NewVerifier(key.VerifierKey())
		n, err := note.Open([]byte(text), note.VerifierList(v))
		if err != nil {
			t.Fatal(err)
		}
		b, err := note.Sign(n, signer)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	witness, err := fnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		t.Fatal(err)
	}
	stranger, _, _ := note.GenerateKey(rand.Reader, "stranger.example")
	strangerSigner, _ := fnote.NewSignerForCosignatureV1(stranger)

	post := func(body string) (string, int) {
		req, _ := http.NewRequest("POST", base+"/cosignatures", strings.NewReader(body))
		req.Header.Set("Content-Type", "text/plain")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b := make([]byte, 4096)
		n, _ := resp.Body.Read(b)
		return string(b[:n]), resp.StatusCode
	}
	// Refused: an unknown witness; a checkpoint this log never signed.
	if body, code := post(cosign(strangerSigner, checkpoint)); code != http.StatusUnprocessableEntity || !strings.Contains(body, "WITNESS_KEYS") {
		t.Errorf("an unknown witness's cosignature: %d %s", code, body)
	}
	forged, _ := key.Sign(key.Origin(e.demo.Campaign.ID), size, make([]byte, 32))
	if body, code := post(cosign(witness, forged)); code != http.StatusConflict || !strings.Contains(body, "没有签发过") {
		t.Errorf("a cosigned checkpoint the log never issued: %d %s", code, body)
	}
	if body, code := post("garbage"); code != http.StatusUnprocessableEntity {
		t.Errorf("garbage: %d %s", code, body)
	}
	// Kept: the configured witness on a checkpoint the log signed.
	if body, code := post(cosign(witness, checkpoint)); code != http.StatusCreated || !strings.Contains(body, `"witness":"city.example"`) {
		t.Fatalf("the witness's cosignature: %d %s", code, body)
	}
	k := e.consoleClient()
	cp := "/console/campaigns/" + itoa(e.demo.Campaign.ID)
	dossier, _ := k.get(cp + "/dossier")
	verify, _ := k.get(cp + "/verify")
	for name, page := range map[string]string{"dossier": dossier, "verify": verify} {
		if !strings.Contains(page, "city.example") || !strings.Contains(page, key.Fingerprint()) {
			t.Errorf("%s does not name the witness or the key:\n%.3000s", name, page)
		}
	}
	if !strings.Contains(verify, "校验通过") || !strings.Contains(verify, "city.example") {
		t.Errorf("verify page:\n%s", verify)
	}
	home, _ := k.get("/console")
	poster, _ := call(t, http.DefaultClient, "GET", e.srv.URL+"/s/"+e.schoolLink()+"/poster", "")
	for name, page := range map[string]string{"console": home, "poster": poster} {
		if !strings.Contains(page, key.Fingerprint()) {
			t.Errorf("the %s does not show the key's fingerprint", name)
		}
	}
	// Pasting the cosigned checkpoint on the verify page checks against it.
	page, _ := k.get(cp + "/verify?checkpoint=" + url.QueryEscape(cosign(witness, checkpoint)))
	if !strings.Contains(page, fmt.Sprintf("粘贴的检查点（%d 条）与重新计算的日志一致", size)) {
		t.Errorf("pasted checkpoint:\n%s", page)
	}
	page, _ = k.get(cp + "/verify?checkpoint=" + url.QueryEscape("not a checkpoint"))
	if !strings.Contains(page, "粘贴的检查点无法核验") {
		t.Errorf("pasted garbage:\n%s", page)
	}
	// The headline is the worst finding: a printed root that does not match
	// turns it red, never a green 校验通过 above a 不一致 further down.
	page, _ = k.get(cp + "/verify?root=deadbeef00")
	if strings.Contains(page, "校验通过") || !strings.Contains(page, `<div class="alert" id="verdict"><b>校验未通过</b>：发现 1 处问题：`) ||
		!strings.Contains(page, "打印的根值 deadbeef00 与重新计算的结果不符") {
		t.Errorf("a printed root that does not match:\n%.3000s", page)
	}

	// The API takes the same evidence, from a reviewer too: it changes nothing.
	if _, err := staff.NewStore(e.pool).Create(context.Background(), "reviewer-x", "reviewer-password-1", staff.Grant{Role: staff.Reviewer, Units: []int64{e.demo.Unit.ID}}); err != nil {
		t.Fatal(err)
	}
	api := e.srv.URL + "/api/v1/campaigns/" + itoa(e.demo.Campaign.ID) + "/verify"
	body, _ := json.Marshal(map[string]any{"checkpoints": []string{cosign(witness, checkpoint)},
		"receipts": []map[string]any{{"receipt": "NOSUCHCODE", "log_pos": 1, "tree_size": 3, "tree_root": strings.Repeat("ab", 32)}}})
	got, code := call(t, e.apiAs("reviewer-x", "reviewer-password-1"), "POST", api, string(body))
	if code != http.StatusOK || !strings.Contains(got, `"ok":false`) || !strings.Contains(got, `"agrees":true`) || !strings.Contains(got, "回执 NOSUCHCODE 记为第 1 条") {
		t.Errorf("API verify with evidence: %d %s", code, got)
	}
	if got, code := call(t, e.staffClient(), "POST", api, `{"checkpoints":["x"]}`); code != http.StatusUnprocessableEntity || !strings.Contains(got, "第 1 个给定的检查点无法核验") {
		t.Errorf("API verify with a bad checkpoint: %d %s", code, got)
	}
}

// The dashboard reads the kept tallies, and says when they were last
// recounted against the sample log and what that found.
func TestDashboardSaysWhenVerified(t *testing.T) {
	e := newEnv(t)
	answerDemo(t, e, 3)
	k := e.consoleClient()
	cp := "/console/campaigns/" + itoa(e.demo.Campaign.ID)
	if dash, _ := k.get(cp + "/dashboard"); !strings.Contains(dash, "尚未与样本日志核验过") {
		t.Errorf("never verified:\n%.3000s", dash)
	}
	k.get(cp + "/verify")
	if dash, _ := k.get(cp + "/dashboard"); !strings.Contains(dash, fmt.Sprintf("（日志 %d 条）：全部与日志中的答卷一致", e.logSize())) {
		t.Errorf("verified clean:\n%.3000s", dash)
	}
	if _, err := e.pool.Exec(context.Background(), `UPDATE answer_tallies SET n = 0 WHERE campaign_id = $1`, e.demo.Campaign.ID); err != nil {
		t.Fatal(err)
	}
	var r struct {
		Verified *struct{ Problems int } `json:"last_verified"`
	}
	if _, code := call(t, e.staffClient(), "GET", e.srv.URL+"/api/v1/campaigns/"+itoa(e.demo.Campaign.ID)+"/verify", ""); code != http.StatusOK {
		t.Fatalf("API verify: %d", code)
	}
	getJSON(t, e.staffClient(), e.srv.URL+"/api/v1/campaigns/"+itoa(e.demo.Campaign.ID)+"/report", &r)
	if r.Verified == nil || r.Verified.Problems == 0 {
		t.Errorf("the report does not say the last verify found problems: %+v", r.Verified)
	}
	if dash, _ := k.get(cp + "/dashboard"); !strings.Contains(dash, `<p class="alert" id="last-verified">`) || !strings.Contains(dash, "认可度计数表") {
		t.Errorf("verified with problems:\n%.3000s", dash)
	}
}
