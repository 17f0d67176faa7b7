package survey

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func testKey(t testing.TB) *LogKey {
	t.Helper()
	skey, err := GenerateLogKey("test.example")
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseLogKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// logOf builds n admitted responses, their leaves and a signed checkpoint
// after every leaf, as group commits of one would.
func logOf(t testing.TB, k *LogKey, campaignID int64, n int) LogInput {
	t.Helper()
	in := LogInput{CampaignID: campaignID, Origin: k.Origin(campaignID), Verifier: k.Verifier()}
	at := time.Date(2026, 11, 20, 20, 0, 0, 123456000, time.UTC)
	var leaves [][]byte
	for i := 1; i <= n; i++ {
		r := StoredResponse{ID: int64(100 + i), Status: Admitted, Chained: Chained{CampaignID: campaignID,
			Receipt: fmt.Sprintf("R%09d", i), FormID: 1, LinkID: 2, Category: "parent", Locale: "urban", GradeBand: "3-4",
			SchoolID: 5, Suggestion: "多开展课后服务", FillMS: 61000, SubmittedAt: at.Add(time.Duration(i) * time.Second),
			Answers: map[string]string{"S01": "A", "S02": "B", "S03": "X"}}}
		h := LeafHash(r.Canonical())
		in.Leaves = append(in.Leaves, LeafRow{Index: int64(i - 1), ResponseID: r.ID, Hash: h})
		in.Responses = append(in.Responses, r)
		leaves = append(leaves, h)
		root := rootOf(leaves)
		signed, err := k.Sign(in.Origin, int64(i), root)
		if err != nil {
			t.Fatal(err)
		}
		in.Checkpoints = append(in.Checkpoints, StoredCheckpoint{Size: int64(i), Root: root, Note: signed})
		in.StoredSize, in.StoredRoot = int64(i), root
	}
	return in
}

// decide appends a decision leaf on response i (1-based) as Store.Decide does.
func decide(in *LogInput, k *LogKey, i int, d Decision) {
	r := &in.Responses[i-1]
	rev := StoredReview{ID: int64(len(in.Reviews) + 1), ResponseID: r.ID, Decision: string(d), Reason: "同一设备重复填写",
		Username: "zhang", DecidedAt: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)}
	in.Reviews = append(in.Reviews, rev)
	h := LeafHash((&Decided{CampaignID: in.CampaignID, ReviewID: rev.ID, Receipt: r.Receipt, ResponseLeaf: int64(i - 1),
		Decision: rev.Decision, Reason: rev.Reason, Username: rev.Username, DecidedAt: rev.DecidedAt}).Canonical())
	id := rev.ID
	in.Leaves = append(in.Leaves, LeafRow{Index: in.StoredSize, ResponseID: r.ID, ReviewID: &id, Hash: h})
	r.Flagged = true
	if d == Invalid {
		r.Status = Invalidated
	} else {
		r.Status = Admitted
	}
	var leaves [][]byte
	for _, l := range in.Leaves {
		leaves = append(leaves, l.Hash)
	}
	in.StoredSize, in.StoredRoot = int64(len(leaves)), rootOf(leaves)
	signed, _ := k.Sign(in.Origin, in.StoredSize, in.StoredRoot)
	in.Checkpoints = append(in.Checkpoints, StoredCheckpoint{Size: in.StoredSize, Root: in.StoredRoot, Note: signed})
}

func kinds(v Verification) []string {
	var out []string
	for _, p := range v.Problems {
		out = append(out, fmt.Sprintf("%s@%d", p.Kind, p.Pos))
	}
	return out
}

