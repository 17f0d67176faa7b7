package survey

import (
	"math"
	"testing"

	"renke/sampling"
)

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-6 {
		t.Errorf("%s = %.7f, want %.7f", what, got, want)
	}
}

func TestWilson(t *testing.T) {
	for _, tc := range []struct{ k, n, low, high float64 }{
		{8, 10, 0.4901625, 0.9433178}, // the textbook example
		{0, 10, 0, 0.2775328},
		{10, 10, 0.7224672, 1},
		{85, 100, 0.7671644, 0.9069401},
	} {
		iv := Wilson(tc.k, tc.n)
		near(t, "low", iv.Low, tc.low)
		near(t, "high", iv.High, tc.high)
	}
	if iv := Wilson(0, 0); iv != (Interval{}) {
		t.Errorf("empty interval %+v", iv)
	}
}

func testQuestionnaire() Questionnaire {
	q := Bank()[0]
	q.Items = []Item{{ID: "Q1", Area: Equity, Text: "一"}, {ID: "Q2", Area: Quality, Text: "二"}}
	return q
}

// byHand is a data set small enough to score by hand (items Q1 equity and
// Q2 quality; A 满意 100, B 比较满意 80, C 一般 60, D 不满意 0, X 不了解):
//
//	parent / urban / 一小:  p1 A A · p2 A B · p3 B C · p4 X D
//	teacher / rural / 二中: t1 A A · t2 D A
func byHand(q *Questionnaire) []Respondent {
	p := func(q1, q2 string) Respondent {
		return Respondent{Form: q, Category: sampling.Parent, Locale: sampling.Urban, School: "一小", Answers: map[string]string{"Q1": q1, "Q2": q2}}
	}
	t := func(q1, q2 string) Respondent {
		return Respondent{Form: q, Category: sampling.Teacher, Locale: sampling.Rural, School: "二中", Answers: map[string]string{"Q1": q1, "Q2": q2}}
	}
	return []Respondent{p("A", "A"), p("A", "B"), p("B", "C"), p("X", "D"), t("A", "A"), t("D", "A")}
}

func TestScoreByHand(t *testing.T) {
	q := testQuestionnaire()
	s := Scoring{
		Questionnaires: []Questionnaire{q},
		QuotaShares:    map[sampling.Category]float64{sampling.Parent: 0.5, sampling.Teacher: 1.0 / 12},
		Method:         TopTwo,
		Threshold:      0.85,
	}
	counts, people := Tabulate(byHand(&q))
	// An option and an item the questionnaires do not have are ignored.
	counts = append(counts, Count{Item: "Q1", Option: "Z", Category: sampling.Parent, Locale: sampling.Urban, N: 50},
		Count{Item: "Q9", Option: "A", Category: sampling.Parent, Locale: sampling.Urban, N: 50})
	r := Score(s, counts, people)
	if r.Answers != 11 || r.DontKnow != 1 || r.Respondents != 6 {
		t.Fatalf("answers %d, don't know %d, respondents %d; want 11, 1 and 6", r.Answers, r.DontKnow, r.Respondents)
	}
	// Top two, per respondent (y, a): p1 (2,2) p2 (2,2) p3 (1,2) p4 (0,1)
	// t1 (2,2) t2 (1,2): R = 8/11. Residuals y − R·a: 6/11 ×3, −5/11 ×2,
	// −8/11; their squares add up to (108 + 50 + 64)/121 = 222/121, so
	// V = 6/5 · 222/121 / 121 = 0.018195 and R(1−R)/V = 10.9: more than the
	// 6 respondents, so n_eff = 6 and the interval is Wilson's for 48/11 of 6,
	// wider than Wilson's for 8 of the 11 answers.
	want := Wilson(6*8.0/11, 6)
	top2 := r.Methods[0]
	near(t, "top2 rate", top2.Rate, 8.0/11)
	near(t, "top2 low", top2.Low, want.Low)
	near(t, "top2 high", top2.High, want.High)
	if perAnswer := Wilson(8, 11); top2.High-top2.Low <= perAnswer.High-perAnswer.Low {
		t.Errorf("interval %.3f–%.3f no wider than per answer %.3f–%.3f", top2.Low, top2.High, perAnswer.Low, perAnswer.High)
	}
	rates := map[Method]float64{
		TopTwo: 8.0 / 11,
		// 9 of 11 answers in the top three (p3's C, not p4's D or t2's D).
		TopThree: 9.0 / 11,
		// (200 + 180 + 140 + 0 + 200 + 100) / 11 = 74.545 points.
		WeightedPoints: 820.0 / 11 / 100,
		// parents 5/7 weighted 6/7, teachers 3/4 weighted 1/7.
		CategoryWeighted: 6.0/7*5.0/7 + 1.0/7*0.75,
	}
	for _, m := range r.Methods {
		near(t, string(m.Method)+" rate", m.Rate, rates[m.Method])
		// No pooled interval is narrower than six independent people's (the
		// category-weighted one is stratified: weighting may narrow it).
		if floor := Wilson(6*m.Rate, 6); m.Method != CategoryWeighted && (m.Low > floor.Low+1e-9 || m.High < floor.High-1e-9) {
			t.Errorf("%s: %.4f–%.4f narrower than Wilson on 6 respondents %.4f–%.4f", m.Method, m.Low, m.High, floor.Low, floor.High)
		}
		if m.Pass != (rates[m.Method] >= 0.85) {
			t.Errorf("%s pass = %v", m.Method, m.Pass)
		}
	}
	if r.Result.Method != TopTwo || r.Margin != NoiseFail {
		t.Errorf("result %s margin %s, want top2 noise_fail", r.Result.Method, r.Margin)
	}

	groups := map[string][]Group{"item": r.ByItem, "area": r.ByArea, "category": r.ByCategory, "school": r.BySchool, "locale": r.ByLocale}
	for _, tc := range []struct {
		by, key   string
		people, n int64
		rate      float64
	}{
		{"item", "Q1", 5, 5, 4.0 / 5},
		{"item", "Q2", 6, 6, 4.0 / 6},
		{"area", "equity", 5, 5, 4.0 / 5},
		{"area", "quality", 6, 6, 4.0 / 6},
		{"category", "parent", 4, 7, 5.0 / 7},
		{"category", "teacher", 2, 4, 0.75},
		{"school", "一小", 4, 7, 5.0 / 7},
		{"school", "二中", 2, 4, 0.75},
		{"locale", "urban", 4, 7, 5.0 / 7},
		{"locale", "rural", 2, 4, 0.75},
	} {
		found := false
		for _, g := range groups[tc.by] {
			if g.Key == tc.key {
				found = true
				if g.Answers != tc.n || g.Respondents != tc.people {
					t.Errorf("%s %s: %d answers of %d respondents, want %d of %d", tc.by, tc.key, g.Answers, g.Respondents, tc.n, tc.people)
				}
				near(t, tc.by+" "+tc.key, g.TopTwo.Rate, tc.rate)
				if floor := Wilson(float64(tc.people)*tc.rate, float64(tc.people)); g.Interval.Low > floor.Low+1e-9 {
					t.Errorf("%s %s: low %.4f above Wilson on its %d respondents %.4f", tc.by, tc.key, g.Interval.Low, tc.people, floor.Low)
				}
			}
		}
		if !found {
			t.Errorf("no %s group %s", tc.by, tc.key)
		}
	}
	if r.BySchool[0].Key != "一小" {
		t.Errorf("weakest school first: got %s", r.BySchool[0].Key)
	}
	if r.ByItem[0].Key != "Q2" || r.ByItem[1].DontKnow != 1 {
		t.Errorf("Q2 first, Q1 with the one don't-know: %+v", r.ByItem)
	}
}

