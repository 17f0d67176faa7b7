package survey

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"renke/county"
	"renke/dbtest"
	"renke/sampling"
)

type fixture struct {
	pool     *pgxpool.Pool
	store    *Store
	campaign Campaign
	school   county.School
	form     Form
	link     Link
}

// openCampaign makes a unit of population whose parent quota in town is
// small, one school and one open campaign with a link.
func openCampaign(t *testing.T, population int64) fixture {
	t.Helper()
	ctx := context.Background()
	pool := dbtest.New(t)
	units, store := county.NewStore(pool), NewStore(pool)
	u, err := units.CreateUnit(ctx, county.Unit{Code: "t", Name: "测试县", Kind: "county", Population: population,
		Shares: sampling.Shares{Town: 10000}})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := units.CreateSchool(ctx, county.School{UnitID: u.ID, Name: "一小", Type: county.Primary, Locale: sampling.Town, EnrolPrimary: 500})
	if err != nil {
		t.Fatal(err)
	}
	c, err := store.CreateCampaign(ctx, u.ID, Titled("测试"))
	if err != nil {
		t.Fatal(err)
	}
	forms, _ := store.Forms(ctx, c.ID)
	social := SocialForm
	link, err := store.CreateLink(ctx, Link{CampaignID: c.ID, SchoolID: &sc.ID, Kind: &social})
	if err != nil {
		t.Fatal(err)
	}
	if c, err = store.Open(ctx, c.ID, "测试"); err != nil {
		t.Fatal(err)
	}
	return fixture{pool, store, c, sc, forms[0], link}
}

// submit sends a parent's answers; opts picks each item's option by index.
func (f fixture) submit(t *testing.T, id string, opts func(i int) string, fill time.Duration, device []byte) Receipt {
	t.Helper()
	sub := Submission{Category: sampling.Parent, GradeBand: sampling.Grades34, School: &f.school, Locale: f.school.Locale,
		Answers: map[string]string{}, Suggestion: "希望多开展体育活动"}
	for i, it := range f.form.Items {
		sub.Answers[it.ID] = opts(i)
	}
	if p := f.form.Check(&sub); len(p) > 0 {
		t.Fatalf("invalid submission: %v", p)
	}
	rc, err := f.store.Submit(context.Background(), Envelope{CampaignID: f.campaign.ID, FormID: f.form.ID, Form: &f.form.Questionnaire, LinkID: f.link.ID,
		SubmissionID: id, IPHash: []byte{1}, UAFamily: "wechat", FillTime: fill, DeviceHash: device,
		Signature: f.form.Signature(sub.Answers)}, sub, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

// random answers, a respondent's own: unlike varied, no two alike enough
// to make a burst (which would hold them for review).
func random(seed int) func(int) string {
	r := rand.New(rand.NewPCG(uint64(seed), 99))
	return func(int) string { return []string{"A", "B", "C", "D", "X"}[r.IntN(5)] }
}

func varied(seed int) func(int) string {
	return func(i int) string { return []string{"A", "B", "C", "D", "X"}[(seed*7+i*3+seed/5)%5] }
}

func TestGroupCommitKeepsQuotaAndLog(t *testing.T) {
	f := openCampaign(t, 40_000) // N = 60, 30 parents in town
	ctx := context.Background()
	var wg sync.WaitGroup
	receipts := make([]Receipt, 200)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			receipts[i] = f.submit(t, fmt.Sprintf("sub-%03d", i), random(i), time.Minute, nil)
		}()
	}
	wg.Wait()
	admitted := 0
	positions := map[int64]bool{}
	for _, rc := range receipts {
		if rc.Status == Admitted {
			admitted++
			positions[rc.Pos] = true
			if len(rc.Hash) != 12 || rc.TreeSize < rc.Pos || len(rc.Root) != 64 {
				t.Errorf("receipt %s: %+v", rc.Code, rc)
			}
		} else if rc.Pos != 0 || rc.TreeSize != 0 {
			t.Errorf("over-quota receipt %s has a place in the log", rc.Code)
		}
	}
	// Leaf 1 is the opening; the admissions follow, with the leaves of
	// the flags their groups raised between them.
	if admitted != 30 || len(positions) != 30 || positions[1] || !positions[2] {
		t.Fatalf("admitted %d with %d distinct positions, want 30 from 2 on", admitted, len(positions))
	}
	var cell int
	if err := f.pool.QueryRow(ctx, `SELECT admitted FROM quota_cells WHERE campaign_id = $1 AND category = 'parent' AND locale = 'town'`, f.campaign.ID).Scan(&cell); err != nil || cell != 30 {
		t.Fatalf("cell admitted %d (%v)", cell, err)
	}
	// A resubmission returns the first receipt and stores nothing.
	again := f.submit(t, "sub-007", random(99), time.Minute, nil)
	if !again.Duplicate || again.Code != receipts[7].Code || again.Pos != receipts[7].Pos || again.TreeSize != receipts[7].TreeSize || again.Root != receipts[7].Root {
		t.Fatalf("resubmit: %+v, first %+v", again, receipts[7])
	}
	v, err := f.store.Verify(ctx, f.campaign.ID)
	if err != nil || !v.OK() || v.Size < 31 || v.Intervals[0].Responses != 30 || v.Checkpoints < 2 || v.Checkpoints > 31 {
		t.Fatalf("verify: %+v %v", v, err)
	}
	// Each receipt checks out on the public page's lookup, against the
	// checkpoint it names.
	for _, rc := range receipts[:20] {
		var claim *ReceiptClaim
		if rc.Pos > 0 {
			root, _ := hex.DecodeString(rc.Root)
			claim = &ReceiptClaim{Size: rc.TreeSize, Root: root}
		}
		chk, err := f.store.CheckReceipt(ctx, rc.Code, claim)
		if err != nil || chk.Status != rc.Status || chk.Pos != rc.Pos || (rc.Pos > 0) != chk.InSample() || (rc.Pos > 0 && chk.Hash != rc.Hash) {
			t.Fatalf("check %s: %+v %v", rc.Code, chk, err)
		}
	}
	// Closing seals the log.
	closed, err := f.store.Close(ctx, f.campaign.ID, "admin")
	// after the close and the final result statement.
	if err != nil || closed.SealedSize == nil || *closed.SealedSize != v.Size+2 || string(closed.SealedRoot) != string(closed.LogRoot) {
		t.Fatalf("close: %+v %v", closed, err)
	}
}

