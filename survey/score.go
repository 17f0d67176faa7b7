package survey

import (
	"fmt"
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
	// Sample is how far the counted sample is from its design: until it is
	// complete, every verdict is provisional.
	Sample SampleState
}

// SampleState is the counted sample against its design.
type SampleState struct {
	Designed       int  `json:"designed"`         // the designed sample size (0: not fixed yet)
	Counted        int  `json:"counted"`          // admitted and not invalidated
	ParentFloorMet bool `json:"parent_floor_met"` // parents are at least half of the counted
}

// Complete reports whether the counted sample reaches its designed size
// and the parents' floor: the condition of any verdict.
func (s SampleState) Complete() bool {
	return s.Designed > 0 && s.Counted >= s.Designed && s.ParentFloorMet
}

// Shortfall says, in Chinese, why a verdict is provisional: "" when the
// sample is complete.
func (s SampleState) Shortfall() string {
	switch {
	case s.Designed <= 0:
		return "样本量尚未确定（调查未开始），结论为暂定"
	case s.Counted < s.Designed && !s.ParentFloorMet:
		return fmt.Sprintf("样本未达设计量：已纳入 %d / %d，且家长占比未达 50%%，结论为暂定", s.Counted, s.Designed)
	case s.Counted < s.Designed:
		return fmt.Sprintf("样本未达设计量：已纳入 %d / %d，结论为暂定", s.Counted, s.Designed)
	case !s.ParentFloorMet:
		return "家长占比未达 50%，结论为暂定"
	}
	return ""
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
	Key   string `json:"key"`
	Label string `json:"label"`
	// Respondents is the people who rated anything in the group: the n of
	// its interval. Answers are shown beside it, labelled as answers.
	Respondents int64 `json:"respondents"`
	// Questionnaire names the questionnaire of an item's group.
	Questionnaire string   `json:"questionnaire,omitempty"`
	Answers       int64    `json:"answers"`   // rated answers, 不了解 excluded
	DontKnow      int64    `json:"dont_know"` // 不了解 answers
	TopTwo        Interval `json:"top2"`      // with its Wilson interval
	TopThree      float64  `json:"top3"`
	Points        float64  `json:"points"` // mean points ÷ 100
	Rate          float64  `json:"rate"`   // by the campaign's method (top two for category-weighted)
	// Interval is Rate with its 95% interval over respondents (cluster.go):
	// by the campaign's method, top two for category-weighted. An item is
	// answered once by each respondent, so its interval is Wilson's on its
	// answers.
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
	Method    Method       `json:"method"`
	Threshold float64      `json:"threshold"`
	Result    MethodResult `json:"result"` // by the campaign's method
	Margin    Margin       `json:"margin"`
	// Provisional: the counted sample has not reached its design (or the
	// parents' floor), so no verdict is final; Shortfall says by how much.
	Provisional bool           `json:"provisional"`
	Shortfall   string         `json:"shortfall,omitempty"`
	Sample      SampleState    `json:"sample"`
	Methods     []MethodResult `json:"methods"`
	Respondents int64          `json:"respondents"` // people who rated anything: the n of the pooled interval
	Answers     int64          `json:"answers"`
	DontKnow    int64          `json:"dont_know"`
	ByItem      []Group        `json:"by_item"`
	ByArea      []Group        `json:"by_area"`
	ByCategory  []Group        `json:"by_category"`
	BySchool    []Group        `json:"by_school"`
	ByLocale    []Group        `json:"by_locale"`
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

// group is the result of a group from its answer counts and, where kept,
// its respondent sums; without sums (an item) every answer is one
// respondent's.
func (t *tally) group(key, label string, m Method, people *Sums) Group {
	g := Group{Key: key, Label: label, Answers: t.n, DontKnow: t.dontKnow, Respondents: t.n}
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
	if m == CategoryWeighted {
		m = TopTwo
	}
	if people != nil {
		g.Respondents = people.Respondents
		g.TopTwo = people.Interval(TopTwo)
		g.Interval = people.Interval(m)
		g.Interval.Rate = g.Rate
		return g
	}
	g.Interval = g.TopTwo
	if m != TopTwo {
		g.Interval = Wilson(g.Rate*float64(t.n), float64(t.n))
		g.Interval.Rate = g.Rate
	}
	return g
}

// Score computes the recognition report from answer counts. It is a pure
// function: the same counts give the same report.
// The counts give the rates; the respondent sums (one per category,
// locale, school and content area) give their intervals over respondents.
func Score(s Scoring, counts []Count, people []GroupSums) Report {
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

	sums := map[Dimension]map[string]*Sums{ByCategory: {}, ByLocale: {}, BySchool: {}, ByArea: {}}
	var pooled Sums
	perCategory := map[sampling.Category]Sums{}
	for _, g := range people {
		if sums[g.Dimension] == nil {
			continue
		}
		v := g.Sums
		sums[g.Dimension][g.Key] = &v
		if g.Dimension == ByCategory {
			pooled = pooled.Plus(v)
			perCategory[sampling.Category(g.Key)] = v
		}
	}

	r := Report{Method: s.Method, Threshold: s.Threshold, Answers: all.n, DontKnow: all.dontKnow, Respondents: pooled.Respondents,
		Sample: s.Sample, Provisional: !s.Sample.Complete(), Shortfall: s.Sample.Shortfall()}
	for _, m := range Methods {
		var iv Interval
		switch m {
		case TopTwo, TopThree, WeightedPoints:
			iv = pooled.Interval(m)
		case CategoryWeighted:
			iv = stratified(perCategory, s.QuotaShares)
		}
		res := MethodResult{Method: m, Name: m.Name(), Interval: iv, Pass: pooled.Respondents > 0 && iv.Rate >= s.Threshold}
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
	if pooled.Respondents == 0 {
		r.Margin = Below
	}

	for _, q := range s.Questionnaires {
		for _, it := range q.Items {
			if t := byItem[it.ID]; t != nil {
				g := t.group(it.ID, it.Text, s.Method, nil)
				g.Questionnaire = q.Title
				r.ByItem = append(r.ByItem, g)
			}
		}
	}
	for _, a := range Areas {
		if t := byArea[string(a)]; t != nil {
			r.ByArea = append(r.ByArea, t.group(string(a), a.Name(), s.Method, sums[ByArea][string(a)]))
		}
	}
	for _, c := range sampling.Categories {
		if t := byCategory[string(c)]; t != nil {
			r.ByCategory = append(r.ByCategory, t.group(string(c), c.Name(), s.Method, sums[ByCategory][string(c)]))
		}
	}
	for _, l := range sampling.Locales {
		if t := byLocale[string(l)]; t != nil {
			r.ByLocale = append(r.ByLocale, t.group(string(l), l.Name(), s.Method, sums[ByLocale][string(l)]))
		}
	}
	for name, t := range bySchool {
		r.BySchool = append(r.BySchool, t.group(name, name, s.Method, sums[BySchool][name]))
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
