package evaluation

import (
	"strings"
	"testing"

	"renke/county"
	"renke/sampling"
)

// The rules read to the letter of seed 004 (Xiangtan, 2018); l.N are its
// line numbers. One table test per finding of the audit (issue 17).

func check(t *testing.T, r Result, no, label string) CheckResult {
	t.Helper()
	for _, c := range find(t, r, no).Results {
		if strings.Contains(c.Label, label) {
			return c
		}
	}
	t.Fatalf("indicator %s has no check %q", no, label)
	return CheckResult{}
}

// Finding 1 and 2: indicator 14 funds every teaching point, and every
// village primary, under 100 pupils as 100 pupils at the provincial norm
// (l.231–234, norm l.204), whatever lower norm the county entered.
func TestSmallFundingToTheLetter(t *testing.T) {
	_, hunan := profiles(t)
	for _, tc := range []struct {
		name   string
		school School
		norms  map[string]float64
		want   Status
	}{
		// 40 pupils: 100 × 600 = 60,000 at the provincial norm. The county
		// entered 500; 100 × 500 = 50,000 is not enough.
		{"village school, lowered norm 500, 50,000", School{Name: "村小", Type: county.Primary, Locale: sampling.Rural, EnrolPrimary: 40, OperatingFunds: 50_000},
			map[string]float64{"funding_norm_primary": 500}, Fail},
		{"village school, lowered norm 500, 60,000", School{Name: "村小", Type: county.Primary, Locale: sampling.Rural, EnrolPrimary: 40, OperatingFunds: 60_000},
			map[string]float64{"funding_norm_primary": 500}, Pass},
		// A county may fund more: its own norm of 700 needs 70,000.
		{"village school, raised norm 700, 60,000", School{Name: "村小", Type: county.Primary, Locale: sampling.Rural, EnrolPrimary: 40, OperatingFunds: 60_000},
			map[string]float64{"funding_norm_primary": 700}, Fail},
		// A teaching point in a town or the city is checked too: 30 pupils
		// funded 50,000 against 100 × 600 = 60,000.
		{"urban teaching point, 50,000", School{Name: "城区教学点", Type: county.TeachingPoint, Locale: sampling.Urban, EnrolPrimary: 30, OperatingFunds: 50_000}, nil, Fail},
		{"town teaching point, 60,000", School{Name: "镇区教学点", Type: county.TeachingPoint, Locale: sampling.Town, EnrolPrimary: 30, OperatingFunds: 60_000}, nil, Pass},
		// An urban primary of 40 is not a village school: out of the rule.
		{"urban primary of 40", School{Name: "城区小学", Type: county.Primary, Locale: sampling.Urban, EnrolPrimary: 40, OperatingFunds: 10_000}, nil, Pass},
		// No funds entered is missing data, not a failure.
		{"teaching point without funds", School{Name: "教学点", Type: county.TeachingPoint, Locale: sampling.Rural, EnrolPrimary: 30}, nil, Missing},
	} {
		r := Evaluate(hunan, Inputs{Schools: []School{tc.school}, Figures: tc.norms})
		if c := check(t, r, "14", "不足100名学生"); c.Status != tc.want {
			t.Errorf("%s: %s %v", tc.name, c.Status, c.Failures)
		}
	}
	// The lowered norm itself fails indicator 10's norm check (l.204).
	r := Evaluate(hunan, Inputs{Figures: map[string]float64{"funding_norm_primary": 500}})
	if c := check(t, r, "10", "小学生均公用经费基准定额"); c.Status != Fail || !strings.Contains(c.Value, "500") {
		t.Errorf("a norm of 500 against 600: %s %s", c.Status, c.Value)
	}
	// A norm never entered is 待填报: the profile's 600 is what the county
	// must at least enter, not an entry.
	r = Evaluate(hunan, Inputs{})
	if c := check(t, r, "10", "小学生均公用经费基准定额"); c.Status != Missing || c.Value != "尚未填报小学生均公用经费基准定额" {
		t.Errorf("no norm entered: %s %q", c.Status, c.Value)
	}
}

