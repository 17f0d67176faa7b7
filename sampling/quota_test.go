package sampling

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestSampleSize(t *testing.T) {
	for _, tc := range []struct {
		population int64
		rate, min  int
		want       int
	}{
		{800_000, 1500, 0, 1200},   // exact: no float rounding up to 1201
		{1_234_567, 1500, 0, 1852}, // ⌈1851.85⌉
		{300_000, 1500, 0, 450},
		{812_345, 1500, 0, 1219},     // ⌈1218.5175⌉
		{300_000, 1500, 600, 600},    // the 2012 minimum for small counties
		{1_000_000, 1500, 600, 1500}, // minimum below N changes nothing
		{1, 1500, 0, 1},              // any positive population samples someone
		{666_667, 1500, 0, 1001},     // 1000.0005 rounds up
		{666_666, 1500, 0, 1000},     // 999.999 rounds up to 1000
		{1_410_000_000, 1500, 0, 2_115_000},
	} {
		if got := SampleSize(tc.population, tc.rate, tc.min); got != tc.want {
			t.Errorf("SampleSize(%d, %d, %d) = %d, want %d", tc.population, tc.rate, tc.min, got, tc.want)
		}
	}
}

func TestAllocate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		design Design
		n      int
		cats   map[Category]int
		cells  map[Category]map[Locale]int // only the categories checked
	}{
		{
			name:   "800k, even split",
			design: Design{Population: 800_000, RatePPM: 1500, Shares: Shares{Urban: 5000, Town: 3000, Rural: 2000}},
			n:      1200,
			cats:   map[Category]int{Parent: 600, Student: 100, Teacher: 100, Resident: 100, Principal: 100, NPCDeputy: 100, CPPCC: 100},
			cells: map[Category]map[Locale]int{
				Parent:  {Urban: 300, Town: 180, Rural: 120},
				Student: {Urban: 50, Town: 30, Rural: 20},
			},
		},
		{
			// N = 1219; parents ⌈609.5⌉ = 610; rest 609 = 6×101 + 3 → students,
			// teachers and residents get 102.
			name:   "812,345 with uneven shares",
			design: Design{Population: 812_345, RatePPM: 1500, Shares: Shares{Urban: 4123, Town: 3456, Rural: 2421}},
			n:      1219,
			cats:   map[Category]int{Parent: 610, Student: 102, Teacher: 102, Resident: 102, Principal: 101, NPCDeputy: 101, CPPCC: 101},
			cells: map[Category]map[Locale]int{
				// 610 × .4123 = 251.503, × .3456 = 210.816, × .2421 = 147.681:
				// floors 251+210+147 = 608, the 2 left go to .816 and .681.
				Parent: {Urban: 251, Town: 211, Rural: 148},
				// 102 × .4123 = 42.0546, × .3456 = 35.2512, × .2421 = 24.6942:
				// floors 42+35+24 = 101, the 1 left goes to .6942.
				Student: {Urban: 42, Town: 35, Rural: 25},
				// 101 × .4123 = 41.6423, × .3456 = 34.9056, × .2421 = 24.4521:
				// floors 41+34+24 = 99, the 2 left go to .9056 and .6423.
				CPPCC: {Urban: 42, Town: 35, Rural: 24},
			},
		},
		{
			// N = 450; parents 225; rest 225 = 6×37 + 3.
			name:   "300k, thirds",
			design: Design{Population: 300_000, RatePPM: 1500, Shares: Shares{Urban: 3334, Town: 3333, Rural: 3333}},
			n:      450,
			cats:   map[Category]int{Parent: 225, Student: 38, Teacher: 38, Resident: 38, Principal: 37, NPCDeputy: 37, CPPCC: 37},
			cells: map[Category]map[Locale]int{
				// 225 × .3334 = 75.015, × .3333 = 74.9925 twice: floors 75+74+74,
				// the 2 left go to the two .9925 remainders.
				Parent: {Urban: 75, Town: 75, Rural: 75},
				// The locale totals: 450 × .3334 = 150.03, × .3333 = 149.985
				// twice: floors 150+149+149, the 2 left to the .985s:
				// 150/150/150. After the parents, each locale needs 75 more;
				// the six others' floors give 12 × 6 = 72, so 3 more each.
				// Students, teachers, residents (38: 12.6692, 12.6654 twice)
				// round up 2 cells each; principals, NPC deputies, CPPCC
				// members (37: 12.3358, 12.3321 twice) 1 cell each. Rounding
				// the 37-rows' urban cell up (their own largest remainder)
				// would give urban 6 more and rural none: 153/150/147, the
				// drift controlled rounding removes. The cheapest rounding
				// with 3 up per locale sends the 38-rows up in urban and town
				// (their own choice) and the 37-rows up in rural (cost
				// .3358+.3321+.6679 each, against .6642+.3321+.3321 in urban).
				Student:   {Urban: 13, Town: 13, Rural: 12},
				NPCDeputy: {Urban: 12, Town: 12, Rural: 13},
			},
		},
		{
			name:   "1,234,567, all urban",
			design: Design{Population: 1_234_567, RatePPM: 1500, Shares: Shares{Urban: 10000}},
			n:      1852,
			cats:   map[Category]int{Parent: 926, Student: 155, Teacher: 155, Resident: 154, Principal: 154, NPCDeputy: 154, CPPCC: 154},
			cells:  map[Category]map[Locale]int{Parent: {Urban: 926, Town: 0, Rural: 0}},
		},
		{
			// Odd N: parents get the larger half so the 50% floor holds.
			name:   "odd sample, minimum on",
			design: Design{Population: 100_000, RatePPM: 1500, MinSample: 601, Shares: Shares{Urban: 2000, Town: 2000, Rural: 6000}},
			n:      601,
			cats:   map[Category]int{Parent: 301, Student: 50, Teacher: 50, Resident: 50, Principal: 50, NPCDeputy: 50, CPPCC: 50},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Allocate(tc.design)
			if err != nil {
				t.Fatal(err)
			}
			if a.SampleSize != tc.n {
				t.Fatalf("sample size %d, want %d", a.SampleSize, tc.n)
			}
			sum := 0
			for c, want := range tc.cats {
				if got := a.ByCategory[c]; got != want {
					t.Errorf("%s: %d, want %d", c, got, want)
				}
			}
			perCat := map[Category]int{}
			for _, cell := range a.Cells {
				sum += cell.Target
				perCat[cell.Category] += cell.Target
			}
			if sum != tc.n {
				t.Errorf("cells add up to %d, want %d", sum, tc.n)
			}
			for c, n := range perCat {
				if n != a.ByCategory[c] {
					t.Errorf("%s cells add up to %d, category has %d", c, n, a.ByCategory[c])
				}
			}
			if 2*a.ByCategory[Parent] < a.SampleSize {
				t.Errorf("parents %d below 50%% of %d", a.ByCategory[Parent], a.SampleSize)
			}
			for c, locales := range tc.cells {
				for l, want := range locales {
					if got := a.Target(c, l); got != want {
						t.Errorf("%s/%s: %d, want %d", c, l, got, want)
					}
				}
			}
		})
	}
}

