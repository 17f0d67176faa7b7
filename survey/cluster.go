package survey

import (
	"cmp"
	"context"
	"math"
	"strconv"
	"strings"

	"renke/dbq"
	"renke/sampling"
)

// The respondent is the unit. A respondent answers a dozen items, and a
// satisfied parent tends to be satisfied throughout: eleven answers from one
// person are not eleven observations. Every rate over several items is
// therefore a ratio of two sums over respondents,
//
//	R = Σ yᵢ / Σ aᵢ
//
// where aᵢ is the number of items respondent i rated (不了解 left out) and
// yᵢ the number they rated in the top two levels (or top three, or their
// points ÷ 100). Its variance is the linearised (Taylor) variance of a
// ratio estimator, with respondents as clusters:
//
//	V(R) = n/(n−1) · Σ (yᵢ − R·aᵢ)² / (Σ aᵢ)²
//	     = n/(n−1) · (Σy² − 2R·Σya + R²·Σa²) / (Σa)²
//
// so the kept sums (Sums) hold n, Σa, Σa², Σy, Σy² and Σya per group,
// updated by the statements that keep the answer tallies. The interval is
// Wilson's on the effective number of respondents
//
//	n_eff = min(n, R(1−R) / V(R))
//
// which is the Wilson interval of n independent people when every
// respondent answers alike throughout, and wider when answers within a
// respondent disagree more than between respondents; never narrower than
// the Wilson interval of n respondents with one answer each. When R is 0
// or 1, or only one respondent rated anything, n_eff is n.

// Marks is one respondent's contribution to the rates of one group: the
// items rated (不了解 excluded), how many in the top two and top three
// levels, and the points in hundredths.
type Marks struct {
	Answers, Top2, Top3, Points int64
}

func (m *Marks) add(o Option) {
	if o.DontKnow {
		return
	}
	m.Answers++
	if o.Rank <= 2 {
		m.Top2++
	}
	if o.Rank <= 3 {
		m.Top3++
	}
	m.Points += int64(math.Round(o.Points * 100))
}

// Marks is a respondent's marks over the whole questionnaire and per
// content area.
func (q *Questionnaire) Marks(answers map[string]string) (whole Marks, byArea map[Area]Marks) {
	byArea = map[Area]Marks{}
	for _, it := range q.Items {
		v, ok := answers[it.ID]
		if !ok {
			continue
		}
		o, ok := q.Option(v)
		if !ok {
			continue
		}
		whole.add(o)
		m := byArea[it.Area]
		m.add(o)
		byArea[it.Area] = m
	}
	return whole, byArea
}

// Sums are the sums over respondents that a group's rates and intervals
// need (see above). Points are in hundredths.
type Sums struct {
	Respondents               int64
	Answers, AnswersSq        int64
	Top2, Top2Sq, Top2X       int64
	Top3, Top3Sq, Top3X       int64
	Points, PointsSq, PointsX int64
}

// add counts one respondent's marks, sign +1 or −1. A respondent who rated
// nothing in the group is not one of its respondents.
func (s *Sums) add(m Marks, sign int64) {
	if m.Answers == 0 {
		return
	}
	a := m.Answers
	s.Respondents += sign
	s.Answers += sign * a
	s.AnswersSq += sign * a * a
	s.Top2 += sign * m.Top2
	s.Top2Sq += sign * m.Top2 * m.Top2
	s.Top2X += sign * m.Top2 * a
	s.Top3 += sign * m.Top3
	s.Top3Sq += sign * m.Top3 * m.Top3
	s.Top3X += sign * m.Top3 * a
	s.Points += sign * m.Points
	s.PointsSq += sign * m.Points * m.Points
	s.PointsX += sign * m.Points * a
}

// Plus is the sums of two disjoint sets of respondents.
func (s Sums) Plus(o Sums) Sums {
	return Sums{s.Respondents + o.Respondents, s.Answers + o.Answers, s.AnswersSq + o.AnswersSq,
		s.Top2 + o.Top2, s.Top2Sq + o.Top2Sq, s.Top2X + o.Top2X,
		s.Top3 + o.Top3, s.Top3Sq + o.Top3Sq, s.Top3X + o.Top3X,
		s.Points + o.Points, s.PointsSq + o.PointsSq, s.PointsX + o.PointsX}
}

// moments are the y-sums of one method: Σy, Σy², Σya, with y on [0, a].
func (s Sums) moments(m Method) (y, ysq, ya float64) {
	switch m {
	case TopThree:
		return float64(s.Top3), float64(s.Top3Sq), float64(s.Top3X)
	case WeightedPoints:
		return float64(s.Points) / 1e4, float64(s.PointsSq) / 1e8, float64(s.PointsX) / 1e4
	default:
		return float64(s.Top2), float64(s.Top2Sq), float64(s.Top2X)
	}
}

