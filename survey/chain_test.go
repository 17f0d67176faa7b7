package survey

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// chainOf builds n admitted responses and their entries as the committer
// would.
func chainOf(campaignID int64, n int) ([]ChainEntry, []StoredResponse) {
	var entries []ChainEntry
	var rs []StoredResponse
	prev := Genesis(campaignID)
	at := time.Date(2026, 11, 20, 20, 0, 0, 123456000, time.UTC)
	for i := 1; i <= n; i++ {
		r := StoredResponse{ID: int64(100 + i), Status: Admitted, Chained: Chained{CampaignID: campaignID,
			Receipt: fmt.Sprintf("R%09d", i), FormID: 1, LinkID: 2, Category: "parent", Locale: "urban", GradeBand: "3-4",
			SchoolID: 5, Suggestion: "多开展课后服务", FillMS: 61000, SubmittedAt: at.Add(time.Duration(i) * time.Second),
			Answers: map[string]string{"S01": "A", "S02": "B", "S03": "X"}}}
		h := EntryHash(prev, int64(i), &r.Chained)
		entries = append(entries, ChainEntry{Pos: int64(i), ResponseID: r.ID, Hash: h})
		rs = append(rs, r)
		prev = h
	}
	return entries, rs
}

func kinds(v Verification) []string {
	var out []string
	for _, p := range v.Problems {
		out = append(out, fmt.Sprintf("%s@%d", p.Kind, p.Pos))
	}
	return out
}

func TestVerify(t *testing.T) {
	const campaign = 7
	tests := []struct {
		name   string
		tamper func(e []ChainEntry, r []StoredResponse) ([]ChainEntry, []StoredResponse)
		want   []string
	}{
		{"intact", func(e []ChainEntry, r []StoredResponse) ([]ChainEntry, []StoredResponse) { return e, r }, nil},
		{"answer edited", func(e []ChainEntry, r []StoredResponse) ([]ChainEntry, []StoredResponse) {
			r[2].Answers = map[string]string{"S01": "D", "S02": "B", "S03": "X"}
			return e, r
		}, []string{"changed@3"}},
		{"suggestion edited", func(e []ChainEntry, r []StoredResponse) ([]ChainEntry, []StoredResponse) {
			r[0].Suggestion = ""
			return e, r
		}, []string{"changed@1"}},
		{"submitted time moved", func(e []ChainEntry, r []StoredResponse) ([]ChainEntry, []StoredResponse) {
			r[4].SubmittedAt = r[4].SubmittedAt.Add(time.Microsecond)
			return e, r
		}, []string{"changed@5"}},
		{"response deleted", func(e []ChainEntry, r []StoredResponse) ([]ChainEntry, []StoredResponse) {
			return e, slices.Delete(r, 1, 2)
		}, []string{"removed@2"}},
		{"entry and response deleted", func(e []ChainEntry, r []StoredResponse) ([]ChainEntry, []StoredResponse) {
			return slices.Delete(e, 3, 4), slices.Delete(r, 3, 4)
		}, []string{"removed@4"}},
		{"response inserted", func(e []ChainEntry, r []StoredResponse) ([]ChainEntry, []StoredResponse) {
			x := r[0]
			x.ID, x.Receipt = 999, "FAKE000001"
			return e, append(r, x)
		}, []string{"inserted@0"}},
		{"entry forged at the end", func(e []ChainEntry, r []StoredResponse) ([]ChainEntry, []StoredResponse) {
			x := r[0]
			x.ID, x.Receipt = 999, "FAKE000001"
			return append(e, ChainEntry{Pos: 6, ResponseID: 999, Hash: EntryHash(e[4].Hash, 6, &x.Chained)}), append(r, x)
		}, []string{"head@0"}}, // consistent on its own: only the stored head and printed copies tell
		{"quietly invalidated", func(e []ChainEntry, r []StoredResponse) ([]ChainEntry, []StoredResponse) {
			r[1].Status = Invalidated
			return e, r
		}, []string{"excluded@2"}},
		{"invalidated with a decision", func(e []ChainEntry, r []StoredResponse) ([]ChainEntry, []StoredResponse) {
			r[1].Status, r[1].Decision = Invalidated, "invalid"
			return e, r
		}, nil},
		{"over quota turned admitted", func(e []ChainEntry, r []StoredResponse) ([]ChainEntry, []StoredResponse) {
			x := r[0]
			x.ID, x.Receipt = 998, "OVERQUOTA1"
			return e, append(r, x)
		}, []string{"inserted@0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, r := chainOf(campaign, 5)
			head := e[4].Hash
			e, r = tt.tamper(e, r)
			v := Verify(campaign, e, r, 5, head, nil, nil)
			if got := kinds(v); !slices.Equal(got, tt.want) {
				t.Errorf("problems %v, want %v: %+v", got, tt.want, v.Problems)
			}
			if v.OK() != (len(tt.want) == 0) {
				t.Errorf("OK() = %v with problems %v", v.OK(), tt.want)
			}
		})
	}
}

