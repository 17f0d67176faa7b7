package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"renke/county"
	"renke/sampling"
	"renke/survey"
)

// ids are the resources one front end acts on in a case.
type ids struct{ unit, school, campaign, response int64 }

// ending is how an action ended, as a front end shows it: "ok", or the
// refusal's status and message.
type ending struct {
	status int
	msg    string
}

// TestStaffActionsAgree walks every staff action that both front ends
// offer, with the same inputs through the console form and the JSON API,
// each on resources of its own made alike, and checks that they end the
// same way: both succeed and leave the same domain state, or both are
// refused with the same status and message and change nothing. Each
// handler pair calls one domain function, so they cannot differ on a rule.
func TestStaffActionsAgree(t *testing.T) {
	e := newEnv(t)
	k, api := e.consoleClient(), e.staffClient()
	ctx := context.Background()
	units, surveys := county.NewStore(e.pool), survey.NewStore(e.pool)
	var seq atomic.Int64
	code := func() string { return fmt.Sprintf("u%d", seq.Add(1)) }

	newUnit := func() ids {
		u, err := units.CreateUnit(ctx, county.Unit{Code: code(), Name: "乙县", Kind: "county", Population: 400_000,
			Shares: sampling.Shares{Urban: 5000, Town: 3000, Rural: 2000}})
		if err != nil {
			t.Fatal(err)
		}
		sc, err := units.CreateSchool(ctx, county.School{UnitID: u.ID, Name: "乙县一小", Type: county.Primary, Locale: sampling.Urban, EnrolPrimary: 800})
		if err != nil {
			t.Fatal(err)
		}
		cp, err := surveys.CreateCampaign(ctx, u.ID, survey.Titled("乙县调查"))
		if err != nil {
			t.Fatal(err)
		}
		return ids{unit: u.ID, school: sc.ID, campaign: cp.ID}
	}
	withLink := func() ids {
		f := newUnit()
		social := survey.SocialForm
		if _, err := surveys.CreateLink(ctx, survey.Link{CampaignID: f.campaign, SchoolID: &f.school, Kind: &social}); err != nil {
			t.Fatal(err)
		}
		return f
	}
	// A response to the demo campaign, flagged (its device cookie did not
	// come back), so held for review.
	flagged := func() ids {
		body, status := e.postFlagged("/s/"+e.schoolLink(), parentForm(e.token("/s/"+e.schoolLink()+"?c=parent"), "A"))
		rc := receipt(body)
		if status != http.StatusOK || rc == "" {
			t.Fatalf("submit: %d", status)
		}
		var id int64
		if err := e.pool.QueryRow(ctx, `SELECT id FROM responses WHERE receipt = $1`, rc).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return ids{campaign: e.demo.Campaign.ID, response: id}
	}
	unitState := func(f ids) string {
		u, err := units.Unit(ctx, county.Everything, f.unit)
		if err != nil {
			return err.Error()
		}
		list, _ := units.Schools(ctx, f.unit)
		for i := range list {
			list[i].ID, list[i].UnitID = 0, 0
		}
		u.ID, u.Code = 0, ""
		b, _ := json.Marshal([]any{u, list})
		return string(b)
	}
	campaignState := func(f ids) string {
		cps, _ := surveys.Campaigns(ctx, f.unit)
		var out []string
		for _, cp := range cps {
			cp.ID, cp.UnitID, cp.CreatedAt, cp.OpenedAt, cp.ClosedAt = 0, 0, cp.CreatedAt.UTC().Truncate(24*3600e9), nil, nil
			b, _ := json.Marshal(cp)
			out = append(out, string(b))
		}
		return strings.Join(out, "\n") + "\n" + unitState(f)
	}
	responseState := func(f ids) string {
		var status string
		var decisions int
		_ = e.pool.QueryRow(ctx, `SELECT status, (SELECT count(*) FROM reviews WHERE response_id = $1) FROM responses WHERE id = $1`, f.response).Scan(&status, &decisions)
		return fmt.Sprint(status, decisions)
	}
	// newestUnit is the unit made last, with what it holds.
	newestUnit := func(ids) string {
		var id int64
		if err := e.pool.QueryRow(ctx, `SELECT max(id) FROM units`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return unitState(ids{unit: id})
	}
	unitForm := func(name, urban string) url.Values {
		return url.Values{"code": {code()}, "name": {name}, "kind": {"county"}, "population": {"400000"},
			"share_urban": {urban}, "share_town": {"30"}, "share_rural": {"20"}}
	}
	unitJSON := func(name string, urban int) string {
		return fmt.Sprintf(`{"code":%q,"name":%q,"kind":"county","population":400000,"shares":{"urban":%d,"town":3000,"rural":2000}}`, code(), name, urban)
	}
	campaignForm := func(title, threshold string) url.Values {
		return url.Values{"title": {title}, "threshold": {threshold}, "min_fill_seconds": {"20"}, "pow_bits": {"0"},
			"scoring_method": {"top2"}, "rate": {"1.5"}, "min_sample": {"0"}, "quota_policy": {"cap"}}
	}
	campaignJSON := func(title string, threshold float64) string {
		return fmt.Sprintf(`{"title":%q,"threshold":%v,"min_fill_seconds":20,"pow_bits":0,"scoring_method":"top2","rate_ppm":1500,"min_sample":0,"quota_policy":"cap"}`, title, threshold)
	}
	P := func(f ids, format string) string {
		return strings.NewReplacer("{unit}", itoa(f.unit), "{school}", itoa(f.school), "{campaign}", itoa(f.campaign), "{response}", itoa(f.response)).Replace(format)
	}

	for _, tc := range []struct {
		name    string
		setup   func() ids
		console func(f ids) (string, url.Values)        // path and form
		api     func(f ids) (method, path, body string) // under /api/v1
		state   func(ids) string
		refusal string // the message both must show; "" when both succeed
	}{
		{"create unit", newUnit,
			func(f ids) (string, url.Values) { return "/console/units", unitForm("丙县", "50") },
			func(f ids) (string, string, string) { return "POST", "/units", unitJSON("丙县", 5000) },
			newestUnit, ""},
		{"create unit, shares not 100%", newUnit,
			func(f ids) (string, url.Values) { return "/console/units", unitForm("丙县", "40") },
			func(f ids) (string, string, string) { return "POST", "/units", unitJSON("丙县", 4000) },
			newestUnit, "城区、镇区、乡村人口占比"},
		{"update unit", newUnit,
			func(f ids) (string, url.Values) {
				return P(f, "/console/units/{unit}"), unitForm("乙县（更名）", "50")
			},
			func(f ids) (string, string, string) {
				return "PUT", P(f, "/units/{unit}"), unitJSON("乙县（更名）", 5000)
			},
			unitState, ""},
		{"update unit, empty name", newUnit,
			func(f ids) (string, url.Values) { return P(f, "/console/units/{unit}"), unitForm(" ", "50") },
			func(f ids) (string, string, string) { return "PUT", P(f, "/units/{unit}"), unitJSON(" ", 5000) },
			unitState, "单位名称不能为空"},
		{"add school", newUnit,
			func(f ids) (string, url.Values) {
				return P(f, "/console/units/{unit}/schools"), url.Values{"name": {"乙县二中"}, "type": {"junior"}, "locale": {"town"}, "enrol_junior": {"600"}}
			},
			func(f ids) (string, string, string) {
				return "POST", P(f, "/units/{unit}/schools"), `{"name":"乙县二中","type":"junior","locale":"town","enrol_junior":600}`
			},
			unitState, ""},
		{"add school, junior pupils in a primary school", newUnit,
			func(f ids) (string, url.Values) {
				return P(f, "/console/units/{unit}/schools"), url.Values{"name": {"乙县二小"}, "type": {"primary"}, "locale": {"town"}, "enrol_junior": {"10"}}
			},
			func(f ids) (string, string, string) {
				return "POST", P(f, "/units/{unit}/schools"), `{"name":"乙县二小","type":"primary","locale":"town","enrol_junior":10}`
			},
			unitState, "小学没有初中学段"},
		{"add school, name taken", newUnit,
			func(f ids) (string, url.Values) {
				return P(f, "/console/units/{unit}/schools"), url.Values{"name": {"乙县一小"}, "type": {"primary"}, "locale": {"town"}}
			},
			func(f ids) (string, string, string) {
				return "POST", P(f, "/units/{unit}/schools"), `{"name":"乙县一小","type":"primary","locale":"town"}`
			},
			unitState, "已有同名学校：乙县一小"},
		{"delete school", newUnit,
			func(f ids) (string, url.Values) {
				return P(f, "/console/units/{unit}/schools/{school}/delete"), url.Values{"confirm": {"yes"}}
			},
			func(f ids) (string, string, string) { return "DELETE", P(f, "/units/{unit}/schools/{school}"), "" },
			unitState, ""},
		{"delete school with a link", withLink,
			func(f ids) (string, url.Values) {
				return P(f, "/console/units/{unit}/schools/{school}/delete"), url.Values{"confirm": {"yes"}}
			},
			func(f ids) (string, string, string) { return "DELETE", P(f, "/units/{unit}/schools/{school}"), "" },
			unitState, "该学校已有问卷链接或答卷，不能删除"},
		{"create campaign, no title", newUnit,
			func(f ids) (string, url.Values) {
				return P(f, "/console/units/{unit}/campaigns"), url.Values{"title": {""}}
			},
			func(f ids) (string, string, string) { return "POST", P(f, "/units/{unit}/campaigns"), `{"title":""}` },
			campaignState, "调查名称不能为空"},
		{"update campaign", newUnit,
			func(f ids) (string, url.Values) {
				return P(f, "/console/campaigns/{campaign}"), campaignForm("乙县 2026 调查", "90")
			},
			func(f ids) (string, string, string) {
				return "PUT", P(f, "/campaigns/{campaign}"), campaignJSON("乙县 2026 调查", 0.9)
			},
			campaignState, ""},
		{"update campaign, threshold over 100%", newUnit,
			func(f ids) (string, url.Values) {
				return P(f, "/console/campaigns/{campaign}"), campaignForm("乙县调查", "150")
			},
			func(f ids) (string, string, string) {
				return "PUT", P(f, "/campaigns/{campaign}"), campaignJSON("乙县调查", 1.5)
			},
			campaignState, "达标线须在 0 至 1 之间"},
		{"open campaign without links", newUnit,
			func(f ids) (string, url.Values) {
				return P(f, "/console/campaigns/{campaign}/open"), url.Values{"confirm": {"yes"}}
			},
			func(f ids) (string, string, string) { return "POST", P(f, "/campaigns/{campaign}/open"), "" },
			campaignState, "请先生成问卷链接（二维码），再开始调查"},
		{"open campaign", withLink,
			func(f ids) (string, url.Values) {
				return P(f, "/console/campaigns/{campaign}/open"), url.Values{"confirm": {"yes"}}
			},
			func(f ids) (string, string, string) { return "POST", P(f, "/campaigns/{campaign}/open"), "" },
			campaignState, ""},
		{"close a draft", newUnit,
			func(f ids) (string, url.Values) {
				return P(f, "/console/campaigns/{campaign}/close"), url.Values{"confirm": {"yes"}}
			},
			func(f ids) (string, string, string) { return "POST", P(f, "/campaigns/{campaign}/close"), "" },
			campaignState, "调查未在进行中"},
		{"review decision", flagged,
			func(f ids) (string, url.Values) {
				return P(f, "/console/campaigns/{campaign}/review/{response}"), url.Values{"decision": {"invalid"}, "reason": {"同一家长重复填写"}}
			},
			func(f ids) (string, string, string) {
				return "POST", P(f, "/campaigns/{campaign}/review/{response}"), `{"decision":"invalid","reason":"同一家长重复填写"}`
			},
			responseState, ""},
		{"review decision without a reason", flagged,
			func(f ids) (string, url.Values) {
				return P(f, "/console/campaigns/{campaign}/review/{response}"), url.Values{"decision": {"invalid"}, "reason": {" "}}
			},
			func(f ids) (string, string, string) {
				return "POST", P(f, "/campaigns/{campaign}/review/{response}"), `{"decision":"invalid","reason":" "}`
			},
			responseState, "请填写审核理由"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// One front end after the other, each on a fixture of its own:
			// the state read after an action is that action's alone.
			fc := tc.setup()
			beforeC := tc.state(fc)
			path, form := tc.console(fc)
			k.get("/console") // a fresh form token
			cbody, ccode, _ := k.post(path, form)
			afterC := tc.state(fc)

			fa := tc.setup()
			beforeA := tc.state(fa)
			method, apath, abody := tc.api(fa)
			abody, acode := call(t, api, method, e.srv.URL+"/api/v1"+apath, abody)
			afterA := tc.state(fa)

			if beforeC != beforeA {
				t.Fatalf("the two fixtures differ:\n%s\n%s", beforeC, beforeA)
			}
			con, ap := ending{status: ccode}, ending{status: acode}
			if ccode < 400 {
				con = ending{}
			}
			if acode < 400 {
				ap = ending{}
			}
			if con != ap {
				t.Fatalf("console %d, API %d:\n%s\n%s", ccode, acode, cbody, abody)
			}
			if tc.refusal == "" {
				if ccode >= 400 {
					t.Fatalf("refused: %d %s / %s", ccode, cbody, abody)
				}
				if afterC != afterA {
					t.Errorf("the front ends left different states:\nconsole %s\nAPI     %s", afterC, afterA)
				}
				if afterC == beforeC {
					t.Errorf("the action changed nothing: %s", afterC)
				}
				return
			}
			if !strings.Contains(cbody, tc.refusal) || !strings.Contains(abody, tc.refusal) {
				t.Errorf("want the refusal %q from both:\nconsole %d %s\nAPI %d %s", tc.refusal, ccode, cbody, acode, abody)
			}
			if afterC != beforeC || afterA != beforeA {
				t.Errorf("a refused action changed the state")
			}
		})
	}
}