// allAlike is n respondents who each answer every item of q with option.
func allAlike(q *Questionnaire, n int, option string) []Respondent {
	var out []Respondent
	for range n {
		a := map[string]string{}
		for _, it := range q.Items {
			a[it.ID] = option
		}
		out = append(out, Respondent{Form: q, Category: sampling.Parent, Locale: sampling.Urban, Answers: a})
	}
	return out
}

// Eleven answers from one person are not eleven observations.
func TestIntervalCountsPeople(t *testing.T) {
	q := Bank()[0] // the social questionnaire: 11 items or more
	if len(q.Items) < 11 {
		t.Fatalf("the social questionnaire has %d items", len(q.Items))
	}
	shares := map[sampling.Category]float64{sampling.Parent: 0.5}
	score := func(rs []Respondent) Report {
		c, p := Tabulate(rs)
		return Score(Scoring{Questionnaires: []Questionnaire{q}, QuotaShares: shares, Method: TopTwo, Threshold: 0.85}, c, p)
	}
	// Three people, all 满意 throughout: n = 3, and no method claims more
	// than Wilson's 3 of 3 (lower bound 0.4385).
	r := score(allAlike(&q, 3, "A"))
	if r.Respondents != 3 {
		t.Errorf("n = %d, want 3", r.Respondents)
	}
	w3 := Wilson(3, 3)
	for _, m := range r.Methods {
		if m.Low > w3.Low+1e-9 {
			t.Errorf("3 all-satisfied, %s: lower bound %.4f above Wilson's 3 of 3 (%.4f)", m.Method, m.Low, w3.Low)
		}
	}
	if r.Margin == Clear {
		t.Errorf("3 respondents: margin %s", r.Margin)
	}
	// Ten satisfied and ten dissatisfied throughout: as wide as Wilson's 10
	// of 20 at least, for every method.
	r = score(append(allAlike(&q, 10, "A"), allAlike(&q, 10, "D")...))
	w := Wilson(10, 20)
	for _, m := range r.Methods {
		if m.High-m.Low < w.High-w.Low-1e-9 {
			t.Errorf("10 + 10, %s: %.4f–%.4f narrower than Wilson's 10 of 20 (%.4f–%.4f)", m.Method, m.Low, m.High, w.Low, w.High)
		}
	}
	for _, g := range r.ByCategory {
		if g.Respondents != 20 || g.Interval.High-g.Interval.Low < w.High-w.Low-1e-9 {
			t.Errorf("category %s: n %d, interval %.4f–%.4f", g.Key, g.Respondents, g.Interval.Low, g.Interval.High)
		}
	}
}