func TestVerify(t *testing.T) {
	k := testKey(t)
	other := testKey(t)
	const campaign = 7
	tests := []struct {
		name   string
		tamper func(in *LogInput)
		want   []string
	}{
		{"intact", func(in *LogInput) {}, nil},
		// Content edited under an untouched leaf: the leaf names it, and
		// the tree recomputed from the content no longer has the stored
		// root nor that of the checkpoints from the third on.
		{"answer edited", func(in *LogInput) { in.Responses[2].Answers = map[string]string{"S01": "D", "S02": "B", "S03": "X"} },
			[]string{"changed@3", "diverged@0", "diverged@0"}},
		{"suggestion edited", func(in *LogInput) { in.Responses[0].Suggestion = "" }, []string{"changed@1", "diverged@0", "diverged@0"}},
		{"submitted time moved", func(in *LogInput) { in.Responses[4].SubmittedAt = in.Responses[4].SubmittedAt.Add(time.Microsecond) },
			[]string{"changed@5", "diverged@0", "diverged@0"}},
		// Gone behind the leaf: the stored leaf hash stands in, so roots agree.
		{"response deleted", func(in *LogInput) { in.Responses = slices.Delete(in.Responses, 1, 2) }, []string{"removed@2"}},
		{"leaf and response deleted", func(in *LogInput) {
			in.Leaves, in.Responses = slices.Delete(in.Leaves, 3, 4), slices.Delete(in.Responses, 3, 4)
		}, []string{"removed@4", "diverged@0", "diverged@0"}},
		{"response slipped into the sample", func(in *LogInput) {
			x := in.Responses[0]
			x.ID, x.Receipt = 999, "FAKE000001"
			in.Responses = append(in.Responses, x)
		}, []string{"inserted@0"}},
		// Appended with every stored value recomputed, re-signed with the
		// deployment's own key: nothing in the database tells. Only a
		// witness does (TestVerifyAgainstWitness).
		{"appended and rewritten consistently", func(in *LogInput) {
			x := in.Responses[0]
			x.ID, x.Receipt = 999, "FAKE000001"
			in.Responses = append(in.Responses, x)
			h := LeafHash(x.Canonical())
			in.Leaves = append(in.Leaves, LeafRow{Index: 5, ResponseID: 999, Hash: h})
			var all [][]byte
			for _, l := range in.Leaves {
				all = append(all, l.Hash)
			}
			in.StoredSize, in.StoredRoot = 6, rootOf(all)
			signed, _ := k.Sign(in.Origin, 6, in.StoredRoot)
			in.Checkpoints = append(in.Checkpoints, StoredCheckpoint{Size: 6, Root: in.StoredRoot, Note: signed})
		}, nil},
		{"quietly invalidated", func(in *LogInput) { in.Responses[1].Status = Invalidated }, []string{"excluded@2"}},
		{"status set to over quota", func(in *LogInput) { in.Responses[1].Status = OverQuota }, []string{"excluded@2"}},
		{"invalidated with a logged decision", func(in *LogInput) { decide(in, k, 2, Invalid) }, nil},
		{"invalidated, then valid again", func(in *LogInput) { decide(in, k, 2, Invalid); decide(in, k, 2, Valid) }, nil},
		{"back in the sample against the logged decision", func(in *LogInput) {
			decide(in, k, 2, Invalid)
			in.Responses[1].Status = Admitted
		}, []string{"excluded@2"}},
		{"decision's reason edited", func(in *LogInput) {
			decide(in, k, 2, Invalid)
			in.Reviews[0].Reason = "理由被改写"
		}, []string{"changed@6", "diverged@0", "diverged@0"}},
		{"decision deleted", func(in *LogInput) {
			decide(in, k, 2, Invalid)
			in.Reviews = nil
		}, []string{"removed@6", "excluded@2"}},
		{"decision with no leaf", func(in *LogInput) {
			in.Reviews = append(in.Reviews, StoredReview{ID: 50, ResponseID: 102, Decision: "invalid", Reason: "xx", Username: "li"})
		}, []string{"inserted@0"}},
		// Malformed rows: named, never a crash. A row moved off its index
		// also leaves its slot empty and its response outside the log.
		{"short hash", func(in *LogInput) { in.Leaves[1].Hash = in.Leaves[1].Hash[:5] }, []string{"malformed@2"}},
		{"null hash", func(in *LogInput) { in.Leaves[1].Hash = nil }, []string{"malformed@2"}},
		{"negative index", func(in *LogInput) { in.Leaves[4].Index = -3 }, []string{"malformed@0", "removed@5", "inserted@0", "diverged@0", "diverged@0"}},
		{"index repeated", func(in *LogInput) { in.Leaves[4].Index = 3 }, []string{"malformed@4", "removed@5", "inserted@0", "diverged@0", "diverged@0"}},
		{"index far out", func(in *LogInput) { in.Leaves[4].Index = 1 << 40 }, []string{"malformed@0", "removed@5", "inserted@0", "diverged@0", "diverged@0"}},
		{"checkpoint signed by another key", func(in *LogInput) {
			in.Checkpoints[2].Note, _ = other.Sign(in.Origin, 3, in.Checkpoints[2].Root)
		}, []string{"malformed@0"}},
		{"checkpoint note garbled", func(in *LogInput) { in.Checkpoints[1].Note = "not a note" }, []string{"malformed@0"}},
		{"sealed root rewritten", func(in *LogInput) {
			n := int64(5)
			in.SealedSize, in.SealedRoot = &n, bytes.Repeat([]byte{1}, 32)
		}, []string{"diverged@0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := logOf(t, k, campaign, 5)
			tt.tamper(&in)
			v := Verify(in)
			if got := kinds(v); !slices.Equal(got, tt.want) {
				t.Errorf("problems %v, want %v:\n%s", got, tt.want, texts(v))
			}
			for _, p := range v.Problems {
				if p.Text == "" || strings.ContainsAny(p.Text, "%!") {
					t.Errorf("problem without a proper text: %+v", p)
				}
			}
		})
	}
}