// Finding 3: teaching points count as primary (note 4, l.493) in "所有小
// 学、初中" (indicator 11, l.209–212) and "全县所有学校" (indicator 28,
// l.348–350); a check with no school in scope is 待填报, never a pass.
func TestTeachingPointsInScope(t *testing.T) {
	nat, hunan := profiles(t)
	// 6 classes need 1 music and 1 art room (⌈6 / 12⌉ = 1); it has none.
	tp := School{Name: "石门教学点", Type: county.TeachingPoint, Locale: sampling.Rural, EnrolPrimary: 60,
		ClassesPrimary: 6, LargestClassPrimary: 12, OperatingFunds: 100_000, TrainingFunds: 5_000}
	for _, tc := range []struct {
		p         *Profile
		rooms     string
		trainings string
		share     string
	}{{hunan, "11", "28", "8%"}, {nat, "2.3", "3.4", "5%"}} {
		r := Evaluate(tc.p, Inputs{Schools: []School{tp}})
		if c := check(t, r, tc.rooms, "音乐"); c.Status != Fail || !strings.Contains(c.Scope, "教学点 1 所") {
			t.Errorf("%s %s: a teaching point without music and art rooms: %s, scope %q", tc.p.ID, tc.rooms, c.Status, c.Scope)
		}
		// 5,000 of 100,000 is 5%: under Hunan's 8%, at the national 5%.
		c := check(t, r, tc.trainings, "培训经费")
		if want := map[string]Status{"8%": Fail, "5%": Pass}[tc.share]; c.Status != want || !strings.Contains(c.Scope, "教学点 1 所") {
			t.Errorf("%s %s: training funds 5%% against %s: %s, scope %q", tc.p.ID, tc.trainings, tc.share, c.Status, c.Scope)
		}
	}
	// Only a special school: nothing in the special rooms' scope.
	special := School{Name: "特教学校", Type: county.Special, Locale: sampling.Urban, EnrolPrimary: 80, ClassesPrimary: 8, OperatingFunds: 500_000}
	r := Evaluate(hunan, Inputs{Schools: []School{special}})
	if c := check(t, r, "11", "音乐"); c.Status != Missing || !strings.Contains(c.Value, "没有在核查范围内的学校") {
		t.Errorf("no school in scope: %s %q", c.Status, c.Value)
	}
	// The reason is the profile's, shown beside the check.
	if c := check(t, r, "11", "音乐"); !strings.Contains(c.Reason, "说明4") {
		t.Errorf("the reason: %q", c.Reason)
	}
}

// Finding 4: grades apply only when every B indicator reaches 80% of its
// points (l.475, l.487).
func TestNoGradeWhenAnIndicatorFails(t *testing.T) {
	_, hunan := profiles(t)
	in := hunanScores(hunan)
	for no := range in.Scores {
		in.Scores[no] = 0
	}
	// Every item at full points but 29.3 at 2 of 5: indicator 29 scores
	// 3 + 2 + 2 = 7 of 10, under its 8. The total is 100 − 3 = 97, which
	// alone would be 优秀.
	for _, it := range hunan.ScoredItems() {
		in.Scores[it.No] = it.Points
	}
	in.Scores["29.3"] = 2
	in.Recognition = &Recognition{Complete: true, Rate: 1, Answers: 900, ByArea: map[string]AreaRate{"equity": {Rate: 1, Answers: 300},
		"sharing": {Rate: 1, Answers: 100}, "workload": {Rate: 1, Answers: 50}}}
	r := Evaluate(hunan, in)
	if r.Score.Total != 97 || r.Score.Grade != "" || r.Score.Status != Fail || !strings.Contains(r.Score.Why, "不予定等") {
		t.Errorf("97 points with indicator 29 at 7 of 10: %+v", r.Score)
	}
	in.Scores["29.3"] = 3 // 8 of 10: every indicator at 80%; 98 points → 优秀
	if r := Evaluate(hunan, in); r.Score.Grade != "优秀" || r.Score.Status != Pass {
		t.Errorf("98 points, all indicators at 80%%: %+v", r.Score)
	}
}

