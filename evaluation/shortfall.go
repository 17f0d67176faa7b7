package evaluation

import (
	"fmt"
	"strings"

	"renke/county"
)

// Shortfall is one thing an evaluation found short of its standard or
// still unknown (待填报): one line of the problem list (问题清单). A
// per-school check gives one per school it names; anything else one for
// the county. Key and SchoolID together name the same problem in every
// round evaluated under the profile.
type Shortfall struct {
	// Key names the check: "2.4/1" (indicator 2.4, its first check), a
	// soft indicator's number ("8"), "总分" for the soft total, "否决/<key>"
	// for a veto item, or LargeClassKey for the 大班额 ledger.
	Key       string `json:"key"`
	Indicator string `json:"indicator"` // the indicator's number, "" for a veto
	Title     string `json:"title"`     // what is checked, with its standard (the check's label)
	SchoolID  int64  `json:"school_id,omitempty"`
	School    string `json:"school,omitempty"`
	Status    Status `json:"status"` // Fail or Missing
	Figure    string `json:"figure"` // what was found
	Gap       string `json:"gap,omitempty"`
	// Judged: the finding is one staff enter (a judgement, a score, a veto):
	// passing it again in a later round is staff's word, so striking it off
	// takes a decision with a reason and evidence.
	Judged bool `json:"judged,omitempty"`
}

// LargeClassKey is the key of a school's 大班额 shortfall: classes of 56
// pupils or more, from the class-size bands of its statistics.
const LargeClassKey = "大班额"

// CheckKey is the key of check j (from 0) of indicator no.
func CheckKey(no string, j int) string { return fmt.Sprintf("%s/%d", no, j+1) }

// Shortfalls lists what the result found short or not yet known, in the
// order of the profile: per check, the county's line and then each
// school's; the soft indicators, the soft total and the veto items; and
// last the 大班额 ledger of the schools, a school per line.
func (r *Result) Shortfalls(schools []School) []Shortfall {
	var out []Shortfall
	for _, ir := range r.Indicators {
		for j, cr := range ir.Results {
			if cr.Status == Pass {
				continue
			}
			base := Shortfall{Key: CheckKey(ir.No, j), Indicator: ir.No, Title: cr.Label, Judged: cr.Rule == RuleJudgement}
			if !isPerSchool(cr.Rule) || cr.County || len(cr.Schools) == 0 {
				sf := base
				sf.Status, sf.Figure = cr.Status, countyFigure(cr)
				sf.Gap = r.countyGap(cr, ir.Indicator)
				out = append(out, sf)
			}
			for _, f := range cr.Schools {
				sf := base
				sf.SchoolID, sf.School, sf.Status, sf.Figure = f.ID, f.Name, Fail, strings.Join(f.Lines, "；")
				if f.Missing {
					sf.Status = Missing
				}
				sf.Gap = r.schoolGap(cr, f.Name)
				out = append(out, sf)
			}
		}
		if ir.Class == "B" && ir.Status != Pass {
			sf := Shortfall{Key: ir.No, Indicator: ir.No, Title: ir.Name, Status: ir.Status, Judged: true}
			unscored := 0
			for _, it := range ir.Scored {
				if it.Score == nil {
					unscored++
				}
			}
			sf.Figure = fmt.Sprintf("得分 %s，满分 %s，须不低于 %s", ir.ScoreShown, Num(ir.Points()), Shown(ir.Floor, ir.Floor, atLeast))
			if unscored > 0 {
				sf.Figure = fmt.Sprintf("%d 项尚未计分；%s", unscored, sf.Figure)
			}
			out = append(out, sf)
		}
	}
	if sc := r.Score; sc != nil && sc.Status != Pass {
		out = append(out, Shortfall{Key: "总分", Title: "B类指标总分", Status: sc.Status, Judged: true,
			Figure: fmt.Sprintf("总分 %s，须不低于 %s；%s", sc.TotalShown, Num(sc.Pass), sc.Why)})
	}
	for _, v := range r.Vetoes {
		if v.Status == Pass {
			continue
		}
		sf := Shortfall{Key: "否决/" + v.Key, Title: "否决项：" + v.Name, Status: v.Status, Judged: true, Figure: "尚未评定"}
		if v.Status == Fail {
			sf.Figure = "存在此情形：" + v.Note
		}
		out = append(out, sf)
	}
	for _, lc := range LargeClasses(schools).Schools {
		if lc.Large+lc.Huge == 0 {
			continue
		}
		out = append(out, Shortfall{Key: LargeClassKey, Title: "消除 56 人及以上大班额", SchoolID: lc.ID, School: lc.Name, Status: Fail,
			Figure: lc.Line()})
	}
	return out
}

