package survey

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"renke/dbq"
)

// TracesPerSource is how many of the newest responses of one link or one
// school burst detection compares a new response with.
const TracesPerSource = 200

// campaignTraces keeps, for one campaign, the newest responses of each link
// and school that burst detection compares new responses with, so that a
// group commit reads from the database only what was stored since it last
// looked; reading them all again took 400 rows a group inside the
// campaign's lock. A campaign's responses are stored under its lock, so
// their ids rise in the order they are committed, whichever server stores
// them: the newest id read from a source marks all that is known of it.
type campaignTraces struct {
	mu      sync.Mutex
	sources map[traceSource]*sourceTraces
	swept   time.Time // when responses older than the window last left every source
	fills   fillTimes // the campaign's recent fill times, in this process
}

// traceSource is a link, or a school when school is set.
type traceSource struct {
	school bool
	id     int64
}

type sourceTraces struct {
	after  int64   // the newest response read from the source
	traces []Trace // oldest first: at most TracesPerSource, within BurstWindow
}

func (s *Store) campaignTraces(campaignID int64) *campaignTraces {
	ct, _ := s.traces.LoadOrStore(campaignID, &campaignTraces{sources: map[traceSource]*sourceTraces{}})
	return ct.(*campaignTraces)
}

// groupSources are the links and schools of a campaign's group.
func groupSources(members []*pending) []traceSource {
	seen := map[traceSource]bool{}
	for _, p := range members {
		seen[traceSource{id: p.env.LinkID}] = true
		if p.sub.School != nil {
			seen[traceSource{school: true, id: p.sub.School.ID}] = true
		}
	}
	return slices.Collect(maps.Keys(seen))
}

// queue queues in b the look-up of what was stored in the sources since
// they were last read, into rows.
func (ct *campaignTraces) queue(ctx context.Context, b *pgx.Batch, campaignID int64, sources []traceSource, rows *[]dbq.RecentTracesRow) {
	arg := dbq.RecentTracesParams{CampaignID: campaignID, PerSource: TracesPerSource}
	ct.mu.Lock()
	for _, src := range sources {
		var after int64
		if st := ct.sources[src]; st != nil {
			after = st.after
		}
		if src.school {
			arg.SchoolIds, arg.SchoolAfter = append(arg.SchoolIds, src.id), append(arg.SchoolAfter, after)
		} else {
			arg.LinkIds, arg.LinkAfter = append(arg.LinkIds, src.id), append(arg.LinkAfter, after)
		}
	}
	ct.mu.Unlock()
	dbq.Queue(b, func(q *dbq.Queries) { q.RecentTraces(ctx, arg) }).Query(dbq.Into(rows, pgx.RowToStructByPos[dbq.RecentTracesRow]))
}

// merge adds the rows read for sources, in id order, and returns the
// responses of those sources since cutoff, in id order.
func (ct *campaignTraces) merge(sources []traceSource, rows []dbq.RecentTracesRow, cutoff time.Time) []Trace {
	ct.mu.Lock()
	defer ct.mu.Unlock()
	read := make(map[traceSource]*sourceTraces, len(sources))
	for _, src := range sources {
		if ct.sources[src] == nil {
			ct.sources[src] = &sourceTraces{}
		}
		read[src] = ct.sources[src]
	}
	for _, r := range rows {
		t := Trace{ID: r.ID, Receipt: r.Receipt, LinkID: r.LinkID, SchoolID: r.SchoolID, Sig: r.AnswerSig, At: r.SubmittedAt}
		read[traceSource{id: r.LinkID}].add(t)
		if r.SchoolID != 0 {
			read[traceSource{school: true, id: r.SchoolID}].add(t)
		}
	}
	if cutoff.Sub(ct.swept) > BurstWindow/10 { // sources that went quiet keep nothing for long
		for _, st := range ct.sources {
			st.trim(cutoff)
		}
		ct.swept = cutoff
	}
	byID := map[int64]Trace{}
	for _, st := range read {
		st.trim(cutoff)
		for _, t := range st.traces {
			byID[t.ID] = t
		}
	}
	out := slices.Collect(maps.Values(byID))
	slices.SortFunc(out, func(a, b Trace) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// add appends a response newer than any read from the source. A response
// read before is passed over, and so is one for a source not read this
// time (nil): what was stored there before it may not have been read.
func (st *sourceTraces) add(t Trace) {
	if st == nil || t.ID <= st.after {
		return
	}
	st.after = t.ID
	st.traces = append(st.traces, t)
}

// trim drops the responses before cutoff and all but the newest
// TracesPerSource.
func (st *sourceTraces) trim(cutoff time.Time) {
	i := 0
	for i < len(st.traces) && st.traces[i].At.Before(cutoff) {
		i++
	}
	i = max(i, len(st.traces)-TracesPerSource)
	if i == len(st.traces) {
		st.traces = nil // let the memory go
		return
	}
	st.traces = slices.Delete(st.traces, 0, i)
}
