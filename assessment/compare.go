package assessment

import (
	"fmt"
	"sort"
	"time"

	"renke/evaluation"
)

// Change is how a check, indicator or school moved between two rounds.
type Change string

const (
	NowPasses  Change = "新达标"  // short in the earlier round, met in the later
	NowShort   Change = "新发现"  // met (or not found) in the earlier round, short in the later
	StillShort Change = "仍未达标" // short in both
	StillPass  Change = "仍达标"  // met in both
)

// Side is one round in a comparison.
type Side struct {
	No       int                 `json:"no"`
	Year     int                 `json:"year"`
	FrozenAt time.Time           `json:"frozen_at"`
	Verdict  evaluation.Status   `json:"verdict"`
	Measures evaluation.Measures `json:"measures"`
}

// IndicatorChange is one indicator in two rounds.
type IndicatorChange struct {
	No     string            `json:"no"`
	Name   string            `json:"name"`
	A      evaluation.Status `json:"a"`
	B      evaluation.Status `json:"b"`
	Change Change            `json:"change"`
}

// ShortfallChange is one problem (a check for the county or a school) in
// two rounds, with what each found.
type ShortfallChange struct {
	Key       string            `json:"key"`
	Indicator string            `json:"indicator"`
	Title     string            `json:"title"`
	SchoolID  int64             `json:"school_id,omitempty"`
	School    string            `json:"school,omitempty"`
	A         evaluation.Status `json:"a"`
	B         evaluation.Status `json:"b"`
	AFigure   string            `json:"a_figure"`
	BFigure   string            `json:"b_figure"`
	Change    Change            `json:"change"`
}

// SchoolChange is one school in two rounds: up to standard or not (no
// shortfall, failing or unknown), and its resource figures side by side.
type SchoolChange struct {
	ID      int64          `json:"id"`
	Name    string         `json:"name"`
	A       *bool          `json:"a"` // nil: not in that round
	B       *bool          `json:"b"`
	AShort  int            `json:"a_short"`
	BShort  int            `json:"b_short"`
	Change  Change         `json:"change,omitempty"`
	Figures []FigureChange `json:"figures"`
}

// FigureChange is one resource figure of a school stage in two rounds.
type FigureChange struct {
	Level     evaluation.Level `json:"level"`
	Indicator string           `json:"indicator"` // its number, e.g. 1.4
	A         *float64         `json:"a"`
	B         *float64         `json:"b"`
}

// Comparison sets two rounds side by side: per indicator, per problem
// and per school, what newly passes, what newly falls short and what is
// still short.
type Comparison struct {
	A          Side              `json:"a"`
	B          Side              `json:"b"`
	Indicators []IndicatorChange `json:"indicators"`
	Shortfalls []ShortfallChange `json:"shortfalls"`
	Schools    []SchoolChange    `json:"schools"`
	NowPasses  int               `json:"now_passes"`
	NowShort   int               `json:"now_short"`
	StillShort int               `json:"still_short"`
}

func change(a, b evaluation.Status) Change {
	switch {
	case a != evaluation.Pass && b == evaluation.Pass:
		return NowPasses
	case a == evaluation.Pass && b != evaluation.Pass:
		return NowShort
	case a != evaluation.Pass:
		return StillShort
	}
	return StillPass
}

