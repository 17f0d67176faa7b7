package sampling

import (
	"math"
	"strconv"
)

// ParentFloor is the least share of parents in the admitted sample: 原则上
// 不低于50% (seed 004, explanatory note 3; the 2024 national notices).
const ParentFloor = 0.5

// ParentFloorMet reports whether parents make up at least ParentFloor of
// the admitted responses; with none admitted yet it is not met.
func ParentFloorMet(parents, admitted int) bool {
	return admitted > 0 && float64(parents) >= ParentFloor*float64(admitted)
}

// QuotaTable is an allocation as a category × locale table, with what has
// been admitted to each cell and the totals of every row and column. It is
// the one definition of the quota counts that the dashboard, the dossier,
// the unit preview and the exports show.
type QuotaTable struct {
	// Started: the campaign is open or closed, so every cell shows what
	// it admitted, 0 included ("0 / 18"); a draft or a preview shows
	// targets only.
	Started    bool
	SampleSize int
	Locales    []Locale
	Rows       []QuotaRow
	Total      QuotaRow
}

// QuotaRow is one category (or the total) across the locales.
type QuotaRow struct {
	Category Category // "" for the total
	Name     string
	Cells    []QuotaCount
	QuotaCount
}

// QuotaCount is a target, the places taken against it (Admitted: an
// invalidated response keeps its place) and the responses in the sample
// now (Counted, 已纳入).
type QuotaCount struct{ Target, Admitted, Counted int }

// Share is how full the cell is, 0–1.
func (c QuotaCount) Share() float64 {
	if c.Target == 0 {
		return 0
	}
	return math.Min(1, float64(c.Admitted)/float64(c.Target))
}

// NewQuotaTable lays cells out by Categories and Locales; a cell the
// allocation does not have counts as 0 / 0.
func NewQuotaTable(sampleSize int, cells []CellProgress) QuotaTable {
	t := QuotaTable{SampleSize: sampleSize, Locales: Locales}
	t.Total = QuotaRow{Name: "合计", Cells: make([]QuotaCount, len(Locales))}
	at := map[Cell]QuotaCount{}
	for _, c := range cells {
		at[Cell{Category: c.Category, Locale: c.Locale}] = QuotaCount{Target: c.Target, Admitted: c.Admitted, Counted: c.Counted}
	}
	for _, cat := range Categories {
		row := QuotaRow{Category: cat, Name: cat.Name()}
		for li, l := range Locales {
			qc := at[Cell{Category: cat, Locale: l}]
			row.Cells = append(row.Cells, qc)
			row.Target += qc.Target
			row.Admitted += qc.Admitted
			row.Counted += qc.Counted
			t.Total.Cells[li].Target += qc.Target
			t.Total.Cells[li].Admitted += qc.Admitted
			t.Total.Cells[li].Counted += qc.Counted
		}
		t.Total.Target += row.Target
		t.Total.Admitted += row.Admitted
		t.Total.Counted += row.Counted
		t.Rows = append(t.Rows, row)
	}
	return t
}

// Unfilled is the allocation's cells with nothing admitted yet.
func (a Allocation) Unfilled() []CellProgress {
	out := make([]CellProgress, 0, len(a.Cells))
	for _, c := range a.Cells {
		out = append(out, CellProgress{Cell: c})
	}
	return out
}

// Working shows how the sample size follows from the population and the
// rate, for the dossier: "812345 × 1.5‰ = 1218.52，向上取整为 1219 人".
// A minimum sample, when set, is stated by the quota itself.
func (d Design) Working() string {
	num := func(x float64) string { return strconv.FormatFloat(math.Round(x*100)/100, 'f', -1, 64) }
	return num(float64(d.Population)) + " × " + strconv.FormatFloat(float64(d.RatePPM)/1000, 'f', -1, 64) + "‰ = " +
		num(float64(d.Population)*float64(d.RatePPM)/1e6) + "，向上取整为 " + num(float64(SampleSize(d.Population, d.RatePPM, 0))) + " 人"
}