// Finding 5: compare exact values; round only to show, and never show a
// figure on the wrong side of its verdict.
func TestExactComparisons(t *testing.T) {
	nat, hunan := profiles(t)
	// Indicator 8 (10 points, floor 8): 8.1 = 3, 8.2 = 2, 8.3 = 1.4 by
	// hand, 8.4 = 2 × the equity and sharing rate 0.79975 = 1.5995. The
	// total 7.9995 is short of 8; rounded to 0.01 first it was 8.00, a pass.
	in := Inputs{Scores: map[string]float64{"8.1": 3, "8.2": 2, "8.3": 1.4},
		Recognition: &Recognition{Complete: true, Answers: 400, ByArea: map[string]AreaRate{"equity": {Rate: 0.79975, Answers: 300}, "sharing": {Rate: 0.79975, Answers: 100}}}}
	ir := find(t, Evaluate(hunan, in), "8")
	if ir.Status != Fail || ir.ScoreShown != "7.9995" {
		t.Errorf("7.9995 against 8: %s, shown %q", ir.Status, ir.ScoreShown)
	}
	// Teacher pay 95,999 against 96,000: 99.99896% is short of 100%, and
	// must not read "= 100%".
	r := Evaluate(nat, Inputs{Figures: map[string]float64{"teacher_pay": 95_999, "civil_pay": 96_000}})
	if c := check(t, r, "2.8", "教师平均工资"); c.Status != Fail || strings.Contains(c.Value, "= 100%") || !strings.Contains(c.Value, "99.999%") {
		t.Errorf("95,999 ÷ 96,000: %s %q", c.Status, c.Value)
	}
	// The difference rate 0.1499 is below 0.15 and must not read 0.15.
	r = Evaluate(nat, Inputs{Figures: map[string]float64{"monitoring_diff_rate": 0.1499}})
	if c := check(t, r, "3.9", "校际差异率"); c.Status != Pass || !strings.HasPrefix(c.Value, "0.1499") {
		t.Errorf("0.1499 < 0.15: %s %q", c.Status, c.Value)
	}
	for _, tc := range []struct {
		x, limit float64
		ok       func(v, limit float64) bool
		want     string
	}{
		{7.995, 8, atLeast, "7.995"},
		{8.004, 8, atLeast, "8"},
		{85.5, 86, atLeast, "85.5"},
		{0.1499, 0.15, below, "0.1499"},
		{0.15, 0.15, below, "0.15"},
		{99.99896, 100, atLeast, "99.999"},
	} {
		if got := Shown(tc.x, tc.limit, tc.ok); got != tc.want {
			t.Errorf("Shown(%v, %v) = %q, want %q", tc.x, tc.limit, got, tc.want)
		}
	}
}

// Finding 7: indicator 10's numbers are computed where the statistics
// hold them (l.199–205), and indicator 31's participation in monitoring
// within five years is its own line (l.396).
func TestIndicator10And31Computed(t *testing.T) {
	_, hunan := profiles(t)
	// 1,900 rural primary pupils: 1:19 needs 100 teachers; 99 is short.
	s := School{Name: "乡村小学", Type: county.Primary, Locale: sampling.Rural, EnrolPrimary: 1900, TeachersPrimary: 99}
	r := Evaluate(hunan, Inputs{Schools: []School{s}})
	if c := check(t, r, "10", "编制标准"); c.Status != Fail || !strings.Contains(c.Failures[0], "应有 100 名教师") {
		t.Errorf("1,900 pupils, 99 teachers: %s %v", c.Status, c.Failures)
	}
	s.TeachersPrimary = 100
	if c := check(t, Evaluate(hunan, Inputs{Schools: []School{s}}), "10", "编制标准"); c.Status != Pass {
		t.Errorf("1,900 pupils, 100 teachers: %s %v", c.Status, c.Failures)
	}
	// Junior 1:13.5: 270 pupils need 20 teachers.
	j := School{Name: "镇区初中", Type: county.Junior, Locale: sampling.Town, EnrolJunior: 270, TeachersJunior: 19}
	if c := check(t, Evaluate(hunan, Inputs{Schools: []School{j}}), "10", "编制标准"); c.Status != Fail {
		t.Errorf("270 junior pupils, 19 teachers: %s", c.Status)
	}
	// Disabled pupils in regular classes: 6,000 a year.
	r = Evaluate(hunan, Inputs{Figures: map[string]float64{"funding_disabled_inclusive": 5_500}})
	if c := check(t, r, "10", "随班就读"); c.Status != Fail {
		t.Errorf("5,500 for disabled pupils in regular classes: %s", c.Status)
	}
	// Indicator 31: participation is judged on its own line.
	yes := true
	r = Evaluate(hunan, Inputs{Judgements: map[string]Judgement{"monitoring_level": {Met: &yes}, "monitoring_followup": {Met: &yes}},
		Figures: map[string]float64{"monitoring_diff_rate": 0.1}})
	if c := check(t, r, "31", "近5年参加"); c.Status != Missing || find(t, r, "31").Status != Missing {
		t.Errorf("participation not judged: %s", c.Status)
	}
}

