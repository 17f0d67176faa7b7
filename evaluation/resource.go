package evaluation

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"renke/county"
)

// eps absorbs floating-point noise in comparisons with a standard, so
// that 21 teachers for 500 students is exactly 4.2 per 100.
const eps = 1e-9

func atLeast(v, min float64) bool { return v >= min-eps*math.Max(1, math.Abs(min)) }
func atMost(v, max float64) bool  { return v <= max+eps*math.Max(1, math.Abs(max)) }

// Weighted is one school's value of an indicator and its enrolment.
type Weighted struct {
	Students float64
	Value    float64
}

// CoefficientOfVariation is the enrolment-weighted coefficient of variation
// in population form (差异系数, 2012 method appendix):
//
//	N = Σ Pᵢ,  X̄ = Σ Pᵢ Xᵢ / N,  S = √(Σ (Pᵢ/N)(Xᵢ − X̄)²),  CV = S / X̄.
//
// It returns 0 when there are no students or the mean is 0.
func CoefficientOfVariation(xs []Weighted) (cv, mean, sd float64) {
	var n, sum float64
	for _, x := range xs {
		n += x.Students
		sum += x.Students * x.Value
	}
	if n <= 0 {
		return 0, 0, 0
	}
	mean = sum / n
	var v float64
	for _, x := range xs {
		d := x.Value - mean
		v += x.Students / n * d * d
	}
	sd = math.Sqrt(v)
	if mean == 0 {
		return 0, 0, sd
	}
	return sd / mean, mean, sd
}

// Part is one stage of one school in the resource evaluation: a nine-year
// school gives a primary part and a junior part.
type Part struct {
	School   *School `json:"-"`
	SchoolID int64   `json:"school_id"`
	Name     string  `json:"name"`
	Level    Level   `json:"level"`
	Students int     `json:"students"`
	// Share is the part of the school's physical resources that counts for
	// this stage (1 for a single-stage school).
	Share float64 `json:"share"`
	// Amount and Value are, per indicator in the order of Resources, the
	// resource counted for this stage and its value per student (or per 100).
	Amount [7]float64 `json:"amount"`
	Value  [7]float64 `json:"value"`
	Ratio  [7]float64 `json:"ratio"` // value ÷ standard
	Met    [7]bool    `json:"met"`
	MetN   int        `json:"met_count"`
	Pass   bool       `json:"pass"`
	// Blank: the indicators whose figures were left blank. A stage with any
	// is 待填报 on the per-school rule (Pass false, never failing), and the
	// county value and spread of those indicators wait for it.
	Blank [7]bool `json:"blank"`
}

// Pending reports whether the stage lacks a figure: 待填报, not failing.
func (pt *Part) Pending() bool { return slices.Contains(pt.Blank[:], true) }

// Exclusion is a school left out of the resource evaluation, with why.
type Exclusion struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// CountyValue is an indicator's county-wide value at one level.
type CountyValue struct {
	Level    Level    `json:"level"`
	Resource Resource `json:"resource"`
	Students int      `json:"students"`
	Amount   float64  `json:"amount"`
	Value    float64  `json:"value"`
	Standard float64  `json:"standard"`
	Met      bool     `json:"met"`
	Missing  bool     `json:"missing"` // a school's figure was left blank: not judged
}

// Puller is a school that raises a coefficient of variation.
type Puller struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	// Share of the weighted variance this school contributes.
	Share float64 `json:"share"`
	// CVIfMean is the coefficient if this school stood at the county mean.
	CVIfMean float64 `json:"cv_if_mean"`
}

// Spread is the coefficient of variation of one indicator at one level.
type Spread struct {
	Level    Level    `json:"level"`
	Resource Resource `json:"resource"`
	Schools  int      `json:"schools"`
	Mean     float64  `json:"mean"`
	SD       float64  `json:"sd"`
	CV       float64  `json:"cv"`
	Limit    float64  `json:"limit"`
	Met      bool     `json:"met"`
	Missing  bool     `json:"missing"`           // a school's figure was left blank: not judged
	Pullers  []Puller `json:"pullers,omitempty"` // when over the limit, the largest first
}

// ResourceResult is the resource-allocation dimension.
type ResourceResult struct {
	Parts    []Part        `json:"parts"`
	Excluded []Exclusion   `json:"excluded"`
	County   []CountyValue `json:"county"`
	Spreads  []Spread      `json:"spreads"`
}

// included says whether a school takes part in the resource evaluation.
func (rr ResourceRules) included(s *School) (bool, string) {
	if slices.Contains(rr.ExcludeTypes, s.Type) {
		return false, s.Type.Name() + "不参加资源配置评估"
	}
	if s.Type == county.TeachingPoint && s.Compulsory() < rr.TeachingPointMin {
		return false, fmt.Sprintf("不足 %d 人的教学点不参加资源配置评估", rr.TeachingPointMin)
	}
	if s.Compulsory() == 0 {
		return false, "没有义务教育阶段在校生"
	}
	return true, ""
}

