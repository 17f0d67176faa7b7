package evaluation

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"renke/county"
	"renke/sampling"
)

// Status is the outcome of a check, an indicator, a dimension or the whole.
type Status string

const (
	Pass    Status = "pass"
	Fail    Status = "fail"
	Missing Status = "missing" // the data to decide are not entered yet
)

// Name is the status in Chinese.
func (s Status) Name() string {
	switch s {
	case Pass:
		return "达标"
	case Fail:
		return "未达标"
	}
	return "待填报"
}

// worst combines statuses: a failure outweighs missing data, which
// outweighs a pass.
func worst(ss ...Status) Status {
	out := Pass
	for _, s := range ss {
		if s == Fail {
			return Fail
		}
		if s == Missing {
			out = Missing
		}
	}
	return out
}

// CheckResult is the outcome of one check.
type CheckResult struct {
	Label    string   `json:"label"`
	Rule     Rule     `json:"rule"`
	Status   Status   `json:"status"`
	Value    string   `json:"value"`              // what was found, against the standard
	Failures []string `json:"failures,omitempty"` // schools short of it, with the shortfall
	Note     string   `json:"note,omitempty"`     // the evidence of a judgement
}

// ItemResult is one scored item of a soft indicator.
type ItemResult struct {
	Item
	Score  *float64 `json:"score"` // nil when not scored yet
	Survey bool     `json:"survey"`
}

// IndicatorResult is the outcome of one indicator.
type IndicatorResult struct {
	Indicator
	Status  Status        `json:"status"`
	Results []CheckResult `json:"results,omitempty"`
	Scored  []ItemResult  `json:"scored,omitempty"`
	Score   float64       `json:"score"`
	Floor   float64       `json:"floor"` // the points a soft indicator needs
}

// DimensionResult is the verdict of a first-level heading.
type DimensionResult struct {
	Dimension
	Status Status `json:"status"`
}

// ScoreResult is the soft-indicator total and its grade.
type ScoreResult struct {
	Total  float64 `json:"total"`
	Max    float64 `json:"max"`
	Pass   float64 `json:"pass"`
	Grade  string  `json:"grade"`
	Status Status  `json:"status"`
}

// VetoResult is one veto item's finding.
type VetoResult struct {
	Veto
	Status Status `json:"status"` // fail when the item applies
	Note   string `json:"note,omitempty"`
}

// Result is a county's whole evaluation.
type Result struct {
	Profile     string            `json:"profile"`
	Resources   ResourceResult    `json:"resources"`
	Indicators  []IndicatorResult `json:"indicators"`
	Dimensions  []DimensionResult `json:"dimensions"`
	Score       *ScoreResult      `json:"score,omitempty"`
	Vetoes      []VetoResult      `json:"vetoes"`
	Recognition *Recognition      `json:"recognition"`
	Gaps        Gaps              `json:"gaps"`
	Verdict     Status            `json:"verdict"`
}

