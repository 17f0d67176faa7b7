package evaluation

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"renke/county"
	"renke/sampling"
)

func profiles(t testing.TB) (national, hunan *Profile) {
	t.Helper()
	ps, err := LoadProfiles("")
	if err != nil {
		t.Fatal(err)
	}
	n, ok1 := ps.Get("national-2017")
	h, ok2 := ps.Get("hunan-xiangtan-2018")
	if !ok1 || !ok2 {
		t.Fatal("built-in profiles missing")
	}
	return n, h
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// primary is a 500-student primary school that meets every resource
// standard, qualified teachers exactly at 4.2 per 100.
func primary(name string) School {
	return School{Name: name, Type: county.Primary, Locale: sampling.Urban, Public: true,
		EnrolPrimary: 500, ClassesPrimary: 12, LargestClassPrimary: 45,
		TeachersPrimary: 30, QualifiedPrimary: 21, KeyPrimary: 5, PEArtsPrimary: 5, Certified: 30,
		TeachingArea: 2250, SportsArea: 3750, EquipmentValue: 1_000_000, MultimediaRooms: 12,
		MusicRooms: 1, MusicRoomMinArea: 96, ArtRooms: 1, ArtRoomMinArea: 90,
		OperatingFunds: 400_000, TrainingFunds: 20_000}
}

// junior is a 500-student junior school that meets every standard.
func junior(name string) School {
	return School{Name: name, Type: county.Junior, Locale: sampling.Town, Public: true,
		EnrolJunior: 500, ClassesJunior: 10, LargestClassJunior: 50,
		TeachersJunior: 45, QualifiedJunior: 27, KeyJunior: 5, PEArtsJunior: 5, Certified: 45,
		TeachingArea: 2900, SportsArea: 5100, EquipmentValue: 1_250_000, MultimediaRooms: 12,
		MusicRooms: 1, MusicRoomMinArea: 100, ArtRooms: 1, ArtRoomMinArea: 100,
		OperatingFunds: 500_000, TrainingFunds: 25_000}
}

func TestCoefficientOfVariationWorkedExample(t *testing.T) {
	// domain.md §3.1: floor area per student of five schools.
	rows := [][2]float64{{120, 600}, {45, 500}, {300, 1500}, {80, 200}, {600, 2500}}
	var weighted, plain []Weighted
	for _, r := range rows {
		weighted = append(weighted, Weighted{Students: r[0], Value: r[1] / r[0]})
		plain = append(plain, Weighted{Students: 1, Value: r[1] / r[0]})
	}
	cv, mean, sd := CoefficientOfVariation(weighted)
	if !near(mean, 4.6288, 5e-5) || !near(sd, 1.4596, 5e-5) || !near(cv, 0.3153, 5e-5) {
		t.Errorf("weighted: mean %.4f sd %.4f cv %.4f, want 4.6288 1.4596 0.3153", mean, sd, cv)
	}
	if cv, _, _ := CoefficientOfVariation(plain); !near(cv, 0.5263, 5e-5) {
		t.Errorf("unweighted cv %.4f, want 0.5263", cv)
	}
}

func TestCoefficientOfVariationEdges(t *testing.T) {
	for _, tc := range []struct {
		name string
		xs   []Weighted
		cv   float64
	}{
		{"no schools", nil, 0},
		{"no students", []Weighted{{0, 3}, {0, 9}}, 0},
		{"all equal", []Weighted{{100, 4}, {300, 4}}, 0},
		{"zero mean", []Weighted{{100, 0}, {300, 0}}, 0},
		{"two equal schools 3 and 9", []Weighted{{500, 3}, {500, 9}}, 0.5},
		{"weights move the mean", []Weighted{{300, 0}, {100, 4}}, math.Sqrt(3)},
	} {
		if cv, _, _ := CoefficientOfVariation(tc.xs); !near(cv, tc.cv, 1e-12) {
			t.Errorf("%s: cv %v, want %v", tc.name, cv, tc.cv)
		}
	}
}

func find(t *testing.T, r Result, no string) IndicatorResult {
	t.Helper()
	for _, ir := range r.Indicators {
		if ir.No == no {
			return ir
		}
	}
	t.Fatalf("indicator %s not in result", no)
	return IndicatorResult{}
}

func spread(r Result, l Level, res Resource) Spread {
	for _, s := range r.Resources.Spreads {
		if s.Level == l && s.Resource == res {
			return s
		}
	}
	return Spread{}
}

func TestResourceThresholds(t *testing.T) {
	nat, _ := profiles(t)
	for _, tc := range []struct {
		name string
		mod  func(*School)
		pass bool // the school's stage passes the per-school rule
		met  int
	}{
		{"every standard met, qualified exactly 4.2", func(*School) {}, true, 7},
		{"qualified 20 of 500 is 4.0, 95% of 4.2: the remaining one", func(s *School) { s.QualifiedPrimary = 20 }, true, 6},
		{"floor area exactly 85% of 4.5", func(s *School) { s.TeachingArea = 1912.5 }, true, 6},
		{"floor area just under 85%", func(s *School) { s.TeachingArea = 1912 }, false, 6},
		{"two short, both above 85%", func(s *School) { s.TeachingArea, s.SportsArea = 2200, 3700 }, false, 5},
		{"equipment exactly 2000 per student", func(s *School) { s.EquipmentValue = 1_000_000 }, true, 7},
		{"equipment 1 yuan short", func(s *School) { s.EquipmentValue = 999_999 }, true, 6},
	} {
		s := primary("甲小学")
		tc.mod(&s)
		r := Evaluate(nat, Inputs{Schools: []School{s}})
		pt := r.Resources.Parts[0]
		if pt.Pass != tc.pass || pt.MetN != tc.met {
			t.Errorf("%s: pass %v met %d, want %v %d (values %v)", tc.name, pt.Pass, pt.MetN, tc.pass, tc.met, pt.Value)
		}
	}
	j := junior("乙中学")
	r := Evaluate(nat, Inputs{Schools: []School{j}})
	if pt := r.Resources.Parts[0]; !pt.Pass || pt.MetN != 7 || pt.Level != Junior || !near(pt.Value[0], 5.4, 1e-9) {
		t.Errorf("junior: %+v", pt)
	}
}

func TestCVLimits(t *testing.T) {
	nat, _ := profiles(t)
	for _, tc := range []struct {
		name   string
		level  Level
		a, b   float64 // teaching area of two equal schools
		within bool
	}{
		{"primary exactly 0.50", Primary, 1500, 4500, true},
		{"primary just over 0.50", Primary, 1499, 4501, false},
		{"junior exactly 0.45", Junior, 2750, 7250, true},
		{"junior just over 0.45", Junior, 2749, 7251, false},
	} {
		var x, y School
		if tc.level == Primary {
			x, y = primary("甲"), primary("乙")
		} else {
			x, y = junior("甲"), junior("乙")
		}
		x.TeachingArea, y.TeachingArea = tc.a, tc.b
		r := Evaluate(nat, Inputs{Schools: []School{x, y}})
		sp := spread(r, tc.level, TeachingArea)
		if sp.Met != tc.within {
			t.Errorf("%s: cv %.6f met %v", tc.name, sp.CV, sp.Met)
		}
		if !tc.within && (len(sp.Pullers) != 2 || sp.Pullers[0].CVIfMean >= sp.CV) {
			t.Errorf("%s: pullers %+v", tc.name, sp.Pullers)
		}
		mentions := strings.Contains(strings.Join(find(t, r, "1.4").Results[0].Failures, "；"), "差异系数")
		if mentions == tc.within {
			t.Errorf("%s: failures mention the coefficient: %v", tc.name, mentions)
		}
	}
}

func TestScopeAndSplit(t *testing.T) {
	nat, _ := profiles(t)
	special := School{Name: "特校", Type: county.Special, Locale: sampling.Urban, EnrolPrimary: 60, EnrolJunior: 20, OperatingFunds: 480_000}
	small := School{Name: "小教学点", Type: county.TeachingPoint, Locale: sampling.Rural, EnrolPrimary: 49}
	fifty := School{Name: "五十人教学点", Type: county.TeachingPoint, Locale: sampling.Rural, EnrolPrimary: 50}
	nine := School{Name: "九年一贯制学校", Type: county.NineYear, Locale: sampling.Town, EnrolPrimary: 400, EnrolJunior: 300,
		TeachingArea: 7300, EquipmentValue: 1_460_000}
	middle := School{Name: "完全中学", Type: county.CompleteMiddle, Locale: sampling.Urban, EnrolJunior: 300, EnrolSenior: 500,
		EquipmentValue: 900_000}
	r := Evaluate(nat, Inputs{Schools: []School{special, small, fifty, nine, middle}})

	var excluded []string
	for _, e := range r.Resources.Excluded {
		excluded = append(excluded, e.Name)
	}
	if strings.Join(excluded, ",") != "特校,小教学点" {
		t.Errorf("excluded %v, want the special school and the 49-student teaching point", excluded)
	}
	got := map[string]Part{}
	for _, p := range r.Resources.Parts {
		got[p.Name+"/"+string(p.Level)] = p
	}
	if len(got) != 4 {
		t.Fatalf("parts %v, want the 50-student point, two stages of the nine-year school and the junior of the middle school", got)
	}
	k := 3 // teaching area
	// Nine-year school, 1 : 1.1: primary weight 400, junior 330 of 730.
	if p := got["九年一贯制学校/primary"]; !near(p.Share, 400.0/730, 1e-12) || !near(p.Amount[k], 4000, 1e-9) || !near(p.Value[k], 10, 1e-9) {
		t.Errorf("nine-year primary: share %v amount %v value %v", p.Share, p.Amount[k], p.Value[k])
	}
	if p := got["九年一贯制学校/junior"]; !near(p.Amount[k], 3300, 1e-9) || !near(p.Value[k], 11, 1e-9) || !near(p.Value[5], 2200, 1e-9) {
		t.Errorf("nine-year junior: amount %v value %v equipment %v", p.Amount[k], p.Value[k], p.Value[5])
	}
	// Complete middle school, junior : senior = 1 : 1.2: 300 of 900.
	if p := got["完全中学/junior"]; !near(p.Value[5], 1000, 1e-9) {
		t.Errorf("complete middle junior equipment per student %v, want 1000", p.Value[5])
	}
	// The special school still counts for the special-funding check: 480,000 / 80 = 6000.
	if ir := find(t, r, "2.7"); ir.Status != Pass {
		t.Errorf("special funds exactly 6000: %s %v", ir.Status, ir.Results[0].Failures)
	}
}

func TestTwelveYearSplit(t *testing.T) {
	nat, _ := profiles(t)
	s := School{Name: "十二年", Type: county.TwelveYear, Locale: sampling.Urban, EnrolPrimary: 100, EnrolJunior: 100, EnrolSenior: 100, SportsArea: 3420}
	r := Evaluate(nat, Inputs{Schools: []School{s}})
	// Weights 100 : 110 : 132 of 342.
	if p := r.Resources.Parts[0]; !near(p.Amount[4], 1000, 1e-9) {
		t.Errorf("twelve-year primary sports area %v, want 1000", p.Amount[4])
	}
	if p := r.Resources.Parts[1]; !near(p.Amount[4], 1100, 1e-9) {
		t.Errorf("twelve-year junior sports area %v, want 1100", p.Amount[4])
	}
}

func failures(t *testing.T, r Result, no string) (Status, []string) {
	t.Helper()
	ir := find(t, r, no)
	var fs []string
	for _, c := range ir.Results {
		fs = append(fs, c.Failures...)
	}
	return ir.Status, fs
}

func TestGuaranteeThresholds(t *testing.T) {
	nat, _ := profiles(t)
	nine := func(p, j int) School {
		s := primary("一贯制")
		s.Type, s.EnrolPrimary, s.EnrolJunior, s.TeachersJunior, s.Certified = county.NineYear, p, j, 10, 40
		s.ClassesJunior, s.LargestClassJunior = 4, 50
		return s
	}
	for _, tc := range []struct {
		name string
		no   string
		mod  func(*School)
		pass bool
	}{
		{"class of 45", "2.5", func(s *School) { s.LargestClassPrimary = 45 }, true},
		{"class of 46", "2.5", func(s *School) { s.LargestClassPrimary = 46 }, false},
		{"junior class of 50", "2.5", func(s *School) { *s = junior("初中"); s.LargestClassJunior = 50 }, true},
		{"junior class of 51", "2.5", func(s *School) { *s = junior("初中"); s.LargestClassJunior = 51 }, false},
		{"2000 students", "2.4", func(s *School) { s.EnrolPrimary = 2000 }, true},
		{"2001 students", "2.4", func(s *School) { s.EnrolPrimary = 2001 }, false},
		{"nine-year 2500", "2.4", func(s *School) { *s = nine(1500, 1000) }, true},
		{"nine-year 2501", "2.4", func(s *School) { *s = nine(1500, 1001) }, false},
		{"12 classes, one room each", "2.3", func(s *School) { s.ClassesPrimary = 12 }, true},
		{"13 classes, one room each", "2.3", func(s *School) { s.ClassesPrimary = 13 }, false},
		{"13 classes, two rooms each", "2.3", func(s *School) { s.ClassesPrimary, s.MusicRooms, s.ArtRooms = 13, 2, 2 }, true},
		{"music room 95.9 m²", "2.3", func(s *School) { s.MusicRoomMinArea = 95.9 }, false},
		{"art room 89 m²", "2.3", func(s *School) { s.ArtRoomMinArea = 89 }, false},
		{"one teacher without certificate", "2.12", func(s *School) { s.Certified = 29 }, false},
		{"training funds exactly 5%", "3.4", func(s *School) { s.TrainingFunds = 20_000 }, true},
		{"training funds 4.99%", "3.4", func(s *School) { s.TrainingFunds = 19_960 }, false},
	} {
		s := primary("甲小学")
		tc.mod(&s)
		r := Evaluate(nat, Inputs{Schools: []School{s}})
		st, fs := failures(t, r, tc.no)
		if (st == Pass) != tc.pass {
			t.Errorf("%s: indicator %s %s %v", tc.name, tc.no, st, fs)
		}
	}
}

func TestSmallSchoolFunding(t *testing.T) {
	nat, hunan := profiles(t)
	village := School{Name: "村小", Type: county.Primary, Locale: sampling.Rural, EnrolPrimary: 40, OperatingFunds: 60_000}
	// National: the per-student norm must be entered.
	r := Evaluate(nat, Inputs{Schools: []School{village}})
	if st, _ := failures(t, r, "2.6"); st != Missing {
		t.Errorf("national without norms: %s", st)
	}
	r = Evaluate(nat, Inputs{Schools: []School{village}, Figures: map[string]float64{"funding_norm_primary": 650, "funding_norm_junior": 850}})
	if st, fs := failures(t, r, "2.6"); st != Fail || !strings.Contains(fs[0], "差 5000 元") {
		t.Errorf("650 × 100 against 60,000: %s %v", st, fs)
	}
	// Hunan fixes 600 yuan: 100 × 600 = 60,000 exactly.
	r = Evaluate(hunan, Inputs{Schools: []School{village}})
	if st, fs := failures(t, r, "14"); st != Pass {
		t.Errorf("Hunan 600 × 100: %s %v", st, fs)
	}
}

func TestCountyFigures(t *testing.T) {
	nat, hunan := profiles(t)
	for _, tc := range []struct {
		name    string
		p       *Profile
		no      string
		figures map[string]float64
		want    Status
	}{
		{"retention 95 national", nat, "3.1", map[string]float64{"retention_junior_pct": 95}, Pass},
		{"retention 95 Hunan needs 99", hunan, "25", map[string]float64{"retention_junior_pct": 95}, Fail},
		{"retention missing", nat, "3.1", nil, Missing},
		{"rotation 10% and key 20%", nat, "2.11", map[string]float64{"rotation_eligible": 500, "rotation_teachers": 50, "rotation_key": 10}, Pass},
		{"rotation 9.8%", nat, "2.11", map[string]float64{"rotation_eligible": 500, "rotation_teachers": 49, "rotation_key": 10}, Fail},
		{"key rotation 19.6%", nat, "2.11", map[string]float64{"rotation_eligible": 500, "rotation_teachers": 51, "rotation_key": 10}, Fail},
		{"pay equal", nat, "2.8", map[string]float64{"teacher_pay": 96_000, "civil_pay": 96_000}, Missing}, // performance pay not judged yet
		{"pay lower", nat, "2.8", map[string]float64{"teacher_pay": 95_999, "civil_pay": 96_000}, Fail},
		{"difference rate 0.149", nat, "3.9", map[string]float64{"monitoring_diff_rate": 0.149}, Missing},
		{"difference rate 0.15", nat, "3.9", map[string]float64{"monitoring_diff_rate": 0.15}, Fail},
	} {
		r := Evaluate(tc.p, Inputs{Figures: tc.figures})
		if st, fs := failures(t, r, tc.no); st != tc.want {
			t.Errorf("%s: %s %v, want %s", tc.name, st, fs, tc.want)
		}
	}
}

func TestRecognitionAndVeto(t *testing.T) {
	nat, _ := profiles(t)
	for _, tc := range []struct {
		rate float64
		want Status
	}{{0.85, Pass}, {0.8499, Fail}} {
		// A sample drawn by the rules: 1.5‰, 600 of 1,200 admitted are parents.
		r := Evaluate(nat, Inputs{Recognition: &Recognition{Complete: true, Rate: tc.rate, Low: tc.rate - 0.02, High: tc.rate + 0.02, Answers: 1000,
			RatePPM: 1500, SampleSize: 1200, Admitted: 1200, Parents: 600}})
		if st := find(t, r, "4.1").Status; st != tc.want {
			t.Errorf("recognition %v: %s", tc.rate, st)
		}
	}
	// 10 of 977 admitted: neither the rate nor the design is judged yet, and
	// the line says why.
	short := &Recognition{Rate: 0.95, Low: 0.7, High: 1, Answers: 110, Respondents: 10, RatePPM: 1500, SampleSize: 977, Admitted: 10,
		Parents: 10, Shortfall: "样本未达设计量：已纳入 10 / 977，结论为暂定"}
	r0 := Evaluate(nat, Inputs{Recognition: short})
	if st := find(t, r0, "4.1").Status; st != Missing {
		t.Errorf("recognition on 10 of 977: %s", st)
	}
	for _, ind := range r0.Indicators {
		for _, c := range ind.Results {
			if c.Rule == RuleRecognition && (c.Status != Missing || !strings.HasPrefix(c.Value, "样本未达设计量：已纳入 10 / 977")) {
				t.Errorf("recognition on 10 of 977: %s %q", c.Status, c.Value)
			}
			if c.Rule == RuleSurveyDesign && (c.Status != Missing || c.Value != "样本未达设计量：已纳入 10 / 977") {
				t.Errorf("survey design on 10 of 977: %s %q", c.Status, c.Value)
			}
		}
	}
	yes, no := true, false
	vetoes := map[string]Judgement{}
	for _, v := range nat.Vetoes {
		vetoes[v.Key] = Judgement{Met: &no}
	}
	r := Evaluate(nat, Inputs{Vetoes: vetoes})
	for _, v := range r.Vetoes {
		if v.Status != Pass {
			t.Errorf("veto %s not applying: %s", v.Key, v.Status)
		}
	}
	if r.Verdict != Missing {
		t.Errorf("nothing else entered: verdict %s, want missing", r.Verdict)
	}
	vetoes["key_schools"] = Judgement{Met: &yes, Note: "某校设重点班"}
	if r := Evaluate(nat, Inputs{Vetoes: vetoes}); r.Verdict != Fail {
		t.Errorf("a veto applies: verdict %s", r.Verdict)
	}
}

// hunanScores scores every Hunan soft item at exactly 80% of its points,
// the survey items through a recognition rate of 80% in their areas.
func hunanScores(p *Profile) Inputs {
	in := Inputs{Scores: map[string]float64{}, Recognition: &Recognition{Complete: true, Rate: 0.9, Answers: 900, ByArea: map[string]AreaRate{
		"equity": {Rate: 0.8, Answers: 300}, "sharing": {Rate: 0.8, Answers: 100}, "workload": {Rate: 0.8, Answers: 50},
	}}}
	for _, it := range p.ScoredItems() {
		in.Scores[it.No] = it.Points * 0.8
	}
	return in
}

func TestHunanScoring(t *testing.T) {
	_, hunan := profiles(t)
	in := hunanScores(hunan)
	r := Evaluate(hunan, in)
	if r.Score == nil || r.Score.Total != 80 || r.Score.Grade != "合格" || r.Score.Status != Pass {
		t.Fatalf("every B at 80%%: %+v", r.Score)
	}
	if ir := find(t, r, "8"); ir.Score != 8 || ir.Scored[3].Score == nil || *ir.Scored[3].Score != 1.6 || !ir.Scored[3].Survey {
		t.Errorf("indicator 8 with 8.4 from the survey: %+v", ir)
	}
	// One item 0.1 short puts its indicator under 80% of its points.
	in.Scores["27.2"] -= 0.1
	r = Evaluate(hunan, in)
	if st := find(t, r, "27").Status; st != Fail || r.Score.Status != Fail {
		t.Errorf("27 at 7.9 of 10: %s, scoring %s", st, r.Score.Status)
	}
	// No survey: the survey items cannot be scored.
	in = hunanScores(hunan)
	in.Recognition = nil
	if r := Evaluate(hunan, in); r.Score.Status != Missing || find(t, r, "30").Status != Missing {
		t.Errorf("without a survey: scoring %s", r.Score.Status)
	}
	for _, tc := range []struct {
		total float64
		grade string
	}{{79.99, ""}, {80, "合格"}, {85, "合格"}, {85.5, "合格"}, {86, "良好"}, {90.9, "良好"}, {91, "优秀"}, {100, "优秀"}} {
		if g := hunan.Scoring.Grade(tc.total); g != tc.grade {
			t.Errorf("grade of %v: %q, want %q", tc.total, g, tc.grade)
		}
	}
	if len(hunan.Indicators) != 36 {
		t.Errorf("Hunan has %d indicators, want 36", len(hunan.Indicators))
	}
}

func TestGapPlans(t *testing.T) {
	nat, _ := profiles(t)
	// Short of key teachers (3 of 5) and multimedia rooms (8 of 11.5):
	// both under 85%, so the school fails.
	a := primary("甲小学")
	a.KeyPrimary, a.MultimediaRooms = 3, 8
	// Short of sports ground only a little, and of floor area by 40%.
	b := primary("乙小学")
	b.SportsArea, b.TeachingArea = 3700, 1350
	r := Evaluate(nat, Inputs{Schools: []School{a, b}})
	if len(r.Gaps.Schools) != 2 {
		t.Fatalf("plans %+v", r.Gaps.Schools)
	}
	// 乙: fixing floor area fully costs 900 m² × 3000 = 2.7 million; at its
	// 85% floor (1912.5 m²) 563 m² = 1.689 million, and then sports must
	// be met: 50 m² × 600 = 30,000. Total 1.719 million.
	// 甲: leaving rooms at their floor saves more (9.775 → 2 rooms instead
	// of 4) than leaving teachers (4.25 → 2 teachers either way):
	// 2 teachers at 100,000 + 2 rooms at 60,000 = 320,000. Cheapest first.
	p := r.Gaps.Schools[0]
	if p.Name != "甲小学" || p.Cost != 320_000 || len(p.Actions) != 2 {
		t.Fatalf("first plan %+v", p)
	}
	for _, act := range p.Actions {
		switch act.Resource {
		case KeyTeachers:
			if act.Add != 2 || act.Floor {
				t.Errorf("key teachers: %+v", act)
			}
		case MultimediaRooms:
			if act.Add != 2 || !act.Floor || !near(act.Target, 0.85*2.3, 1e-9) {
				t.Errorf("rooms: %+v", act)
			}
		default:
			t.Errorf("unexpected action %+v", act)
		}
	}
	q := r.Gaps.Schools[1]
	if q.Name != "乙小学" || len(q.Actions) != 2 || q.Cost != 1_719_000 ||
		q.Actions[0].Resource != TeachingArea || q.Actions[0].Add != 563 || !q.Actions[0].Floor ||
		q.Actions[1].Resource != SportsArea || q.Actions[1].Add != 50 || q.Actions[1].Floor {
		t.Errorf("second plan %+v", q)
	}
	// County-wide, cheapest first: sports 50 m² (30,000) … floor area:
	// 3600 of 4500 m² for 1000 students (2.7 million) last.
	c := r.Gaps.County
	if len(c) != 4 || c[0].Resource != SportsArea || c[0].Add != 50 || c[3].Resource != TeachingArea || c[3].Add != 900 {
		t.Errorf("county gaps %+v", c)
	}
}

func TestGapOnCombinedSchool(t *testing.T) {
	nat, _ := profiles(t)
	// A nine-year school of 400 primary and 300 junior students with
	// 2,920 m²: 1,600 count for primary (400 of 730), 200 short of 1,800.
	// Only 400/730 of what the school builds counts for primary, so it
	// must build 365 m².
	s := School{Name: "一贯制", Type: county.NineYear, Locale: sampling.Town, EnrolPrimary: 400, EnrolJunior: 300, TeachingArea: 2920}
	share := nat.Resources.share(&s, Primary)
	a := nat.raise(TeachingArea, Primary, 400, share, s.TeachingArea*share, 1)
	if a == nil || a.Add != 365 || a.Cost != 365*3000 {
		t.Errorf("action %+v, want 365 m² at 3000 yuan", a)
	}
}

func TestThirdProvinceIsAFile(t *testing.T) {
	nat, _ := profiles(t)
	b, err := os.ReadFile("profiles/national-2017.json")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(b), `"id": "national-2017"`, `"id": "anhui-2018"`, 1)
	text = strings.Replace(text, `"min": 95`, `"min": 97`, 1)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "anhui.json"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	ps, err := LoadProfiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	anhui, ok := ps.Get("anhui-2018")
	if !ok || len(ps.All()) != 4 { // national, Hunan, Hunan by its work plan, and this one

		t.Fatalf("third profile not loaded: %v", ps.All())
	}
	in := Inputs{Figures: map[string]float64{"zoning_primary_pct": 100, "zoning_junior_pct": 96}}
	if a, n := find(t, Evaluate(anhui, in), "2.13").Status, find(t, Evaluate(nat, in), "2.13").Status; a != Fail || n != Pass {
		t.Errorf("junior zoning 96%%: anhui %s (needs 97), national %s", a, n)
	}

	bad := strings.Replace(text, `"rule": "class_size"`, `"rule": "class_sizes"`, 1)
	if _, err := Parse([]byte(bad)); err == nil {
		t.Error("a profile with an unknown rule was accepted")
	}
	if _, err := Parse([]byte(strings.Replace(text, `"min_met": 6`, `"min_met": 9`, 1))); err == nil {
		t.Error("min_met 9 of 7 was accepted")
	}
}