// share is the part of a school's physical resources that counts for
// level l: the stages' enrolments weighted by the profile's ratios.
func (rr ResourceRules) share(s *School, l Level) float64 {
	w := rr.Split[s.Type]
	weight := func(stage string) float64 {
		if x, ok := w[stage]; ok {
			return x
		}
		return 1
	}
	total := weight("primary")*float64(s.EnrolPrimary) + weight("junior")*float64(s.EnrolJunior) + weight("senior")*float64(s.EnrolSenior)
	if total == 0 {
		return 0
	}
	return weight(string(l)) * float64(s.Enrol(l)) / total
}

// parts splits the included schools into their stages and computes each
// stage's seven values and its 6-of-7 verdict.
func (p *Profile) parts(schools []School) ([]Part, []Exclusion) {
	rr := p.Resources
	var parts []Part
	var excluded []Exclusion
	for i := range schools {
		s := &schools[i]
		if ok, why := rr.included(s); !ok {
			excluded = append(excluded, Exclusion{Name: s.Name, Reason: why})
			continue
		}
		for _, l := range Levels {
			n := s.Enrol(l)
			if n == 0 {
				continue
			}
			pt := Part{School: s, SchoolID: s.ID, Name: s.Name, Level: l, Students: n, Share: rr.share(s, l)}
			for k, r := range Resources {
				pt.Blank[k] = s.blank(resourceField(r, l))
				if r.physical() {
					pt.Amount[k] = s.physical(r) * pt.Share
				} else {
					pt.Amount[k] = s.teachers(r, l)
				}
				pt.Value[k] = perStudents(r, pt.Amount[k], n)
				std := p.Standard(r).For(l)
				pt.Ratio[k] = pt.Value[k] / std
				pt.Met[k] = atLeast(pt.Value[k], std)
			}
			pt.Pass = !pt.Pending() && rr.partPasses(pt.Met, pt.Ratio)
			for _, m := range pt.Met {
				if m {
					pt.MetN++
				}
			}
			parts = append(parts, pt)
		}
	}
	return parts, excluded
}

// partPasses is the per-school rule: at least MinMet of the seven meet
// their standard and each of the others reaches RemainderFloor of it.
func (rr ResourceRules) partPasses(met [7]bool, ratio [7]float64) bool {
	n := 0
	for k := range met {
		if met[k] {
			n++
		} else if !atLeast(ratio[k], rr.RemainderFloor) {
			return false
		}
	}
	return n >= rr.MinMet
}

func perStudents(r Resource, amount float64, students int) float64 {
	if students <= 0 {
		return 0
	}
	v := amount / float64(students)
	if r.per100() {
		v *= 100
	}
	return v
}

// resources evaluates the resource-allocation dimension.
func (p *Profile) resources(schools []School) ResourceResult {
	parts, excluded := p.parts(schools)
	res := ResourceResult{Parts: parts, Excluded: excluded}
	for _, l := range Levels {
		var lp []*Part
		for i := range parts {
			if parts[i].Level == l {
				lp = append(lp, &parts[i])
			}
		}
		if len(lp) == 0 {
			continue
		}
		for k, r := range Resources {
			std := p.Standard(r).For(l)
			cv := CountyValue{Level: l, Resource: r, Standard: std}
			xs := make([]Weighted, len(lp))
			missing := false
			for i, pt := range lp {
				missing = missing || pt.Blank[k]
				cv.Students += pt.Students
				cv.Amount += pt.Amount[k]
				xs[i] = Weighted{Students: float64(pt.Students), Value: pt.Value[k]}
			}
			cv.Value = perStudents(r, cv.Amount, cv.Students)
			cv.Met, cv.Missing = !missing && atLeast(cv.Value, std), missing
			res.County = append(res.County, cv)

			c, mean, sd := CoefficientOfVariation(xs)
			sp := Spread{Level: l, Resource: r, Schools: len(lp), Mean: mean, SD: sd, CV: c, Limit: p.Resources.CVLimit[l], Missing: missing}
			sp.Met = !missing && atMost(c, sp.Limit)
			if !sp.Met && !missing {
				sp.Pullers = pullers(lp, xs, mean, sd)
			}
			res.Spreads = append(res.Spreads, sp)
		}
	}
	return res
}

// pullers ranks the schools by their share of the weighted variance and
// says what the coefficient would be if each of the top five stood at the
// mean.
func pullers(lp []*Part, xs []Weighted, mean, sd float64) []Puller {
	var n float64
	for _, x := range xs {
		n += x.Students
	}
	out := make([]Puller, len(xs))
	for i, x := range xs {
		d := x.Value - mean
		out[i] = Puller{Name: lp[i].Name, Value: x.Value}
		if sd > 0 {
			out[i].Share = x.Students / n * d * d / (sd * sd)
		}
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return out[idx[a]].Share > out[idx[b]].Share })
	if len(idx) > 5 {
		idx = idx[:5]
	}
	top := make([]Puller, len(idx))
	moved := slices.Clone(xs)
	for j, i := range idx {
		moved[i].Value = mean
		top[j] = out[i]
		top[j].CVIfMean, _, _ = CoefficientOfVariation(moved)
		moved[i].Value = xs[i].Value
	}
	return top
}
