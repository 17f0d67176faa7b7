package statistics

import (
	"context"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"renke/county"
	"renke/evaluation"
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
}

// regionWorkers is how many units are evaluated at once.
const regionWorkers = 4

// Region evaluates each unit's default year (the newest with statistics)
// as the unit's own report does, and sums each up; failing units first,
// then those with data missing, then those that pass, each by code.
func (e *Evaluations) Region(ctx context.Context, units []county.Unit, now time.Time) ([]UnitEvaluation, error) {
	out := make([]UnitEvaluation, len(units))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(regionWorkers)
	for i, u := range units {
		g.Go(func() error {
			run, err := e.Load(ctx, u, 0, now)
			if err != nil {
				return err
			}
			if err := e.Evaluate(ctx, run); err != nil {
				return err
			}
			r := &run.Result
			out[i] = UnitEvaluation{Unit: u, Year: run.Year, Profile: run.Profile.Name, Schools: len(run.Schools),
				Verdict: r.Verdict, Dimensions: r.Dimensions, FailingSchools: r.FailingSchools(run.Schools),
				WorstSpread: r.WorstSpread(), Recognition: r.Recognition}
			if sp := out[i].WorstSpread; sp != nil {
				out[i].WorstName = sp.Level.Name() + run.Profile.Standard(sp.Resource).Name
			}
			if out[i].FailingSchools == nil {
				out[i].FailingSchools = []string{}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	rank := map[evaluation.Status]int{evaluation.Fail: 0, evaluation.Missing: 1, evaluation.Pass: 2}
	slices.SortStableFunc(out, func(a, b UnitEvaluation) int { return rank[a.Verdict] - rank[b.Verdict] })
	return out, nil
}
