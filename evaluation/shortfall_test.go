package evaluation_test

import (
	"strings"
	"testing"

	"renke/county"
	"renke/demo"
	"renke/evaluation"
	"renke/sampling"
)

func profile(t *testing.T, id string) *evaluation.Profile {
	t.Helper()
	ps, err := evaluation.LoadProfiles("")
	if err != nil {
		t.Fatal(err)
	}
	p, ok := ps.Get(id)
	if !ok {
		t.Fatalf("no profile %s", id)
	}
	return p
}

// A per-school check names each school short of it, one shortfall per
// school; a school lacking a figure is 待填报, not failing; a resource
// school short of the per-school rule carries its gap-list line.
func TestShortfallsPerSchool(t *testing.T) {
	p := profile(t, "national-2017")
	var schools []evaluation.School
	for i, n := range []string{"甲小学", "乙小学", "丙小学"} {
		s := demo.SchoolStats(n, county.Primary, sampling.Urban, 800, 0, 1.1)
		s.ID = int64(i + 1)
		schools = append(schools, s)
	}
	schools[0].LargestClassPrimary = 58 // 2.5: 13 over 45
	schools[1].LargestClassPrimary = 0  // 2.5: not entered
	schools[1].Blank = []string{"LargestClassPrimary"}
	// 丙: far short on three resources: fails the per-school rule.
	schools[2].KeyPrimary, schools[2].PEArtsPrimary, schools[2].MultimediaRooms = 0, 0, 1
	r := evaluation.Evaluate(p, evaluation.Inputs{Schools: schools})
	by := map[string]evaluation.Shortfall{}
	for _, sf := range r.Shortfalls(schools) {
		by[sf.Key+" "+sf.School] = sf
	}
	if sf := by["2.5/1 甲小学"]; sf.Status != evaluation.Fail || sf.SchoolID != 1 || !strings.Contains(sf.Figure, "58 人") {
		t.Errorf("甲's class: %+v", sf)
	}
	if sf := by["2.5/1 乙小学"]; sf.Status != evaluation.Missing || !strings.Contains(sf.Figure, "待填报") {
		t.Errorf("乙's class: %+v", sf)
	}
	if _, ok := by["2.5/1 "]; ok {
		t.Error("a per-school check with schools named also gave a county line")
	}
	sf, ok := by["1.2/1 丙小学"]
	if !ok || sf.Status != evaluation.Fail || !strings.Contains(sf.Gap, "增加") {
		t.Errorf("丙's key teachers: %+v (ok %v)", sf, ok)
	}
	// A judgement not entered is a county line, judged.
	if sf := by["2.1/1 "]; sf.Status != evaluation.Missing || !sf.Judged {
		t.Errorf("layout plan: %+v", sf)
	}
}

// The class-size bands make the 大班额 ledger: 56–65 and 66+ per school,
// the county's share of the classes whose size is known.
func TestLargeClasses(t *testing.T) {
	s := func(name string, bands ...int) evaluation.School {
		return evaluation.School{Name: name, ClassesTo45: bands[0], Classes46To55: bands[1], Classes56To65: bands[2], Classes66Up: bands[3]}
	}
	unknown := evaluation.School{Name: "丁", Blank: []string{"ClassesTo45", "Classes46To55", "Classes56To65", "Classes66Up"}}
	l := evaluation.LargeClasses([]evaluation.School{s("甲", 20, 4, 0, 0), s("乙", 10, 6, 3, 1), s("丙", 8, 0, 0, 2), unknown})
	// 甲 none of 24; 乙 3 + 1 of 20; 丙 2 of 10: 6 of 54 classes, 1/9.
	if l.Known != 3 || l.Unknown != 1 || l.Classes != 54 || l.Large != 3 || l.Huge != 3 || len(l.Schools) != 2 || l.Schools[0].Name != "乙" {
		t.Fatalf("ledger %+v", l)
	}
	if got := l.Share(); got != 6.0/54 {
		t.Errorf("share %v, want 1/9", got)
	}
	if l.Schools[1].Share() != 0.2 {
		t.Errorf("丙's share %v, want 0.2", l.Schools[1].Share())
	}
}

// Xiangtan's yearly targets: 2020 asks no class of 56 or more and 30% of
// schools up to standard.
func TestTargets(t *testing.T) {
	p := profile(t, "hunan-xiangtan-2018")
	_, lines := p.Against(2020, evaluation.Measures{Schools: 10, UpToStandard: 3, LargeClasses: 1, ClassesKnown: true})
	got := map[string]evaluation.Status{}
	for _, l := range lines {
		got[l.What] = l.Status
	}
	// 3 of 10 is exactly 30%: met. One large class: failed. No huge: met.
	if got["达到标准的学校占比"] != evaluation.Pass || got["56–65 人大班额（个）"] != evaluation.Fail || got["66 人及以上超大班额（个）"] != evaluation.Pass {
		t.Errorf("2020 targets: %v", got)
	}
	// Class bands not known everywhere: a count within bound is 待填报, not met.
	_, lines = p.Against(2020, evaluation.Measures{Schools: 10, UpToStandard: 4})
	for _, l := range lines {
		if strings.Contains(l.What, "班额") && l.Status != evaluation.Missing {
			t.Errorf("%s with bands unknown: %s", l.What, l.Status)
		}
	}
	if _, lines := p.Against(2030, evaluation.Measures{}); lines != nil {
		t.Errorf("a year without targets: %v", lines)
	}
	if _, lines := profile(t, "national-2017").Against(2020, evaluation.Measures{}); lines != nil {
		t.Error("the national profile sets no yearly targets")
	}
}