// countyFigure is what a check found of the county: its value and the
// failures that name no school.
func countyFigure(cr CheckResult) string {
	named := map[string]bool{}
	for _, f := range cr.Schools {
		for _, l := range f.Lines {
			named[l] = true
		}
	}
	parts := []string{}
	if cr.Value != "" {
		parts = append(parts, cr.Value)
	}
	for _, l := range cr.Failures {
		if named[l] || strings.HasPrefix(l, "待填报：") || strings.HasSuffix(l, "允许") {
			continue
		}
		parts = append(parts, l)
	}
	return strings.Join(parts, "；")
}

// schoolGap is the gap list's line for a school on a resource check: the
// cheapest plan's actions on that resource.
func (r *Result) schoolGap(cr CheckResult, school string) string {
	if cr.Rule != RuleResource {
		return ""
	}
	var lines []string
	for _, pl := range r.Gaps.Schools {
		if pl.Name != school {
			continue
		}
		for _, a := range pl.Actions {
			lines = append(lines, a.line(pl.Level))
		}
	}
	return strings.Join(lines, "；")
}

// countyGap is the gap list's line for the county on a resource check.
func (r *Result) countyGap(cr CheckResult, ind Indicator) string {
	if cr.Rule != RuleResource {
		return ""
	}
	var lines []string
	for _, a := range r.Gaps.County {
		if a.Indicator == ind.Name || strings.HasPrefix(ind.Name, a.Indicator) {
			lines = append(lines, "全县"+a.line(a.Level))
		}
	}
	return strings.Join(lines, "；")
}

// line says an action in a sentence: 小学增加高于规定学历的专任教师 3 人（约 30 万元）.
func (a Action) line(l Level) string {
	s := fmt.Sprintf("%s：增加%s %s %s", l.Name(), a.What, Num(a.Add), a.Quantity)
	if a.Cost > 0 {
		s += fmt.Sprintf("（约 %s 万元）", Num(a.Cost/10000))
	}
	return s
}

// ClassBands is one school's classes by size, from its statistics.
type ClassBands struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Total int    `json:"total"` // classes of both stages
	Large int    `json:"large"` // 大班额: 56 to 65 pupils
	Huge  int    `json:"huge"`  // 超大班额: 66 or more
	// Known: the school's statistics give the bands.
	Known bool `json:"known"`
}

// Share is the part of the school's classes of 56 pupils or more.
func (b ClassBands) Share() float64 {
	if b.Total == 0 {
		return 0
	}
	return float64(b.Large+b.Huge) / float64(b.Total)
}

// Line says the school's large classes in a sentence.
func (b ClassBands) Line() string {
	return fmt.Sprintf("56–65 人的大班额 %d 个、66 人及以上的超大班额 %d 个，占全校 %d 个班的 %s", b.Large, b.Huge, b.Total, pct(b.Share()))
}

// ClassLedger is the 大班额 ledger (消除大班额工作台账) of a county: every
// school with classes of 56 or more, and the county's totals.
type ClassLedger struct {
	Schools []ClassBands `json:"schools"` // those with large classes, most first
	Classes int          `json:"classes"` // all classes of the schools whose bands are known
	Large   int          `json:"large"`
	Huge    int          `json:"huge"`
	Known   int          `json:"known"`   // schools whose bands are known
	Unknown int          `json:"unknown"` // schools whose statistics do not give them
}

// Share is the county's part of classes of 56 or more, of the classes
// whose size is known.
func (l ClassLedger) Share() float64 {
	if l.Classes == 0 {
		return 0
	}
	return float64(l.Large+l.Huge) / float64(l.Classes)
}

// LargeClasses builds the ledger from the schools' class-size bands. A
// school gives its bands when any of them is entered; its classes are the
// bands' sum.
func LargeClasses(schools []School) ClassLedger {
	var l ClassLedger
	for i := range schools {
		s := &schools[i]
		known := false
		for _, f := range []string{"ClassesTo45", "Classes46To55", "Classes56To65", "Classes66Up"} {
			known = known || !s.blank(f)
		}
		bands := s.ClassesTo45 + s.Classes46To55 + s.Classes56To65 + s.Classes66Up
		if !known || bands == 0 {
			l.Unknown++
			continue
		}
		l.Known++
		b := ClassBands{ID: s.ID, Name: s.Name, Total: bands, Large: s.Classes56To65, Huge: s.Classes66Up, Known: true}
		l.Classes += b.Total
		l.Large += b.Large
		l.Huge += b.Huge
		if b.Large+b.Huge > 0 {
			l.Schools = append(l.Schools, b)
		}
	}
	for i := 1; i < len(l.Schools); i++ { // most large classes first; few schools
		for j := i; j > 0 && l.Schools[j].Large+l.Schools[j].Huge > l.Schools[j-1].Large+l.Schools[j-1].Huge; j-- {
			l.Schools[j], l.Schools[j-1] = l.Schools[j-1], l.Schools[j]
		}
	}
	return l
}