func texts(v Verification) string {
	var b strings.Builder
	for _, p := range v.Problems {
		b.WriteString(p.Text + "\n")
	}
	return b.String()
}

// TestVerifyAgainstWitness rewrites the log consistently, stored hashes,
// roots and re-signed checkpoints and all, after a witness kept the leaf
// hashes of the first eight; Verify given the witness's leaves names each
// leaf that changed, vanished or was slipped in, and only those.
func TestVerifyAgainstWitness(t *testing.T) {
	k := testKey(t)
	base := logOf(t, k, 9, 10)
	witnessed := Evidence{Source: "见证方 city ", Size: 8, Root: base.Checkpoints[7].Root, Witnessed: true, Witness: "city"}
	for _, l := range base.Leaves[:8] {
		witnessed.Leaves = append(witnessed.Leaves, l.Hash)
	}
	// rewrite recomputes every stored value from the responses, as a
	// bureau with the database and the key could.
	rewrite := func(rs []StoredResponse) LogInput {
		in := LogInput{CampaignID: 9, Origin: base.Origin, Verifier: k.Verifier(), Responses: rs}
		var all [][]byte
		for i := range rs {
			h := LeafHash(rs[i].Canonical())
			in.Leaves = append(in.Leaves, LeafRow{Index: int64(i), ResponseID: rs[i].ID, Hash: h})
			all = append(all, h)
			signed, _ := k.Sign(in.Origin, int64(i+1), rootOf(all))
			in.Checkpoints = append(in.Checkpoints, StoredCheckpoint{Size: int64(i + 1), Root: rootOf(all), Note: signed})
		}
		in.StoredSize, in.StoredRoot = int64(len(all)), rootOf(all)
		return in
	}
	fake := base.Responses[0]
	fake.ID, fake.Receipt = 999, "FAKE000001"
	tests := []struct {
		name   string
		change func(rs []StoredResponse) []StoredResponse
		want   []string // kind@pos receipt
	}{
		{"grown only", func(rs []StoredResponse) []StoredResponse { return append(rs, fake) }, nil},
		{"answer edited", func(rs []StoredResponse) []StoredResponse {
			rs[2].Answers = map[string]string{"S01": "E"}
			return rs
		}, []string{"changed@3 R000000003"}},
		{"a critic deleted", func(rs []StoredResponse) []StoredResponse { return slices.Delete(rs, 4, 5) },
			[]string{"removed@5 "}},
		{"inserted before the witnessed size", func(rs []StoredResponse) []StoredResponse { return slices.Insert(rs, 3, fake) },
			[]string{"inserted@4 FAKE000001"}},
		{"deleted, edited further on, appended", func(rs []StoredResponse) []StoredResponse {
			rs[6].Answers = map[string]string{"S01": "E"}
			return append(slices.Delete(rs, 1, 2), fake)
		}, []string{"removed@2 ", "changed@6 R000000007"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := rewrite(tt.change(slices.Clone(base.Responses)))
			if v := Verify(in); !v.OK() {
				t.Fatalf("the rewritten database is not self-consistent: %v", kinds(v))
			}
			in.Evidence = []Evidence{witnessed}
			v := Verify(in)
			var got []string
			for _, p := range v.Problems {
				got = append(got, fmt.Sprintf("%s@%d %s", p.Kind, p.Pos, p.Receipt))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems %v, want %v:\n%s", got, tt.want, texts(v))
			}
			if agrees := v.Evidence[0].Agrees; agrees != (tt.want == nil) {
				t.Errorf("evidence agrees = %v", agrees)
			}
			// Leaves 1–8 witnessed, the rest not yet; a witness that
			// disagrees with the log as it stands vouches for nothing.
			if tt.want == nil {
				if len(v.Intervals) != 2 || !v.Intervals[0].Witnessed || v.Intervals[0].To != 8 || v.Intervals[1].Witnessed {
					t.Errorf("intervals %+v", v.Intervals)
				}
			} else if len(v.Intervals) != 1 || v.Intervals[0].Witnessed {
				t.Errorf("intervals %+v: witnessed by a witness that disagrees", v.Intervals)
			}
		})
	}
}