// TestTamperDetected edits, deletes and inserts rows behind the
// application's back and expects verify to name each.
func TestTamperDetected(t *testing.T) {
	ctx := context.Background()
	f := openCampaign(t, 40_000)
	var rcs []Receipt
	for i := range 8 {
		rcs = append(rcs, f.submit(t, fmt.Sprintf("t-%d", i), varied(i), time.Minute, nil))
	}
	if _, err := f.store.Close(ctx, f.campaign.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	id := func(receipt string) int64 {
		var id int64
		if err := f.pool.QueryRow(ctx, `SELECT id FROM responses WHERE receipt = $1`, receipt).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := f.pool.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	// 1. An answer of entry 2 changed to 不满意.
	exec(`UPDATE responses SET answers[1] = split_part(answers[1], '=', 1) || '=D' WHERE id = $1`, id(rcs[1].Code))
	// 2. Entry 4's response deleted (its answers go with it).
	exec(`DELETE FROM responses WHERE id = $1`, id(rcs[3].Code))
	// 3. A response inserted as admitted, copying entry 6 with new answers.
	exec(`INSERT INTO responses (campaign_id, questionnaire_id, link_id, submission_id, receipt, category, locale, grade_band,
		school_id, status, ip_hash, ua_family, fill_ms) SELECT campaign_id, questionnaire_id, link_id, 'forged', 'FORGED0001',
		category, locale, grade_band, school_id, 'admitted', ip_hash, ua_family, fill_ms FROM responses WHERE id = $1`, id(rcs[5].Code))
	// 4. Entry 7 taken out of the sample with no decision.
	exec(`UPDATE responses SET status = 'invalidated' WHERE id = $1`, id(rcs[6].Code))
	// 5. The last response's leaf and the response both deleted, and the
	// campaign's size rewound by one: the checkpoints and the root sealed
	// at close tell.
	exec(`DELETE FROM log_leaves WHERE campaign_id = $1 AND idx = $2`, f.campaign.ID, rcs[7].Pos-1)
	exec(`DELETE FROM responses WHERE id = $1`, id(rcs[7].Code))
	exec(`UPDATE campaigns SET log_size = log_size - 1 WHERE id = $1`, f.campaign.ID)

	v, err := f.store.Verify(ctx, f.campaign.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, p := range v.Problems {
		got[fmt.Sprintf("%s@%d:%s", p.Kind, p.Pos, p.Receipt)] = true
	}
	for _, want := range []string{
		fmt.Sprintf("%s@%d:%s", Changed, rcs[1].Pos, rcs[1].Code),
		fmt.Sprintf("%s@%d:", Removed, rcs[3].Pos),
		Inserted + "@0:FORGED0001",
		fmt.Sprintf("%s@%d:%s", Excluded, rcs[6].Pos, rcs[6].Code),
		fmt.Sprintf("%s@%d:", Removed, rcs[7].Pos),
	} {
		if !got[want] {
			t.Errorf("verify does not report %s; got %v", want, keysOf(got))
		}
	}
	// The rewound size against the stored root, the seal, the checkpoints.
	if n := len(slices.DeleteFunc(slices.Clone(v.Problems), func(p LogProblem) bool { return p.Kind != Diverged })); n != 3 {
		t.Errorf("%d divergences, want 3: %s", n, texts(v))
	}
	// The kept figures still count the answers as they were admitted: the
	// recount of the tampered sample differs, and says so.
	figures := len(slices.DeleteFunc(slices.Clone(v.Problems), func(p LogProblem) bool { return p.Kind != Figure }))
	// Besides the four named above: the leaf beyond the rewound size, the
	// lost leaf's slot, and the three divergences.
	if len(v.Problems)-figures != 9 || figures == 0 {
		t.Errorf("%d problems and %d figures, want 9 and some: %s", len(v.Problems)-figures, figures, texts(v))
	}
	// The respondent's own check shows the edited response as changed; an
	// untouched one cannot be proved in a log that lost a leaf.
	chk, err := f.store.CheckReceipt(ctx, rcs[1].Code, nil)
	if err != nil || chk.Included || chk.InSample() {
		t.Errorf("receipt check of the edited response: %+v %v", chk, err)
	}
	if chk, err := f.store.CheckReceipt(ctx, rcs[0].Code, nil); err != nil || chk.InSample() || len(chk.Problems) == 0 {
		t.Errorf("receipt check of an untouched response in a damaged log: %+v %v", chk, err)
	}
}

func keysOf(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestFlagsAndReview(t *testing.T) {
	ctx := context.Background()
	f := openCampaign(t, 400_000) // room for every response below
	phone := []byte("device-1")
	fast := f.submit(t, "fast", varied(1), 5*time.Second, nil)
	straight := f.submit(t, "straight", func(int) string { return "A" }, time.Minute, nil)
	first := f.submit(t, "dev-1", varied(2), time.Minute, phone)
	repeat := f.submit(t, "dev-2", varied(3), time.Minute, phone)
	// A burst: five near-identical vectors from one link within minutes.
	var burst []Receipt
	for i := range 5 {
		burst = append(burst, f.submit(t, fmt.Sprintf("burst-%d", i), func(j int) string {
			if j == 0 {
				return []string{"A", "B", "C", "D", "X"}[i]
			}
			return varied(50)(j)
		}, time.Minute, nil))
	}
	flags := func(rc Receipt) []string {
		var fl []string
		if err := f.pool.QueryRow(ctx, `SELECT flags FROM responses WHERE receipt = $1`, rc.Code).Scan(&fl); err != nil {
			t.Fatal(err)
		}
		return fl
	}
	for _, c := range []struct {
		name string
		rc   Receipt
		want []string
	}{
		// 满意 throughout is what satisfied parents answer: no flag.
		{"fast", fast, []string{"fast"}}, {"straight", straight, nil}, {"first on device", first, nil},
		{"second on device", repeat, []string{"device"}}, {"burst, first", burst[0], []string{"burst"}},
		{"burst, last", burst[4], []string{"burst"}},
	} {
		if got := flags(c.rc); !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("%s: flags %v, want %v", c.name, got, c.want)
		}
	}
	q, err := f.store.Queue(ctx, f.campaign.ID)
	if err != nil || len(q) != 7 {
		t.Fatalf("queue of %d (%v), want 7", len(q), err)
	}
	idOf := func(rc Receipt) int64 {
		for _, x := range q {
			if x.Receipt == rc.Code {
				return x.ID
			}
		}
		t.Fatalf("%s not in the queue", rc.Code)
		return 0
	}
	var unflagged int64
	_ = f.pool.QueryRow(ctx, `SELECT id FROM responses WHERE receipt = $1`, first.Code).Scan(&unflagged)
	if err := f.store.Decide(ctx, f.campaign.ID, unflagged, Invalid, "不喜欢这份答卷", 0, "admin"); err != ErrNotFlagged {
		t.Fatalf("an unflagged response was decided on: %v", err)
	}
	if err := f.store.Decide(ctx, f.campaign.ID, idOf(fast), Invalid, " ", 0, "admin"); err == nil {
		t.Fatal("a decision without a reason was taken")
	}
	if err := f.store.Decide(ctx, f.campaign.ID, idOf(repeat), Invalid, "同一家长重复填写", 0, "admin"); err != nil {
		t.Fatal(err)
	}
	if err := f.store.Decide(ctx, f.campaign.ID, idOf(burst[1]), Valid, "电话回访确认为本人真实意见", 0, "admin"); err != nil {
		t.Fatal(err)
	}
	counts, _ := f.store.StatusCounts(ctx, f.campaign.ID)
	sum, err := f.store.Review(ctx, f.campaign.ID)
	if err != nil || counts[Invalidated] != 1 || sum.Excluded != 1 || sum.Pending != 5 || sum.Flagged != 7 ||
		len(sum.Reasons) != 1 || sum.Reasons[0].Reason != "同一家长重复填写" {
		t.Fatalf("after review: counts %v summary %+v %v", counts, sum, err)
	}
	// The chain still verifies: the exclusion has its decision.
	if v, err := f.store.Verify(ctx, f.campaign.ID); err != nil || !v.OK() {
		t.Fatalf("verify after review: %+v %v", v, err)
	}
}

// TestUpgradeLegacyChain: a campaign whose admitted responses are still in
// the linear chain of earlier versions gets a log of the same responses,
// in chain order, with its review decisions, one signed checkpoint and a
// campaign event; a second upgrade changes nothing.
func TestUpgradeLegacyChain(t *testing.T) {
	ctx := context.Background()
	f := openCampaign(t, 400_000)
	var rcs []Receipt
	for i := range 5 {
		rcs = append(rcs, f.submit(t, fmt.Sprintf("u-%d", i), varied(i), 5*time.Second, nil)) // fast: flagged
	}
	if _, err := f.store.Close(ctx, f.campaign.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	// What an earlier version left: chain entries in submission order, no
	// log, and a review decision.
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := f.pool.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`DELETE FROM log_leaves WHERE campaign_id = $1`, f.campaign.ID)
	exec(`DELETE FROM log_checkpoints WHERE campaign_id = $1`, f.campaign.ID)
	exec(`UPDATE responses SET status = 'admitted' WHERE status = 'held'`) // earlier versions held nothing
	exec(`INSERT INTO chain_entries (campaign_id, pos, response_id, hash)
		SELECT campaign_id, row_number() OVER (ORDER BY id), id, '\x00' FROM responses WHERE campaign_id = $1`, f.campaign.ID)
	exec(`UPDATE campaigns SET log_version = 1, log_frontier = '{}', log_root = '\x00', sealed_root = '\x00' WHERE id = $1`, f.campaign.ID)
	exec(`INSERT INTO reviews (response_id, decision, reason, username) SELECT id, 'invalid', '旧版审核', 'li' FROM responses WHERE receipt = $1`, rcs[1].Code)
	exec(`UPDATE responses SET status = 'invalidated' WHERE receipt = $1`, rcs[1].Code)
	if err := f.store.RecountTallies(ctx, f.campaign.ID); err != nil { // as migration 00012 counted them
		t.Fatal(err)
	}

	for range 2 {
		if err := f.store.UpgradeLogs(ctx); err != nil {
			t.Fatal(err)
		}
	}
	v, err := f.store.Verify(ctx, f.campaign.ID)
	// Six leaves from the chain, sealed as it was closed, and a seventh
	// that brings the log to version 3: the flags and settings then.
	if err != nil || !v.OK() || v.Size != 7 || v.Checkpoints != 2 || v.SealedSize == nil || *v.SealedSize != 6 {
		t.Fatalf("upgraded log: %+v %v", v, err)
	}
	var legacy int
	_ = f.pool.QueryRow(ctx, `SELECT count(*) FROM chain_entries`).Scan(&legacy)
	events, _ := f.store.Events(ctx, f.campaign.ID)
	if legacy != 0 || len(events) != 4 || events[0].Setting != "开始调查时冻结的设置" || events[2].Action != "log_upgrade" ||
		!strings.Contains(events[2].Reason, "5 条答卷、1 条审核决定") || events[3].Action != "log_upgrade" {
		t.Errorf("after the upgrade: %d chain entries, events %+v", legacy, events)
	}
	// A respondent's receipt checks out against the new log.
	if chk, err := f.store.CheckReceipt(ctx, rcs[3].Code, nil); err != nil || !chk.InSample() || chk.Pos != 4 {
		t.Errorf("receipt after the upgrade: %+v %v", chk, err)
	}
}

// TestTalliesMatchTheRawCount: the tallies and response counts kept by
// group commits and review decisions equal the raw counts over the
// responses, on
// random answers from concurrent submitters, over quota included, and
// after decisions that take responses out of the sample and put some back.
func TestTalliesMatchTheRawCount(t *testing.T) {
	ctx := context.Background()
	f := openCampaign(t, 60_000) // 45 parents in town: some of the 80 below go over quota
	rng := rand.New(rand.NewPCG(7, 11))
	seeds := make([]int, 80)
	for i := range seeds {
		seeds[i] = rng.IntN(1000)
	}
	var wg sync.WaitGroup
	receipts := make([]Receipt, len(seeds))
	for i, seed := range seeds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pick := rand.New(rand.NewPCG(uint64(seed), 3))
			opts := func(int) string { return []string{"A", "B", "C", "D", "X"}[pick.IntN(5)] }
			fill := time.Minute
			if i%2 == 0 {
				fill = 5 * time.Second // fast: flagged, so held for review
			}
			receipts[i] = f.submit(t, fmt.Sprintf("tally-%d", i), opts, fill, nil)
		}()
	}
	wg.Wait()
	same := func(when string) {
		t.Helper()
		kept, err := f.store.Tally(ctx, f.campaign.ID)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := f.store.RawTally(ctx, f.campaign.ID)
		if err != nil {
			t.Fatal(err)
		}
		key := func(c Count) string {
			return fmt.Sprintf("%s/%s/%s/%s/%s=%d", c.Item, c.Option, c.Category, c.Locale, c.School, c.N)
		}
		a, b := make([]string, len(kept)), make([]string, len(raw))
		for i, c := range kept {
			a[i] = key(c)
		}
		for i, c := range raw {
			b[i] = key(c)
		}
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) || len(a) == 0 {
			t.Fatalf("%s: the kept tallies (%d cells) differ from the raw count (%d cells)", when, len(a), len(b))
		}
		// The totals (no locale, no school), against the tallies summed.
		var differ int
		if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM (
			(SELECT item, option, category, n FROM answer_totals WHERE campaign_id = $1 AND n <> 0
			 EXCEPT SELECT item, option, category, sum(n) FROM answer_tallies WHERE campaign_id = $1 GROUP BY 1, 2, 3 HAVING sum(n) <> 0)
			UNION ALL
			(SELECT item, option, category, sum(n) FROM answer_tallies WHERE campaign_id = $1 GROUP BY 1, 2, 3 HAVING sum(n) <> 0
			 EXCEPT SELECT item, option, category, n FROM answer_totals WHERE campaign_id = $1 AND n <> 0)) d`, f.campaign.ID).Scan(&differ); err != nil || differ != 0 {
			t.Fatalf("%s: %d total cells differ from the tallies (%v)", when, differ, err)
		}
		// The response counts, against the responses themselves.
		if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM (
			(SELECT hour, status, category, locale, grade_band, n FROM response_counts WHERE campaign_id = $1 AND n <> 0
			 EXCEPT SELECT date_trunc('hour', submitted_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', status, category, locale,
				coalesce(grade_band, ''), count(*) FROM responses WHERE campaign_id = $1 GROUP BY 1, 2, 3, 4, 5)
			UNION ALL
			(SELECT date_trunc('hour', submitted_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', status, category, locale,
				coalesce(grade_band, ''), count(*) FROM responses WHERE campaign_id = $1 GROUP BY 1, 2, 3, 4, 5
			 EXCEPT SELECT hour, status, category, locale, grade_band, n FROM response_counts WHERE campaign_id = $1 AND n <> 0)) d`,
			f.campaign.ID).Scan(&differ); err != nil || differ != 0 {
			t.Fatalf("%s: %d response-count cells differ from the responses (%v)", when, differ, err)
		}
		const sources = `SELECT link_id, coalesce(school_id, 0), status, flags <> '{}',
			EXISTS (SELECT 1 FROM reviews v WHERE v.response_id = r.id), count(*), max(submitted_at)
			FROM responses r WHERE campaign_id = $1 GROUP BY 1, 2, 3, 4, 5`
		if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM (
			(SELECT link_id, school_id, status, flagged, reviewed, n FROM source_counts WHERE campaign_id = $1 AND n <> 0
			 EXCEPT SELECT link_id, coalesce, status, "?column?", "exists", count FROM (`+sources+`) x)
			UNION ALL
			(SELECT link_id, coalesce, status, "?column?", "exists", count FROM (`+sources+`) x
			 EXCEPT SELECT link_id, school_id, status, flagged, reviewed, n FROM source_counts WHERE campaign_id = $1 AND n <> 0)) d`,
			f.campaign.ID).Scan(&differ); err != nil || differ != 0 {
			t.Fatalf("%s: %d source-count cells differ from the responses (%v)", when, differ, err)
		}
		// The respondent sums behind the intervals, against a recount.
		if differ, err := f.store.RespondentSumsDiffer(ctx, f.campaign.ID); err != nil || differ != 0 {
			t.Fatalf("%s: %d respondent-sum cells differ from a recount (%v)", when, differ, err)
		}
		// And what the pages read from them.
		var last, rawLast time.Time
		_ = f.pool.QueryRow(ctx, `SELECT max(last_at) FROM source_counts WHERE campaign_id = $1`, f.campaign.ID).Scan(&last)
		_ = f.pool.QueryRow(ctx, `SELECT max(submitted_at) FROM responses WHERE campaign_id = $1`, f.campaign.ID).Scan(&rawLast)
		if !last.Equal(rawLast) {
			t.Fatalf("%s: last arrival %v, responses say %v", when, last, rawLast)
		}
	}
	same("after admission")
	// Near-identical answers from one link in a burst: flagged, the earlier
	// ones retroactively (AddFlag moves them to the flagged counts).
	for i := range 6 {
		f.submit(t, fmt.Sprintf("burst-%d", i), varied(42), time.Minute, nil) // alike, not straight
	}
	var burst int
	_ = f.pool.QueryRow(ctx, `SELECT count(*) FROM responses WHERE campaign_id = $1 AND 'burst' = ANY(flags)`, f.campaign.ID).Scan(&burst)
	var moved int // flagged only as a burst: moved by AddFlag from the unflagged counts
	_ = f.pool.QueryRow(ctx, `SELECT count(*) FROM responses WHERE campaign_id = $1 AND flags = '{burst}'`, f.campaign.ID).Scan(&moved)
	if burst < 4 || moved == 0 {
		t.Fatalf("%d responses flagged as a burst, %d of them only so", burst, moved)
	}
	same("after a burst")
	// Decisions on flagged responses, held and admitted alike: out, out
	// again (no change), back in, valid on one never out; a held one
	// admitted takes a place, or is over quota when its cell is full.
	var ids []int64
	rows, _ := f.pool.Query(ctx, `SELECT id FROM responses WHERE campaign_id = $1 AND flags <> '{}' AND status IN ('admitted', 'held')
		ORDER BY status DESC, id`, f.campaign.ID) // held first
	for rows.Next() {
		var id int64
		_ = rows.Scan(&id)
		ids = append(ids, id)
	}
	for i, d := range []struct {
		id int64
		d  Decision
	}{{ids[0], Invalid}, {ids[1], Invalid}, {ids[2], Invalid}, {ids[1], Invalid}, {ids[2], Valid}, {ids[3], Valid}, {ids[4], Invalid}} {
		if err := f.store.Decide(ctx, f.campaign.ID, d.id, d.d, "抽查复核第 "+fmt.Sprint(i+1)+" 份", 0, "li"); err != nil {
			t.Fatal(err)
		}
		same(fmt.Sprintf("after decision %d", i+1))
	}
	if v, err := f.store.Verify(ctx, f.campaign.ID); err != nil || !v.OK() {
		t.Fatalf("log after the decisions: %v %v", err, kinds(v))
	}
	_ = receipts
}
