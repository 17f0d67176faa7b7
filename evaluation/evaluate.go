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
	// Scope is what the check looked at ("核查 12 所学校：小学 8 所、教学点 4 所"),
	// and Reason why, from the profile (Check.Note).
	Scope  string `json:"scope,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Schools are the schools a per-school check found short of it, or
	// lacking the data to tell, each with its lines of Failures; County
	// says the county as a whole falls short beyond them (a county value,
	// a spread, a ratio of the county's figures).
	Schools []SchoolFinding `json:"schools,omitempty"`
	County  bool            `json:"county,omitempty"`
	// Empty: a per-school check found no school in its scope; it may be
	// declared 不适用 (Inputs.NotApplicable). NotApplicable says how the
	// declaration stands, when there is one.
	Empty         bool   `json:"empty,omitempty"`
	NotApplicable string `json:"not_applicable,omitempty"`
}

// SchoolFinding is what a per-school check found of one school: short of
// the standard (Lines say by how much), or, Missing, lacking the figures
// to tell (Lines name them).
type SchoolFinding struct {
	ID      int64    `json:"id"`
	Name    string   `json:"name"`
	Missing bool     `json:"missing,omitempty"`
	Lines   []string `json:"lines"`
}

// at notes a line of what the check found of school s.
func (cr *CheckResult) at(s *School, missing bool, line string) {
	for i := range cr.Schools {
		if f := &cr.Schools[i]; f.ID == s.ID && f.Name == s.Name {
			f.Missing = f.Missing && missing // a failure outweighs missing data
			f.Lines = append(f.Lines, line)
			return
		}
	}
	cr.Schools = append(cr.Schools, SchoolFinding{ID: s.ID, Name: s.Name, Missing: missing, Lines: []string{line}})
}

// ItemResult is one scored item of a soft indicator.
type ItemResult struct {
	Item
	Score  *float64 `json:"score"` // nil when not scored yet; exact, never rounded
	Survey bool     `json:"survey"`
	// Note says how a score from series was found (each series' years).
	Note string `json:"note,omitempty"`
}

// IndicatorResult is the outcome of one indicator.
type IndicatorResult struct {
	Indicator
	Status  Status        `json:"status"`
	Results []CheckResult `json:"results,omitempty"`
	Scored  []ItemResult  `json:"scored,omitempty"`
	Score   float64       `json:"score"` // exact; compared unrounded
	Floor   float64       `json:"floor"` // the points a soft indicator needs
	// ScoreShown is Score for people: two decimals, more where two would
	// put it on the other side of Floor.
	ScoreShown string `json:"score_shown,omitempty"`
}

// DimensionResult is the verdict of a first-level heading.
type DimensionResult struct {
	Dimension
	Status Status `json:"status"`
}

// ScoreResult is the soft-indicator total and its grade.
type ScoreResult struct {
	Total      float64 `json:"total"` // exact; compared and graded unrounded
	TotalShown string  `json:"total_shown"`
	Max        float64 `json:"max"`
	Pass       float64 `json:"pass"`
	Grade      string  `json:"grade"`
	Status     Status  `json:"status"`
	// Why is why there is no grade, when there is none.
	Why string `json:"why,omitempty"`
	// Unscored counts the soft items not scored yet: the total is partial.
	Unscored int `json:"unscored"`
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
			for j, c := range ind.Checks {
				cr := p.check(c, in, &r.Resources)
				cr.notApplicable(in.NotApplicable[CheckKey(ind.No, j)])
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
		sr := &ScoreResult{Total: bTotal, Max: s.Total, Pass: s.Pass, Status: bStatus}
		for _, ir := range r.Indicators {
			for _, it := range ir.Scored {
				if it.Score == nil {
					sr.Unscored++
				}
			}
		}
		if bStatus != Missing && !atLeast(bTotal, s.Pass) {
			sr.Status = Fail
		}
		sr.TotalShown = Shown(bTotal, s.Pass, atLeast)
		switch {
		case bStatus == Missing:
			sr.Why = "尚有B类指标未计分，暂不定等"
		case s.GradeNeedsEveryItem && bStatus == Fail:
			sr.Why = "有B类二级指标得分低于其分值的 " + Num(s.ItemFloor*100) + "%，不予定等"
		default:
			sr.Grade = s.Grade(bTotal)
			if sr.Grade == "" {
				sr.Why = "总分低于 " + Num(s.Pass) + " 分，不予定等"
			}
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

// evaluateItems scores a soft indicator. Scores are exact: rounding
// before the comparison with the floor would turn 7.995 into a pass of 8.
func (ir *IndicatorResult) evaluateItems(p *Profile, in Inputs) {
	ir.Status = Pass
	for _, it := range ir.Items {
		res := ItemResult{Item: it, Survey: len(it.SurveyAreas) > 0}
		if res.Survey {
			if rate, ok := in.Recognition.areaRate(it.SurveyAreas); ok {
				s := it.surveyPoints(rate)
				res.Score = &s
			}
		} else if it.seriesEntered(in) {
			res.Score, res.Note = p.seriesPoints(it, in)
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
	ir.Floor = p.Scoring.ItemFloor * ir.Points()
	if ir.Status == Pass && !atLeast(ir.Score, ir.Floor) {
		ir.Status = Fail
	}
	ir.ScoreShown = Shown(ir.Score, ir.Floor, atLeast)
}

// seriesEntered reports whether any year of the item's series is
// entered: then the series score it; before, a score entered by hand
// does (as profiles scored it before series were kept).
func (it Item) seriesEntered(in Inputs) bool {
	for _, k := range it.Series {
		if len(in.Series[k]) > 0 {
			return true
		}
	}
	return false
}

// seriesPoints scores an item from its series: all its points when no
// series falls from one year to the next over its years up to in.Year
// (equal is not a fall: 只增不减), none when one does; nil (待填报) while a
// year of a series is not entered. The note shows every series' years.
func (p *Profile) seriesPoints(it Item, in Inputs) (*float64, string) {
	var notes []string
	rising, complete := true, true
	for _, key := range it.Series {
		si, _ := p.SeriesInput(key)
		var vals []string
		prev, have := 0.0, false
		for _, y := range si.SeriesYears(in.Year) {
			v, ok := in.Series[key][y]
			if !ok {
				complete = false
				vals = append(vals, fmt.Sprintf("%d 年待填报", y))
				have = false
				continue
			}
			vals = append(vals, fmt.Sprintf("%d 年 %s", y, Num(v)))
			if have && v < prev {
				rising = false
				vals[len(vals)-1] += "（下降）"
			}
			prev, have = v, true
		}
		notes = append(notes, si.Label+"："+strings.Join(vals, "，"))
	}
	note := strings.Join(notes, "；")
	switch {
	case !rising:
		zero := 0.0
		return &zero, note + "。有下降，不得分"
	case !complete:
		return nil, note
	}
	pts := it.Points
	return &pts, note + "。逐年只增不减"
}

// Shown formats x for people with two decimals, or with as many more as it
// takes (up to eight) for the figure shown to stand on the same side of
// limit as x itself under the comparison ok: 7.995 against a floor of 8
// shows as 7.995, never as 8, and 0.1499 below 0.15 never as 0.15.
func Shown(x, limit float64, ok func(v, limit float64) bool) string {
	want := ok(x, limit)
	for d := 2; d <= 8; d++ {
		p := math.Pow(10, float64(d))
		r := math.Round(x*p) / p
		if ok(r, limit) == want {
			return strconv.FormatFloat(r, 'f', -1, 64)
		}
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// shownPct is Shown for a rate, as a percentage.
func shownPct(x, limit float64, ok func(v, limit float64) bool) string {
	return Shown(x*100, limit*100, ok) + "%"
}

// below is the comparison of RuleBelow: strictly less than the limit.
func below(v, max float64) bool { return v < max }

// areaRate pools the recognition of content areas, weighted by answers;
// none until the sample is complete.
func (rec *Recognition) areaRate(areas []string) (float64, bool) {
	if rec == nil || !rec.Complete {
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

// entered is a county figure as the county entered it: a figure never
// entered is 待填报, whatever the profile expects (Input.Default).
func (p *Profile) entered(in Inputs, key string) (float64, bool) {
	v, ok := in.Figures[key]
	return v, ok
}

// figure is a county figure to compute with: as entered, but never below
// the profile's floor under it (Input.Min); not entered, the floor itself,
// which the rule fixes whatever the county enters.
func (p *Profile) figure(in Inputs, key string) (float64, bool) {
	v, ok := p.entered(in, key)
	if i, found := p.Input(key); found && i.Min != nil && (!ok || v < *i.Min) {
		return *i.Min, true
	}
	return v, ok
}

// Num formats a number for people: at most two decimals, no trailing zeros.
func Num(x float64) string {
	return strconv.FormatFloat(math.Round(x*100)/100, 'f', -1, 64)
}

func pct(x float64) string { return Num(x*100) + "%" }

// check makes one check of a hard indicator, by the rule of its kind.
//
// Missing data are treated one way everywhere: a check that lacks what it
// needs is 待填报 (Missing), never skipped and never failed for it — but
// a failure it did find outweighs what is missing (worst). A per-school
// check with no school in its scope is 待填报 too: it has checked nothing.
func (p *Profile) check(c Check, in Inputs, rr *ResourceResult) CheckResult {
	cr := CheckResult{Label: c.Label, Rule: c.Rule, Status: Pass, Reason: c.Note}
	if isPerSchool(c.Rule) && len(in.Schools) == 0 {
		cr.Status, cr.Value = Missing, "尚未导入学校统计数据"
		return cr
	}
	if rule, ok := checkRules[c.Rule]; ok {
		rule(p, &checking{Check: c, in: in, rr: rr, cr: &cr})
	}
	return cr
}

// notApplicable applies a declaration of 不适用 to a check whose scope is
// empty: met once a reviewer accepted it, 待填报 until then. Where the
// check's scope is not empty (the county has such a school now), the
// declaration does not apply and the check stands as found.
func (cr *CheckResult) notApplicable(na NotApplicable) {
	switch {
	case na.Reason == "":
	case !cr.Empty:
		cr.NotApplicable = "已申报不适用，但本次核查范围内有学校，按实际核查"
	case na.AcceptedBy == "":
		cr.Status = Missing
		cr.NotApplicable = "已申报不适用（" + na.Reason + "），待评估组认可"
		cr.Value = cr.NotApplicable
	default:
		cr.Status = Pass
		cr.NotApplicable = "不适用：" + na.Reason + "（" + na.AcceptedBy + " 已认可）"
		cr.Value = cr.NotApplicable
	}
}

// checking is one check under way: the check, what it reads, and its
// result so far.
type checking struct {
	Check
	in      Inputs
	rr      *ResourceResult
	cr      *CheckResult
	scope   map[county.SchoolType]int // schools looked at, by type
	lacking []string                  // schools whose data the check lacks
}

// fail notes a failure of the county as a whole.
func (k *checking) fail(f string, a ...any) {
	k.cr.Failures = append(k.cr.Failures, fmt.Sprintf(f, a...))
	k.cr.County = true
}

// failAt notes a failure of school s; the line begins with its name.
func (k *checking) failAt(s *School, f string, a ...any) {
	line := s.Name + "：" + fmt.Sprintf(f, a...)
	k.cr.Failures = append(k.cr.Failures, line)
	k.cr.at(s, false, line)
}

func (k *checking) missing(why string) { k.cr.Status, k.cr.Value = Missing, why }

// applies reports whether school s is in the check's scope.
func (k *checking) applies(s *School) bool { return !slices.Contains(k.ExcludeTypes, s.Type) }

// look counts school s as looked at.
func (k *checking) look(s *School) {
	if k.scope == nil {
		k.scope = map[county.SchoolType]int{}
	}
	k.scope[s.Type]++
}

// lack notes that school s has not the data the check needs.
func (k *checking) lack(s *School, what string) {
	k.lacking = append(k.lacking, s.Name+"（"+what+"）")
	k.cr.at(s, true, "待填报："+what)
}

// settle sets a per-school check's scope and status from what it found:
// any failure fails it; else any school lacking data, or none in scope,
// leaves it 待填报.
func (k *checking) settle() {
	n := 0
	var parts []string
	for _, t := range county.SchoolTypes {
		if c := k.scope[t]; c > 0 {
			n += c
			parts = append(parts, fmt.Sprintf("%s %d 所", t.Name(), c))
		}
	}
	k.cr.Scope = fmt.Sprintf("核查 %d 所学校", n)
	if len(parts) > 0 {
		k.cr.Scope += "：" + strings.Join(parts, "、")
	}
	if len(k.ExcludeTypes) > 0 {
		var names []string
		for _, t := range k.ExcludeTypes {
			names = append(names, t.Name())
		}
		k.cr.Scope += "（不含" + strings.Join(names, "、") + "）"
	}
	switch {
	case len(k.cr.Failures) > 0:
		k.cr.Status = Fail
	case n == 0:
		k.cr.Status, k.cr.Empty = Missing, true
		k.cr.Value = "没有在核查范围内的学校：请核对学校统计数据；确因本县情况不适用的，可申报不适用，经评估组认可后视为达到"
	case len(k.lacking) > 0:
		k.cr.Status = Missing
	}
	if len(k.lacking) > 0 {
		k.cr.Failures = append(k.cr.Failures, "待填报："+strings.Join(k.lacking, "、"))
	}
}

// checkRules is the check of each rule kind.
var checkRules = map[Rule]func(*Profile, *checking){
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
	RuleStaffing:      checkStaffing,
	RuleSurveyDesign:  checkSurveyDesign,
}

// checkResourceRule: the county value and spread of one resource indicator.
func checkResourceRule(p *Profile, k *checking) {
	p.checkResource(Resource(k.Key), k.rr, k.cr)
	k.cr.Scope = fmt.Sprintf("参评学校学段 %d 个", len(k.rr.Parts))
	if n := len(k.rr.Excluded); n > 0 {
		k.cr.Scope += fmt.Sprintf("（另有 %d 所不参加资源配置评估）", n)
	}
}

// checkJudgement: a yes/no finding staff entered, with its evidence note.
func checkJudgement(_ *Profile, k *checking) {
	j, ok := k.in.Judgements[k.Key]
	if !ok || j.Met == nil {
		k.missing("尚未评定")
		return
	}
	k.cr.Note = j.Note
	k.cr.Scope = "评估组评定"
	k.cr.Value = "已达到"
	if !*j.Met {
		k.cr.Status, k.cr.Value = Fail, "未达到"
	}
}

// checkFigure: a county figure, as entered, at least params.min
// (RuleAtLeast) or below params.max (RuleBelow).
func checkFigure(p *Profile, k *checking) {
	v, ok := p.entered(k.in, k.Key)
	input, _ := p.Input(k.Key)
	if !ok {
		k.missing("尚未填报" + input.Label)
		return
	}
	cr := k.cr
	cr.Scope = "全县"
	unit := ""
	if input.Unit != "" {
		unit = " " + input.Unit
	}
	if k.Rule == RuleAtLeast {
		cr.Value = fmt.Sprintf("%s%s（标准 ≥ %s）", Shown(v, k.Params["min"], atLeast), unit, Num(k.Params["min"]))
		if !atLeast(v, k.Params["min"]) {
			cr.Status = Fail
		}
	} else {
		cr.Value = fmt.Sprintf("%s%s（标准 < %s）", Shown(v, k.Params["max"], below), unit, Num(k.Params["max"]))
		if !below(v, k.Params["max"]) {
			cr.Status = Fail
		}
	}
}

// checkRatio: one county figure over another, at least params.min.
func checkRatio(p *Profile, k *checking) {
	num, ok1 := p.entered(k.in, k.Num)
	den, ok2 := p.entered(k.in, k.Den)
	switch {
	case !ok1 || !ok2:
		k.missing("尚未填报所需数据")
		return
	case den <= 0:
		k.cr.Status, k.cr.Value = Fail, "分母为 0，无法计算比例"
		return
	}
	k.cr.Scope = "全县"
	k.cr.Value = fmt.Sprintf("%s ÷ %s = %s（标准 ≥ %s）", Num(num), Num(den), shownPct(num/den, k.Params["min"], atLeast), pct(k.Params["min"]))
	if !atLeast(num/den, k.Params["min"]) {
		k.cr.Status = Fail
	}
}

// checkSpecialRooms: a music and an art room per params.per_classes
// classes, each at least its minimum area.
func checkSpecialRooms(_ *Profile, k *checking) {
	per := k.Params["per_classes"]
	for i := range k.in.Schools {
		s := &k.in.Schools[i]
		if !k.applies(s) || s.Compulsory() == 0 {
			continue
		}
		k.look(s)
		classes := s.ClassesPrimary + s.ClassesJunior
		if classes == 0 {
			k.lack(s, "班级数")
			continue
		}
		need := int(math.Ceil(float64(classes) / per))
		if s.MusicRooms < need {
			k.failAt(s, "%d 个班应有音乐专用教室 %d 间，现有 %d 间，缺 %d 间", classes, need, s.MusicRooms, need-s.MusicRooms)
		}
		if s.ArtRooms < need {
			k.failAt(s, "%d 个班应有美术专用教室 %d 间，现有 %d 间，缺 %d 间", classes, need, s.ArtRooms, need-s.ArtRooms)
		}
		if s.MusicRooms > 0 && !atLeast(s.MusicRoomMinArea, k.Params["music_area"]) {
			k.failAt(s, "最小音乐教室 %s 平方米，低于 %s 平方米，差 %s 平方米", Shown(s.MusicRoomMinArea, k.Params["music_area"], atLeast), Num(k.Params["music_area"]), Num(k.Params["music_area"]-s.MusicRoomMinArea))
		}
		if s.ArtRooms > 0 && !atLeast(s.ArtRoomMinArea, k.Params["art_area"]) {
			k.failAt(s, "最小美术教室 %s 平方米，低于 %s 平方米，差 %s 平方米", Shown(s.ArtRoomMinArea, k.Params["art_area"], atLeast), Num(k.Params["art_area"]), Num(k.Params["art_area"]-s.ArtRoomMinArea))
		}
	}
	k.cr.Value = fmt.Sprintf("每 %s 个班音乐、美术专用教室各 1 间以上", Num(per))
	k.settle()
}

// checkSchoolSize: compulsory enrolment at most params.max, or
// params.combined for nine- and twelve-year schools.
func checkSchoolSize(_ *Profile, k *checking) {
	for i := range k.in.Schools {
		s := &k.in.Schools[i]
		if !k.applies(s) {
			continue
		}
		k.look(s)
		max := int(k.Params["max"])
		if s.Type == county.NineYear || s.Type == county.TwelveYear {
			max = int(k.Params["combined"])
		}
		if n := s.Compulsory(); n > max {
			k.failAt(s, "义务教育阶段 %d 人，超过 %d 人的上限 %d 人", n, max, n-max)
		}
	}
	k.cr.Value = fmt.Sprintf("小学、初中 ≤ %s 人，一贯制学校 ≤ %s 人", Num(k.Params["max"]), Num(k.Params["combined"]))
	k.settle()
}

// checkClassSize: the largest class of each level at most its limit.
func checkClassSize(_ *Profile, k *checking) {
	for i := range k.in.Schools {
		s := &k.in.Schools[i]
		if !k.applies(s) || s.Compulsory() == 0 {
			continue
		}
		k.look(s)
		if lim := int(k.Params["primary"]); s.EnrolPrimary > 0 {
			if s.LargestClassPrimary == 0 {
				k.lack(s, "小学最大班额")
			} else if s.LargestClassPrimary > lim {
				k.failAt(s, "小学最大班额 %d 人，超过 %d 人 %d 人", s.LargestClassPrimary, lim, s.LargestClassPrimary-lim)
			}
		}
		if lim := int(k.Params["junior"]); s.EnrolJunior > 0 {
			if s.LargestClassJunior == 0 {
				k.lack(s, "初中最大班额")
			} else if s.LargestClassJunior > lim {
				k.failAt(s, "初中最大班额 %d 人，超过 %d 人 %d 人", s.LargestClassJunior, lim, s.LargestClassJunior-lim)
			}
		}
	}
	k.cr.Value = fmt.Sprintf("小学每班 ≤ %s 人，初中每班 ≤ %s 人", Num(k.Params["primary"]), Num(k.Params["junior"]))
	k.settle()
}

// checkSmallFunding: every teaching point, and every village (rural)
// primary school, under params.students pupils is funded as if it had
// params.students at the per-pupil norm; the norm is never taken below
// the profile's floor (Input.Min), whatever the county entered. With no
// such school the rule holds: there is nothing to fund.
func checkSmallFunding(p *Profile, k *checking) {
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
		small := s.Type == county.TeachingPoint || (s.Type == county.Primary && s.Locale == sampling.Rural)
		if !k.applies(s) || !small || float64(s.Compulsory()) >= floor || s.Compulsory() == 0 {
			continue
		}
		checked++
		k.look(s)
		if s.OperatingFunds <= 0 {
			k.lack(s, "年度公用经费")
			continue
		}
		norm := normP
		if s.EnrolJunior > s.EnrolPrimary {
			norm = normJ
		}
		if need := floor * norm; !atLeast(s.OperatingFunds, need) {
			k.failAt(s, "%d 人，公用经费 %s 元，应按 %s 人 × %s 元核定 %s 元，差 %s 元", s.Compulsory(), Num(s.OperatingFunds), Num(floor), Num(norm), Num(need), Num(need-s.OperatingFunds))
		}
	}
	k.cr.Value = fmt.Sprintf("不足 %s 人的村小学、教学点 %d 所，按小学 %s 元、初中 %s 元核定", Num(floor), checked, Num(normP), Num(normJ))
	k.settle()
	if checked == 0 && len(k.cr.Failures) == 0 {
		k.cr.Status, k.cr.Scope = Pass, "没有不足 "+Num(floor)+" 人的村小学、教学点"
		k.cr.Value = ""
	}
}

// checkSpecialFunds: special-education schools' operating funds per pupil
// at least params.min.
func checkSpecialFunds(_ *Profile, k *checking) {
	min := k.Params["min"]
	for i := range k.in.Schools {
		s := &k.in.Schools[i]
		if s.Type != county.Special || s.Compulsory() == 0 {
			continue
		}
		k.look(s)
		if s.OperatingFunds <= 0 {
			k.lack(s, "年度公用经费")
			continue
		}
		if per := s.OperatingFunds / float64(s.Compulsory()); !atLeast(per, min) {
			k.failAt(s, "生均公用经费 %s 元，低于 %s 元，全校差 %s 元", Shown(per, min, atLeast), Num(min), Num((min-per)*float64(s.Compulsory())))
		}
	}
	k.cr.Value = fmt.Sprintf("特殊教育学校生均 ≥ %s 元", Num(min))
	k.settle()
}

// checkCertificates: the county's share of certified full-time teachers
// at least params.min; every school short of all is listed.
func checkCertificates(_ *Profile, k *checking) {
	var held, all int
	for i := range k.in.Schools {
		s := &k.in.Schools[i]
		held += s.Certified
		all += s.Teachers()
		if s.Certified < s.Teachers() {
			k.failAt(s, "专任教师 %d 人，持证 %d 人，%d 人无证", s.Teachers(), s.Certified, s.Teachers()-s.Certified)
		}
	}
	if all == 0 {
		k.missing("尚未填报专任教师数")
		return
	}
	k.cr.Scope = fmt.Sprintf("全县 %d 所学校的专任教师", len(k.in.Schools))
	rate := float64(held) / float64(all)
	k.cr.Value = fmt.Sprintf("%d ÷ %d = %s（标准 ≥ %s）", held, all, shownPct(rate, k.Params["min"], atLeast), pct(k.Params["min"]))
	if !atLeast(rate, k.Params["min"]) {
		k.cr.Status, k.cr.County = Fail, true
	}
}

// checkTrainingFunds: each school's training funds at least its locale's
// params.min_share of its operating funds.
func checkTrainingFunds(_ *Profile, k *checking) {
	shares := map[float64]bool{}
	for i := range k.in.Schools {
		s := &k.in.Schools[i]
		if !k.applies(s) {
			continue
		}
		k.look(s)
		share := k.param("min_share", s.Locale)
		shares[share] = true
		if s.OperatingFunds <= 0 {
			k.lack(s, "年度公用经费")
			continue
		}
		if got := s.TrainingFunds / s.OperatingFunds; !atLeast(got, share) {
			k.failAt(s, "培训经费占公用经费 %s，应 ≥ %s，差 %s 元", shownPct(got, share, atLeast), pct(share), Num(share*s.OperatingFunds-s.TrainingFunds))
		}
	}
	if len(k.LocaleParams) == 0 {
		k.cr.Value = fmt.Sprintf("每校 ≥ 公用经费的 %s", pct(k.Params["min_share"]))
	} else {
		var parts []string
		for _, l := range sampling.Locales {
			parts = append(parts, fmt.Sprintf("%s学校 ≥ %s", l.Name(), pct(k.param("min_share", l))))
		}
		k.cr.Value = "公用经费中培训经费占比：" + strings.Join(parts, "，")
	}
	k.settle()
}

// checkRecognition: the linked survey's recognition rate at least
// params.min.
func checkRecognition(_ *Profile, k *checking) {
	rec := k.in.Recognition
	if rec != nil && rec.Withheld != "" {
		k.cr.Scope = fmt.Sprintf("调查“%s”", rec.Campaign)
		k.missing(rec.Withheld)
		return
	}
	if rec == nil || rec.Answers == 0 {
		k.missing("尚未关联有答卷的社会认可度调查")
		return
	}
	k.cr.Scope = fmt.Sprintf("调查“%s”的 %d 人、%d 个有效回答（%s）", rec.Campaign, rec.Respondents, rec.Answers, rec.Method)
	k.cr.Value = fmt.Sprintf("%s（95%% 区间 %s–%s，标准 ≥ %s）", shownPct(rec.Rate, k.Params["min"], atLeast), pct(rec.Low), pct(rec.High), pct(k.Params["min"]))
	if !rec.Complete {
		k.cr.Status, k.cr.Value = Missing, rec.Shortfall+"；目前 "+k.cr.Value
		return
	}
	if !atLeast(rec.Rate, k.Params["min"]) {
		k.cr.Status = Fail
	}
}

// checkStaffing: pupils per full-time teacher at each level, in each
// locale, at most params.primary and params.junior (the unified staffing
// norms, e.g. Hunan's 1:19 and 1:13.5): where the school statistics hold
// the numbers, they are computed rather than judged.
func checkStaffing(_ *Profile, k *checking) {
	type tally struct{ pupils, teachers int }
	by := map[Level]map[sampling.Locale]*tally{Primary: {}, Junior: {}}
	for i := range k.in.Schools {
		s := &k.in.Schools[i]
		if !k.applies(s) || s.Compulsory() == 0 {
			continue
		}
		k.look(s)
		for _, l := range Levels {
			if s.Enrol(l) == 0 {
				continue
			}
			t := by[l][s.Locale]
			if t == nil {
				t = &tally{}
				by[l][s.Locale] = t
			}
			t.pupils += s.Enrol(l)
			if l == Primary {
				t.teachers += s.TeachersPrimary
			} else {
				t.teachers += s.TeachersJunior
			}
		}
	}
	var parts []string
	for _, l := range Levels {
		norm := k.Params[string(l)]
		var all tally
		for _, loc := range sampling.Locales {
			t := by[l][loc]
			if t == nil {
				continue
			}
			all.pupils += t.pupils
			all.teachers += t.teachers
			if t.teachers == 0 {
				k.lacking = append(k.lacking, loc.Name()+l.Name()+"专任教师数")
				continue
			}
			if ratio := float64(t.pupils) / float64(t.teachers); !atMost(ratio, norm) {
				k.fail("%s%s：%d 名学生、%d 名专任教师，生师比 %s:1，高于 %s:1，按标准应有 %d 名教师", loc.Name(), l.Name(), t.pupils, t.teachers,
					Shown(ratio, norm, atMost), Num(norm), int(math.Ceil(float64(t.pupils)/norm-eps)))
			}
		}
		if all.teachers > 0 {
			parts = append(parts, fmt.Sprintf("%s生师比 %s:1（标准 ≤ %s:1）", l.Name(), Num(float64(all.pupils)/float64(all.teachers)), Num(norm)))
		}
	}
	k.cr.Value = strings.Join(parts, "；")
	k.settle()
}

// checkSurveyDesign: the linked survey drew its sample by the profile's
// survey rules: a rate of at least rate_ppm of the resident population,
// the minimum sample if any, and parents at least parent_floor of the
// admitted responses.
func checkSurveyDesign(p *Profile, k *checking) {
	rec := k.in.Recognition
	if rec == nil || rec.Admitted == 0 {
		k.missing("尚未关联有答卷的社会认可度调查")
		return
	}
	sr := p.Survey
	k.cr.Scope = fmt.Sprintf("调查“%s”，样本量 %d，已纳入 %d 份", rec.Campaign, rec.SampleSize, rec.Admitted)
	if rec.Admitted < rec.SampleSize {
		// The design is judged on the sample drawn, not on a start of it.
		k.missing(fmt.Sprintf("样本未达设计量：已纳入 %d / %d", rec.Admitted, rec.SampleSize))
		return
	}
	if rec.RatePPM < sr.RatePPM {
		k.fail("抽样比例 %s‰，低于 %s‰", Num(float64(rec.RatePPM)/1000), Num(float64(sr.RatePPM)/1000))
	}
	if sr.MinSample > 0 && rec.SampleSize < sr.MinSample {
		k.fail("样本量 %d，低于最低样本量 %d", rec.SampleSize, sr.MinSample)
	}
	share := float64(rec.Parents) / float64(rec.Admitted)
	if !atLeast(share, sr.ParentFloor) {
		k.fail("家长 %d 份，占已纳入样本的 %s，低于 %s", rec.Parents, shownPct(share, sr.ParentFloor, atLeast), pct(sr.ParentFloor))
	}
	k.cr.Value = fmt.Sprintf("抽样比例 %s‰，家长占 %s（标准：抽样比例 ≥ %s‰，家长 ≥ %s）", Num(float64(rec.RatePPM)/1000),
		shownPct(share, sr.ParentFloor, atLeast), Num(float64(sr.RatePPM)/1000), pct(sr.ParentFloor))
	if len(k.cr.Failures) > 0 {
		k.cr.Status = Fail
	}
}

func isPerSchool(r Rule) bool {
	switch r {
	case RuleResource, RuleSpecialRooms, RuleSchoolSize, RuleClassSize, RuleSmallFunding,
		RuleSpecialFunds, RuleCertificates, RuleTrainingFunds, RuleStaffing:
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
	var blank []string
	for _, pt := range rr.Parts {
		if pt.Blank[k] {
			blank = append(blank, fmt.Sprintf("%s（%s）", pt.Name, pt.Level.Name()))
			cr.at(pt.School, true, fmt.Sprintf("待填报：%s%s", pt.Level.Name(), std.Name))
		}
	}
	if len(blank) > 0 {
		// The county value and the spread need every school's figure.
		cr.Status, cr.Value = Missing, fmt.Sprintf("待填报：%s的%s未填写", strings.Join(blank, "、"), std.Name)
		return
	}
	var vals []string
	for _, cv := range rr.County {
		if cv.Resource != r {
			continue
		}
		vals = append(vals, fmt.Sprintf("全县%s %s（标准 ≥ %s）", cv.Level.Name(), Num(cv.Value), Num(cv.Standard)))
		if !cv.Met {
			cr.Status, cr.County = Fail, true
			cr.Failures = append(cr.Failures, fmt.Sprintf("全县%s%s %s %s，未达到 %s", cv.Level.Name(), std.Name, Num(cv.Value), std.Unit, Num(cv.Standard)))
		}
	}
	for _, sp := range rr.Spreads {
		if sp.Resource != r {
			continue
		}
		vals = append(vals, fmt.Sprintf("%s差异系数 %.4f（≤ %s）", sp.Level.Name(), sp.CV, Num(sp.Limit)))
		if !sp.Met {
			cr.Status, cr.County = Fail, true
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
		line := fmt.Sprintf("%s（%s）：%s %s，标准 %s，该校 7 项中 %d 项达标，未达“至少 %d 项达标、余项不低于 %s”", pt.Name, pt.Level.Name(), Num(pt.Value[k]), std.Unit, Num(stdv), pt.MetN, p.Resources.MinMet, pct(p.Resources.RemainderFloor))
		cr.Failures = append(cr.Failures, line)
		cr.at(pt.School, false, line)
	}
	cr.Value = strings.Join(vals, "；")
}

// FailingSchools is the schools, of those evaluated, short of at least
// one per-school standard: a failed check naming them (its failures
// begin with the school's name) or a resource evaluation they do not
// pass. Schools whose data are missing are not counted; they are
// 待填报, not failing. In the order of schools.
func (r *Result) FailingSchools(schools []School) []string {
	failed := map[string]bool{}
	for _, pt := range r.Resources.Parts {
		if !pt.Pass && !pt.Pending() {
			failed[pt.Name] = true
		}
	}
	for _, ir := range r.Indicators {
		for _, cr := range ir.Results {
			if cr.Status != Fail {
				continue
			}
			for _, f := range cr.Failures {
				for _, s := range schools {
					if strings.HasPrefix(f, s.Name+"：") || strings.HasPrefix(f, s.Name+"（") {
						failed[s.Name] = true
					}
				}
			}
		}
	}
	var out []string
	for _, s := range schools {
		if failed[s.Name] {
			out = append(out, s.Name)
			delete(failed, s.Name)
		}
	}
	return out
}

// WorstSpread is the coefficient of variation furthest over (or closest
// to) its limit, by the ratio of the coefficient to the limit; nil when
// none was computed.
func (r *Result) WorstSpread() *Spread {
	var w *Spread
	for i := range r.Resources.Spreads {
		sp := &r.Resources.Spreads[i]
		if sp.Limit <= 0 || sp.Missing {
			continue
		}
		if w == nil || sp.CV/sp.Limit > w.CV/w.Limit {
			w = sp
		}
	}
	return w
}