func TestAllocateRejectsBadDesign(t *testing.T) {
	for name, d := range map[string]Design{
		"no population":    {RatePPM: 1500, Shares: Shares{Urban: 10000}},
		"shares short":     {Population: 1000, RatePPM: 1500, Shares: Shares{Urban: 5000, Town: 4000}},
		"negative share":   {Population: 1000, RatePPM: 1500, Shares: Shares{Urban: 11000, Town: -1000}},
		"zero rate":        {Population: 1000, Shares: Shares{Urban: 10000}},
		"negative minimum": {Population: 1000, RatePPM: 1500, MinSample: -1, Shares: Shares{Urban: 10000}},
	} {
		if _, err := Allocate(d); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestLargestRemainderAlwaysAddsUp(t *testing.T) {
	shares := []Shares{{3333, 3333, 3334}, {1, 1, 9998}, {0, 0, 10000}, {5000, 5000, 0}, {1234, 5678, 3088}}
	for _, s := range shares {
		for total := 0; total < 500; total++ {
			split := LargestRemainder(total, s)
			if got := split[Urban] + split[Town] + split[Rural]; got != total {
				t.Fatalf("%v total %d: split adds up to %d", s, total, got)
			}
			for _, l := range Locales {
				exact := float64(total) * float64(s.Of(l)) / 10000
				if math.Abs(float64(split[l])-exact) >= 1 {
					t.Fatalf("%v total %d: %s got %d, exact %.4f", s, total, l, split[l], exact)
				}
			}
		}
	}
}

func TestGradeBalance(t *testing.T) {
	got := GradeBalance(map[GradeBand]int{Grades12: 10, Grades34: 30, Grades56: 40, Grades79: 20})
	want := []float64{-0.15, 0.05, 0.15, -0.05}
	for i, b := range got {
		if math.Abs(b.Deviation-want[i]) > 1e-12 {
			t.Errorf("%s deviation %.4f, want %.4f", b.Band, b.Deviation, want[i])
		}
	}
	for _, b := range GradeBalance(nil) {
		if b.Share != 0 || b.Deviation != 0 {
			t.Errorf("empty balance: %+v", b)
		}
	}
}

func TestGrant(t *testing.T) {
	cells := []CellProgress{
		{Cell: Cell{Category: Parent, Locale: Urban, Target: 3}, Admitted: 1},
		{Cell: Cell{Category: Teacher, Locale: Rural, Target: 1}, Admitted: 1},
	}
	pu, tr, nx := Place{Parent, Urban}, Place{Teacher, Rural}, Place{Resident, Town}
	tests := []struct {
		name   string
		wants  []Place
		policy Policy
		got    []bool
		given  map[Place]int
	}{
		{"room for two of three", []Place{pu, pu, pu}, Cap, []bool{true, true, false}, map[Place]int{pu: 2}},
		{"full cell admits none", []Place{tr, pu}, Cap, []bool{false, true}, map[Place]int{pu: 1}},
		{"floor admits all", []Place{tr, tr, pu, pu, pu}, Floor, []bool{true, true, true, true, true}, map[Place]int{tr: 2, pu: 3}},
		{"no such cell", []Place{nx}, Floor, []bool{false}, map[Place]int{}},
		{"empty group", nil, Cap, []bool{}, map[Place]int{}},
	}
	for _, tt := range tests {
		got, given := Grant(cells, tt.wants, tt.policy)
		if fmt.Sprint(got) != fmt.Sprint(tt.got) || fmt.Sprint(given) != fmt.Sprint(tt.given) {
			t.Errorf("%s: got %v %v, want %v %v", tt.name, got, given, tt.got, tt.given)
		}
	}
}

// The whole sample's locale mix: each locale total within one place of
// N × share, each cell within one place of its exact quota (its
// category's places × share), each category adding up to its places.
func TestAllocateControlsLocaleTotals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		design Design
		totals map[Locale]int // worked by hand where given
	}{
		// 399,999 × 1.5‰ = 599.9985 → 600. 600 × .333 = 199.8 twice and
		// × .334 = 200.4: floors 199+199+200, the 2 left to the .8s:
		// 200/200/200. Rounding each category alone gave 202/196/202.
		{"399,999 at 33.3/33.3/33.4", Design{Population: 399_999, RatePPM: 1500, Shares: Shares{Urban: 3330, Town: 3330, Rural: 3340}},
			map[Locale]int{Urban: 200, Town: 200, Rural: 200}},
		// 2,000,001 × 1.5‰ = 3000.0015 → 3001. × .001 = 3.001 twice, ×
		// .998 = 2994.998: floors 3+3+2994 = 3000, the 1 left to .998.
		{"2,000,001 at 0.1/0.1/99.8", Design{Population: 2_000_001, RatePPM: 1500, Shares: Shares{Urban: 10, Town: 10, Rural: 9980}},
			map[Locale]int{Urban: 3, Town: 3, Rural: 2995}},
		// 800,000 × 1.5‰ = 1200; × .5/.3/.2 = 600/360/240 exactly.
		{"800,000 at 50/30/20", Design{Population: 800_000, RatePPM: 1500, Shares: Shares{Urban: 5000, Town: 3000, Rural: 2000}},
			map[Locale]int{Urban: 600, Town: 360, Rural: 240}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Allocate(tc.design)
			if err != nil {
				t.Fatal(err)
			}
			checkControlled(t, a, tc.design.Shares)
			for l, want := range tc.totals {
				got := 0
				for _, c := range Categories {
					got += a.Target(c, l)
				}
				if got != want {
					t.Errorf("%s total %d, want %d", l, got, want)
				}
			}
		})
	}
	// N = 1 … 12 (a population of N × 1000 at 1‰), across awkward shares.
	for n := 1; n <= 12; n++ {
		for _, s := range []Shares{{3330, 3330, 3340}, {10, 10, 9980}, {3334, 3333, 3333}, {5000, 2500, 2500}, {0, 0, 10000}, {4999, 1, 5000}} {
			a, err := Allocate(Design{Population: int64(n) * 1000, RatePPM: 1000, Shares: s})
			if err != nil || a.SampleSize != n {
				t.Fatalf("N=%d: %v, size %d", n, err, a.SampleSize)
			}
			checkControlled(t, a, s)
		}
	}
}