// ratio is the group's rate by method m with its linearised variance.
func (s Sums) ratio(m Method) (r, v float64) {
	if s.Answers <= 0 || s.Respondents <= 0 {
		return 0, 0
	}
	y, ysq, ya := s.moments(m)
	n, a, asq := float64(s.Respondents), float64(s.Answers), float64(s.AnswersSq)
	r = y / a
	if s.Respondents < 2 {
		return r, math.Inf(1)
	}
	resid := math.Max(0, ysq-2*r*ya+r*r*asq)
	return r, n / (n - 1) * resid / (a * a)
}

// Effective is the effective number of independent respondents behind the
// group's rate by method m: R(1−R)/V(R), at most the respondents and at
// least one of them.
func (s Sums) Effective(m Method) float64 {
	if s.Respondents <= 0 {
		return 0
	}
	r, v := s.ratio(m)
	n := float64(s.Respondents)
	if v == 0 || math.IsInf(v, 1) {
		if s.Respondents < 2 {
			return 1
		}
		return n
	}
	return math.Max(1, math.Min(n, r*(1-r)/v))
}

// Interval is the group's rate by method m with its 95% interval over
// respondents: Wilson's on the effective number of respondents.
func (s Sums) Interval(m Method) Interval {
	if s.Respondents <= 0 || s.Answers <= 0 {
		return Interval{}
	}
	r, _ := s.ratio(m)
	ne := s.Effective(m)
	iv := Wilson(r*ne, ne)
	iv.Rate = r
	iv.Low, iv.High = math.Min(iv.Low, r), math.Max(iv.High, r)
	return iv
}

// stratified is the category-weighted rate: each category's top-two rate
// weighted by its share of the quota, renormalised over the categories
// that have respondents (w_c), with the stratified variance
//
//	V = Σ w_c² · R_c(1−R_c) / n_eff,c
//
// (each category's variance on its own effective respondents, as above)
// and Wilson's interval on n_eff = min(n, R(1−R)/V), n the respondents of
// the weighted categories.
func stratified(byCategory map[sampling.Category]Sums, shares map[sampling.Category]float64) Interval {
	var wsum float64
	var n int64
	for _, c := range sampling.Categories {
		if byCategory[c].Respondents > 0 && shares[c] > 0 {
			wsum += shares[c]
			n += byCategory[c].Respondents
		}
	}
	if wsum == 0 {
		return Interval{}
	}
	var rate, variance float64
	for _, c := range sampling.Categories {
		s := byCategory[c]
		if s.Respondents <= 0 || shares[c] == 0 {
			continue
		}
		w := shares[c] / wsum
		r, _ := s.ratio(TopTwo)
		rate += w * r
		variance += w * w * r * (1 - r) / s.Effective(TopTwo)
	}
	ne := float64(n)
	if variance > 0 {
		ne = math.Max(1, math.Min(ne, rate*(1-rate)/variance))
	}
	iv := Wilson(rate*ne, ne)
	iv.Rate = rate
	return iv
}

// Dimension is what a group of respondents shares.
type Dimension string

const (
	ByCategory Dimension = "category"
	ByLocale   Dimension = "locale"
	BySchool   Dimension = "school"
	ByArea     Dimension = "area"
)

// GroupSums is the sums of one group: a category, a locale, a school (its
// name as key) or a content area.
type GroupSums struct {
	Dimension Dimension
	Key       string
	Sums
}

// sumsKey is one row of the kept sums.
type sumsKey struct {
	dimension Dimension
	key       string
}

// respondentSums adds up respondents by group before they are written.
type respondentSums map[sumsKey]Sums

// add counts a respondent with these marks, sign +1 or −1, in its
// category, locale, school (0: none) and every content area it rated.
func (t respondentSums) add(whole Marks, byArea map[Area]Marks, category sampling.Category, locale sampling.Locale, school int64, sign int64) {
	at := func(d Dimension, key string, m Marks) {
		k := sumsKey{d, key}
		s := t[k]
		s.add(m, sign)
		t[k] = s
	}
	at(ByCategory, string(category), whole)
	at(ByLocale, string(locale), whole)
	if school != 0 {
		at(BySchool, strconv.FormatInt(school, 10), whole)
	}
	for a, m := range byArea {
		at(ByArea, string(a), m)
	}
}

