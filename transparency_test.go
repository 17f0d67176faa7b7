package main

// The sample log against the bureau that runs it: a witness records
// checkpoints, the bureau rewrites the sample with the project's own code
// and key, and the witness, verify given the witness's store, and the
// respondents' receipts each catch it; two witnesses shown different
// checkpoints of one size catch the split view when they compare.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/compact"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"renke/dbtest"
	"renke/server"
	"renke/survey"
	"renke/witness"
)

var checkLinkRE = regexp.MustCompile(`href="/check\?receipt=([A-Z0-9]+)&amp;c=\d+&amp;p=(\d+)&amp;n=(\d+)&amp;root=([0-9a-f]{64})"`)

// kept is what a respondent keeps of a receipt: the check link's values.
type kept struct {
	code       string
	pos, size  int64 // its place in the log (leaf index + 1), and the checkpoint's size
	root, link string
}

type logFixture struct {
	pool     *pgxpool.Pool
	srv      *httptest.Server
	campaign int64
	form     string
	key      *survey.LogKey
	keys     []string // the witnesses' verifier keys
	logURL   string
}

// newLogFixture runs a server on the demo county with the test log key
// and the given witnesses configured.
func newLogFixture(t *testing.T, witnesses ...*witness.Witness) *logFixture {
	t.Helper()
	pool := dbtest.New(t)
	d, err := seedHonest(pool)
	if err != nil {
		t.Fatal(err)
	}
	f := &logFixture{pool: pool, campaign: d.Campaign.ID}
	for _, w := range witnesses {
		f.keys = append(f.keys, w.VerifierKey())
	}
	_, loopback, _ := net.ParseCIDR("127.0.0.1/32") // the phones' addresses come as X-Forwarded-For
	h, err := server.New(server.Config{SessionKey: []byte("log-test-session-key-0123456789abcdef"), LogKey: testLogKey, LogSM2Key: testSM2Key,
		WitnessKeys: f.keys, TrustedProxies: []*net.IPNet{loopback}}, pool)
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	f.form = f.srv.URL + "/s/" + schoolLink(t, d)
	if f.key, err = survey.ParseLogKey(testLogKey); err != nil {
		t.Fatal(err)
	}
	f.logURL = fmt.Sprintf("%s/log/campaigns/%d", f.srv.URL, f.campaign)
	return f
}

// answer submits n parents' answers and returns what each respondent keeps.
func (f *logFixture) answer(t *testing.T, n int) []kept { return f.answerDropping(t, n, -1) }

// answerDropping is answer with respondent drop (counted from 0) posting
// without the device cookie its form came with: flagged, so held for
// review.
func (f *logFixture) answerDropping(t *testing.T, n, drop int) []kept {
	t.Helper()
	var out []kept
	for i := range n {
		p := newPhone(f.form)
		tok, err := p.token()
		if err != nil {
			t.Fatal(err)
		}
		v := url.Values{"token": {tok}, "category": {"parent"}, "band": {"3-4"}}
		for j := 1; j <= 12; j++ {
			v.Set(fmt.Sprintf("a_S%02d", j), []string{"A", "B", "C", "A", "D"}[(i+j)%5])
		}
		if i == drop {
			p.client.Jar = nil
		}
		req, _ := http.NewRequest(http.MethodPost, f.form, strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := p.do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := checkLinkRE.FindSubmatch(b)
		if resp.StatusCode != http.StatusOK || m == nil {
			t.Fatalf("submit: %d %.400s", resp.StatusCode, b)
		}
		pos, _ := strconv.ParseInt(string(m[2]), 10, 64)
		size, _ := strconv.ParseInt(string(m[3]), 10, 64)
		out = append(out, kept{code: string(m[1]), pos: pos, size: size, root: string(m[4]),
			link: strings.ReplaceAll(string(m[0][6:len(m[0])-1]), "&amp;", "&")})
	}
	return out
}

func watch(t *testing.T, w *witness.Witness, f *logFixture, peers ...string) {
	t.Helper()
	cfg, err := witness.ParseConfig(strings.NewReader(fmt.Sprintf("# the demo county\nlog demo %s %s\n", f.logURL, f.key.VerifierKey()) +
		strings.Join(prefixed("peer ", peers), "\n")))
	if err != nil {
		t.Fatal(err)
	}
	w.Config = cfg
}

func prefixed(p string, s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = p + x
	}
	return out
}

