package evaluation

import (
	"math"
	"sort"
)

// Action is one thing to do to close a gap: add so many teachers, square
// metres, yuan of equipment or classrooms.
type Action struct {
	Resource  Resource `json:"resource"`
	Level     Level    `json:"level"`
	Indicator string   `json:"indicator"`
	Unit      string   `json:"unit"`     // of the indicator
	Value     float64  `json:"value"`    // now
	Target    float64  `json:"target"`   // to reach: the standard, or its floor for the remaining one
	Floor     bool     `json:"floor"`    // the target is the remaining one's floor, not the standard
	Add       float64  `json:"add"`      // how much to add
	What      string   `json:"what"`     // of what
	Quantity  string   `json:"quantity"` // in which unit
	Cost      float64  `json:"cost"`     // estimated, yuan
}

// Plan is the cheapest set of actions that makes one school stage pass the
// per-school rule.
type Plan struct {
	Name    string   `json:"name"`
	Level   Level    `json:"level"`
	Met     int      `json:"met"`
	Cost    float64  `json:"cost"`
	Actions []Action `json:"actions"`
}

// Gaps says what to fix: failing schools with their cheapest plan, the
// cheapest first, and county-wide shortfalls.
type Gaps struct {
	Schools []Plan   `json:"schools"`
	County  []Action `json:"county"`
}

// raise is the action that brings amount (counted for a stage with the
// given students and share of the school's physical resources) to ratio of
// the standard. It returns nil when nothing is needed.
func (p *Profile) raise(r Resource, l Level, students int, share, amount, ratio float64) *Action {
	std := p.Standard(r)
	target := ratio * std.For(l)
	need := target * float64(students)
	if r.per100() {
		need /= 100
	}
	short := need - amount
	if short <= eps*math.Max(1, need) {
		return nil
	}
	if r.physical() && share > 0 {
		short /= share // added to the school, only its share counts for this stage
	}
	add := math.Ceil(short - 1e-6)
	return &Action{
		Resource: r, Level: l, Indicator: std.Name, Unit: std.Unit,
		Value: perStudents(r, amount, students), Target: target,
		Add: add, What: std.Action, Quantity: std.Quantity, Cost: add * std.UnitCost,
	}
}

// gaps builds the plans of the failing stages and the county shortfalls.
func (p *Profile) gaps(rr *ResourceResult) Gaps {
	var g Gaps
	allowed := len(Resources) - p.Resources.MinMet
	for _, pt := range rr.Parts {
		if pt.Pass || pt.Pending() {
			continue
		}
		type option struct{ full, floor *Action }
		var opts []option
		for k, r := range Resources {
			if pt.Met[k] {
				continue
			}
			opts = append(opts, option{
				full:  p.raise(r, pt.Level, pt.Students, pt.Share, pt.Amount[k], 1),
				floor: p.raise(r, pt.Level, pt.Students, pt.Share, pt.Amount[k], p.Resources.RemainderFloor),
			})
		}
		cost := func(a *Action) float64 {
			if a == nil {
				return 0
			}
			return a.Cost
		}
		// Costs add up and each option is independent, so the cheapest plan
		// leaves at their floor the indicators where that saves the most.
		sort.SliceStable(opts, func(i, j int) bool {
			return cost(opts[i].full)-cost(opts[i].floor) > cost(opts[j].full)-cost(opts[j].floor)
		})
		plan := Plan{Name: pt.Name, Level: pt.Level, Met: pt.MetN}
		for i, o := range opts {
			a := o.full
			if i < allowed {
				a = o.floor
				if a != nil {
					a.Floor = true
				}
			}
			if a != nil {
				plan.Actions = append(plan.Actions, *a)
				plan.Cost += a.Cost
			}
		}
		g.Schools = append(g.Schools, plan)
	}
	sort.SliceStable(g.Schools, func(i, j int) bool { return g.Schools[i].Cost < g.Schools[j].Cost })
	for _, cv := range rr.County {
		if cv.Met {
			continue
		}
		if a := p.raise(cv.Resource, cv.Level, cv.Students, 1, cv.Amount, 1); a != nil {
			g.County = append(g.County, *a)
		}
	}
	sort.SliceStable(g.County, func(i, j int) bool { return g.County[i].Cost < g.County[j].Cost })
	return g
}
