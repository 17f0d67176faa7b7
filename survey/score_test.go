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

// counts is a data set small enough to score by hand:
//
//	parent / urban / 一小:  Q1 A6 B2 C1 D1 X2;  Q2 A3 B3 C2 D2
//	teacher / rural / 二中: Q1 A1 B1 C1 D1;     Q2 A4
func counts() []Count {
	var out []Count
	add := func(cat sampling.Category, loc sampling.Locale, school, item string, opts map[string]int64) {
		for o, n := range opts {
			out = append(out, Count{Item: item, Option: o, Category: cat, Locale: loc, School: school, N: n})
		}
	}
	add(sampling.Parent, sampling.Urban, "一小", "Q1", map[string]int64{"A": 6, "B": 2, "C": 1, "D": 1, "X": 2})
	add(sampling.Parent, sampling.Urban, "一小", "Q2", map[string]int64{"A": 3, "B": 3, "C": 2, "D": 2})
	add(sampling.Teacher, sampling.Rural, "二中", "Q1", map[string]int64{"A": 1, "B": 1, "C": 1, "D": 1})
	add(sampling.Teacher, sampling.Rural, "二中", "Q2", map[string]int64{"A": 4})
	// An option and an item the questionnaires do not have are ignored.
	out = append(out, Count{Item: "Q1", Option: "Z", Category: sampling.Parent, Locale: sampling.Urban, N: 50},
		Count{Item: "Q9", Option: "A", Category: sampling.Parent, Locale: sampling.Urban, N: 50})
	return out
}

func TestScoreByHand(t *testing.T) {
	s := Scoring{
		Questionnaires: []Questionnaire{testQuestionnaire()},
		QuotaShares:    map[sampling.Category]float64{sampling.Parent: 0.5, sampling.Teacher: 1.0 / 12},
		Method:         TopTwo,
		Threshold:      0.85,
	}
	r := Score(s, counts())
	if r.Answers != 28 || r.DontKnow != 2 {
		t.Fatalf("answers %d, don't know %d; want 28 and 2", r.Answers, r.DontKnow)
	}
	want := map[Method]Interval{
		// 20 of 28 answers are 满意/比较满意.
		TopTwo: {20.0 / 28, 0.5294071, 0.8474600},
		// 24 of 28 are in the top three.
		TopThree: {24.0 / 28, 0.6851020, 0.9430099},
		// (820 + 660 + 240 + 400) / 28 = 75.714 points.
		WeightedPoints: {2120.0 / 28 / 100, 0.6290596, 0.8852261},
		// parents 14/20 weighted 6/7, teachers 6/8 weighted 1/7.
		CategoryWeighted: {6.0/7*0.7 + 1.0/7*0.75, 0.5297406, 0.8845451},
	}
	for _, m := range r.Methods {
		w := want[m.Method]
		near(t, string(m.Method)+" rate", m.Rate, w.Rate)
		near(t, string(m.Method)+" low", m.Low, w.Low)
		near(t, string(m.Method)+" high", m.High, w.High)
		if m.Pass != (w.Rate >= 0.85) {
			t.Errorf("%s pass = %v", m.Method, m.Pass)
		}
	}
	if r.Result.Method != TopTwo || r.Margin != Below {
		t.Errorf("result %s margin %s, want top2 below", r.Result.Method, r.Margin)
	}

	groups := map[string][]Group{"item": r.ByItem, "area": r.ByArea, "category": r.ByCategory, "school": r.BySchool, "locale": r.ByLocale}
	for _, tc := range []struct {
		by, key string
		n       int64
		rate    float64
	}{
		{"item", "Q1", 14, 10.0 / 14},
		{"item", "Q2", 14, 10.0 / 14},
		{"area", "equity", 14, 10.0 / 14},
		{"area", "quality", 14, 10.0 / 14},
		{"category", "parent", 20, 0.7},
		{"category", "teacher", 8, 0.75},
		{"school", "一小", 20, 0.7},
		{"school", "二中", 8, 0.75},
		{"locale", "urban", 20, 0.7},
		{"locale", "rural", 8, 0.75},
	} {
		found := false
		for _, g := range groups[tc.by] {
			if g.Key == tc.key {
				found = true
				if g.Answers != tc.n {
					t.Errorf("%s %s: %d answers, want %d", tc.by, tc.key, g.Answers, tc.n)
				}
				near(t, tc.by+" "+tc.key, g.TopTwo.Rate, tc.rate)
			}
		}
		if !found {
			t.Errorf("no %s group %s", tc.by, tc.key)
		}
	}
	if r.BySchool[0].Key != "一小" {
		t.Errorf("weakest school first: got %s", r.BySchool[0].Key)
	}
	if r.ByItem[0].Key != "Q1" || r.ByItem[0].DontKnow != 2 {
		t.Errorf("Q1 first (a tie, broken by key) with the 2 don't-knows: %+v", r.ByItem[0])
	}
}

func TestScoreMargins(t *testing.T) {
	q := testQuestionnaire()
	mk := func(top, rest int64) []Count {
		return []Count{{Item: "Q1", Option: "A", Category: sampling.Parent, Locale: sampling.Urban, N: top},
			{Item: "Q1", Option: "D", Category: sampling.Parent, Locale: sampling.Urban, N: rest}}
	}
	for _, tc := range []struct {
		top, rest int64
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
		r := Score(Scoring{Questionnaires: []Questionnaire{q}, Method: TopTwo, Threshold: 0.85}, mk(tc.top, tc.rest))
		if r.Margin != tc.margin || r.Result.Pass != tc.pass {
			t.Errorf("%d/%d: margin %s pass %v, want %s %v", tc.top, tc.top+tc.rest, r.Margin, r.Result.Pass, tc.margin, tc.pass)
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
