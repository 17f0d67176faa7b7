package statistics

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"renke/county"
	"renke/dbq"
	"renke/evaluation"
	"renke/survey"
)

// UnitEvaluation is one unit's indicator evaluation as a region's
// roll-up shows it: the verdict of each dimension and of the whole, the
// schools short of a standard, and the coefficient of variation furthest
// over its limit, with the unit's full report one click away.
type UnitEvaluation struct {
	Unit           county.Unit                  `json:"unit"`
	Year           int                          `json:"year"`
	Profile        string                       `json:"profile"` // the profile's name
	Schools        int                          `json:"schools"` // schools with statistics for the year
	Verdict        evaluation.Status            `json:"verdict"`
	Dimensions     []evaluation.DimensionResult `json:"dimensions"`
	FailingSchools []string                     `json:"failing_schools"`
	WorstSpread    *evaluation.Spread           `json:"worst_spread"` // nil: no coefficient computed
	WorstName      string                       `json:"worst_spread_name"`
	Recognition    *evaluation.Recognition      `json:"recognition"` // the linked survey, if any
	survey         *survey.Campaign             // the survey read, to withhold a blind one's result
}

// regionWorkers is how many units are evaluated at once.
const regionWorkers = 4

// stamp is what a unit's evaluation was made from, summed up by content
// (a row of EvaluationStamps), with the default year of the day: the
// same stamp, the same evaluation.
type stamp struct {
	dbq.EvaluationStampsRow
	defaultYear int
}

// summed is a unit's evaluation as the roll-up last made it, and from what.
type summed struct {
	stamp stamp
	row   UnitEvaluation
}

// summary caches each unit's roll-up row until what it is made from
// changes (its stamp, read from the database, so a change made through
// any server counts). Units are few thousand at most: a country.
type summary struct {
	mu        sync.Mutex
	rows      map[int64]summed
	evaluated atomic.Int64 // units evaluated in full, for the tests
}

func (c *summary) get(id int64, st stamp) (UnitEvaluation, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.rows[id]
	return s.row, ok && s.stamp == st
}

func (c *summary) put(id int64, st stamp, row UnitEvaluation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rows == nil {
		c.rows = map[int64]summed{}
	}
	c.rows[id] = summed{stamp: st, row: row}
}

// stamps reads the units' stamps in one query.
func (e *Evaluations) stamps(ctx context.Context, units []county.Unit, now time.Time) (map[int64]stamp, error) {
	ids := make([]int64, len(units))
	for i, u := range units {
		ids[i] = u.ID
	}
	rows, err := e.Stats.q.EvaluationStamps(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]stamp, len(rows))
	for _, r := range rows {
		out[r.UnitID] = stamp{EvaluationStampsRow: r, defaultYear: DefaultYear(nil, now)}
	}
	return out, nil
}

// Region evaluates each unit's default year (the newest with statistics)
// as the unit's own report does, and sums each up; failing units first,
// then those with data missing, then those that pass, each by code. A
// unit whose statistics, schools, findings, declarations and linked
// survey are as when it was last summed up is not evaluated again.
//
// The rows are summed up for a viewer who sees everything, and kept so; a
// unit whose linked survey is blind to viewer is evaluated again for them,
// its survey's result withheld.
func (e *Evaluations) Region(ctx context.Context, viewer county.Scope, units []county.Unit, now time.Time) ([]UnitEvaluation, error) {
	out := make([]UnitEvaluation, len(units))
	stamps, err := e.stamps(ctx, units, now)
	if err != nil {
		return nil, err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(regionWorkers)
	for i, u := range units {
		st := stamps[u.ID]
		if row, ok := e.summary.get(u.ID, st); ok {
			row.Unit = u // the unit's name and code as they are now
			out[i] = row
			continue
		}
		g.Go(func() error {
			row, err := e.summarise(gctx, county.Everything, u, now)
			if err != nil {
				return err
			}
			out[i] = row
			e.summary.put(u.ID, st, out[i])
			e.summary.evaluated.Add(1)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for i := range out {
		if cp := out[i].survey; cp != nil && cp.BlindTo(viewer) {
			row, err := e.summarise(ctx, viewer, out[i].Unit, now)
			if err != nil {
				return nil, err
			}
			out[i] = row
		}
	}
	rank := map[evaluation.Status]int{evaluation.Fail: 0, evaluation.Missing: 1, evaluation.Pass: 2}
	slices.SortStableFunc(out, func(a, b UnitEvaluation) int { return rank[a.Verdict] - rank[b.Verdict] })
	return out, nil
}

// summarise evaluates a unit's default year for viewer and sums it up.
func (e *Evaluations) summarise(ctx context.Context, viewer county.Scope, u county.Unit, now time.Time) (UnitEvaluation, error) {
	run, err := e.Load(ctx, viewer, u, 0, now)
	if err != nil {
		return UnitEvaluation{}, err
	}
	if err := e.Evaluate(ctx, run); err != nil {
		return UnitEvaluation{}, err
	}
	r := &run.Result
	row := UnitEvaluation{Unit: u, Year: run.Year, Profile: run.Profile.Name, Schools: len(run.Schools),
		Verdict: r.Verdict, Dimensions: r.Dimensions, FailingSchools: r.FailingSchools(run.Schools),
		WorstSpread: r.WorstSpread(), Recognition: r.Recognition, survey: run.Campaign}
	if sp := row.WorstSpread; sp != nil {
		row.WorstName = sp.Level.Name() + run.Profile.Standard(sp.Resource).Name
	}
	if row.FailingSchools == nil {
		row.FailingSchools = []string{}
	}
	return row, nil
}