// LargeSchools counts the 大规模学校: schools whose compulsory enrolment is
// over the profile's school-size limit (2,000; 2,500 for nine- and
// twelve-year schools, the check of rule school_size).
func (p *Profile) LargeSchools(schools []School) []string {
	max, combined := 2000.0, 2500.0
	for _, ind := range p.Indicators {
		for _, c := range ind.Checks {
			if c.Rule == RuleSchoolSize {
				max, combined = c.Params["max"], c.Params["combined"]
			}
		}
	}
	var out []string
	for _, s := range schools {
		lim := max
		if s.Type == county.NineYear || s.Type == county.TwelveYear {
			lim = combined
		}
		if float64(s.Compulsory()) > lim+eps {
			out = append(out, s.Name)
		}
	}
	return out
}

// Target is what a profile asks of a county by the end of one year
// (年度任务): each figure set is a bound the county's round of that
// school year is measured against.
type Target struct {
	Year int `json:"year"`
	// SchoolsShare: at least this share of schools up to standard (no
	// per-school shortfall, failing or unknown).
	SchoolsShare *float64 `json:"schools_share,omitempty"`
	// LargeClasses and HugeClasses: at most so many classes of 56–65 and
	// of 66 or more; LargeSchools: at most so many 大规模学校.
	LargeClasses *int   `json:"large_classes,omitempty"`
	HugeClasses  *int   `json:"huge_classes,omitempty"`
	LargeSchools *int   `json:"large_schools,omitempty"`
	Source       string `json:"source,omitempty"`
}

// Measures are a round's figures the targets are set on.
type Measures struct {
	Schools      int `json:"schools"`
	UpToStandard int `json:"up_to_standard"`
	LargeClasses int `json:"large_classes"`
	HugeClasses  int `json:"huge_classes"`
	// ClassesKnown: the class bands of every school are known, so the
	// class counts can be held against a target.
	ClassesKnown bool `json:"classes_known"`
	LargeSchools int  `json:"large_schools"`
}

// Measure takes a round's measures from its schools and shortfalls.
func (p *Profile) Measure(schools []School, sfs []Shortfall) Measures {
	short := map[string]bool{}
	for _, sf := range sfs {
		if sf.School != "" {
			short[sf.School] = true
		}
	}
	cl := LargeClasses(schools)
	m := Measures{Schools: len(schools), LargeClasses: cl.Large, HugeClasses: cl.Huge,
		ClassesKnown: cl.Unknown == 0 && len(schools) > 0, LargeSchools: len(p.LargeSchools(schools))}
	for _, s := range schools {
		if !short[s.Name] {
			m.UpToStandard++
		}
	}
	return m
}

// TargetLine is one target held against a round's measure.
type TargetLine struct {
	What   string `json:"what"`
	Target string `json:"target"`
	Now    string `json:"now"`
	Status Status `json:"status"`
}

// Against holds the measures of a round of year against the profile's
// target for that year (none when the profile sets none).
func (p *Profile) Against(year int, m Measures) (Target, []TargetLine) {
	var t Target
	found := false
	for _, x := range p.Targets {
		if x.Year == year {
			t, found = x, true
		}
	}
	if !found {
		return t, nil
	}
	var out []TargetLine
	if t.SchoolsShare != nil {
		tl := TargetLine{What: "达到标准的学校占比", Target: "≥ " + pct(*t.SchoolsShare), Status: Missing, Now: "没有学校数据"}
		if m.Schools > 0 {
			share := float64(m.UpToStandard) / float64(m.Schools)
			tl.Now = fmt.Sprintf("%d / %d = %s", m.UpToStandard, m.Schools, shownPct(share, *t.SchoolsShare, atLeast))
			tl.Status = Pass
			if !atLeast(share, *t.SchoolsShare) {
				tl.Status = Fail
			}
		}
		out = append(out, tl)
	}
	count := func(what string, bound *int, n int, known bool) {
		if bound == nil {
			return
		}
		tl := TargetLine{What: what, Target: fmt.Sprintf("≤ %d", *bound), Now: fmt.Sprint(n), Status: Pass}
		switch {
		case n > *bound:
			tl.Status = Fail
		case !known:
			tl.Status, tl.Now = Missing, fmt.Sprintf("%d（尚有学校未填报按班额分段的班级数）", n)
		}
		out = append(out, tl)
	}
	count("56–65 人大班额（个）", t.LargeClasses, m.LargeClasses, m.ClassesKnown)
	count("66 人及以上超大班额（个）", t.HugeClasses, m.HugeClasses, m.ClassesKnown)
	count("大规模学校（所）", t.LargeSchools, m.LargeSchools, true)
	return t, out
}
