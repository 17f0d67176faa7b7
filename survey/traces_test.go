package survey

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"renke/dbq"
)

func TestTracesReadOnlyWhatIsNew(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC)
	row := func(id, link, school int64, ago time.Duration) dbq.RecentTracesRow {
		return dbq.RecentTracesRow{ID: id, LinkID: link, SchoolID: school, AnswerSig: "A,B", SubmittedAt: t0.Add(-ago)}
	}
	link1, link2, school9 := traceSource{id: 1}, traceSource{id: 2}, traceSource{school: true, id: 9}
	ids := func(ts []Trace) []int64 {
		var out []int64
		for _, t := range ts {
			out = append(out, t.ID)
		}
		return out
	}
	ct := &campaignTraces{sources: map[traceSource]*sourceTraces{}}
	steps := []struct {
		name      string
		later     time.Duration // since t0
		sources   []traceSource
		rows      []dbq.RecentTracesRow
		want      []int64
		wantAfter map[traceSource]int64
	}{
		{"first read of a link and its school", 0, []traceSource{link1, school9},
			[]dbq.RecentTracesRow{row(3, 1, 9, time.Minute), row(5, 2, 9, time.Minute), row(7, 1, 9, 0)},
			[]int64{3, 5, 7}, map[traceSource]int64{link1: 7, school9: 7}},
		{"a response of another link read through the school does not count as read for that link",
			0, []traceSource{link2}, []dbq.RecentTracesRow{row(4, 2, 0, time.Minute), row(5, 2, 9, time.Minute)},
			[]int64{4, 5}, map[traceSource]int64{link2: 5, school9: 7}},
		{"what was read before is passed over, what is new is added", 0, []traceSource{link1, school9},
			[]dbq.RecentTracesRow{row(7, 1, 9, 0), row(8, 1, 9, 0)},
			[]int64{3, 5, 7, 8}, map[traceSource]int64{link1: 8, school9: 8}},
		{"responses older than the window leave", BurstWindow - 30*time.Second, []traceSource{link2},
			[]dbq.RecentTracesRow{row(9, 2, 0, 0)},
			[]int64{9}, map[traceSource]int64{link2: 9}},
	}
	for _, st := range steps {
		got := ct.merge(st.sources, st.rows, t0.Add(st.later-BurstWindow))
		if !slices.Equal(ids(got), st.want) {
			t.Errorf("%s: traces %v, want %v", st.name, ids(got), st.want)
		}
		for src, after := range st.wantAfter {
			if ct.sources[src].after != after {
				t.Errorf("%s: %+v read up to %d, want %d", st.name, src, ct.sources[src].after, after)
			}
		}
	}
	// A busy source keeps only its newest TracesPerSource.
	var many []dbq.RecentTracesRow
	for i := range TracesPerSource + 50 {
		many = append(many, row(int64(100+i), 1, 0, 0))
	}
	got := ct.merge([]traceSource{link1}, many, t0.Add(-BurstWindow))
	if len(got) != TracesPerSource || got[0].ID != 150 {
		t.Errorf("busy link: %d traces from %d, want %d from 150", len(got), got[0].ID, TracesPerSource)
	}
}

// A burst spread over two servers is found: each reads what the other
// stored since it last looked.
func TestBurstAcrossServers(t *testing.T) {
	ctx := context.Background()
	f := openCampaign(t, 400_000)
	other := f
	other.store = NewStore(f.pool)
	alike := func(i int) func(int) string {
		return func(j int) string {
			if j == 0 {
				return []string{"A", "B", "C", "D", "X"}[i]
			}
			return varied(50)(j)
		}
	}
	var rcs []Receipt
	for i := range BurstSize {
		s := f
		if i%2 == 1 {
			s = other
		}
		rcs = append(rcs, s.submit(t, fmt.Sprintf("across-%d", i), alike(i), time.Minute, nil))
	}
	for i, rc := range rcs {
		var flags []string
		if err := f.pool.QueryRow(ctx, `SELECT flags FROM responses WHERE receipt = $1`, rc.Code).Scan(&flags); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(flags, string(FlagBurst)) {
			t.Errorf("response %d of the burst has flags %v, want burst", i, flags)
		}
	}
}

// The index finds exactly the bursts that comparing with every response
// finds.
func TestBurstIndexFindsWhatBurstFinds(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC)
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, items := range []int{2, 3, 12} { // (one item is one option throughout: never a burst)
		sig := func() string {
			opts := make([]string, items)
			for i := range opts { // mostly A: alike often enough to burst
				opts[i] = "A"
				if rnd.IntN(items+1) == 0 {
					opts[i] = []string{"B", "C", "D"}[rnd.IntN(3)]
				}
			}
			return strings.Join(opts, ",")
		}
		var recent []Trace
		for i := range 300 {
			recent = append(recent, Trace{ID: int64(i + 1), LinkID: rnd.Int64N(3), SchoolID: rnd.Int64N(3),
				Sig: sig(), At: t0.Add(-time.Duration(rnd.IntN(20)) * time.Minute)})
		}
		x := newBurstIndex(recent)
		bursts := 0
		for range 200 {
			tr := Trace{LinkID: rnd.Int64N(3), SchoolID: rnd.Int64N(3), Sig: sig(), At: t0}
			want, got := Burst(tr, recent), x.burst(tr)
			if !slices.Equal(got, want) {
				t.Fatalf("%d items, %+v: index finds %v, want %v", items, tr, got, want)
			}
			if want != nil {
				bursts++
			}
		}
		if bursts == 0 {
			t.Fatalf("%d items: no bursts among the cases", items)
		}
	}
}

// A source that goes quiet keeps nothing once its responses leave the
// window, though no group reads it again.
func TestQuietSourcesLetGo(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC)
	ct := &campaignTraces{sources: map[traceSource]*sourceTraces{}}
	quiet, busy := traceSource{id: 1}, traceSource{id: 2}
	ct.merge([]traceSource{quiet}, []dbq.RecentTracesRow{{ID: 1, LinkID: 1, AnswerSig: "A", SubmittedAt: t0}}, t0.Add(-BurstWindow))
	ct.merge([]traceSource{busy}, []dbq.RecentTracesRow{{ID: 2, LinkID: 2, AnswerSig: "A", SubmittedAt: t0.Add(BurstWindow)}}, t0.Add(time.Second))
	if st := ct.sources[quiet]; st.traces != nil || st.after != 1 {
		t.Errorf("the quiet link keeps %d responses, read up to %d; want none, read up to 1", len(st.traces), st.after)
	}
}