// A property over random designs.
func TestAllocateControlledOnRandomDesigns(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 2026))
	for range 3000 {
		u := rng.IntN(10001)
		tw := rng.IntN(10001 - u)
		s := Shares{Urban: u, Town: tw, Rural: 10000 - u - tw}
		d := Design{Population: 1 + rng.Int64N(3_000_000), RatePPM: 1500, Shares: s}
		if rng.IntN(4) == 0 {
			d.Population = 1 + rng.Int64N(20_000) // small samples: the hard cases
		}
		a, err := Allocate(d)
		if err != nil {
			t.Fatal(err)
		}
		if !checkControlled(t, a, s) {
			t.Fatalf("design %+v", d)
		}
	}
}

// checkControlled reports whether a is a controlled rounding of its exact
// table, and says where it is not.
func checkControlled(t *testing.T, a Allocation, s Shares) bool {
	t.Helper()
	ok := true
	totals := map[Locale]int{}
	for _, c := range Categories {
		row := 0
		for _, l := range Locales {
			got := a.Target(c, l)
			exact := a.ByCategory[c] * s.Of(l) // in 1/10,000 place
			if d := got*10000 - exact; d <= -10000 || d >= 10000 {
				t.Errorf("N=%d %s/%s: %d against exact %.4f", a.SampleSize, c, l, got, float64(exact)/10000)
				ok = false
			}
			row += got
			totals[l] += got
		}
		if row != a.ByCategory[c] {
			t.Errorf("N=%d %s: cells add to %d, want %d", a.SampleSize, c, row, a.ByCategory[c])
			ok = false
		}
	}
	for _, l := range Locales {
		exact := a.SampleSize * s.Of(l)
		if d := totals[l]*10000 - exact; d <= -10000 || d >= 10000 {
			t.Errorf("N=%d %s total %d against exact %.4f", a.SampleSize, l, totals[l], float64(exact)/10000)
			ok = false
		}
	}
	return ok
}