// Evaluate runs profile p over the inputs.
func Evaluate(p *Profile, in Inputs) Result {
	r := Result{Profile: p.ID, Recognition: in.Recognition}
	r.Resources = p.resources(in.Schools)
	byDim := map[string][]Status{}
	var bTotal float64
	bStatus := Pass
	for _, ind := range p.Indicators {
		ir := IndicatorResult{Indicator: ind}
		if ind.Class == "B" {
			ir.evaluateItems(p, in)
			bTotal += ir.Score
			bStatus = worst(bStatus, ir.Status)
		} else {
			var ss []Status
			for _, c := range ind.Checks {
				cr := p.check(c, in, &r.Resources)
				ss = append(ss, cr.Status)
				ir.Results = append(ir.Results, cr)
			}
			ir.Status = worst(ss...)
		}
		byDim[ind.Dimension] = append(byDim[ind.Dimension], ir.Status)
		r.Indicators = append(r.Indicators, ir)
	}
	var all []Status
	for _, d := range p.Dimensions {
		st := worst(byDim[d.Key]...)
		r.Dimensions = append(r.Dimensions, DimensionResult{Dimension: d, Status: st})
		all = append(all, st)
	}
	if s := p.Scoring; s != nil {
		sr := &ScoreResult{Total: round2(bTotal), Max: s.Total, Pass: s.Pass, Status: bStatus}
		if bStatus != Missing {
			if !atLeast(sr.Total, s.Pass) {
				sr.Status = Fail
			}
			sr.Grade = s.Grade(sr.Total)
		}
		r.Score = sr
		all = append(all, sr.Status)
	}
	for _, v := range p.Vetoes {
		vr := VetoResult{Veto: v, Status: Missing}
		if j, ok := in.Vetoes[v.Key]; ok && j.Met != nil {
			vr.Status, vr.Note = Pass, j.Note
			if *j.Met {
				vr.Status = Fail
			}
		}
		r.Vetoes = append(r.Vetoes, vr)
		all = append(all, vr.Status)
	}
	r.Verdict = worst(all...)
	r.Gaps = p.gaps(&r.Resources)
	return r
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// evaluateItems scores a soft indicator.
func (ir *IndicatorResult) evaluateItems(p *Profile, in Inputs) {
	ir.Status = Pass
	for _, it := range ir.Items {
		res := ItemResult{Item: it, Survey: len(it.SurveyAreas) > 0}
		if res.Survey {
			if rate, ok := in.Recognition.areaRate(it.SurveyAreas); ok {
				s := round2(it.Points * rate)
				res.Score = &s
			}
		} else if s, ok := in.Scores[it.No]; ok {
			res.Score = &s
		}
		if res.Score == nil {
			ir.Status = Missing
		} else {
			ir.Score += *res.Score
		}
		ir.Scored = append(ir.Scored, res)
	}
	ir.Score = round2(ir.Score)
	ir.Floor = round2(p.Scoring.ItemFloor * ir.Points())
	if ir.Status == Pass && !atLeast(ir.Score, ir.Floor) {
		ir.Status = Fail
	}
}

// areaRate pools the recognition of content areas, weighted by answers.
func (rec *Recognition) areaRate(areas []string) (float64, bool) {
	if rec == nil {
		return 0, false
	}
	var k, n float64
	for _, a := range areas {
		ar := rec.ByArea[a]
		k += ar.Rate * float64(ar.Answers)
		n += float64(ar.Answers)
	}
	if n == 0 {
		return 0, false
	}
	return k / n, true
}

// figure is a county figure: entered, or fixed by the profile.
func (p *Profile) figure(in Inputs, key string) (float64, bool) {
	if v, ok := in.Figures[key]; ok {
		return v, true
	}
	if i, ok := p.Input(key); ok && i.Default != nil {
		return *i.Default, true
	}
	return 0, false
}

// Num formats a number for people: at most two decimals, no trailing zeros.
func Num(x float64) string {
	return strconv.FormatFloat(math.Round(x*100)/100, 'f', -1, 64)
}

func pct(x float64) string { return Num(x*100) + "%" }

// check makes one check of a hard indicator, by the rule of its kind.
func (p *Profile) check(c Check, in Inputs, rr *ResourceResult) CheckResult {
	cr := CheckResult{Label: c.Label, Rule: c.Rule, Status: Pass}
	if isPerSchool(c.Rule) && len(in.Schools) == 0 {
		cr.Status, cr.Value = Missing, "尚未导入学校统计数据"
		return cr
	}
	if rule, ok := checkRules[c.Rule]; ok {
		rule(p, checking{Check: c, in: in, rr: rr, cr: &cr})
	}
	return cr
}

// checking is one check under way: the check, what it reads, and its
// result so far.
type checking struct {
	Check
	in Inputs
	rr *ResourceResult
	cr *CheckResult
}

func (k checking) fail(f string, a ...any) {
	k.cr.Failures = append(k.cr.Failures, fmt.Sprintf(f, a...))
}

func (k checking) missing(why string) { k.cr.Status, k.cr.Value = Missing, why }

// failed sets the status from the failures listed: any one fails the check.
func (k checking) failed() {
	if len(k.cr.Failures) > 0 {
		k.cr.Status = Fail
	}
}

// applies reports whether school s is in the check's scope.
func (k checking) applies(s *School) bool { return !slices.Contains(k.ExcludeTypes, s.Type) }

// checkRules is the check of each rule kind.
var checkRules = map[Rule]func(*Profile, checking){
	RuleResource:      checkResourceRule,
	RuleJudgement:     checkJudgement,
	RuleAtLeast:       checkFigure,
	RuleBelow:         checkFigure,
	RuleRatio:         checkRatio,
	RuleSpecialRooms:  checkSpecialRooms,
	RuleSchoolSize:    checkSchoolSize,
	RuleClassSize:     checkClassSize,
	RuleSmallFunding:  checkSmallFunding,
	RuleSpecialFunds:  checkSpecialFunds,
	RuleCertificates:  checkCertificates,
	RuleTrainingFunds: checkTrainingFunds,
	RuleRecognition:   checkRecognition,
}

// checkResourceRule: the county value and spread of one resource indicator.
func checkResourceRule(p *Profile, k checking) { p.checkResource(Resource(k.Key), k.rr, k.cr) }

// checkJudgement: a yes/no finding staff entered, with its evidence note.
func checkJudgement(_ *Profile, k checking) {
	j, ok := k.in.Judgements[k.Key]
	if !ok || j.Met == nil {
		k.missing("尚未评定")
		return
	}
	k.cr.Note = j.Note
	k.cr.Value = "已达到"
	if !*j.Met {
		k.cr.Status, k.cr.Value = Fail, "未达到"
	}
}

// checkFigure: a county figure at least params.min (RuleAtLeast) or below
// params.max (RuleBelow).
func checkFigure(p *Profile, k checking) {
	v, ok := p.figure(k.in, k.Key)
	input, _ := p.Input(k.Key)
	if !ok {
		k.missing("尚未填报" + input.Label)
		return
	}
	cr := k.cr
	if k.Rule == RuleAtLeast {
		cr.Value = fmt.Sprintf("%s %s（标准 ≥ %s）", Num(v), input.Unit, Num(k.Params["min"]))
		if !atLeast(v, k.Params["min"]) {
			cr.Status = Fail
		}
	} else {
		cr.Value = fmt.Sprintf("%s %s（标准 < %s）", Num(v), input.Unit, Num(k.Params["max"]))
		if v >= k.Params["max"] {
			cr.Status = Fail
		}
	}
	cr.Value = strings.Replace(cr.Value, " （", "（", 1)
}

// checkRatio: one county figure over another, at least params.min.
func checkRatio(p *Profile, k checking) {
	num, ok1 := p.figure(k.in, k.Num)
	den, ok2 := p.figure(k.in, k.Den)
	switch {
	case !ok1 || !ok2:
		k.missing("尚未填报所需数据")
		return
	case den <= 0:
		k.cr.Status, k.cr.Value = Fail, "分母为 0，无法计算比例"
		return
	}
	k.cr.Value = fmt.Sprintf("%s ÷ %s = %s（标准 ≥ %s）", Num(num), Num(den), pct(num/den), pct(k.Params["min"]))
	if !atLeast(num/den, k.Params["min"]) {
		k.cr.Status = Fail
	}
}

// checkSpecialRooms: a music and an art room per params.per_classes
// classes, each at least its minimum area.
func checkSpecialRooms(_ *Profile, k checking) {
	per := k.Params["per_classes"]
	checked := 0
	for i := range k.in.Schools {
		s := &k.in.Schools[i]
		classes := s.ClassesPrimary + s.ClassesJunior
		if !k.applies(s) || classes == 0 {
			continue
		}
		checked++
		need := int(math.Ceil(float64(classes) / per))
		if s.MusicRooms < need {
			k.fail("%s：%d 个班应有音乐专用教室 %d 间，现有 %d 间，缺 %d 间", s.Name, classes, need, s.MusicRooms, need-s.MusicRooms)
		}
		if s.ArtRooms < need {
			k.fail("%s：%d 个班应有美术专用教室 %d 间，现有 %d 间，缺 %d 间", s.Name, classes, need, s.ArtRooms, need-s.ArtRooms)
		}
		if s.MusicRooms > 0 && !atLeast(s.MusicRoomMinArea, k.Params["music_area"]) {
			k.fail("%s：最小音乐教室 %s 平方米，低于 %s 平方米，差 %s 平方米", s.Name, Num(s.MusicRoomMinArea), Num(k.Params["music_area"]), Num(k.Params["music_area"]-s.MusicRoomMinArea))
		}
		if s.ArtRooms > 0 && !atLeast(s.ArtRoomMinArea, k.Params["art_area"]) {
			k.fail("%s：最小美术教室 %s 平方米，低于 %s 平方米，差 %s 平方米", s.Name, Num(s.ArtRoomMinArea), Num(k.Params["art_area"]), Num(k.Params["art_area"]-s.ArtRoomMinArea))
		}
	}
	k.cr.Value = fmt.Sprintf("核查 %d 所学校", checked)
	k.failed()
}

// checkSchoolSize: compulsory enrolment at most params.max, or
// params.combined for nine- and twelve-year schools.
func checkSchoolSize(_ *Profile, k checking) {
	for i := range k.in.Schools {
		s := &k.in.Schools[i]
		if !k.applies(s) {
			continue
		}
		max := int(k.Params["max"])
		if s.Type == county.NineYear || s.Type == county.TwelveYear {
			max = int(k.Params["combined"])
		}
		if n := s.Compulsory(); n > max {
			k.fail("%s：义务教育阶段 %d 人，超过 %d 人的上限 %d 人", s.Name, n, max, n-max)
		}
	}
	k.cr.Value = fmt.Sprintf("小学、初中 ≤ %s 人，一贯制学校 ≤ %s 人", Num(k.Params["max"]), Num(k.Params["combined"]))
	k.failed()
}

// checkClassSize: the largest class of each level at most its limit.
func checkClassSize(_ *Profile, k checking) {
	for i := range k.in.Schools {
		s := &k.in.Schools[i]
		if !k.applies(s) {
			continue
		}
		if lim := int(k.Params["primary"]); s.EnrolPrimary > 0 && s.LargestClassPrimary > lim {
			k.fail("%s：小学最大班额 %d 人，超过 %d 人 %d 人", s.Name, s.LargestClassPrimary, lim, s.LargestClassPrimary-lim)
		}
		if lim := int(k.Params["junior"]); s.EnrolJunior > 0 && s.LargestClassJunior > lim {
			k.fail("%s：初中最大班额 %d 人，超过 %d 人 %d 人", s.Name, s.LargestClassJunior, lim, s.LargestClassJunior-lim)
		}
	}
	k.cr.Value = fmt.Sprintf("小学每班 ≤ %s 人，初中每班 ≤ %s 人", Num(k.Params["primary"]), Num(k.Params["junior"]))
	k.failed()
}

// checkSmallFunding: small village schools and teaching points funded as
// if they had params.students pupils at the per-pupil norm.
func checkSmallFunding(p *Profile, k checking) {
	floor := k.Params["students"]
	normP, ok1 := p.figure(k.in, "funding_norm_primary")
	normJ, ok2 := p.figure(k.in, "funding_norm_junior")
	if !ok1 || !ok2 {
		k.missing("尚未填报生均公用经费基准定额")
		return
	}
	checked := 0
	for i := range k.in.Schools {
		s := &k.in.Schools[i]
		small := s.Locale == sampling.Rural && (s.Type == county.Primary || s.Type == county.TeachingPoint)
		if !k.applies(s) || !small || float64(s.Compulsory()) >= floor || s.Compulsory() == 0 {
			continue
		}
		checked++
		norm := normP
		if s.EnrolJunior > s.EnrolPrimary {
			norm = normJ
		}
		if need := floor * norm; !atLeast(s.OperatingFunds, need) {
			k.fail("%s：%d 人，公用经费 %s 元，应按 %s 人核定 %s 元，差 %s 元", s.Name, s.Compulsory(), Num(s.OperatingFunds), Num(floor), Num(need), Num(need-s.OperatingFunds))
		}
	}
	k.cr.Value = fmt.Sprintf("不足 %s 人的村小、教学点 %d 所", Num(floor), checked)
	k.failed()
}

// checkSpecialFunds: special-education schools' operating funds per pupil
// at least params.min.
func checkSpecialFunds(_ *Profile, k checking) {
	min := k.Params["min"]
	checked := 0
	for i := range k.in.Schools {
		s := &k.in.Schools[i]
		if s.Type != county.Special || s.Compulsory() == 0 {
			continue
		}
		checked++
		if per := s.OperatingFunds / float64(s.Compulsory()); !atLeast(per, min) {
			k.fail("%s：生均公用经费 %s 元，低于 %s 元，全校差 %s 元", s.Name, Num(per), Num(min), Num((min-per)*float64(s.Compulsory())))
		}
	}
	k.cr.Value = fmt.Sprintf("特殊教育学校 %d 所，生均 ≥ %s 元", checked, Num(min))
	k.failed()
}

// checkCertificates: the county's share of certified full-time teachers
// at least params.min; every school short of all is listed.
func checkCertificates(_ *Profile, k checking) {
	var held, all int
	for i := range k.in.Schools {
		s := &k.in.Schools[i]
		held += s.Certified
		all += s.Teachers()
		if s.Certified < s.Teachers() {
			k.fail("%s：专任教师 %d 人，持证 %d 人，%d 人无证", s.Name, s.Teachers(), s.Certified, s.Teachers()-s.Certified)
		}
	}
	if all == 0 {
		k.missing("尚未填报专任教师数")
		return
	}
	rate := float64(held) / float64(all)
	k.cr.Value = fmt.Sprintf("%d ÷ %d = %s（标准 ≥ %s）", held, all, pct(rate), pct(k.Params["min"]))
	if !atLeast(rate, k.Params["min"]) {
		k.cr.Status = Fail
	}
}

// checkTrainingFunds: each school's training funds at least
// params.min_share of its operating funds.
func checkTrainingFunds(_ *Profile, k checking) {
	share := k.Params["min_share"]
	for i := range k.in.Schools {
		s := &k.in.Schools[i]
		if !k.applies(s) {
			continue
		}
		if s.OperatingFunds <= 0 {
			k.fail("%s：未填报年度公用经费，无法核算", s.Name)
			continue
		}
		if got := s.TrainingFunds / s.OperatingFunds; !atLeast(got, share) {
			k.fail("%s：培训经费占公用经费 %s，应 ≥ %s，差 %s 元", s.Name, pct(got), pct(share), Num(share*s.OperatingFunds-s.TrainingFunds))
		}
	}
	k.cr.Value = fmt.Sprintf("每校 ≥ 公用经费的 %s", pct(share))
	k.failed()
}

// checkRecognition: the linked survey's recognition rate at least
// params.min.
func checkRecognition(_ *Profile, k checking) {
	rec := k.in.Recognition
	if rec == nil || rec.Answers == 0 {
		k.missing("尚未关联有答卷的社会认可度调查")
		return
	}
	k.cr.Value = fmt.Sprintf("%s（95%% 区间 %s–%s，标准 ≥ %s）", pct(rec.Rate), pct(rec.Low), pct(rec.High), pct(k.Params["min"]))
	if !atLeast(rec.Rate, k.Params["min"]) {
		k.cr.Status = Fail
	}
}

func isPerSchool(r Rule) bool {
	switch r {
	case RuleResource, RuleSpecialRooms, RuleSchoolSize, RuleClassSize, RuleSmallFunding,
		RuleSpecialFunds, RuleCertificates, RuleTrainingFunds:
		return true
	}
	return false
}

// checkResource judges one resource indicator: no school fails the
// per-school rule on it, the county value meets the standard and the
// coefficient of variation is within its limit, at each level.
func (p *Profile) checkResource(r Resource, rr *ResourceResult, cr *CheckResult) {
	k := slices.Index(Resources, r)
	std := p.Standard(r)
	if len(rr.Parts) == 0 {
		cr.Status, cr.Value = Missing, "没有参加资源配置评估的学校"
		return
	}
	var vals []string
	for _, cv := range rr.County {
		if cv.Resource != r {
			continue
		}
		vals = append(vals, fmt.Sprintf("全县%s %s（标准 ≥ %s）", cv.Level.Name(), Num(cv.Value), Num(cv.Standard)))
		if !cv.Met {
			cr.Status = Fail
			cr.Failures = append(cr.Failures, fmt.Sprintf("全县%s%s %s %s，未达到 %s", cv.Level.Name(), std.Name, Num(cv.Value), std.Unit, Num(cv.Standard)))
		}
	}
	for _, sp := range rr.Spreads {
		if sp.Resource != r {
			continue
		}
		vals = append(vals, fmt.Sprintf("%s差异系数 %.4f（≤ %s）", sp.Level.Name(), sp.CV, Num(sp.Limit)))
		if !sp.Met {
			cr.Status = Fail
			cr.Failures = append(cr.Failures, fmt.Sprintf("%s差异系数 %.4f，超过 %s", sp.Level.Name(), sp.CV, Num(sp.Limit)))
		}
	}
	for _, pt := range rr.Parts {
		if pt.Met[k] {
			continue
		}
		stdv := std.For(pt.Level)
		if pt.Pass {
			cr.Failures = append(cr.Failures, fmt.Sprintf("%s（%s）：%s %s，为标准的 %s，作为余项不低于 %s，允许", pt.Name, pt.Level.Name(), Num(pt.Value[k]), std.Unit, pct(pt.Ratio[k]), pct(p.Resources.RemainderFloor)))
			continue
		}
		cr.Status = Fail
		cr.Failures = append(cr.Failures, fmt.Sprintf("%s（%s）：%s %s，标准 %s，该校 7 项中 %d 项达标，未达“至少 %d 项达标、余项不低于 %s”", pt.Name, pt.Level.Name(), Num(pt.Value[k]), std.Unit, Num(stdv), pt.MetN, p.Resources.MinMet, pct(p.Resources.RemainderFloor)))
	}
	cr.Value = strings.Join(vals, "；")
}
