package intake

import (
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"renke/survey"
)

// Budgets per source, over several windows.
//
// The written model of honest traffic from one source (an IPv4 address or
// an IPv6 /64) to one campaign, which the limits below clear with room:
//
//   - A parents' meeting at a school: up to 300 parents behind the
//     school's one address, answering within about half an hour, each on
//     their own phone. At 200 phones over 20 minutes (the case tested),
//     any 10 minutes holds about 100 (a Poisson count of mean 100 exceeds
//     135 with probability below 0.05%), an hour 200.
//   - A carrier-grade NAT address: a mobile carrier puts a town's phones
//     behind a few addresses. A county's whole sample is about 1,200
//     (1.5‰ of 800,000) answered over one to two weeks; one carrier
//     address carries at most a few hundred of them in a day, evening
//     peak included (300 over a day, the case tested: under 40 in any
//     hour).
//   - A teacher's office or a village committee's computer: tens a day.
//
// So, per source and campaign, honest traffic stays under 40 submissions
// (and 40 forms served to phones without a device cookie) in any minute
// (the meeting's Poisson count of mean 10 a minute passes 25 with
// probability below 0.01%), 150 in any 10 minutes, 300 in any hour and 600
// in any day. A source beyond any of them
// is a concentrated source: its responses are flagged for review (those
// already in from it within the window too, since they made it so) and
// its proof of work grows. Dropping cookies or pacing does not reset
// anything: the counts are by address, not by device, and the hour and
// day windows outlast any pause a script can afford. What no address-based
// budget can stop is many addresses with many devices; WeChat identity
// (one response per WeChat user) is the answer to that.
type Window struct {
	Span time.Duration
	// Most submissions, and most forms served to new devices, from one
	// source to one campaign within Span that honest traffic produces.
	Submissions, NewDevices int
}

// Windows are the budgets, shortest first.
var Windows = []Window{
	{Span: time.Minute, Submissions: 40, NewDevices: 40},
	{Span: 10 * time.Minute, Submissions: 150, NewDevices: 150},
	{Span: time.Hour, Submissions: 300, NewDevices: 300},
	{Span: 24 * time.Hour, Submissions: 600, NewDevices: 600},
}

// longest is the longest window: what a source's history keeps.
var longest = Windows[len(Windows)-1].Span

// maxKept bounds the times kept per source and kind: twice the largest
// limit, enough to know a source is over every budget.
const maxKept = 1200

// maxSources bounds the sources kept: past it, the oldest quiet ones go.
const maxSources = 200_000

// Budgets counts, in this process, submissions and new-device forms per
// source and campaign. Each server counts what it sees: behind a load
// balancer spreading one address over n servers, a source gets n times
// the budget.
type Budgets struct {
	mu      sync.Mutex
	sources map[budgetKey]*history
}

type budgetKey struct {
	campaign int64
	source   string
}

type history struct {
	submitted, served []time.Time // oldest first
	last              time.Time
}

// Load is a source's standing against its budgets at a moment.
type Load struct {
	LastMinute int // submissions in the last minute
	// InWindow is the submissions within survey.ConcentrationWindow: what
	// the concentration flag of a device-less source counts.
	InWindow int
	// Over is the first window the source has gone beyond (nil: none),
	// and Excess how far: the count over the limit, as a ratio ≥ 1.
	Over   *Window
	Excess float64
}

// Concentrated reports whether the source is beyond a budget.
func (l Load) Concentrated() bool { return l.Over != nil }

// Since is where the window the source went beyond begins: its responses
// since then made it concentrated.
func (l Load) Since(now time.Time) time.Time {
	if l.Over == nil {
		return time.Time{}
	}
	return now.Add(-l.Over.Span)
}

// Served counts a form rendered for a source; newDevice: the browser came
// without a device cookie and was given one.
func (b *Budgets) Served(campaign int64, source string, newDevice bool, now time.Time) {
	if !newDevice {
		return
	}
	b.note(campaign, source, now, func(h *history) *[]time.Time { return &h.served })
}

// Submitted counts a submission from a source.
func (b *Budgets) Submitted(campaign int64, source string, now time.Time) {
	b.note(campaign, source, now, func(h *history) *[]time.Time { return &h.submitted })
}

func (b *Budgets) note(campaign int64, source string, now time.Time, list func(*history) *[]time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sources == nil {
		b.sources = map[budgetKey]*history{}
	}
	k := budgetKey{campaign, source}
	h := b.sources[k]
	if h == nil {
		if len(b.sources) >= maxSources {
			b.forgetQuiet(now)
		}
		h = &history{}
		b.sources[k] = h
	}
	ts := list(h)
	*ts = append(trim(*ts, now), now)
	if len(*ts) > maxKept {
		*ts = slices.Delete(*ts, 0, len(*ts)-maxKept)
	}
	h.last = now
}

// forgetQuiet drops the sources that sent nothing within the longest
// window, and if that is not enough, the half heard from longest ago.
func (b *Budgets) forgetQuiet(now time.Time) {
	for k, h := range b.sources {
		if now.Sub(h.last) > longest {
			delete(b.sources, k)
		}
	}
	if len(b.sources) < maxSources {
		return
	}
	lasts := make([]time.Time, 0, len(b.sources))
	for _, h := range b.sources {
		lasts = append(lasts, h.last)
	}
	slices.SortFunc(lasts, func(a, b time.Time) int { return a.Compare(b) })
	cut := lasts[len(lasts)/2]
	for k, h := range b.sources {
		if h.last.Before(cut) {
			delete(b.sources, k)
		}
	}
}

// trim drops the times older than the longest window.
func trim(ts []time.Time, now time.Time) []time.Time {
	i := sort.Search(len(ts), func(i int) bool { return now.Sub(ts[i]) <= longest })
	return ts[i:]
}

// count is the times in ts within span before now.
func count(ts []time.Time, now time.Time, span time.Duration) int {
	return len(ts) - sort.Search(len(ts), func(i int) bool { return now.Sub(ts[i]) <= span })
}

// Load is a source's standing now, counting a submission about to be made.
func (b *Budgets) Load(campaign int64, source string, now time.Time) Load {
	b.mu.Lock()
	defer b.mu.Unlock()
	h := b.sources[budgetKey{campaign, source}]
	if h == nil {
		h = &history{}
	}
	l := Load{LastMinute: count(h.submitted, now, time.Minute), InWindow: count(h.submitted, now, survey.ConcentrationWindow) + 1}
	for i := range Windows {
		w := &Windows[i]
		subs := count(h.submitted, now, w.Span) + 1
		news := count(h.served, now, w.Span)
		excess := max(float64(subs)/float64(w.Submissions), float64(news)/float64(w.NewDevices))
		if excess > 1 && excess > l.Excess {
			l.Over, l.Excess = w, excess
		}
	}
	return l
}

// String says a load in words, for logs.
func (l Load) String() string {
	if l.Over == nil {
		return "within budget"
	}
	return "over the " + l.Over.Span.String() + " budget ×" + strconv.FormatFloat(l.Excess, 'f', 1, 64)
}