func TestIntervalsCountFlagged(t *testing.T) {
	k := testKey(t)
	in := logOf(t, k, 3, 6)
	in.Responses[1].Flagged, in.Responses[4].Flagged = true, true
	decide(&in, k, 2, Invalid) // leaf 7
	in.Evidence = []Evidence{{Source: "a", Size: 3, Root: in.Checkpoints[2].Root, Witnessed: true, Witness: "a"},
		{Source: "b", Size: 3, Root: in.Checkpoints[2].Root, Witnessed: true, Witness: "b"}}
	v := Verify(in)
	want := []LogInterval{
		{From: 0, To: 3, Witnessed: true, Witnesses: []string{"a", "b"}, Responses: 3, Flagged: 1},
		{From: 3, To: 7, Witnesses: []string{}, Responses: 3, Flagged: 1, Decisions: 1},
	}
	if !v.OK() || fmt.Sprint(v.Intervals) != fmt.Sprint(want) {
		t.Errorf("intervals %+v, problems %v", v.Intervals, kinds(v))
	}
	// A witness holding another root for size 3 disagrees: its interval is
	// not shown as witnessed by it, and the disagreement is a problem.
	in.Evidence = []Evidence{{Source: "c", Size: 3, Root: in.Checkpoints[1].Root, Witnessed: true, Witness: "c"}}
	v = Verify(in)
	if v.OK() || len(v.Intervals) != 1 || v.Intervals[0].Witnessed || len(v.Intervals[0].Witnesses) != 0 {
		t.Errorf("a disagreeing witness: intervals %+v, problems %v", v.Intervals, kinds(v))
	}
}

// hashReader serves tlog's stored hashes from a slice.
type hashReader []tlog.Hash

func (r hashReader) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = r[x]
	}
	return out, nil
}