// params is the statement adding the sums to a campaign's, in key order.
func (t respondentSums) params(campaignID int64) dbq.AddRespondentSumsParams {
	keys := changedKeys(t, func(s Sums) bool { return s != Sums{} }, func(a, b sumsKey) int {
		return cmp.Or(strings.Compare(string(a.dimension), string(b.dimension)), strings.Compare(a.key, b.key))
	})
	p := dbq.AddRespondentSumsParams{CampaignID: campaignID}
	for _, k := range keys {
		s := t[k]
		p.Dimensions = append(p.Dimensions, string(k.dimension))
		p.Keys = append(p.Keys, k.key)
		p.Respondents = append(p.Respondents, s.Respondents)
		p.Answers = append(p.Answers, s.Answers)
		p.AnswersSq = append(p.AnswersSq, s.AnswersSq)
		p.Top2 = append(p.Top2, s.Top2)
		p.Top2Sq = append(p.Top2Sq, s.Top2Sq)
		p.Top2X = append(p.Top2X, s.Top2X)
		p.Top3 = append(p.Top3, s.Top3)
		p.Top3Sq = append(p.Top3Sq, s.Top3Sq)
		p.Top3X = append(p.Top3X, s.Top3X)
		p.Points = append(p.Points, s.Points)
		p.PointsSq = append(p.PointsSq, s.PointsSq)
		p.PointsX = append(p.PointsX, s.PointsX)
	}
	return p
}

// RespondentSums reads a campaign's kept respondent sums, schools by name.
func (s *Store) RespondentSums(ctx context.Context, campaignID int64) ([]GroupSums, error) {
	rows, err := s.q.RespondentSums(ctx, campaignID)
	out := make([]GroupSums, 0, len(rows))
	for _, r := range rows {
		out = append(out, GroupSums{Dimension: Dimension(r.Dimension), Key: r.Key, Sums: Sums{r.Respondents, r.Answers, r.AnswersSq,
			r.Top2, r.Top2Sq, r.Top2X, r.Top3, r.Top3Sq, r.Top3X, r.Points, r.PointsSq, r.PointsX}})
	}
	return out, err
}

// Respondent is one counted response as scoring sees it.
type Respondent struct {
	Form     *Questionnaire
	Category sampling.Category
	Locale   sampling.Locale
	School   string // its name; "" when none
	Answers  map[string]string
}

// Tabulate is the answer counts and respondent sums of the given
// respondents: what the group commits keep, computed afresh. Score of its
// result is the report of exactly these respondents.
func Tabulate(respondents []Respondent) ([]Count, []GroupSums) {
	counts := map[Count]int64{}
	sums := respondentSums{}
	names := map[string]int64{}
	for _, r := range respondents {
		for item, option := range r.Answers {
			counts[Count{Item: item, Option: option, Category: r.Category, Locale: r.Locale, School: r.School}]++
		}
		var school int64
		if r.School != "" {
			if names[r.School] == 0 {
				names[r.School] = int64(len(names) + 1)
			}
			school = names[r.School]
		}
		whole, byArea := r.Form.Marks(r.Answers)
		sums.add(whole, byArea, r.Category, r.Locale, school, 1)
	}
	byID := map[string]string{}
	for name, id := range names {
		byID[strconv.FormatInt(id, 10)] = name
	}
	outCounts := make([]Count, 0, len(counts))
	for c, n := range counts {
		c.N = n
		outCounts = append(outCounts, c)
	}
	outSums := make([]GroupSums, 0, len(sums))
	for k, s := range sums {
		key := k.key
		if k.dimension == BySchool {
			key = byID[key]
		}
		outSums = append(outSums, GroupSums{Dimension: k.dimension, Key: key, Sums: s})
	}
	return outCounts, outSums
}

// RespondentSumsDiffer counts the kept respondent sums of a campaign that
// differ from a recount over its admitted responses (the same arithmetic
// in SQL, RecountRespondentSums): 0 when the group commits and the review
// decisions kept them right. The recount runs in a transaction that is
// rolled back, so nothing changes.
func (s *Store) RespondentSumsDiffer(ctx context.Context, campaignID int64) (int, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read only: always rolled back
	q := dbq.New(tx)
	kept, err := q.RespondentSums(ctx, campaignID)
	if err != nil {
		return 0, err
	}
	if err := q.DeleteRespondentSums(ctx, campaignID); err != nil {
		return 0, err
	}
	if err := q.RecountRespondentSums(ctx, campaignID); err != nil {
		return 0, err
	}
	recounted, err := q.RespondentSums(ctx, campaignID)
	if err != nil {
		return 0, err
	}
	want := map[dbq.RespondentSumsRow]bool{}
	for _, r := range recounted {
		want[r] = true
	}
	differ := len(recounted) - len(kept)
	if differ < 0 {
		differ = -differ
	}
	for _, r := range kept {
		if !want[r] {
			differ++
		}
	}
	return differ, nil
}
