package survey

import (
	"math"
	"sort"

	"renke/sampling"
)

// Method is a way of turning answers into a recognition rate. The official
// formula is not published, so every method is computed and shown side by
// side; the campaign's method decides the verdict.
type Method string

const (
	TopTwo           Method = "top2"     // 满意 + 比较满意 over all answers but 不了解 (default)
	TopThree         Method = "top3"     // adds 一般 / 基本满意
	WeightedPoints   Method = "points"   // mean of option points, out of 100
	CategoryWeighted Method = "category" // each category's top-two rate, weighted by its quota share
)

// Methods lists every method in the order they are shown.
var Methods = []Method{TopTwo, TopThree, WeightedPoints, CategoryWeighted}

var methodNames = map[Method]string{
	TopTwo: "满意度前两级占比", TopThree: "满意度前三级占比",
	WeightedPoints: "加权平均分", CategoryWeighted: "按类别配额加权",
}

// Name is the method's Chinese name.
func (m Method) Name() string { return methodNames[m] }

// Valid reports whether m is a known method.
func (m Method) Valid() bool { return methodNames[m] != "" }

// Count is how many admitted answers chose one option of one item, within
// one category, locale and school (School is "" when none was named).
type Count struct {
	Item     string
	Option   string
	Category sampling.Category
	Locale   sampling.Locale
	School   string
	N        int64
}

// Scoring is what a report needs besides the counts.
type Scoring struct {
	Questionnaires []Questionnaire
	// QuotaShares is each category's share of the quota, for the
	// category-weighted method.
	QuotaShares map[sampling.Category]float64
	Method      Method
	Threshold   float64
}

// Interval is a rate with its 95% interval.
type Interval struct {
	Rate float64 `json:"rate"`
	Low  float64 `json:"low"`
	High float64 `json:"high"`
}

// Group is the result for one slice of the answers: an item, a content
// area, a category, a school or a locale.
type Group struct {
	Key      string   `json:"key"`
	Label    string   `json:"label"`
	Answers  int64    `json:"answers"`   // rated answers, 不了解 excluded
	DontKnow int64    `json:"dont_know"` // 不了解 answers
	TopTwo   Interval `json:"top2"`      // with its Wilson interval
	TopThree float64  `json:"top3"`
	Points   float64  `json:"points"` // mean points ÷ 100
	Rate     float64  `json:"rate"`   // by the campaign's method (top two for category-weighted)
	// Interval is Rate with its 95% interval: Wilson on the top-two answers
	// for the top-two and category-weighted methods, and for the others the
	// Wilson interval of the rate taken as a proportion of the answers.
	Interval Interval `json:"interval"`
}

// MethodResult is the pooled rate by one method.
type MethodResult struct {
	Method Method `json:"method"`
	Name   string `json:"name"`
	Interval
	Pass bool `json:"pass"`
}

// Margin says how safely the rate clears the threshold.
type Margin string

const (
	Clear     Margin = "clear"      // the whole interval is at or above the line
	NoisePass Margin = "noise_pass" // the rate clears it, but the interval reaches below
	NoiseFail Margin = "noise_fail" // the rate is short, but the interval reaches the line
	Below     Margin = "below"      // the whole interval is below the line
)

// Name is the margin in a few words, for tables.
func (m Margin) Name() string {
	return map[Margin]string{Clear: "达标，区间在线上", NoisePass: "达标，区间跨线", NoiseFail: "未达标，区间跨线", Below: "未达标，区间在线下"}[m]
}

// Report is the recognition result of a campaign.
type Report struct {
	Method     Method         `json:"method"`
	Threshold  float64        `json:"threshold"`
	Result     MethodResult   `json:"result"` // by the campaign's method
	Margin     Margin         `json:"margin"`
	Methods    []MethodResult `json:"methods"`
	Answers    int64          `json:"answers"`
	DontKnow   int64          `json:"dont_know"`
	ByItem     []Group        `json:"by_item"`
	ByArea     []Group        `json:"by_area"`
	ByCategory []Group        `json:"by_category"`
	BySchool   []Group        `json:"by_school"`
	ByLocale   []Group        `json:"by_locale"`
}

