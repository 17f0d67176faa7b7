package sampling

import (
	"context"

	"github.com/jackc/pgx/v5"

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

// CellProgress is a cell's target and the responses admitted to it.
type CellProgress struct {
	Cell
	Admitted int `json:"admitted"` // quota places taken; an invalidated response keeps its place
	Counted  int `json:"counted"`  // 已纳入: in the sample now, invalidated ones not
}

// Full reports whether every place of the cell is taken: under the cap
// policy, a respondent of the cell is turned away before answering.
func (c CellProgress) Full() bool { return c.Admitted >= c.Target }

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

// Admit grants one response a place under p in the caller's transaction,
// the campaign's cells locked first: a reviewer admitting a response that
// was held on arrival. False: its cell is full (under the cap policy).
func (s *Store) Admit(ctx context.Context, campaignID int64, want Place, p Policy) (bool, error) {
	rows, err := s.q.LockQuotaCells(ctx, campaignID)
	if err != nil {
		return false, err
	}
	got, given := Grant(cellsOf(rows), []Place{want}, p)
	if len(given) == 0 {
		return got[0], nil
	}
	return got[0], s.q.AddToCells(ctx, addToCells(campaignID, given))
}

// cellsOf is locked cells as Grant takes them.
func cellsOf(rows []dbq.QuotaCell) []CellProgress {
	cells := make([]CellProgress, len(rows))
	for i, r := range rows {
		cells[i] = CellProgress{Cell: Cell{Category: Category(r.Category), Locale: Locale(r.Locale), Target: int(r.Target)}, Admitted: int(r.Admitted)}
	}
	return cells
}

// addToCells is the update of the cells' counts by the places given.
func addToCells(campaignID int64, given map[Place]int) dbq.AddToCellsParams {
	arg := dbq.AddToCellsParams{CampaignID: campaignID}
	for pl, n := range given {
		arg.Categories = append(arg.Categories, string(pl.Category))
		arg.Locales = append(arg.Locales, string(pl.Locale))
		arg.Ns = append(arg.Ns, int32(n))
	}
	return arg
}

// Admission grants places in a campaign's quota cells to a group of
// responses, in a transaction that sends its queries in batches.
type Admission struct {
	campaignID int64
	cells      []dbq.QuotaCell
}

// LockCells queues in b the lock of a campaign's cells. The row locks
// serialise admissions across server processes, and the counts read under
// them are exact.
func LockCells(b *pgx.Batch, campaignID int64) *Admission {
	a := &Admission{campaignID: campaignID}
	dbq.Queue(b, func(q *dbq.Queries) { q.LockQuotaCells(context.Background(), campaignID) }).
		Query(dbq.Into(&a.cells, pgx.RowToStructByPos[dbq.QuotaCell]))
	return a
}

// Grant reports who of wants, in arrival order, gets a place under p, and
// queues in b the update of the cells' counts. Call it once the batch that
// locked the cells has run, and send b in the same transaction.
func (a *Admission) Grant(b *pgx.Batch, wants []Place, p Policy) []bool {
	got, given := Grant(cellsOf(a.cells), wants, p)
	if len(given) == 0 {
		return got
	}
	arg := addToCells(a.campaignID, given)
	dbq.Queue(b, func(q *dbq.Queries) { q.AddToCells(context.Background(), arg) })
	return got
}
