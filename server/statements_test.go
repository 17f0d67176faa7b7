package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestResultStatementInDossier: staff ask for a provisional result
// statement from the dossier; it is a leaf of the log, printed with the
// checkpoint that contains it and checked against the log each time the
// dossier is made, and served by the API. A response deleted behind the
// application's back makes the printed statement fail its check.
func TestResultStatementInDossier(t *testing.T) {
	e := newEnv(t)
	answerDemo(t, e, 3)
	k := e.consoleClient()
	cp := "/console/campaigns/" + itoa(e.demo.Campaign.ID)
	if page, _ := k.get(cp + "/dossier"); !strings.Contains(page, `id="statement-none"`) || !strings.Contains(page, `id="declare"`) {
		t.Fatalf("dossier before any statement:\n%s", page)
	}
	_, code, loc := k.post(cp+"/statements", url.Values{})
	if code != http.StatusSeeOther || loc != cp+"/dossier#statement" {
		t.Fatalf("declare: %d %s", code, loc)
	}
	page, _ := k.get(cp + "/dossier")
	for _, want := range []string{"已按样本日志前", `id="statement-check"`, "<b>临时</b>结果声明", "入样 3 份，计入样本 3 份",
		"（本次计分方法）", `id="statement-checkpoint"`, `&#34;kind&#34;:&#34;result&#34;`} {
		if !strings.Contains(page, want) {
			t.Errorf("dossier does not show %q:\n%s", want, page[strings.Index(page, `id="statement"`):])
		}
	}
	var st struct {
		Pos    int64 `json:"pos"`
		Result struct {
			Final     bool `json:"final"`
			Responses struct {
				Logged int64 `json:"logged"`
			} `json:"responses"`
		} `json:"result"`
		Checkpoint struct {
			Size int64  `json:"size"`
			Note string `json:"note"`
		} `json:"checkpoint"`
	}
	getJSON(t, e.staffClient(), e.srv.URL+"/api/v1/campaigns/"+itoa(e.demo.Campaign.ID)+"/statement", &st)
	if st.Result.Responses.Logged != 3 || st.Result.Final || st.Checkpoint.Size != st.Pos || st.Checkpoint.Note == "" {
		t.Errorf("API statement: %+v", st)
	}
	if _, code := call(t, e.staffClient(), "POST", e.srv.URL+"/api/v1/campaigns/"+itoa(e.demo.Campaign.ID)+"/statements", ""); code != http.StatusCreated {
		t.Errorf("API declare: %d", code)
	}

	// A parent's response deleted: the printed statement no longer adds up.
	if _, err := e.pool.Exec(context.Background(), `DELETE FROM responses WHERE id = (SELECT min(id) FROM responses WHERE campaign_id = $1)`,
		e.demo.Campaign.ID); err != nil {
		t.Fatal(err)
	}
	page, _ = k.get(cp + "/dossier")
	if !strings.Contains(page, `id="statement-problems"`) || !strings.Contains(page, "的入样答卷数记为 3，按日志重算应为 2") {
		t.Errorf("dossier after a deletion:\n%s", page[strings.Index(page, `id="statement"`):])
	}
}