func (f *logFixture) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := f.pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// rewrite is the bureau's attack, done with the project's own code and
// key: every response leaf recomputed from the responses as they now stand
// (a deleted response's leaf dropped, and unless insertAt < 0 the newest
// response, fabricated, slipped in at insertAt), the other leaves (the
// opening, flags, decisions) kept, the tree, its right edge, the
// campaign's size and root, every checkpoint re-signed, and the
// witnesses' cosignatures deleted.
func (f *logFixture) rewrite(t *testing.T, insertAt int) {
	t.Helper()
	ctx := context.Background()
	chained := func(where string, args ...any) map[int64][]byte {
		rows, err := f.pool.Query(ctx, `SELECT r.id, r.receipt, r.questionnaire_id, r.link_id, r.category, r.locale, coalesce(r.grade_band, ''),
			coalesce(r.school_id, 0), r.suggestion, r.fill_ms, r.submitted_at, r.answers
			FROM responses r WHERE r.campaign_id = $1 AND r.status IN ('admitted', 'held') `+where, append([]any{f.campaign}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[int64][]byte{}
		for rows.Next() {
			c := survey.Chained{CampaignID: f.campaign, Answers: map[string]string{}}
			var id int64
			var answers []string
			if err := rows.Scan(&id, &c.Receipt, &c.FormID, &c.LinkID, &c.Category, &c.Locale, &c.GradeBand, &c.SchoolID,
				&c.Suggestion, &c.FillMS, &c.SubmittedAt, &answers); err != nil {
				t.Fatal(err)
			}
			for _, a := range answers {
				k, v, _ := strings.Cut(a, "=")
				c.Answers[k] = v
			}
			out[id] = survey.LeafHash(c.Canonical())
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	now := chained("")
	type leaf struct {
		response, review *int64
		kind             *string
		body, hash       []byte
	}
	rows, err := f.pool.Query(ctx, `SELECT response_id, review_id, kind, body, hash FROM log_leaves WHERE campaign_id = $1 ORDER BY idx`, f.campaign)
	if err != nil {
		t.Fatal(err)
	}
	var leaves []leaf
	logged := map[int64]bool{}
	for rows.Next() {
		var l leaf
		if err := rows.Scan(&l.response, &l.review, &l.kind, &l.body, &l.hash); err != nil {
			t.Fatal(err)
		}
		if l.body == nil && l.review == nil {
			logged[*l.response] = true
			h, ok := now[*l.response]
			if !ok {
				continue // deleted: its leaf goes too
			}
			l.hash = h
		}
		leaves = append(leaves, l)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if insertAt >= 0 {
		for id, h := range now {
			if !logged[id] { // the fabricated response
				leaves = slices.Insert(leaves, insertAt, leaf{response: &id, hash: h})
			}
		}
	}

	f.exec(t, `DELETE FROM log_leaves WHERE campaign_id = $1`, f.campaign)
	f.exec(t, `DELETE FROM log_checkpoints WHERE campaign_id = $1`, f.campaign)
	f.exec(t, `DELETE FROM log_cosignatures WHERE campaign_id = $1`, f.campaign)
	f.exec(t, `DELETE FROM log_nodes WHERE campaign_id = $1`, f.campaign)
	r := (&compact.RangeFactory{Hash: survey.Hasher.HashChildren}).NewEmptyRange(0)
	for i, l := range leaves {
		f.exec(t, `INSERT INTO log_leaves (campaign_id, idx, response_id, review_id, kind, body, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			f.campaign, i, l.response, l.review, l.kind, l.body, l.hash)
		if err := r.Append(l.hash, func(id compact.NodeID, h []byte) {
			if id.Level > 0 { // the interior hashes proofs are made from, rebuilt too
				f.exec(t, `INSERT INTO log_nodes (campaign_id, level, idx, hash) VALUES ($1, $2, $3, $4)`, f.campaign, id.Level, id.Index, h)
			}
		}); err != nil {
			t.Fatal(err)
		}
		root, _ := r.GetRootHash(nil)
		signed, err := f.key.Sign(f.key.Origin(f.campaign), int64(i+1), root)
		if err != nil {
			t.Fatal(err)
		}
		f.exec(t, `INSERT INTO log_checkpoints (campaign_id, size, root, note) VALUES ($1, $2, $3, $4)`, f.campaign, i+1, root, signed)
	}
	root, _ := r.GetRootHash(nil)
	f.exec(t, `UPDATE campaigns SET log_size = $2, log_root = $3, log_frontier = $4 WHERE id = $1`, f.campaign, len(leaves), root, r.Hashes())
}

func TestRewriteCaughtByWitnessVerifyAndReceipts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w, err := witness.Open(dir, "city-witness", witness.Config{})
	if err != nil {
		t.Fatal(err)
	}
	f := newLogFixture(t, w)
	watch(t, w, f)

	// Answers come in; the witness checks and cosigns two checkpoints, the
	// second shown by a consistency proof to extend the first.
	receipts := f.answer(t, 10)
	if alarms, errs := w.Poll(ctx); alarms != nil || errs != nil {
		t.Fatalf("first poll: %v %v", alarms, errs)
	}
	receipts = append(receipts, f.answerDropping(t, 10, 7)...) // the 18th drops its cookie: held for review
	// Staff print a provisional result statement; the witness sees it.
	st := logStore(f.pool)
	stmt, err := st.DeclareResult(ctx, f.campaign, "admin")
	if err != nil || stmt.Result.Responses.Logged != 20 {
		t.Fatalf("result statement: %+v %v", stmt, err)
	}
	if alarms, errs := w.Poll(ctx); alarms != nil || errs != nil {
		t.Fatalf("second poll: %v %v", alarms, errs)
	}
	if err := st.UseWitnesses(f.keys); err != nil {
		t.Fatal(err)
	}
	// The log's leaves: the opening, the 20 admissions, the flags their
	// groups raised, and the statement.
	held, leaves, ok, err := witness.Load(dir, f.key.Origin(f.campaign))
	size := held.Size
	if err != nil || !ok || size < 22 || int64(len(leaves)) != size || stmt.Pos != size {
		t.Fatalf("witness holds %+v, %d leaves, %v", held, len(leaves), err)
	}
	cos, err := st.Cosignatures(ctx, f.campaign)
	if err != nil || len(cos) != 2 || cos[1].Size != size || cos[1].Witness != "city-witness" {
		t.Fatalf("cosignatures sent back: %+v %v", cos, err)
	}

	// The public proofs verify with the libraries' own verifiers, and the
	// checkpoint parses with the C2SP parser.
	text := get(t, f.logURL+"/checkpoint")
	v, _ := note.NewVerifier(f.key.VerifierKey())
	cp, _, _, err := log.ParseCheckpoint([]byte(text), f.key.Origin(f.campaign), v)
	if err != nil || int64(cp.Size) != size {
		t.Fatalf("checkpoint %q: %v", text, err)
	}
	var incl struct{ Hashes [][]byte }
	if err := json.Unmarshal([]byte(get(t, fmt.Sprintf("%s/proof/inclusion?index=4&size=%d", f.logURL, size))), &incl); err != nil {
		t.Fatal(err)
	}
	rp := make(tlog.RecordProof, len(incl.Hashes))
	for i, h := range incl.Hashes {
		rp[i] = tlog.Hash(h)
	}
	if err := tlog.CheckRecord(rp, size, tlog.Hash(cp.Hash), 4, tlog.Hash(leaves[4])); err != nil {
		t.Errorf("tlog rejects the inclusion proof: %v", err)
	}
	if err := survey.VerifyInclusion(4, size, leaves[4], incl.Hashes, cp.Hash); err != nil {
		t.Errorf("the Merkle library rejects the inclusion proof: %v", err)
	}
	// The log serves its hashes as tlog tiles: a client makes its own
	// proof from them, each tile checked against the signed tree head.
	tiles := tlog.TileHashReader(tlog.Tree{N: size, Hash: tlog.Hash(cp.Hash)}, httpTiles{t, f.logURL})
	for _, i := range []int64{0, 4, size - 1} {
		rp, err := tlog.ProveRecord(size, i, tiles)
		if err != nil || tlog.CheckRecord(rp, size, tlog.Hash(cp.Hash), i, tlog.Hash(leaves[i])) != nil {
			t.Errorf("record proof of leaf %d from the served tiles: %v", i, err)
		}
	}
	if resp, err := http.Get(f.logURL + "/tile/8/-1/000"); err != nil || resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a data tile: %v %v", resp, err)
	}
	if resp, err := http.Get(f.logURL + "/tile/8/0/009"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("a tile beyond the log: %v %v", resp, err)
	}
	// Before the attack, a receipt checks out against what it kept.
	if page := get(t, f.srv.URL+receipts[14].link); !strings.Contains(page, `data-verdict="in-sample"`) {
		t.Fatalf("untouched receipt before the attack:\n%s", page)
	}

	// Editing only the figures the rate is computed from: zeroing the
	// 不满意 counts (the rate would read higher, the log untouched) is named
	// by verify; a recount puts them back.
	f.exec(t, `UPDATE answer_tallies SET n = 0 WHERE campaign_id = $1 AND option = 'D'`, f.campaign)
	f.exec(t, `UPDATE answer_totals SET n = 0 WHERE campaign_id = $1 AND option = 'D'`, f.campaign)
	if v, err := st.Verify(ctx, f.campaign); err != nil || v.OK() || !strings.Contains(problems(v), "选项 D") ||
		slices.ContainsFunc(v.Problems, func(p survey.LogProblem) bool { return p.Kind != survey.Figure }) {
		t.Fatalf("verify after the tallies were edited: %v %s", err, problems(v))
	}
	dbtest.RecountTallies(t, f.pool, f.campaign)

	var flagged int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM responses WHERE campaign_id = $1 AND flags <> '{}'`, f.campaign).Scan(&flagged); err != nil || flagged == 0 {
		t.Fatalf("%d flagged before the attack (the 18th respondent dropped its cookie): %v", flagged, err)
	}

	// The bureau's attack: edit the 3rd answer, delete the 7th (a critic),
	// fabricate one and slip it in at position 12, then rewrite every
	// stored hash, root and checkpoint with the project's own code and key;
	// clear the flags and lower the threshold.
	f.exec(t, `UPDATE responses SET answers = (SELECT array_agg(split_part(p, '=', 1) || '=A' ORDER BY n)
		FROM unnest(answers) WITH ORDINALITY a (p, n)) WHERE receipt = $1`, receipts[2].code)
	f.exec(t, `DELETE FROM responses WHERE receipt = $1`, receipts[6].code)
	f.exec(t, `INSERT INTO responses (campaign_id, questionnaire_id, link_id, submission_id, receipt, category, locale, grade_band,
		school_id, status, ip_hash, ua_family, fill_ms, submitted_at, answers) SELECT campaign_id, questionnaire_id, link_id, 'forged',
		'FORGED0001', category, locale, grade_band, school_id, 'admitted', ip_hash, ua_family, fill_ms, submitted_at, answers
		FROM responses WHERE receipt = $1`, receipts[0].code)
	f.rewrite(t, 11)
	f.exec(t, `UPDATE responses SET flags = '{}' WHERE campaign_id = $1`, f.campaign)
	f.exec(t, `UPDATE campaigns SET threshold = 0.6 WHERE id = $1`, f.campaign)
	dbtest.RecountTallies(t, f.pool, f.campaign) // and the figures, as a thorough bureau would

	// The database alone tells that much: the statement no longer adds up
	// to the log, the flags and the threshold are not the logged ones.
	bureau := []string{
		fmt.Sprintf("第 %d 条记录（结果声明）的", stmt.Pos), // a figure of it named
		"已被清除，日志中记录了这个标记",
		"达标线：日志记为 85%，数据库中为 60%",
	}
	if v, err := st.Verify(ctx, f.campaign); err != nil || v.OK() {
		t.Fatalf("the rewritten database verifies on its own: %v %s", err, problems(v))
	} else {
		for _, want := range bureau {
			if !strings.Contains(problems(v), want) {
				t.Errorf("verify does not say %q:\n%s", want, problems(v))
			}
		}
	}

	// The witness does: the log signed a second root for size 20.
	alarms, _ := w.Poll(ctx)
	if len(alarms) != 1 || !strings.Contains(alarms[0].Text, fmt.Sprintf("second root for size %d", size)) || len(alarms[0].Evidence) != 2 {
		t.Fatalf("witness alarms: %+v", alarms)
	}
	if resp, err := http.Get(httptest.NewServer(w.Handler()).URL + "/healthz"); err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("the witness's health does not show the alarm: %v %v", resp, err)
	}
	var out bytes.Buffer
	wcfg := fmt.Sprintf("%s/witness.conf", dir)
	writeFile(t, wcfg, fmt.Sprintf("log demo %s %s\n", f.logURL, f.key.VerifierKey()))
	if err := runWitness(ctx, []string{"-config", wcfg, "-dir", dir, "-once"}, &out); err == nil || !strings.Contains(out.String(), "INCONSISTENT") {
		t.Errorf("renke witness -once: %v\n%s", err, out.String())
	}

	// verify given the witness's store names the leaves.
	out.Reset()
	err = verify(ctx, f.pool, f.key, f.keys, []string{"-witness", dir, strconv.FormatInt(f.campaign, 10)}, &out)
	report := out.String()
	if err == nil {
		t.Fatalf("verify with the witness's store passed:\n%s", report)
	}
	for _, want := range []string{
		fmt.Sprintf("changed\t第 %d 条记录（答卷，回执 %s", receipts[2].pos, receipts[2].code),
		fmt.Sprintf("removed\t见证方 city-witness 记录的第 %d 条已不在日志中", receipts[6].pos),
		"inserted\t第 12 条记录（回执 FORGED0001）插在见证方 city-witness 见证过的范围内",
		"DISAGREES",
		bureau[0], bureau[1], bureau[2],
	} {
		if !strings.Contains(report, want) {
			t.Errorf("verify does not say %q:\n%s", want, report)
		}
	}
	// Given only the witness's cosigned checkpoint (as a reviewer would
	// paste it), verify finds the tree does not have its root.
	if v, err := st.Verify(ctx, f.campaign, mustEvidence(t, st, f.campaign, held.Checkpoint)); err != nil || v.OK() ||
		!strings.Contains(problems(v), fmt.Sprintf("见证方联署的检查点的检查点（%d 条", size)) {
		t.Errorf("verify given the cosigned checkpoint: %v %s", err, problems(v))
	}

	// A respondent's receipt from before the rewrite fails its check: the
	// log no longer extends the checkpoint it kept.
	for _, k := range []kept{receipts[2], receipts[14]} {
		page := get(t, f.srv.URL+k.link)
		if !strings.Contains(page, `data-verdict="problem"`) || !strings.Contains(page, "之前的记录被改写过") {
			t.Errorf("receipt %s after the rewrite:\n%s", k.code, page)
		}
	}
	// The deleted critic's link accuses: the log no longer adds up to the
	// checkpoint it kept, and no decision explains it. The bare code cannot
	// say as much, and says so.
	page := get(t, f.srv.URL+receipts[6].link)
	if !strings.Contains(page, `data-verdict="removed"`) || !strings.Contains(page, "已从样本中移除：样本日志在您的答卷入样后被改写") {
		t.Errorf("the deleted critic's receipt link:\n%s", page)
	}
	if page := get(t, f.srv.URL+"/check?receipt="+receipts[6].code); !strings.Contains(page, "仅凭回执码无法证明答卷是否曾计入样本") {
		t.Errorf("the deleted critic's bare code:\n%s", page)
	}
}

func TestSplitViewCaughtWhenWitnessesCompare(t *testing.T) {
	ctx := context.Background()
	a, err := witness.Open(t.TempDir(), "city-witness", witness.Config{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := witness.Open(t.TempDir(), "newspaper", witness.Config{})
	if err != nil {
		t.Fatal(err)
	}
	f := newLogFixture(t, a, b)
	f.answer(t, 8)
	// The log shows one view to the city's witness…
	watch(t, a, f)
	if alarms, errs := a.Poll(ctx); alarms != nil || errs != nil {
		t.Fatalf("poll a: %v %v", alarms, errs)
	}
	// …and, after rewriting one answer, another view of the same size,
	// signed by the same key, to the newspaper's.
	rows, _ := f.pool.Query(ctx, `SELECT receipt FROM responses WHERE campaign_id = $1 AND status = 'admitted' ORDER BY id`, f.campaign)
	var receipts []string
	for rows.Next() {
		var r string
		_ = rows.Scan(&r)
		receipts = append(receipts, r)
	}
	f.exec(t, `UPDATE responses SET answers = (SELECT array_agg(split_part(p, '=', 1) || '=A' ORDER BY n)
		FROM unnest(answers) WITH ORDINALITY a (p, n)) WHERE receipt = $1`, receipts[1])
	f.rewrite(t, -1)
	watch(t, b, f)
	if alarms, errs := b.Poll(ctx); alarms != nil || errs != nil {
		t.Fatalf("poll b: %v %v", alarms, errs)
	}
	ha, _, _, _ := witness.Load(a.Dir, f.key.Origin(f.campaign))
	hb, _, _, _ := witness.Load(b.Dir, f.key.Origin(f.campaign))
	if ha.Size != hb.Size || bytes.Equal(ha.Root, hb.Root) {
		t.Fatalf("the two views: %d %x, %d %x", ha.Size, ha.Root, hb.Size, hb.Root)
	}
	// Each alone is content; comparing, each sees the split.
	sa := httptest.NewServer(a.Handler())
	defer sa.Close()
	sb := httptest.NewServer(b.Handler())
	defer sb.Close()
	watch(t, a, f, sb.URL)
	alarms, errs := a.Compare(ctx) // a does not poll the log again

	if len(alarms) != 1 || !strings.Contains(alarms[0].Text, "split view") || errs != nil {
		t.Errorf("witness a comparing with b: %+v %v", alarms, errs)
	}
	watch(t, b, f, sa.URL)
	if alarms, _ := b.Compare(ctx); len(alarms) != 1 || !strings.Contains(alarms[0].Text, "split view") {
		t.Errorf("witness b comparing with a: %+v", alarms)
	}
	if page := get(t, sa.URL+"/"); !strings.Contains(page, "split view") || !strings.Contains(page, "发现 1 处问题") {
		t.Errorf("witness page:\n%s", page)
	}
}

// httpTiles reads a log's tiles over HTTP, for tlog.TileHashReader.
type httpTiles struct {
	t    *testing.T
	base string
}

func (h httpTiles) Height() int { return survey.TileHeight }

func (h httpTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, tile := range tiles {
		resp, err := http.Get(h.base + "/" + tile.Path())
		if err != nil {
			return nil, err
		}
		out[i], _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s: %d %s", tile.Path(), resp.StatusCode, out[i])
		}
	}
	return out, nil
}

func (httpTiles) SaveTiles([]tlog.Tile, [][]byte) {}

func mustEvidence(t *testing.T, st *survey.Store, campaign int64, text string) survey.Evidence {
	t.Helper()
	e, err := st.CheckpointEvidence(campaign, text, "见证方联署的检查点")
	if err != nil || !e.Witnessed {
		t.Fatalf("evidence: %+v %v", e, err)
	}
	return e
}

func problems(v survey.Verification) string {
	var b strings.Builder
	for _, p := range v.Problems {
		b.WriteString(p.Kind + " " + p.Text + "\n")
	}
	return b.String()
}

func get(t *testing.T, u string) string {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