func TestScoreMargins(t *testing.T) {
	q := testQuestionnaire()
	mk := func(top, rest int) ([]Count, []GroupSums) {
		var rs []Respondent
		for i := range top + rest {
			o := "A"
			if i >= top {
				o = "D"
			}
			rs = append(rs, Respondent{Form: &q, Category: sampling.Parent, Locale: sampling.Urban, Answers: map[string]string{"Q1": o}})
		}
		return Tabulate(rs)
	}
	for _, tc := range []struct {
		top, rest int
		margin    Margin
		pass      bool
	}{
		{950, 50, Clear, true},     // 95%, interval well above 85%
		{87, 13, NoisePass, true},  // 87% of 100: above the line, within noise
		{85, 15, NoisePass, true},  // exactly 85% passes
		{82, 18, NoiseFail, false}, // 82% of 100: below, within noise
		{700, 300, Below, false},   // 70% of 1000
		{0, 0, Below, false},       // nothing counted passes nothing
	} {
		c, p := mk(tc.top, tc.rest)
		r := Score(Scoring{Questionnaires: []Questionnaire{q}, Method: TopTwo, Threshold: 0.85}, c, p)
		if r.Margin != tc.margin || r.Result.Pass != tc.pass {
			t.Errorf("%d/%d: margin %s pass %v, want %s %v", tc.top, tc.top+tc.rest, r.Margin, r.Result.Pass, tc.margin, tc.pass)
		}
	}
}

// The verdict waits for the sample: short of the design or of the parents'
// floor, every report is provisional and says by how much.
func TestVerdictWaitsForTheSample(t *testing.T) {
	for _, tc := range []struct {
		s         SampleState
		shortfall string
	}{
		{SampleState{Designed: 977, Counted: 10, ParentFloorMet: true}, "样本未达设计量：已纳入 10 / 977，结论为暂定"},
		{SampleState{Designed: 977, Counted: 10}, "样本未达设计量：已纳入 10 / 977，且家长占比未达 50%，结论为暂定"},
		{SampleState{Designed: 977, Counted: 1000}, "家长占比未达 50%，结论为暂定"},
		{SampleState{Counted: 5, ParentFloorMet: true}, "样本量尚未确定（调查未开始），结论为暂定"},
		{SampleState{Designed: 977, Counted: 977, ParentFloorMet: true}, ""},
	} {
		r := Score(Scoring{Method: TopTwo, Threshold: 0.85, Sample: tc.s}, nil, nil)
		if r.Shortfall != tc.shortfall || r.Provisional != (tc.shortfall != "") {
			t.Errorf("%+v: provisional %v %q, want %q", tc.s, r.Provisional, r.Shortfall, tc.shortfall)
		}
	}
}

func TestBankIsValid(t *testing.T) {
	for _, q := range Bank() {
		if err := q.Validate(); err != nil {
			t.Errorf("%s: %v", q.Kind, err)
		}
		areas := map[Area]bool{}
		for _, it := range q.Items {
			areas[it.Area] = true
		}
		if q.Kind != StudentForm && len(areas) < len(Areas) {
			t.Errorf("%s covers %d of %d content areas", q.Kind, len(areas), len(Areas))
		}
	}
}

// A response stores its answers as 'item=option' pairs joined by commas,
// so no code may hold either sign.
func TestCodesCannotHoldAnswerSeparators(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(q *Questionnaire)
	}{
		{"item id with a comma", func(q *Questionnaire) { q.Items[0].ID = "S,01" }},
		{"item id with an equals sign", func(q *Questionnaire) { q.Items[0].ID = "S=01" }},
		{"option with a comma", func(q *Questionnaire) { q.Scale[0].Value = "A," }},
		{"option with an equals sign", func(q *Questionnaire) { q.Scale[0].Value = "=A" }},
	} {
		q := Bank()[0]
		tc.edit(&q)
		if err := q.Validate(); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}

// A changed setting is shown as staff typed it, never with a float's noise.
func TestSettingChangesRead(t *testing.T) {
	a := Campaign{Threshold: 0.85, Method: TopTwo, RatePPM: 1500, Policy: sampling.Cap}
	b := a
	b.Threshold, b.Method = 0.29, TopThree
	verdict, other := settingChanges(a, b)
	if len(other) != 0 || len(verdict) != 2 || verdict[0].String() != "达标线：85% → 29%" || verdict[1].String() != "计分方法：满意度前两级占比 → 满意度前三级占比" {
		t.Errorf("verdict %v, other %v", verdict, other)
	}
}
