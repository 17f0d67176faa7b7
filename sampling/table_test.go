package sampling

import (
	"math"
	"testing"
)

func TestQuotaTableTotals(t *testing.T) {
	a, err := Allocate(Design{Population: 200_000, RatePPM: 1500, Shares: Shares{Urban: 3000, Town: 3000, Rural: 4000}})
	if err != nil {
		t.Fatal(err)
	}
	cells := make([]CellProgress, len(a.Cells))
	for i, c := range a.Cells {
		cells[i] = CellProgress{Cell: c, Admitted: c.Target / 2}
	}
	q := NewQuotaTable(a.SampleSize, cells)
	if q.Total.Target != 300 || q.Rows[0].Name != "家长" || q.Rows[0].Target != 150 {
		t.Errorf("totals: %d, first row %s %d", q.Total.Target, q.Rows[0].Name, q.Rows[0].Target)
	}
	sum := 0
	for _, c := range q.Total.Cells {
		sum += c.Target
	}
	if sum != 300 || q.Total.Cells[2].Target != 120 { // rural 40%
		t.Errorf("locale totals %+v", q.Total.Cells)
	}
	if s := (QuotaCount{Target: 4, Admitted: 6}).Share(); s != 1 {
		t.Errorf("an over-full cell shows %v", s)
	}
}

// The locale mix against the population's: shares of the admitted
// responses minus the population's shares, the widest gap named.
func TestLocaleBalance(t *testing.T) {
	for _, tt := range []struct {
		name   string
		counts map[Locale]int
		shares Shares
		dev    [3]float64 // urban, town, rural
		widest Locale
	}{
		// 60/100 urban against 40%: +0.20; town 10/100 against 30%: −0.20;
		// rural 30/100 against 30%: 0. Equal gaps: the first (urban) is named.
		{"tied", map[Locale]int{Urban: 60, Town: 10, Rural: 30}, Shares{Urban: 4000, Town: 3000, Rural: 3000}, [3]float64{0.2, -0.2, 0}, Urban},
		// 50/190 = 0.2632 urban against 0.25 (+0.0132), the same town
		// against 0.15 (+0.1132), 90/190 = 0.4737 rural against 0.60
		// (−0.1263): rural is furthest.
		{"rural short", map[Locale]int{Urban: 50, Town: 50, Rural: 90}, Shares{Urban: 2500, Town: 1500, Rural: 6000}, [3]float64{50.0/190 - 0.25, 50.0/190 - 0.15, 90.0/190 - 0.6}, Rural},
		// No responses: every share 0, the gap is −target; the widest is the largest target.
		{"none", nil, Shares{Urban: 2000, Town: 3000, Rural: 5000}, [3]float64{-0.2, -0.3, -0.5}, Rural},
	} {
		gaps := LocaleBalance(tt.counts, tt.shares)
		for i, g := range gaps {
			if math.Abs(g.Deviation-tt.dev[i]) > 1e-9 || g.Locale != Locales[i] {
				t.Errorf("%s: %s deviation %.4f, want %.4f", tt.name, g.Locale, g.Deviation, tt.dev[i])
			}
		}
		if w := WidestGap(gaps); w.Locale != tt.widest {
			t.Errorf("%s: widest %s, want %s", tt.name, w.Locale, tt.widest)
		}
	}
}