func TestVerifySealedHead(t *testing.T) {
	e, r := chainOf(3, 4)
	sealed := int64(4)
	if v := Verify(3, e, r, 4, e[3].Hash, &sealed, e[3].Hash); !v.OK() || !v.MatchesHead(v.Head[:8]) || v.MatchesHead(v.Head[:7]) {
		t.Fatalf("intact sealed chain: %+v", v)
	}
	// Rewrite the last entry and the campaign's own head consistently: only
	// the head fixed at close still tells.
	r[3].Answers = map[string]string{"S01": "D"}
	e[3].Hash = EntryHash(e[2].Hash, 4, &r[3].Chained)
	v := Verify(3, e, r, 4, e[3].Hash, &sealed, chainHead(t))
	if got := kinds(v); !slices.Equal(got, []string{"head@0"}) {
		t.Fatalf("problems %v", got)
	}
}

func chainHead(t *testing.T) []byte {
	t.Helper()
	e, _ := chainOf(3, 4)
	return e[3].Hash
}

func TestEntryHashIsCanonical(t *testing.T) {
	r := Chained{CampaignID: 1, Receipt: "A", Answers: map[string]string{"S02": "B", "S01": "A", "S10": "C"},
		SubmittedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))}
	a := EntryHash(Genesis(1), 1, &r)
	utc := r
	utc.SubmittedAt = r.SubmittedAt.UTC()
	if string(EntryHash(Genesis(1), 1, &utc)) != string(a) {
		t.Error("the same instant in another zone hashes differently")
	}
	if string(EntryHash(Genesis(1), 2, &r)) == string(a) || string(EntryHash(Genesis(2), 1, &r)) == string(a) {
		t.Error("position or campaign not committed to")
	}
	if HashPrefix(a) != fmt.Sprintf("%x", a)[:12] {
		t.Error("prefix")
	}
	// The bytes hashed never change: chains already stored must verify.
	r = Chained{CampaignID: 7, Receipt: "ABCDEFGHJK", FormID: 3, LinkID: 11, Category: "parent", Locale: "town", GradeBand: "3-4",
		SchoolID: 5, Suggestion: "希望\"多\"开展<体育>活动", FillMS: 61234, SubmittedAt: time.Date(2026, 11, 22, 20, 1, 2, 345678000, time.UTC),
		Answers: map[string]string{"S02": "B", "S01": "A", "S10": "X"}}
	const canonical = `{"v":1,"campaign":7,"pos":42,"receipt":"ABCDEFGHJK","form":3,"link":11,"category":"parent","locale":"town",` +
		`"grade_band":"3-4","school":5,"suggestion":"希望\"多\"开展\u003c体育\u003e活动","fill_ms":61234,` +
		`"submitted_at_us":1795377662345678,"answers":[["S01","A"],["S02","B"],["S10","X"]]}`
	c := r.canonicalAround()
	if got := string(c.before) + "42" + string(c.after); got != canonical {
		t.Errorf("canonical form\n%s\nwant\n%s", got, canonical)
	}
	if got := fmt.Sprintf("%x", EntryHash(Genesis(7), 42, &r)); got != "a336078fe0b0556b0edd49bf96a380e3e49e543310352c1a7061a3efc168fc59" {
		t.Errorf("entry hash %s", got)
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
	if got := Assess("A,A,A,A,A,A", 5*time.Second, 20*time.Second); !slices.Equal(got, []Flag{FlagFast, FlagStraight}) {
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
		{"different answers", []Trace{{1, 1, 9, "B,B,B,B,B,B", t0}, {2, 1, 9, "C,C,C,C,C,C", t0}, {3, 1, 9, "D,D,D,D,D,D", t0}, {4, 1, 9, "X,X,X,X,X,X", t0}}, 0},
	}
	for _, tt := range bursts {
		if got := Burst(now, tt.recent); len(got) != tt.want {
			t.Errorf("%s: burst of %d, want %d", tt.name, len(got), tt.want)
		}
	}
}