// Compare compares round a with round b (each read whole by Store.Round):
// a problem missing from a round's shortfalls passed in it.
func Compare(a, b *Round) Comparison {
	side := func(r *Round) Side {
		return Side{No: r.No, Year: r.Year, FrozenAt: r.FrozenAt, Verdict: r.Verdict, Measures: r.Measures}
	}
	c := Comparison{A: side(a), B: side(b)}
	ia := map[string]evaluation.Status{}
	for _, ir := range a.Result.Indicators {
		ia[ir.No] = ir.Status
	}
	for _, ir := range b.Result.Indicators {
		sa, ok := ia[ir.No]
		if !ok {
			sa = evaluation.Missing
		}
		c.Indicators = append(c.Indicators, IndicatorChange{No: ir.No, Name: ir.Name, A: sa, B: ir.Status, Change: change(sa, ir.Status)})
	}
	type id struct {
		key    string
		school int64
	}
	sa, sb := a.Shortfalls(), b.Shortfalls()
	byA := map[id]evaluation.Shortfall{}
	for _, sf := range sa {
		byA[id{sf.Key, sf.SchoolID}] = sf
	}
	seen := map[id]bool{}
	shortA, shortB := map[string]int{}, map[string]int{}
	for _, sf := range sb {
		k := id{sf.Key, sf.SchoolID}
		if seen[k] {
			continue
		}
		seen[k] = true
		ch := ShortfallChange{Key: sf.Key, Indicator: sf.Indicator, Title: sf.Title, SchoolID: sf.SchoolID, School: sf.School,
			A: evaluation.Pass, B: sf.Status, BFigure: sf.Figure}
		if x, ok := byA[k]; ok {
			ch.A, ch.AFigure = x.Status, x.Figure
		}
		ch.Change = change(ch.A, ch.B)
		c.Shortfalls = append(c.Shortfalls, ch)
		if sf.School != "" {
			shortB[sf.School]++
		}
	}
	for _, sf := range sa {
		k := id{sf.Key, sf.SchoolID}
		if sf.School != "" {
			shortA[sf.School]++
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		c.Shortfalls = append(c.Shortfalls, ShortfallChange{Key: sf.Key, Indicator: sf.Indicator, Title: sf.Title, SchoolID: sf.SchoolID,
			School: sf.School, A: sf.Status, B: evaluation.Pass, AFigure: sf.Figure, Change: NowPasses})
	}
	for _, ch := range c.Shortfalls {
		switch ch.Change {
		case NowPasses:
			c.NowPasses++
		case NowShort:
			c.NowShort++
		case StillShort:
			c.StillShort++
		}
	}
	rank := map[Change]int{NowShort: 0, StillShort: 1, NowPasses: 2}
	sort.SliceStable(c.Shortfalls, func(i, j int) bool { return rank[c.Shortfalls[i].Change] < rank[c.Shortfalls[j].Change] })
	c.Schools = compareSchools(a, b, shortA, shortB)
	return c
}

// compareSchools sets each school of either round side by side, matched
// by name (a round keeps the names it saw).
func compareSchools(a, b *Round, shortA, shortB map[string]int) []SchoolChange {
	var out []SchoolChange
	at := map[string]int{}
	add := func(s evaluation.School) *SchoolChange {
		if i, ok := at[s.Name]; ok {
			return &out[i]
		}
		at[s.Name] = len(out)
		out = append(out, SchoolChange{ID: s.ID, Name: s.Name})
		return &out[len(out)-1]
	}
	yes := func(b bool) *bool { return &b }
	for _, s := range a.Schools {
		sc := add(s)
		sc.A, sc.AShort = yes(shortA[s.Name] == 0), shortA[s.Name]
	}
	for _, s := range b.Schools {
		sc := add(s)
		sc.B, sc.BShort = yes(shortB[s.Name] == 0), shortB[s.Name]
	}
	type fk struct {
		school string
		level  evaluation.Level
		k      int
	}
	no := map[evaluation.Resource]string{}
	for _, ir := range b.Result.Indicators {
		for _, c := range ir.Checks {
			if c.Rule == evaluation.RuleResource {
				no[evaluation.Resource(c.Key)] = ir.No
			}
		}
	}
	figs := map[fk]*FigureChange{}
	var order []fk
	for side, r := range []*Round{a, b} {
		for _, pt := range r.Result.Resources.Parts {
			for k, res := range evaluation.Resources {
				key := fk{pt.Name, pt.Level, k}
				f := figs[key]
				if f == nil {
					f = &FigureChange{Level: pt.Level, Indicator: no[res]}
					figs[key] = f
					order = append(order, key)
				}
				v := pt.Value[k]
				if pt.Blank[k] {
					continue
				}
				if side == 0 {
					f.A = &v
				} else {
					f.B = &v
				}
			}
		}
	}
	for _, key := range order {
		if i, ok := at[key.school]; ok {
			out[i].Figures = append(out[i].Figures, *figs[key])
		}
	}
	for i := range out {
		sc := &out[i]
		switch {
		case sc.A == nil || sc.B == nil:
		case !*sc.A && *sc.B:
			sc.Change = NowPasses
		case *sc.A && !*sc.B:
			sc.Change = NowShort
		case !*sc.A:
			sc.Change = StillShort
		default:
			sc.Change = StillPass
		}
	}
	return out
}

// Standing says the school in the earlier round (a) or the later one:
// 达标, 未达标（N 项问题）, or 本轮无此校.
func (sc SchoolChange) Standing(a bool) string {
	up, n := sc.B, sc.BShort
	if a {
		up, n = sc.A, sc.AShort
	}
	switch {
	case up == nil:
		return "本轮无此校"
	case *up:
		return "达标"
	}
	return fmt.Sprintf("未达标（%d 项问题）", n)
}
