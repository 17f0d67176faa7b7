package survey

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Flag is a reason to put a response before a reviewer. A flag never
// deletes a response: one flagged on arrival is held (stored and logged,
// not counted, no quota place) until a reviewer admits it; one flagged
// later stays in the sample until a recorded decision takes it out.
type Flag string

const (
	FlagFast     Flag = "fast"     // filled faster than the campaign's minimum
	FlagStraight Flag = "straight" // the same option for every item
	FlagBurst    Flag = "burst"    // near-identical answers from one link or school within minutes
	FlagDevice   Flag = "device"   // the device had already answered this campaign
	// FlagNoDevice: the submission did not come back with the device
	// cookie its own form was sent with (a script that keeps no cookies,
	// or a form carried to another browser).
	FlagNoDevice Flag = "no_device"
	// FlagConcentration: the response came from a concentrated source
	// (ConcentratedSource): one beyond the budgets of honest traffic
	// (package intake), or one that sent ConcentrationMin or more
	// responses within ConcentrationWindow, this one among them without
	// its own device.
	FlagConcentration Flag = "concentration"
	// FlagSlow: the form was submitted far later after it was shown than
	// the campaign's responses usually are (SlowFactor × the 99th
	// percentile, and at least SlowFloor): a form carried off, or held for
	// someone else to fill.
	FlagSlow Flag = "slow"
)

// Flags lists every flag in display order.
var Flags = []Flag{FlagFast, FlagStraight, FlagBurst, FlagDevice, FlagNoDevice, FlagConcentration, FlagSlow}

var flagNames = map[Flag]string{
	FlagFast:          "填写过快",
	FlagStraight:      "所有题目选同一项",
	FlagBurst:         "短时间内同一链接或学校出现雷同答卷",
	FlagDevice:        "同一设备重复填写",
	FlagNoDevice:      "提交未带回打开问卷时的设备标识",
	FlagConcentration: "同一网络地址提交量超出正常水平，或短时间内多次提交且设备重复或缺失",
	FlagSlow:          "从打开到提交的时间远超本次调查的一般水平",
}

// Slow responses: against the campaign's own distribution of fill times,
// once it has FillSample of them.
const (
	SlowFactor = 4
	SlowFloor  = 2 * time.Hour
	FillSample = 100
)

// fillTimes keeps the newest fill times of a campaign's responses, as this
// process admitted them: enough to know what is usual.
type fillTimes struct {
	ring []time.Duration
	next int
	// The threshold as last computed, and the fill times added since: it
	// is sorted out again every fillRecount additions, not every group.
	threshold time.Duration
	added     int
}

const fillRecount = 64

const fillRing = 512

func (f *fillTimes) add(d time.Duration) {
	f.added++
	if len(f.ring) < fillRing {
		f.ring = append(f.ring, d)
		return
	}
	f.ring[f.next] = d
	f.next = (f.next + 1) % fillRing
}

// slowAfter is the fill time past which a response is far outside the
// campaign's usual; 0 while too few are known.
func (f *fillTimes) slowAfter() time.Duration {
	if len(f.ring) < FillSample {
		return 0
	}
	if f.threshold == 0 || f.added >= fillRecount {
		sorted := slices.Clone(f.ring)
		slices.Sort(sorted)
		p99 := sorted[len(sorted)*99/100]
		f.threshold, f.added = max(SlowFactor*p99, SlowFloor), 0
	}
	return f.threshold
}

// Concentration: from one address, this many responses to a campaign within
// the window, counting this one.
const (
	ConcentrationWindow = 10 * time.Minute
	ConcentrationMin    = 10
)

// ConcentratedSource reports whether a response's source is concentrated:
// beyond its budget (overBudget, decided by package intake on the written
// model of honest traffic there), or with fromAddress responses within
// ConcentrationWindow, at least ConcentrationMin, this one without a
// device of its own (deviceless: no cookie came back, or a device that
// answered before). Many parents behind one school address each have
// their own phone, and are not flagged for the address alone.
func ConcentratedSource(fromAddress int, deviceless, overBudget bool) bool {
	return overBudget || (fromAddress >= ConcentrationMin && deviceless)
}

// Name is the flag in Chinese.
func (f Flag) Name() string { return flagNames[f] }

// Burst detection: BurstSize near-identical answer vectors from one link or
// one school within BurstWindow. Near-identical means the same options in
// all items but at most one.
const (
	BurstWindow = 10 * time.Minute
	BurstSize   = 5
	// StraightMin is the fewest items for which one option throughout is
	// worth a look.
	StraightMin = 5
)

// Signature is a response's options in the questionnaire's item order,
// joined by commas: what straight-lining and bursts compare.
func (q *Questionnaire) Signature(answers map[string]string) string {
	opts := make([]string, len(q.Items))
	for i, it := range q.Items {
		opts[i] = answers[it.ID]
	}
	return strings.Join(opts, ",")
}

// Summary says a signature in the scale's words, most chosen first, for
// a reviewer: "满意 10、比较满意 2".
func (q *Questionnaire) Summary(sig string) string {
	n := map[string]int{}
	for _, v := range strings.Split(sig, ",") {
		n[v]++
	}
	var parts []string
	for _, o := range q.Scale {
		if n[o.Value] > 0 {
			parts = append(parts, o.Label+" "+strconv.Itoa(n[o.Value]))
		}
	}
	if n[""] > 0 {
		parts = append(parts, "未答 "+strconv.Itoa(n[""]))
	}
	return strings.Join(parts, "、")
}