// Finding 8: what a profile can now say — the training-fund threshold by
// locale as the work-plan reading (l.49), and one treatment of missing data.
func TestProfileReadings(t *testing.T) {
	ps, err := LoadProfiles("")
	if err != nil {
		t.Fatal(err)
	}
	table, _ := ps.Get("hunan-xiangtan-2018")
	plan, ok := ps.Get("hunan-xiangtan-2018-workplan")
	if !ok || !strings.Contains(plan.Reading, "l.49") || !strings.Contains(table.Reading, "8%") {
		t.Fatal("the work-plan reading is not offered")
	}
	// An urban school at 6%: under the table's 8%, over the plan's 5% for
	// towns and cities. A rural school at 6% fails both.
	urban := junior("城区初中")
	urban.Locale, urban.OperatingFunds, urban.TrainingFunds = sampling.Urban, 100_000, 6_000
	rural := urban
	rural.Name, rural.Locale = "乡村初中", sampling.Rural
	for _, tc := range []struct {
		p      *Profile
		school School
		want   Status
	}{{table, urban, Fail}, {plan, urban, Pass}, {table, rural, Fail}, {plan, rural, Fail}} {
		if c := check(t, Evaluate(tc.p, Inputs{Schools: []School{tc.school}}), "28", "培训经费"); c.Status != tc.want {
			t.Errorf("%s, %s at 6%%: %s", tc.p.ID, tc.school.Name, c.Status)
		}
	}
	// Missing operating funds leave the check 待填报, not failed.
	noFunds := junior("未填经费")
	noFunds.OperatingFunds = 0
	if c := check(t, Evaluate(table, Inputs{Schools: []School{noFunds}}), "28", "培训经费"); c.Status != Missing {
		t.Errorf("no operating funds: %s", c.Status)
	}
	// But a failure elsewhere still fails it.
	short := junior("经费不足")
	short.TrainingFunds = 1_000
	if c := check(t, Evaluate(table, Inputs{Schools: []School{noFunds, short}}), "28", "培训经费"); c.Status != Fail {
		t.Errorf("one school missing, one short: %s", c.Status)
	}
	// The survey's own rules: the linked sample must have drawn 1.5‰ with
	// parents at least half (note 3, l.491): 550 parents of 1,200 is 45.8%.
	rec := &Recognition{Complete: true, Rate: 0.9, Low: 0.88, High: 0.92, Answers: 10_000, RatePPM: 1500, SampleSize: 1200, Admitted: 1200, Parents: 550}
	if c := check(t, Evaluate(table, Inputs{Recognition: rec}), "36", "说明3"); c.Status != Fail || !strings.Contains(c.Failures[0], "家长 550 份") {
		t.Errorf("45.8%% parents: %s %v", c.Status, c.Failures)
	}
	rec.Parents, rec.RatePPM = 600, 1000
	if c := check(t, Evaluate(table, Inputs{Recognition: rec}), "36", "说明3"); c.Status != Fail || !strings.Contains(c.Failures[0], "抽样比例 1‰") {
		t.Errorf("a 1‰ sample: %s %v", c.Status, c.Failures)
	}
	// A threshold conversion of a survey item: all the points at 85%.
	it := Item{No: "x", Points: 2, SurveyAreas: []string{"equity"}, Conversion: "threshold", Threshold: 0.85}
	if it.surveyPoints(0.85) != 2 || it.surveyPoints(0.8499) != 0 {
		t.Error("threshold conversion")
	}
	if p := (Item{Points: 2}).surveyPoints(0.79975); p != 1.5995 {
		t.Errorf("proportional conversion: %v", p)
	}
}

// Every check of the built-in profiles says why it reads the source as it
// does; the report prints it beside the check.
func TestEveryCheckHasItsReason(t *testing.T) {
	ps, err := LoadProfiles("")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps.All() {
		for _, ind := range p.Indicators {
			for _, c := range ind.Checks {
				if c.Note == "" {
					t.Errorf("%s indicator %s: check %q has no note", p.ID, ind.No, c.Label)
				}
			}
		}
	}
}
