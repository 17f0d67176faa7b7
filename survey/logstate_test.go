package survey

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"renke/county"
)

// bureauFixture is an open campaign with a sample of satisfied parents,
// critics (responses 3, 7 and 11) and fast responses (1, 6 and 11:
// flagged, so held for review), response 1 judged invalid, and a
// provisional result statement in its log: 12 logged, 9 counted, 2 held,
// 1 invalidated.
func bureauFixture(t *testing.T) (fixture, []Receipt, Statement) {
	t.Helper()
	ctx := context.Background()
	f := openCampaign(t, 40_000) // N = 60, 30 parents in town
	var rcs []Receipt
	for i := range 12 {
		r := rand.New(rand.NewPCG(uint64(i), 5)) // each their own answers: no burst
		opts, fill := func(int) string { return []string{"A", "A", "B", "X"}[r.IntN(4)] }, time.Minute
		if i%4 == 3 { // a critic
			opts = func(int) string { return []string{"D", "C", "D", "B"}[r.IntN(4)] }
		}
		if i%5 == 1 { // filled too fast: flagged
			fill = 5 * time.Second
		}
		rcs = append(rcs, f.submit(t, fmt.Sprintf("b-%d", i), opts, fill, []byte{byte(i)}))
	}
	var flagged int64
	if err := f.pool.QueryRow(ctx, `SELECT id FROM responses WHERE receipt = $1`, rcs[1].Code).Scan(&flagged); err != nil {
		t.Fatal(err)
	}
	if err := f.store.Decide(ctx, f.campaign.ID, flagged, Invalid, "电话回访：非本校家长", 0, "admin"); err != nil {
		t.Fatal(err)
	}
	st, err := f.store.DeclareResult(ctx, f.campaign.ID, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := f.store.Verify(ctx, f.campaign.ID); err != nil || !v.OK() {
		t.Fatalf("the untouched log: %s %v", texts(v), err)
	}
	return f, rcs, st
}

// TestResultStatement: a statement holds the figures the dashboard shows,
// computed from the log: 12 logged, 2 held, 1 judged invalid, the flagged
// and pending of the review queue (the 3 fast ones, 2 of them pending),
// and the rates of the 9 counted.
func TestResultStatement(t *testing.T) {
	ctx := context.Background()
	f, _, st := bureauFixture(t)
	r := st.Result
	if r == nil || r.Final || st.Settings == nil || st.Settings.Threshold != 0.85 || r.Size != st.Pos-1 {
		t.Fatalf("statement: %+v", st)
	}
	sum, err := f.store.Review(ctx, f.campaign.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Responses != (StatementCounts{Logged: 12, Counted: 9, Held: 2, Invalidated: 1, Flagged: 3, Pending: 2}) ||
		r.Respondents != 9 || sum.Flagged != 3 || sum.Pending != 2 {
		t.Errorf("counts: %+v, %d respondents; the review queue: %+v", r.Responses, r.Respondents, sum)
	}
	cp, _ := f.store.Campaign(ctx, county.Everything, f.campaign.ID)
	p, _ := f.store.Progress(ctx, cp)
	forms, _ := f.store.Forms(ctx, cp.ID)
	rep, err := f.store.Recognition(ctx, cp, forms, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range rep.Methods {
		if got := r.Methods[m.Method]; got.Rate != fraction(m.Rate) || got.Low != fraction(m.Low) || got.High != fraction(m.High) {
			t.Errorf("%s: statement %+v, dashboard %+v", m.Method, got, m.Interval)
		}
	}
	if r.Provisional != rep.Provisional || r.Margin != rep.Margin || r.Sample != rep.Sample {
		t.Errorf("verdict: statement %+v, dashboard %+v", r, rep.Report)
	}
	if st.Checkpoint.Size != st.Pos || !strings.Contains(st.Body, `"kind":"result"`) || LeafHash([]byte(st.Body)) == nil {
		t.Errorf("statement's checkpoint %d, body %s", st.Checkpoint.Size, st.Body)
	}
	// Closing appends the close and a final statement, then seals.
	closed, err := f.store.Close(ctx, f.campaign.ID, "admin")
	if err != nil {
		t.Fatal(err)
	}
	final, err := f.store.LatestStatement(ctx, f.campaign.ID)
	if err != nil || !final.Result.Final || final.Pos != *closed.SealedSize || final.Result.Size != final.Pos-1 {
		t.Fatalf("final statement %+v sealed at %v: %v", final, closed.SealedSize, err)
	}
	if v, err := f.store.Verify(ctx, f.campaign.ID); err != nil || !v.OK() {
		t.Fatalf("after close: %s %v", texts(v), err)
	}
	if _, err := f.store.DeclareResult(ctx, f.campaign.ID, "admin"); err != nil {
		t.Errorf("a provisional statement of a closed campaign: %v", err)
	}
}

// TestBureauEditsAreNamed plays a bureau that holds the database and edits
// what the reviewer reads without touching the responses' leaves: each
// edit is named by verify.
func TestBureauEditsAreNamed(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		tamper func(f fixture, rcs []Receipt, exec func(string, ...any))
		want   []string // each in some problem's text
	}{
		{"flags cleared", func(f fixture, _ []Receipt, exec func(string, ...any)) {
			exec(`UPDATE responses SET flags = '{}' WHERE campaign_id = $1`, f.campaign.ID)
		}, []string{"的标记“填写过快”已被清除", "来源计数表"}},
		{"a flag slipped in", func(f fixture, rcs []Receipt, exec func(string, ...any)) {
			exec(`UPDATE responses SET flags = array_append(flags, 'slow') WHERE receipt = $1`, rcs[0].Code)
		}, []string{"带有标记“从打开到提交的时间远超本次调查的一般水平”，但日志中没有记录这个标记"}},
		{"threshold lowered", func(f fixture, _ []Receipt, exec func(string, ...any)) {
			exec(`UPDATE campaigns SET threshold = 0.5 WHERE id = $1`, f.campaign.ID)
		}, []string{"达标线：日志记为 85%，数据库中为 50%"}},
		{"a setting change made up", func(f fixture, _ []Receipt, exec func(string, ...any)) {
			exec(`INSERT INTO campaign_events (campaign_id, action, reason, username, setting, old_value, new_value)
				VALUES ($1, 'setting', '上级同意', 'admin', '达标线', '85%', '50%')`, f.campaign.ID)
		}, []string{"的事件“修改达标线”", "不在样本日志中"}},
		{"the opening's record deleted", func(f fixture, _ []Receipt, exec func(string, ...any)) {
			exec(`DELETE FROM campaign_events WHERE campaign_id = $1`, f.campaign.ID)
		}, []string{"日志记录的事件“开始调查”", "已从调查记录中删除"}},
		{"a critic deleted", func(f fixture, rcs []Receipt, exec func(string, ...any)) {
			exec(`DELETE FROM responses WHERE receipt = $1`, rcs[3].Code)
		}, []string{"已被删除", "（结果声明）的计入答卷数记为 9，按日志重算应为 8", "（结果声明）的认可度（满意度前两级占比）"}},
		{"tallies edited", func(f fixture, _ []Receipt, exec func(string, ...any)) {
			exec(`UPDATE answer_tallies SET n = 0 WHERE campaign_id = $1 AND option IN ('C', 'D')`, f.campaign.ID)
			exec(`UPDATE answer_totals SET n = 0 WHERE campaign_id = $1 AND option IN ('C', 'D')`, f.campaign.ID)
		}, []string{"认可度计数表", "认可度合计表"}},
		{"the statement's figures rewritten", func(f fixture, _ []Receipt, exec func(string, ...any)) {
			exec(`UPDATE log_leaves SET body = convert_to(replace(convert_from(body, 'UTF8'), '"counted":9', '"counted":12'), 'UTF8')
				WHERE campaign_id = $1 AND kind = 'result'`, f.campaign.ID)
		}, []string{"（结果声明）与记入日志时不一致"}},
		{"the statement rewritten and rehashed", func(f fixture, _ []Receipt, exec func(string, ...any)) {
			exec(`UPDATE log_leaves SET body = convert_to(replace(convert_from(body, 'UTF8'), '"invalidated":1', '"invalidated":0'), 'UTF8')
				WHERE campaign_id = $1 AND kind = 'result'`, f.campaign.ID)
			exec(`UPDATE log_leaves SET hash = sha256('\x00'::bytea || body) WHERE campaign_id = $1 AND kind = 'result'`, f.campaign.ID)
		}, []string{"（结果声明）的审核判为无效数记为 0，按日志重算应为 1", "已签名的检查点与现存记录重算的树不一致"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, rcs, _ := bureauFixture(t)
			exec := func(sql string, args ...any) {
				t.Helper()
				if _, err := f.pool.Exec(ctx, sql, args...); err != nil {
					t.Fatal(err)
				}
			}
			tc.tamper(f, rcs, exec)
			v, err := f.store.Verify(ctx, f.campaign.ID)
			if err != nil {
				t.Fatal(err)
			}
			all := texts(v)
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("verify does not say %q; it says:\n%s", w, all)
				}
			}
		})
	}
}

