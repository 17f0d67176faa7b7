package sampling

import (
	"context"

	"renke/dbq"
)

// Store keeps quota cells in PostgreSQL. It works on a pool or inside a
// transaction (dbq.DBTX), so admission can share the insert's transaction.
type Store struct {
	q *dbq.Queries
}

// NewStore returns a store on db.
func NewStore(db dbq.DBTX) *Store { return &Store{q: dbq.New(db)} }

// CreateCells saves the cells of an allocation for a campaign.
func (s *Store) CreateCells(ctx context.Context, campaignID int64, a Allocation) error {
	p := dbq.CreateQuotaCellsParams{CampaignID: campaignID}
	for _, c := range a.Cells {
		p.Categories = append(p.Categories, string(c.Category))
		p.Locales = append(p.Locales, string(c.Locale))
		p.Targets = append(p.Targets, int32(c.Target))
	}
	return s.q.CreateQuotaCells(ctx, p)
}

// Admit takes a place in the cell for a response, and reports whether it
// got one. Under Cap a full cell admits no more; under Floor every response
// is admitted. Call it in the transaction that inserts the response, so the
// place and the response commit or roll back together.
func (s *Store) Admit(ctx context.Context, campaignID int64, c Category, l Locale, p Policy) (bool, error) {
	n, err := s.q.AdmitToCell(ctx, dbq.AdmitToCellParams{CampaignID: campaignID, Category: string(c),
		Locale: string(l), Floor: p == Floor})
	return n == 1, err
}

// CellProgress is a cell's target and the responses admitted to it.
type CellProgress struct {
	Cell
	Admitted int `json:"admitted"`
}

// Progress lists the cells of a campaign with their counts, in the order
// of Categories and Locales.
func (s *Store) Progress(ctx context.Context, campaignID int64) ([]CellProgress, error) {
	rows, err := s.q.ListQuotaCells(ctx, campaignID)
	if err != nil {
		return nil, err
	}
	byKey := map[Cell]dbq.QuotaCell{}
	for _, r := range rows {
		byKey[Cell{Category: Category(r.Category), Locale: Locale(r.Locale)}] = r
	}
	out := make([]CellProgress, 0, len(rows))
	for _, c := range Categories {
		for _, l := range Locales {
			if r, ok := byKey[Cell{Category: c, Locale: l}]; ok {
				out = append(out, CellProgress{Cell: Cell{Category: c, Locale: l, Target: int(r.Target)}, Admitted: int(r.Admitted)})
			}
		}
	}
	return out, nil
}

// GradeBandCounts counts admitted responses per grade band.
func (s *Store) GradeBandCounts(ctx context.Context, campaignID int64) (map[GradeBand]int, error) {
	rows, err := s.q.CountGradeBands(ctx, campaignID)
	out := map[GradeBand]int{}
	for _, r := range rows {
		out[GradeBand(r.Band)] = int(r.N)
	}
	return out, err
}

// AdmitGroup takes places for a group of responses to one campaign, in
// arrival order, and reports who got one. It locks the campaign's cells, so
// call it in the transaction that inserts the responses.
func (s *Store) AdmitGroup(ctx context.Context, campaignID int64, wants []Place, p Policy) ([]bool, error) {
	rows, err := s.q.LockQuotaCells(ctx, campaignID)
	if err != nil {
		return nil, err
	}
	cells := make([]CellProgress, len(rows))
	for i, r := range rows {
		cells[i] = CellProgress{Cell: Cell{Category: Category(r.Category), Locale: Locale(r.Locale), Target: int(r.Target)}, Admitted: int(r.Admitted)}
	}
	got, given := Grant(cells, wants, p)
	if len(given) == 0 {
		return got, nil
	}
	arg := dbq.AddToCellsParams{CampaignID: campaignID}
	for pl, n := range given {
		arg.Categories = append(arg.Categories, string(pl.Category))
		arg.Locales = append(arg.Locales, string(pl.Locale))
		arg.Ns = append(arg.Ns, int32(n))
	}
	return got, s.q.AddToCells(ctx, arg)
}