// Straightlined reports whether a signature has one option throughout, over
// at least StraightMin items.
func Straightlined(sig string) bool {
	return strings.Count(sig, ",")+1 >= StraightMin && constant(sig)
}

// NearIdentical reports whether two signatures of the same questionnaire
// differ in at most one item. It compares in place: burst detection runs
// it against every recent response of a link.
func NearIdentical(a, b string) bool {
	diff := 0
	for {
		i, j := strings.IndexByte(a, ','), strings.IndexByte(b, ',')
		if (i < 0) != (j < 0) {
			return false // different lengths
		}
		x, y := a, b
		if i >= 0 {
			x, y = a[:i], b[:j]
		}
		if x != y {
			if diff++; diff > 1 {
				return false
			}
		}
		if i < 0 {
			return true
		}
		a, b = a[i+1:], b[j+1:]
	}
}

// Trace is a response as burst detection sees it.
type Trace struct {
	ID       int64  // 0 while not yet stored
	Receipt  string // "" while not yet stored
	LinkID   int64
	SchoolID int64 // 0 when none
	Sig      string
	At       time.Time
}

// Burst returns the indices of the responses in recent that form a burst
// with t: those from the same link or school, within BurstWindow before t,
// whose answers are near-identical to t's, when with t they number at least
// BurstSize. nil when there is no burst.
func Burst(t Trace, recent []Trace) []int {
	var like []int
	for i, r := range recent {
		if alike(t, r) {
			like = append(like, i)
		}
	}
	return burstOf(like)
}

// alike reports whether an earlier response r counts towards a burst with t.
// A response with one option throughout never does: the satisfied parents
// of one school answering 满意 throughout within minutes are no burst
// (see Assess). Outside them, five near-identical answer vectors from one
// link or school within ten minutes are improbable for honest parents:
// the intake's parents' meeting (200 phones in 20 minutes, answers drawn
// at the demo's rates) raises none.
func alike(t, r Trace) bool {
	sameSource := r.LinkID == t.LinkID || (t.SchoolID != 0 && r.SchoolID == t.SchoolID)
	inWindow := !r.At.After(t.At) && t.At.Sub(r.At) <= BurstWindow
	return sameSource && inWindow && !constant(t.Sig) && !constant(r.Sig) && NearIdentical(r.Sig, t.Sig)
}

// constant reports whether a signature has one option throughout; it
// compares in place, as burst detection calls it for every candidate.
func constant(sig string) bool {
	i := strings.IndexByte(sig, ',')
	if i < 0 {
		return true
	}
	first := sig[:i]
	for rest := sig[i+1:]; ; {
		j := strings.IndexByte(rest, ',')
		if j < 0 {
			return rest == first
		}
		if rest[:j] != first {
			return false
		}
		rest = rest[j+1:]
	}
}

func burstOf(like []int) []int {
	if len(like)+1 < BurstSize {
		return nil
	}
	return like
}

// burstIndex holds responses for burst detection, found by the halves of
// their signatures: two signatures of one questionnaire that differ in at
// most one item agree on all the items of its first half or of its second.
// A group commit compares each new response with hundreds of recent ones,
// inside the campaign's lock.
type burstIndex struct {
	traces []Trace
	byHalf map[sigHalf][]int // half of a signature → indices in traces
}

type sigHalf struct {
	second  bool
	options string
}

func newBurstIndex(traces []Trace) *burstIndex {
	x := &burstIndex{byHalf: map[sigHalf][]int{}}
	for _, t := range traces {
		x.add(t)
	}
	return x
}

func (x *burstIndex) add(t Trace) {
	first, second := sigHalves(t.Sig)
	x.byHalf[first] = append(x.byHalf[first], len(x.traces))
	x.byHalf[second] = append(x.byHalf[second], len(x.traces))
	x.traces = append(x.traces, t)
}

// burst is Burst(t, x.traces).
func (x *burstIndex) burst(t Trace) []int {
	first, second := sigHalves(t.Sig)
	var like []int
	a, b := x.byHalf[first], x.byHalf[second]
	for len(a) > 0 || len(b) > 0 { // the union of a and b, in order
		var i int
		switch {
		case len(b) == 0 || (len(a) > 0 && a[0] < b[0]):
			i, a = a[0], a[1:]
		case len(a) == 0 || b[0] < a[0]:
			i, b = b[0], b[1:]
		default:
			i, a, b = a[0], a[1:], b[1:]
		}
		if alike(t, x.traces[i]) {
			like = append(like, i)
		}
	}
	return burstOf(like)
}

// sigHalves are a signature's two halves of items.
func sigHalves(sig string) (first, second sigHalf) {
	n := strings.Count(sig, ",") + 1
	cut := -1 // the comma after the first n/2 items
	for range n / 2 {
		cut += 1 + strings.IndexByte(sig[cut+1:], ',')
	}
	if cut < 0 {
		return sigHalf{}, sigHalf{true, sig}
	}
	return sigHalf{false, sig[:cut]}, sigHalf{true, sig[cut+1:]}
}

// Assess gives the flags that can be told from a response alone: a fill
// time under the minimum (faster than the items can be read).
//
// Straight-lining is not one of them. Answering 满意 throughout is what a
// satisfied parent does: in the honest model of the intake's tests 15% of
// parents do, and flagging them put a fifth of an honest school meeting
// before the reviewers. FlagStraight stays only to name the responses
// flagged so before.
func Assess(sig string, fill, minFill time.Duration) []Flag {
	var out []Flag
	if fill < minFill {
		out = append(out, FlagFast)
	}
	return out
}