// z is the normal quantile of a two-sided 95% interval.
const z = 1.959963984540054

// Wilson is the 95% Wilson score interval of k successes in n trials.
func Wilson(k, n float64) Interval {
	if n <= 0 {
		return Interval{}
	}
	p := k / n
	d := 1 + z*z/n
	centre := (p + z*z/(2*n)) / d
	half := z * math.Sqrt(p*(1-p)/n+z*z/(4*n*n)) / d
	return Interval{Rate: p, Low: math.Max(0, centre-half), High: math.Min(1, centre+half)}
}

type tally struct {
	n, dontKnow, top2, top3 int64
	points, points2         float64 // sums of points/100 and its square
}

func (t *tally) add(o Option, n int64) {
	if o.DontKnow {
		t.dontKnow += n
		return
	}
	t.n += n
	if o.Rank <= 2 {
		t.top2 += n
	}
	if o.Rank <= 3 {
		t.top3 += n
	}
	p := o.Points / 100
	t.points += p * float64(n)
	t.points2 += p * p * float64(n)
}

func (t *tally) group(key, label string, m Method) Group {
	g := Group{Key: key, Label: label, Answers: t.n, DontKnow: t.dontKnow}
	if t.n > 0 {
		g.TopTwo = Wilson(float64(t.top2), float64(t.n))
		g.TopThree = float64(t.top3) / float64(t.n)
		g.Points = t.points / float64(t.n)
	}
	switch m {
	case TopThree:
		g.Rate = g.TopThree
	case WeightedPoints:
		g.Rate = g.Points
	default:
		g.Rate = g.TopTwo.Rate
	}
	g.Interval = g.TopTwo
	if m != TopTwo && m != CategoryWeighted {
		g.Interval = Wilson(g.Rate*float64(t.n), float64(t.n))
		g.Interval.Rate = g.Rate
	}
	return g
}