// TestProofsVerifyWithLibraries checks every root, inclusion and
// consistency proof of trees up to 40 leaves with the Merkle library's
// verifier and, independently, with the Go checksum database's tlog.
func TestProofsVerifyWithLibraries(t *testing.T) {
	var leaves [][]byte
	var stored hashReader
	for n := int64(1); n <= 40; n++ {
		data := []byte(fmt.Sprintf(`{"leaf":%d}`, n))
		h := LeafHash(data)
		if tlog.RecordHash(data) != tlog.Hash(h) {
			t.Fatal("leaf hash differs from tlog.RecordHash")
		}
		hs, err := tlog.StoredHashes(n-1, data, stored)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, hs...)
		leaves = append(leaves, h)
	}
	tree := NewTree(leaves)
	for size := int64(1); size <= 40; size++ {
		root, err := tree.Root(size)
		if err != nil {
			t.Fatal(err)
		}
		th, err := tlog.TreeHash(size, stored)
		if err != nil || tlog.Hash(root) != th {
			t.Fatalf("root of %d differs from tlog's", size)
		}
		edgeRoot, _, nodes, err := Extend(0, nil, nil, leaves[:size])
		if err != nil || !bytes.Equal(edgeRoot, root) {
			t.Fatalf("extend's root of %d differs", size)
		}
		// The interior nodes it reports are every perfect subtree of the
		// tree, as tlog stores them: size − popcount(size) of them.
		if want := int(size) - bits.OnesCount64(uint64(size)); len(nodes.Idxs) != want {
			t.Fatalf("extend of %d reported %d nodes, want %d", size, len(nodes.Idxs), want)
		}
		for i := range nodes.Idxs {
			if got, want := nodes.Hashes[i], tree.levels[nodes.Levels[i]][nodes.Idxs[i]]; !bytes.Equal(got, want) ||
				!bytes.Equal(got, stored[tlog.StoredHashIndex(int(nodes.Levels[i]), nodes.Idxs[i])][:]) {
				t.Fatalf("node (%d, %d) of %d differs", nodes.Levels[i], nodes.Idxs[i], size)
			}
		}
		for i := int64(0); i < size; i++ {
			p, err := tree.Inclusion(i, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyInclusion(i, size, leaves[i], p, root); err != nil {
				t.Fatalf("inclusion %d in %d: %v", i, size, err)
			}
			rp := make(tlog.RecordProof, len(p))
			for j := range p {
				rp[j] = tlog.Hash(p[j])
			}
			if err := tlog.CheckRecord(rp, size, th, i, tlog.Hash(leaves[i])); err != nil {
				t.Fatalf("tlog rejects inclusion %d in %d: %v", i, size, err)
			}
			if VerifyInclusion(i, size, leaves[(i+1)%size], p, root) == nil && size > 1 {
				t.Fatalf("inclusion of the wrong leaf verified")
			}
		}
		for from := int64(1); from <= size; from++ {
			p, err := tree.Consistency(from, size)
			if err != nil {
				t.Fatal(err)
			}
			old, _ := tree.Root(from)
			if err := VerifyConsistency(from, size, p, old, root); err != nil {
				t.Fatalf("consistency %d→%d: %v", from, size, err)
			}
			tp := make(tlog.TreeProof, len(p))
			for j := range p {
				tp[j] = tlog.Hash(p[j])
			}
			if err := tlog.CheckTree(tp, size, th, from, tlog.Hash(old)); err != nil {
				t.Fatalf("tlog rejects consistency %d→%d: %v", from, size, err)
			}
		}
	}
	// Out of range: errors, not panics.
	if _, err := tree.Inclusion(40, 40); err == nil {
		t.Error("inclusion of leaf 40 in 40")
	}
	if _, err := tree.Consistency(5, 41); err == nil {
		t.Error("consistency beyond the tree")
	}
	if _, err := tree.Root(-1); err == nil {
		t.Error("negative root")
	}
	// extend refuses a right edge that does not fit its size, and one
	// that fits but does not add up to the stored root.
	if _, _, _, err := Extend(5, [][]byte{leaves[0]}, nil, leaves[:1]); err == nil {
		t.Error("extend took a broken right edge")
	}
	root4, edge4, _, err := Extend(0, nil, nil, leaves[:4])
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := Extend(4, edge4, root4, leaves[4:5]); err != nil {
		t.Errorf("extend refused a sound right edge: %v", err)
	}
	if _, _, _, err := Extend(4, [][]byte{leaves[9]}, root4, leaves[4:5]); !errors.Is(err, ErrLogDamaged) {
		t.Errorf("extend took a right edge that does not add up to the root: %v", err)
	}
}

