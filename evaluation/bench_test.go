package evaluation_test

import (
	"testing"

	"renke/demo"
	"renke/evaluation"
)

// BenchmarkEvaluate300 evaluates a county of 300 schools by the Hunan
// profile (the larger one), every indicator and the gap plans included.
// The target is under 50 ms.
func BenchmarkEvaluate300(b *testing.B) {
	ps, err := evaluation.LoadProfiles("")
	if err != nil {
		b.Fatal(err)
	}
	p, _ := ps.Get("hunan-xiangtan-2018")
	in := evaluation.Inputs{Schools: demo.County(300, 1), Figures: map[string]float64{"retention_junior_pct": 99.2}}
	var r evaluation.Result
	for b.Loop() {
		r = evaluation.Evaluate(p, in)
	}
	if len(r.Resources.Parts) < 300 || len(r.Gaps.Schools) == 0 {
		b.Fatalf("parts %d, plans %d: the fixture should have failing schools", len(r.Resources.Parts), len(r.Gaps.Schools))
	}
}

// TestSyntheticCountyParts checks the benchmark's county has what makes
// the work real: excluded schools and both levels' coefficients.
func TestSyntheticCountyParts(t *testing.T) {
	ps, _ := evaluation.LoadProfiles("")
	p, _ := ps.Get("national-2017")
	r := evaluation.Evaluate(p, evaluation.Inputs{Schools: demo.County(300, 1)})
	if len(r.Resources.Excluded) == 0 || len(r.Resources.Spreads) != 14 {
		t.Errorf("excluded %d, spreads %d", len(r.Resources.Excluded), len(r.Resources.Spreads))
	}
}