// A region's roll-up names a unit's failing schools: 甲小学's class of 46
// (2.5), 乙小学's uncertified teacher (2.12), and 甲小学分校 is not 甲小学
// (names match whole); 丙小学 meets every standard. The worst spread is
// the one with the largest CV ÷ limit.
func TestFailingSchoolsAndWorstSpread(t *testing.T) {
	nat, _ := profiles(t)
	a, b, c, d := primary("甲小学"), primary("乙小学"), primary("丙小学"), primary("甲小学分校")
	a.LargestClassPrimary = 46
	b.Certified = 29
	// 丁: far more teaching area than the others, raising that CV.
	d.TeachingArea = 9000
	schools := []School{a, b, c, d}
	r := Evaluate(nat, Inputs{Schools: schools})
	if got := r.FailingSchools(schools); strings.Join(got, ",") != "甲小学,乙小学" {
		t.Errorf("failing schools %v", got)
	}
	w := r.WorstSpread()
	if w == nil {
		t.Fatal("no spread")
	}
	for _, sp := range r.Resources.Spreads {
		if sp.Limit > 0 && sp.CV/sp.Limit > w.CV/w.Limit {
			t.Errorf("%s has CV %.4f of %.2f, worse than the worst %.4f of %.2f", sp.Resource, sp.CV, sp.Limit, w.CV, w.Limit)
		}
	}
	if w.CV == 0 {
		t.Errorf("the worst spread is %+v, want the teaching area's", w)
	}
	if (&Result{}).WorstSpread() != nil {
		t.Error("a result with no spreads has a worst one")
	}
}

// A unit under 湘潭市 (4303) is evaluated by the city's rules unless its
// findings name others; a unit elsewhere, or with a code of its own, by
// the national ones; a variant of the city's rules is never the default.
func TestProfileForUnit(t *testing.T) {
	ps, err := LoadProfiles("")
	if err != nil {
		t.Fatal(err)
	}
	for code, want := range map[string]string{"430302": "hunan-xiangtan-2018", "430381": "hunan-xiangtan-2018",
		"430102": "national-2017", "110101": "national-2017", "demo": "national-2017", "4303x": "national-2017"} {
		if got := ps.ForUnit(code).ID; got != want {
			t.Errorf("ForUnit(%s) = %s, want %s", code, got, want)
		}
	}
	bad := []byte(`{"id":"x","name":"x","regions":["430"]}`)
	if _, err := Parse(bad); err == nil || !strings.Contains(err.Error(), "region") {
		t.Errorf("a three-digit region: %v", err)
	}
}