// TestCheckpointFormat checks a signed checkpoint with the note parser and
// the C2SP checkpoint parser, and a witness's cosignature/v1 on it.
func TestCheckpointFormat(t *testing.T) {
	k := testKey(t)
	root := LeafHash([]byte("x"))
	signed, err := k.Sign(k.Origin(12), 1, root)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(signed, "test.example/campaigns/12\n1\n") {
		t.Errorf("checkpoint body:\n%s", signed)
	}
	v, err := note.NewVerifier(k.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open([]byte(signed), note.VerifierList(v))
	if err != nil || len(n.Sigs) != 1 {
		t.Fatalf("note.Open: %v", err)
	}
	cp, _, _, err := log.ParseCheckpoint([]byte(signed), "test.example/campaigns/12", v)
	if err != nil || cp.Size != 1 || !bytes.Equal(cp.Hash, root) {
		t.Fatalf("log.ParseCheckpoint: %+v %v", cp, err)
	}
	if _, _, _, err := log.ParseCheckpoint([]byte(signed), "test.example/campaigns/13", v); err == nil {
		t.Error("a checkpoint of another campaign's log parsed")
	}

	wskey, wvkey, err := note.GenerateKey(rand.Reader, "city-witness")
	if err != nil {
		t.Fatal(err)
	}
	ws, err := fnote.NewSignerForCosignatureV1(wskey)
	if err != nil {
		t.Fatal(err)
	}
	cosigned, err := note.Sign(n, ws)
	if err != nil {
		t.Fatal(err)
	}
	wv, err := NewWitnessVerifier(wvkey)
	if err != nil {
		t.Fatal(err)
	}
	got, cosigs, err := OpenCheckpoint(string(cosigned), k.Origin(12), k.Verifier(), wv)
	if err != nil || got.Size != 1 || len(cosigs) != 1 || cosigs[0].Name != "city-witness" {
		t.Fatalf("cosigned checkpoint: %+v %v %v", got, cosigs, err)
	}
	if at, err := CosignedAt(cosigs[0]); err != nil || time.Since(at) > time.Minute {
		t.Errorf("cosignature time %v %v", at, err)
	}
	if _, _, err := OpenCheckpoint(string(cosigned), k.Origin(12), testKey(t).Verifier(), wv); err == nil {
		t.Error("a checkpoint opened with another log's key")
	}
	if Fingerprint(k.VerifierKey()) != k.Fingerprint() || len(k.Fingerprint()) != 19 {
		t.Errorf("fingerprint %q", k.Fingerprint())
	}
}

func TestCanonicalForms(t *testing.T) {
	r := Chained{CampaignID: 1, Receipt: "A", Answers: map[string]string{"S02": "B", "S01": "A", "S10": "C"},
		SubmittedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))}
	utc := r
	utc.SubmittedAt = r.SubmittedAt.UTC()
	if !bytes.Equal(r.Canonical(), utc.Canonical()) {
		t.Error("the same instant in another zone hashes differently")
	}
	other := r
	other.CampaignID = 2
	if bytes.Equal(r.Canonical(), other.Canonical()) {
		t.Error("campaign not committed to")
	}
	// The bytes hashed never change: logs already stored must verify.
	r = Chained{CampaignID: 7, Receipt: "ABCDEFGHJK", FormID: 3, LinkID: 11, Category: "parent", Locale: "town", GradeBand: "3-4",
		SchoolID: 5, Suggestion: "希望\"多\"开展<体育>活动", FillMS: 61234, SubmittedAt: time.Date(2026, 11, 22, 20, 1, 2, 345678000, time.UTC),
		Answers: map[string]string{"S02": "B", "S01": "A", "S10": "X"}}
	const canonical = `{"v":2,"campaign":7,"kind":"response","receipt":"ABCDEFGHJK","form":3,"link":11,"category":"parent","locale":"town",` +
		`"grade_band":"3-4","school":5,"suggestion":"希望\"多\"开展\u003c体育\u003e活动","fill_ms":61234,` +
		`"submitted_at_us":1795377662345678,"answers":[["S01","A"],["S02","B"],["S10","X"]]}`
	if got := string(r.Canonical()); got != canonical {
		t.Errorf("canonical form\n%s\nwant\n%s", got, canonical)
	}
	d := Decided{CampaignID: 7, ReviewID: 3, Receipt: "ABCDEFGHJK", ResponseLeaf: 41, Decision: "invalid", Reason: "同一设备",
		Username: "zhang", DecidedAt: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	const decided = `{"v":2,"campaign":7,"kind":"decision","review":3,"receipt":"ABCDEFGHJK","response_leaf":41,` +
		`"decision":"invalid","reason":"同一设备","by":"zhang","decided_at_us":1795424400000000}`
	if got := string(d.Canonical()); got != decided {
		t.Errorf("decision form\n%s\nwant\n%s", got, decided)
	}
}

