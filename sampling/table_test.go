package sampling

import "testing"

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
