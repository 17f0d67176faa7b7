package survey

import (
	"strings"
	"time"
)

// Flag is a reason to put a response before a reviewer. A flag never
// removes a response from the sample; only a recorded decision does.
type Flag string

const (
	FlagFast     Flag = "fast"     // filled faster than the campaign's minimum
	FlagStraight Flag = "straight" // the same option for every item
	FlagBurst    Flag = "burst"    // near-identical answers from one link or school within minutes
	FlagDevice   Flag = "device"   // the device had already answered this campaign
)

// Flags lists every flag in display order.
var Flags = []Flag{FlagFast, FlagStraight, FlagBurst, FlagDevice}

var flagNames = map[Flag]string{
	FlagFast:     "填写过快",
	FlagStraight: "所有题目选同一项",
	FlagBurst:    "短时间内同一链接或学校出现雷同答卷",
	FlagDevice:   "同一设备重复填写",
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

// Straightlined reports whether a signature has one option throughout, over
// at least StraightMin items.
func Straightlined(sig string) bool {
	opts := strings.Split(sig, ",")
	if len(opts) < StraightMin {
		return false
	}
	for _, o := range opts[1:] {
		if o != opts[0] {
			return false
		}
	}
	return true
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
	ID       int64 // 0 while not yet stored
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
		sameSource := r.LinkID == t.LinkID || (t.SchoolID != 0 && r.SchoolID == t.SchoolID)
		inWindow := !r.At.After(t.At) && t.At.Sub(r.At) <= BurstWindow
		if sameSource && inWindow && NearIdentical(r.Sig, t.Sig) {
			like = append(like, i)
		}
	}
	if len(like)+1 < BurstSize {
		return nil
	}
	return like
}

// Assess gives the flags that can be told from a response alone: a fill
// time under the minimum, and straight-lining.
func Assess(sig string, fill, minFill time.Duration) []Flag {
	var out []Flag
	if fill < minFill {
		out = append(out, FlagFast)
	}
	if Straightlined(sig) {
		out = append(out, FlagStraight)
	}
	return out
}