// A declaration of 不适用 makes an empty check met only once accepted; on
// a check with schools in its scope it changes nothing.
func TestNotApplicable(t *testing.T) {
	p := profile(t, "national-2017")
	schools := []evaluation.School{demo.SchoolStats("甲小学", county.Primary, sampling.Urban, 800, 0, 1.1)}
	special := func(in evaluation.Inputs) evaluation.CheckResult {
		r := evaluation.Evaluate(p, in)
		for _, ir := range r.Indicators {
			if ir.No == "2.7" {
				return ir.Results[0]
			}
		}
		t.Fatal("no 2.7")
		return evaluation.CheckResult{}
	}
	in := evaluation.Inputs{Schools: schools}
	if cr := special(in); cr.Status != evaluation.Missing || !cr.Empty {
		t.Fatalf("no special school, nothing declared: %+v", cr)
	}
	in.NotApplicable = map[string]evaluation.NotApplicable{"2.7/1": {Reason: "无特殊教育学校", Evidence: 1}}
	if cr := special(in); cr.Status != evaluation.Missing {
		t.Errorf("declared, not accepted: %s", cr.Status)
	}
	in.NotApplicable["2.7/1"] = evaluation.NotApplicable{Reason: "无特殊教育学校", Evidence: 1, AcceptedBy: "市评估组"}
	if cr := special(in); cr.Status != evaluation.Pass || !strings.Contains(cr.Value, "不适用") {
		t.Errorf("accepted: %+v", cr)
	}
	// The county has a special school now, short of funds: it is checked.
	sp := demo.SchoolStats("特教学校", county.Special, sampling.Urban, 60, 20, 1.1)
	sp.OperatingFunds = 100_000
	in.Schools = append(in.Schools, sp)
	if cr := special(in); cr.Status != evaluation.Fail {
		t.Errorf("accepted, but a special school short of funds: %s", cr.Status)
	}
}

// Xiangtan's 8.2 scores itself from five years of education spending, in
// total and per pupil: 2 points when neither falls, none when one does
// (an equal year is no fall), 待填报 while a year is missing.
func TestSeriesScoring(t *testing.T) {
	p := profile(t, "hunan-xiangtan-2018")
	item := func(series map[string]map[int]float64) evaluation.ItemResult {
		r := evaluation.Evaluate(p, evaluation.Inputs{Year: 2025, Series: series})
		for _, ir := range r.Indicators {
			for _, it := range ir.Scored {
				if it.No == "8.2" {
					return it
				}
			}
		}
		t.Fatal("no 8.2")
		return evaluation.ItemResult{}
	}
	years := func(vals ...float64) map[int]float64 {
		m := map[int]float64{}
		for i, v := range vals {
			m[2021+i] = v
		}
		return m
	}
	rising := map[string]map[int]float64{"edu_budget": years(50000, 52000, 52000, 55000, 56000), "edu_budget_per_pupil": years(9000, 9100, 9300, 9300, 9800)}
	if it := item(rising); it.Score == nil || *it.Score != 2 || !strings.Contains(it.Note, "逐年只增不减") {
		t.Errorf("never falling: %+v", it)
	}
	fell := map[string]map[int]float64{"edu_budget": rising["edu_budget"], "edu_budget_per_pupil": years(9000, 9100, 9050, 9300, 9800)}
	if it := item(fell); it.Score == nil || *it.Score != 0 || !strings.Contains(it.Note, "2023 年 9050（下降）") {
		t.Errorf("per pupil fell in 2023: %+v", it)
	}
	// Before any year is entered, a score entered by hand counts.
	r := evaluation.Evaluate(p, evaluation.Inputs{Year: 2025, Scores: map[string]float64{"8.2": 1}})
	for _, ir := range r.Indicators {
		for _, it := range ir.Scored {
			if it.No == "8.2" && (it.Score == nil || *it.Score != 1) {
				t.Errorf("8.2 scored by hand: %+v", it)
			}
		}
	}
	missing := map[string]map[int]float64{"edu_budget": years(50000, 52000, 52000, 55000), "edu_budget_per_pupil": rising["edu_budget_per_pupil"]}
	if it := item(missing); it.Score != nil || !strings.Contains(it.Note, "2025 年待填报") {
		t.Errorf("2025 missing: %+v", it)
	}
}