// TestSettingChangeIsLogged: a change the platform admin makes after the
// opening, with a reason, is a leaf with the settings after it, and the
// log still verifies; the statement after it uses the new threshold.
func TestSettingChangeIsLogged(t *testing.T) {
	ctx := context.Background()
	f, _, _ := bureauFixture(t)
	th, reason := 0.8, "省厅通知调整达标线"
	if _, _, err := f.store.UpdateCampaign(ctx, f.campaign.ID, Settings{Threshold: &th, Reason: &reason}, Actor{Username: "root", Admin: true}); err != nil {
		t.Fatal(err)
	}
	st, err := f.store.DeclareResult(ctx, f.campaign.ID, "root")
	if err != nil || st.Settings.Threshold != 0.8 {
		t.Fatalf("statement after the change: %+v %v", st.Settings, err)
	}
	if v, err := f.store.Verify(ctx, f.campaign.ID); err != nil || !v.OK() || v.Intervals[0].Entries < 4 {
		t.Fatalf("verify: %s %+v %v", texts(v), v.Intervals, err)
	}
	// Reopening after a close is a leaf too.
	if _, err := f.store.Close(ctx, f.campaign.ID, "root"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Reopen(ctx, f.campaign.ID, "补充乡村样本", "root"); err != nil {
		t.Fatal(err)
	}
	if v, err := f.store.Verify(ctx, f.campaign.ID); err != nil || !v.OK() {
		t.Fatalf("verify after reopening: %s %v", texts(v), err)
	}
	exec := func(sql string) {
		if _, err := f.pool.Exec(ctx, sql, f.campaign.ID); err != nil {
			t.Fatal(err)
		}
	}
	exec(`UPDATE campaigns SET status = 'closed' WHERE id = $1`)
	exec(`UPDATE campaign_events SET reason = '按计划' WHERE campaign_id = $1 AND action = 'reopen'`)
	v, _ := f.store.Verify(ctx, f.campaign.ID)
	for _, w := range []string{"调查状态为“已结束”，日志记录的是“进行中”", "事件“重新开放”", "与记入日志时不一致"} {
		if !strings.Contains(texts(v), w) {
			t.Errorf("verify does not say %q:\n%s", w, texts(v))
		}
	}
}

// TestTick: an open campaign whose log has not grown for TickEvery gets a
// tick, once; a closed one none; and the log still verifies.
func TestTick(t *testing.T) {
	ctx := context.Background()
	f := openCampaign(t, 40_000)
	later := time.Now().Add(TickEvery + time.Minute)
	if n, err := f.store.Tick(ctx, time.Now()); err != nil || n != 0 {
		t.Fatalf("a log just opened ticked: %d %v", n, err)
	}
	if n, err := f.store.Tick(ctx, later); err != nil || n != 1 {
		t.Fatalf("a quiet open log: %d ticks, %v", n, err)
	}
	// The tick is signed now: within the hour after it, nothing more.
	if n, err := f.store.Tick(ctx, time.Now().Add(TickEvery-time.Minute)); err != nil || n != 0 {
		t.Fatalf("ticked twice: %d %v", n, err)
	}
	if _, err := f.store.Close(ctx, f.campaign.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	if n, err := f.store.Tick(ctx, later.Add(3*TickEvery)); err != nil || n != 0 {
		t.Fatalf("a closed log ticked: %d %v", n, err)
	}
	if v, err := f.store.Verify(ctx, f.campaign.ID); err != nil || !v.OK() || v.Intervals[0].Entries != 4 {
		t.Fatalf("verify: %s %+v %v", texts(v), v.Intervals, err)
	}
}

// TestFlaggedHoldNoPlace: responses flagged on arrival are held: logged,
// counted nowhere and holding no quota place, so a stuffer's 40 fast
// responses do not keep the 30 honest parents of the town cell out. A
// reviewer admitting a held response once the cell is full gets it over
// quota; judging one invalid keeps it out. The log, the statement and the
// receipts say the same.
func TestFlaggedHoldNoPlace(t *testing.T) {
	ctx := context.Background()
	f := openCampaign(t, 40_000) // 30 places for parents in town
	var stuffed, honest []Receipt
	for i := range 40 {
		stuffed = append(stuffed, f.submit(t, fmt.Sprintf("stuffed-%d", i), random(1000+i), 3*time.Second, nil))
	}
	for i := range 31 {
		honest = append(honest, f.submit(t, fmt.Sprintf("honest-%d", i), random(i), 2*time.Minute, nil))
	}
	for _, rc := range stuffed {
		if rc.Status != Held || rc.Pos == 0 {
			t.Fatalf("a fast response: %+v, want held and in the log", rc)
		}
	}
	for i, rc := range honest {
		if want := Admitted; i == 30 && rc.Status != OverQuota || i < 30 && rc.Status != want {
			t.Fatalf("honest parent %d: %s", i+1, rc.Status)
		}
	}
	id := func(rc Receipt) int64 {
		var id int64
		if err := f.pool.QueryRow(ctx, `SELECT id FROM responses WHERE receipt = $1`, rc.Code).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	if err := f.store.Decide(ctx, f.campaign.ID, id(stuffed[0]), Valid, "电话回访确认为本人", 0, "admin"); err != nil {
		t.Fatal(err)
	}
	if err := f.store.Decide(ctx, f.campaign.ID, id(stuffed[1]), Invalid, "同一网络地址批量提交", 0, "admin"); err != nil {
		t.Fatal(err)
	}
	counts, _ := f.store.StatusCounts(ctx, f.campaign.ID)
	if counts[Admitted] != 30 || counts[Held] != 38 || counts[OverQuota] != 2 || counts[Invalidated] != 1 {
		t.Fatalf("statuses: %v", counts)
	}
	st, err := f.store.DeclareResult(ctx, f.campaign.ID, "admin")
	if err != nil {
		t.Fatal(err)
	}
	r := st.Result
	if r.Responses != (StatementCounts{Logged: 70, Counted: 30, Held: 38, Invalidated: 1, Flagged: 40, Pending: 38}) {
		t.Errorf("statement counts: %+v", r.Responses)
	}
	for _, c := range r.Cells {
		if c.Category == "parent" && c.Locale == "town" && (c.Admitted != 30 || c.Counted != 30) {
			t.Errorf("the town parents' cell: %+v", c)
		}
	}
	if v, err := f.store.Verify(ctx, f.campaign.ID); err != nil || !v.OK() {
		t.Fatalf("verify: %s %v", texts(v), err)
	}
	for rc, want := range map[Receipt]ResponseStatus{stuffed[2]: Held, stuffed[0]: OverQuota, stuffed[1]: Invalidated, honest[0]: Admitted} {
		chk, err := f.store.CheckReceipt(ctx, rc.Code, nil)
		if err != nil || chk.Status != want || len(chk.Problems) > 0 || chk.InSample() != (want == Admitted) {
			t.Errorf("receipt %s: %+v %v, want %s", rc.Code, chk, err, want)
		}
	}
	// A held response counted behind the log's back is named.
	if _, err := f.pool.Exec(ctx, `UPDATE responses SET status = 'admitted' WHERE receipt = $1`, stuffed[2].Code); err != nil {
		t.Fatal(err)
	}
	if v, _ := f.store.Verify(ctx, f.campaign.ID); !strings.Contains(texts(v), "未经审核即被计入样本") {
		t.Errorf("a held response counted without a decision:\n%s", texts(v))
	}
}