func TestFlags(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{"straight 12 A", Straightlined("A,A,A,A,A,A,A,A,A,A,A,A"), true},
		{"straight with one B", Straightlined("A,A,A,A,A,A,A,A,A,A,A,B"), false},
		{"too few items", Straightlined("A,A,A,A"), false},
		{"near: one differs", NearIdentical("A,B,C,D", "A,B,C,X"), true},
		{"near: two differ", NearIdentical("A,B,C,D", "A,B,X,X"), false},
		{"near: other length", NearIdentical("A,B,C", "A,B,C,D"), false},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v", tt.name, tt.got)
		}
	}
	// One option throughout is no flag by itself (satisfied parents do it).
	if got := Assess("A,A,A,A,A,A", 5*time.Second, 20*time.Second); !slices.Equal(got, []Flag{FlagFast}) {
		t.Errorf("Assess = %v", got)
	}
	if got := Assess("A,B,A,A,A,A", 25*time.Second, 20*time.Second); got != nil {
		t.Errorf("Assess = %v", got)
	}

	sig := "A,A,B,A,C,A"
	like := func(n int, link, school int64, gap time.Duration) []Trace {
		var out []Trace
		for i := range n {
			out = append(out, Trace{ID: int64(i + 1), LinkID: link, SchoolID: school, Sig: sig, At: t0.Add(-gap * time.Duration(i+1))})
		}
		return out
	}
	now := Trace{LinkID: 1, SchoolID: 9, Sig: "A,A,B,A,C,D", At: t0}
	bursts := []struct {
		name   string
		recent []Trace
		want   int
	}{
		{"four alike from the link", like(4, 1, 0, time.Minute), 4},
		{"three alike: not yet a burst", like(3, 1, 0, time.Minute), 0},
		{"four alike from the school via other links", like(4, 2, 9, time.Minute), 4},
		{"four alike elsewhere", like(4, 2, 8, time.Minute), 0},
		{"four alike but spread over an hour", like(4, 1, 9, 15*time.Minute), 0},
		{"different answers", []Trace{{ID: 1, LinkID: 1, SchoolID: 9, Sig: "B,B,B,B,B,B", At: t0}, {ID: 2, LinkID: 1, SchoolID: 9, Sig: "C,C,C,C,C,C", At: t0}, {ID: 3, LinkID: 1, SchoolID: 9, Sig: "D,D,D,D,D,D", At: t0}, {ID: 4, LinkID: 1, SchoolID: 9, Sig: "X,X,X,X,X,X", At: t0}}, 0},
	}
	for _, tt := range bursts {
		if got := Burst(now, tt.recent); len(got) != tt.want {
			t.Errorf("%s: burst of %d, want %d", tt.name, len(got), tt.want)
		}
	}
	// Satisfied parents of one school answering 满意 throughout within
	// minutes are no burst, and the one who differs in an item is none
	// with them.
	allA := Trace{LinkID: 1, Sig: "A,A,A,A,A,A", At: t0}
	var satisfied []Trace
	for i := range 10 {
		satisfied = append(satisfied, Trace{ID: int64(i + 1), LinkID: 1, Sig: allA.Sig, At: t0.Add(-time.Duration(i) * time.Minute)})
	}
	if got := Burst(allA, satisfied); got != nil {
		t.Errorf("ten 满意 throughout: burst %v", got)
	}
	if got := Burst(Trace{LinkID: 1, Sig: "A,A,B,A,A,A", At: t0}, satisfied); got != nil {
		t.Errorf("one item off ten 满意 throughout: burst %v", got)
	}
}