// Score computes the recognition report from answer counts. It is a pure
// function: the same counts give the same report.
func Score(s Scoring, counts []Count) Report {
	scales := map[string]*Questionnaire{}
	items := map[string]Item{}
	for i := range s.Questionnaires {
		q := &s.Questionnaires[i]
		for _, it := range q.Items {
			scales[it.ID], items[it.ID] = q, it
		}
	}
	var all tally
	byItem, byArea := map[string]*tally{}, map[string]*tally{}
	byCategory, bySchool, byLocale := map[string]*tally{}, map[string]*tally{}, map[string]*tally{}
	at := func(m map[string]*tally, k string) *tally {
		t := m[k]
		if t == nil {
			t = &tally{}
			m[k] = t
		}
		return t
	}
	for _, c := range counts {
		q := scales[c.Item]
		if q == nil {
			continue
		}
		o, ok := q.Option(c.Option)
		if !ok {
			continue
		}
		all.add(o, c.N)
		at(byItem, c.Item).add(o, c.N)
		at(byArea, string(items[c.Item].Area)).add(o, c.N)
		at(byCategory, string(c.Category)).add(o, c.N)
		at(byLocale, string(c.Locale)).add(o, c.N)
		if c.School != "" {
			at(bySchool, c.School).add(o, c.N)
		}
	}

	r := Report{Method: s.Method, Threshold: s.Threshold, Answers: all.n, DontKnow: all.dontKnow}
	for _, m := range Methods {
		var iv Interval
		switch m {
		case TopTwo:
			iv = Wilson(float64(all.top2), float64(all.n))
		case TopThree:
			iv = Wilson(float64(all.top3), float64(all.n))
		case WeightedPoints:
			iv = meanInterval(all)
		case CategoryWeighted:
			iv = categoryWeighted(byCategory, s.QuotaShares)
		}
		res := MethodResult{Method: m, Name: m.Name(), Interval: iv, Pass: all.n > 0 && iv.Rate >= s.Threshold}
		r.Methods = append(r.Methods, res)
		if m == s.Method {
			r.Result = res
		}
	}
	switch res := r.Result; {
	case res.Low >= s.Threshold:
		r.Margin = Clear
	case res.Rate >= s.Threshold:
		r.Margin = NoisePass
	case res.High >= s.Threshold:
		r.Margin = NoiseFail
	default:
		r.Margin = Below
	}
	if all.n == 0 {
		r.Margin = Below
	}

	for _, q := range s.Questionnaires {
		for _, it := range q.Items {
			if t := byItem[it.ID]; t != nil {
				r.ByItem = append(r.ByItem, t.group(it.ID, it.Text, s.Method))
			}
		}
	}
	for _, a := range Areas {
		if t := byArea[string(a)]; t != nil {
			r.ByArea = append(r.ByArea, t.group(string(a), a.Name(), s.Method))
		}
	}
	for _, c := range sampling.Categories {
		if t := byCategory[string(c)]; t != nil {
			r.ByCategory = append(r.ByCategory, t.group(string(c), c.Name(), s.Method))
		}
	}
	for _, l := range sampling.Locales {
		if t := byLocale[string(l)]; t != nil {
			r.ByLocale = append(r.ByLocale, t.group(string(l), l.Name(), s.Method))
		}
	}
	for name, t := range bySchool {
		r.BySchool = append(r.BySchool, t.group(name, name, s.Method))
	}
	// Items and schools: weakest first, the order staff act in.
	weakestFirst(r.ByItem)
	weakestFirst(r.BySchool)
	return r
}

// WeakestFirst is the groups with answers, lowest rate first: the order
// staff act in.
func WeakestFirst(groups []Group) []Group {
	out := make([]Group, 0, len(groups))
	for _, g := range groups {
		if g.Answers > 0 {
			out = append(out, g)
		}
	}
	weakestFirst(out)
	return out
}

func weakestFirst(gs []Group) {
	sort.SliceStable(gs, func(i, j int) bool {
		if gs[i].Rate != gs[j].Rate {
			return gs[i].Rate < gs[j].Rate
		}
		return gs[i].Key < gs[j].Key
	})
}

// meanInterval is the mean points with a normal 95% interval.
func meanInterval(t tally) Interval {
	if t.n == 0 {
		return Interval{}
	}
	n := float64(t.n)
	mean := t.points / n
	variance := 0.0
	if t.n > 1 {
		variance = math.Max(0, (t.points2-n*mean*mean)/(n-1))
	}
	half := z * math.Sqrt(variance/n)
	return Interval{Rate: mean, Low: math.Max(0, mean-half), High: math.Min(1, mean+half)}
}

// categoryWeighted weights each category's top-two rate by its quota share,
// renormalised over the categories that have answers, with the stratified
// normal 95% interval.
func categoryWeighted(byCategory map[string]*tally, shares map[sampling.Category]float64) Interval {
	var wsum float64
	for _, c := range sampling.Categories {
		if t := byCategory[string(c)]; t != nil && t.n > 0 {
			wsum += shares[c]
		}
	}
	if wsum == 0 {
		return Interval{}
	}
	var rate, variance float64
	for _, c := range sampling.Categories {
		t := byCategory[string(c)]
		if t == nil || t.n == 0 || shares[c] == 0 {
			continue
		}
		w := shares[c] / wsum
		p := float64(t.top2) / float64(t.n)
		rate += w * p
		variance += w * w * p * (1 - p) / float64(t.n)
	}
	half := z * math.Sqrt(variance)
	return Interval{Rate: rate, Low: math.Max(0, rate-half), High: math.Min(1, rate+half)}
}
