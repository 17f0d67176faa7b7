package assessment

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"time"

	"renke/county"
	"renke/evaluation"
)

// Tally counts problems (or tasks) by their standing.
type Tally struct {
	Name     string `json:"name"`
	Open     int    `json:"open"`     // 未达标 or 待填报
	Awaiting int    `json:"awaiting"` // 待销号
	Struck   int    `json:"struck"`   // 已销号
	Tasks    int    `json:"tasks,omitempty"`
	Overdue  int    `json:"overdue,omitempty"`
}

// RoundTargets is a round held against its year's targets.
type RoundTargets struct {
	No    int                     `json:"no"`
	Year  int                     `json:"year"`
	Lines []evaluation.TargetLine `json:"lines"`
}

// Ledger is a unit's ledger (台账): its rounds, problem list, task list,
// the tallies by indicator and by department, the 大班额 ledger of its
// newest round and every round against its year's targets.
type Ledger struct {
	Unit         county.Unit             `json:"unit"`
	Rounds       []Round                 `json:"rounds"`
	Problems     []Problem               `json:"problems"`
	Tasks        []Task                  `json:"tasks"`
	Departments  []string                `json:"departments"`
	Total        Tally                   `json:"total"`
	ByIndicator  []Tally                 `json:"by_indicator"`
	ByDepartment []Tally                 `json:"by_department"`
	Classes      *evaluation.ClassLedger `json:"classes,omitempty"`
	LargeSchools []string                `json:"large_schools"`
	Targets      []RoundTargets          `json:"targets"`
	Events       []Event                 `json:"events"`
	Now          time.Time               `json:"now"`
}

// ProblemByID is the ledger's problem with the id.
func (l Ledger) ProblemByID(id int64) *Problem {
	for i := range l.Problems {
		if l.Problems[i].ID == id {
			return &l.Problems[i]
		}
	}
	return nil
}

// TaskByID is the ledger's task with the id.
func (l Ledger) TaskByID(id int64) *Task {
	for i := range l.Tasks {
		if l.Tasks[i].ID == id {
			return &l.Tasks[i]
		}
	}
	return nil
}

// count adds a problem to a tally.
func (t *Tally) count(p *Problem) {
	switch p.State() {
	case "已销号":
		t.Struck++
	case "待销号":
		t.Awaiting++
	default:
		t.Open++
	}
}

// Ledger reads the unit's ledger on day now.
func (s *Store) Ledger(ctx context.Context, u county.Unit, now time.Time) (Ledger, error) {
	l := Ledger{Unit: u, Now: now, LargeSchools: []string{}, Targets: []RoundTargets{}}
	var err error
	if l.Rounds, err = s.Rounds(ctx, u.ID); err != nil {
		return l, err
	}
	links, err := s.q.TaskLinks(ctx, u.ID)
	if err != nil {
		return l, err
	}
	files, err := s.Evidence(ctx, u.ID)
	if err != nil {
		return l, err
	}
	if l.Problems, err = s.problems(ctx, u.ID, l.Rounds, links, files); err != nil {
		return l, err
	}
	if l.Tasks, err = s.tasks(ctx, u.ID, now, links, files); err != nil {
		return l, err
	}
	if l.Departments, err = s.Departments(ctx, u.ID); err != nil {
		return l, err
	}
	if l.Events, err = s.Events(ctx, u.ID); err != nil {
		return l, err
	}
	byInd := map[string]*Tally{}
	var inds []string
	for i := range l.Problems {
		p := &l.Problems[i]
		l.Total.count(p)
		name := p.Indicator
		if name == "" {
			name = "否决项"
		}
		if byInd[name] == nil {
			byInd[name] = &Tally{Name: name}
			inds = append(inds, name)
		}
		byInd[name].count(p)
	}
	sort.SliceStable(inds, func(i, j int) bool { return indicatorLess(inds[i], inds[j]) })
	for _, n := range inds {
		l.ByIndicator = append(l.ByIndicator, *byInd[n])
	}
	byDept := map[string]*Tally{}
	dept := func(name string) *Tally {
		if byDept[name] == nil {
			byDept[name] = &Tally{Name: name}
		}
		return byDept[name]
	}
	for _, d := range l.Departments {
		dept(d)
	}
	for _, t := range l.Tasks {
		l.Total.Tasks++
		if t.Overdue(now) {
			l.Total.Overdue++
		}
		for _, d := range t.Lead {
			dt := dept(d)
			dt.Tasks++
			switch {
			case t.StruckAt != nil:
				dt.Struck++
			case t.Overdue(now):
				dt.Overdue++
				dt.Open++
			case t.Progress == Awaiting:
				dt.Awaiting++
			default:
				dt.Open++
			}
		}
	}
	names := make([]string, 0, len(byDept))
	for n := range byDept {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		l.ByDepartment = append(l.ByDepartment, *byDept[n])
	}
	for _, r := range l.Rounds {
		p := s.evaluations.ProfileOf(r.Profile)
		if _, lines := p.Against(r.Year, r.Measures); len(lines) > 0 {
			l.Targets = append(l.Targets, RoundTargets{No: r.No, Year: r.Year, Lines: lines})
		}
	}
	if n := len(l.Rounds); n > 0 {
		last, err := s.Round(ctx, u.ID, l.Rounds[n-1].No)
		if err != nil {
			return l, err
		}
		cl := evaluation.LargeClasses(last.Schools)
		l.Classes = &cl
		l.LargeSchools = append(l.LargeSchools, s.evaluations.ProfileOf(last.Profile).LargeSchools(last.Schools)...)
	}
	return l, nil
}

// indicatorLess orders indicator numbers as numbers: 2.9 before 2.10.
func indicatorLess(a, b string) bool {
	pa, pb := splitNo(a), splitNo(b)
	for i := 0; i < len(pa) && i < len(pb); i++ {
		if pa[i] != pb[i] {
			return pa[i] < pb[i]
		}
	}
	return len(pa) < len(pb)
}

func splitNo(s string) []int {
	var out []int
	n, digits := 0, false
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n, digits = n*10+int(r-'0'), true
			continue
		}
		if digits {
			out = append(out, n)
		}
		n, digits = 0, false
	}
	if digits {
		out = append(out, n)
	}
	if len(out) == 0 {
		return []int{1 << 30}
	}
	return out
}

// SchoolRound is one school in one round: up to standard or not, its
// size and classes, and its resource figures.
type SchoolRound struct {
	No           int                    `json:"no"`
	Year         int                    `json:"year"`
	Present      bool                   `json:"present"`
	UpToStandard bool                   `json:"up_to_standard"`
	Shortfalls   int                    `json:"shortfalls"`
	Enrol        int                    `json:"enrol"`
	Classes      int                    `json:"classes"`
	Largest      int                    `json:"largest_class"`
	Bands        *evaluation.ClassBands `json:"bands,omitempty"`
	Parts        []evaluation.Part      `json:"parts"`
}

// SchoolLedger is one school's ledger (一校一策): its problems with their
// history, the tasks that address them, and its figures in every round.
type SchoolLedger struct {
	Unit     county.Unit   `json:"unit"`
	SchoolID int64         `json:"school_id"`
	School   string        `json:"school"`
	Problems []Problem     `json:"problems"`
	Tasks    []Task        `json:"tasks"`
	Rounds   []SchoolRound `json:"rounds"`
	// Indicators names the resource indicators of Parts' values, in order.
	Indicators []string  `json:"indicators"`
	Now        time.Time `json:"now"`
}

// SchoolLedger reads the ledger of one school of the unit (by its id in
// the unit's school list or in any round).
func (s *Store) SchoolLedger(ctx context.Context, u county.Unit, schoolID int64, now time.Time) (SchoolLedger, error) {
	sl := SchoolLedger{Unit: u, SchoolID: schoolID, Now: now, Problems: []Problem{}, Tasks: []Task{}}
	rounds, err := s.Rounds(ctx, u.ID)
	if err != nil {
		return sl, err
	}
	for _, r := range rounds {
		full, err := s.Round(ctx, u.ID, r.No)
		if err != nil {
			return sl, err
		}
		sr := SchoolRound{No: r.No, Year: r.Year}
		for _, sc := range full.Schools {
			if sc.ID != schoolID {
				continue
			}
			sl.School = sc.Name
			sr.Present = true
			sr.Enrol, sr.Classes = sc.Compulsory(), sc.ClassesPrimary+sc.ClassesJunior
			sr.Largest = max(sc.LargestClassPrimary, sc.LargestClassJunior)
			if cl := evaluation.LargeClasses([]evaluation.School{sc}); cl.Known == 1 {
				b := evaluation.ClassBands{ID: sc.ID, Name: sc.Name, Total: cl.Classes, Large: cl.Large, Huge: cl.Huge, Known: true}
				sr.Bands = &b
			}
		}
		if sr.Present {
			for _, sf := range full.Shortfalls() {
				if sf.SchoolID == schoolID {
					sr.Shortfalls++
				}
			}
			sr.UpToStandard = sr.Shortfalls == 0
			for _, pt := range full.Result.Resources.Parts {
				if pt.SchoolID == schoolID {
					sr.Parts = append(sr.Parts, pt)
				}
			}
			if len(sl.Indicators) == 0 {
				for _, ir := range full.Result.Indicators {
					for _, c := range ir.Checks {
						if c.Rule == evaluation.RuleResource {
							sl.Indicators = append(sl.Indicators, ir.No)
						}
					}
				}
			}
		}
		sl.Rounds = append(sl.Rounds, sr)
	}
	ps, err := s.Problems(ctx, u.ID)
	if err != nil {
		return sl, err
	}
	linked := map[int64]bool{}
	for _, p := range ps {
		if p.SchoolID == schoolID {
			sl.Problems = append(sl.Problems, p)
			if sl.School == "" {
				sl.School = p.School
			}
			for _, t := range p.Tasks {
				linked[t] = true
			}
		}
	}
	if sl.School == "" {
		return sl, ErrNotFound
	}
	ts, err := s.Tasks(ctx, u.ID, now)
	if err != nil {
		return sl, err
	}
	for _, t := range ts {
		if linked[t.ID] {
			sl.Tasks = append(sl.Tasks, t)
		}
	}
	return sl, nil
}

// UnitStanding is one unit in its region's roll-up of the county's year.
type UnitStanding struct {
	Unit      county.Unit `json:"unit"`
	Rounds    []Side      `json:"rounds"` // each round's verdict and measures
	Open      int         `json:"open_problems"`
	Struck    int         `json:"struck_problems"`
	Tasks     int         `json:"tasks"`
	Overdue   int         `json:"overdue_tasks"`
	TasksDone int         `json:"tasks_struck"`
	// Stage is where the unit's newest submission stands in the region's
	// review, and Submitted its round; "" when none was signed off.
	Stage     Stage `json:"stage,omitempty"`
	Submitted int   `json:"submitted_round,omitempty"`
}

// Latest is the unit's newest round, if any.
func (u UnitStanding) Latest() *Side {
	if len(u.Rounds) == 0 {
		return nil
	}
	return &u.Rounds[len(u.Rounds)-1]
}

// Region rolls up the county's year of each unit: its rounds (schools
// up to standard by round), open and struck problems, and tasks overdue
// on day now. Four queries, whatever the number of units.
func (s *Store) Region(ctx context.Context, units []county.Unit, now time.Time) ([]UnitStanding, error) {
	ids := make([]int64, len(units))
	at := map[int64]int{}
	out := make([]UnitStanding, len(units))
	for i, u := range units {
		ids[i], at[u.ID] = u.ID, i
		out[i] = UnitStanding{Unit: u, Rounds: []Side{}}
	}
	rounds, err := s.q.ListRegionRounds(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, r := range rounds {
		sd := Side{No: int(r.No), Year: int(r.Year), FrozenAt: r.FrozenAt, Verdict: evaluation.Status(r.Verdict)}
		if err := json.Unmarshal(r.Measures, &sd.Measures); err != nil {
			return nil, err
		}
		us := &out[at[r.UnitID]]
		us.Rounds = append(us.Rounds, sd)
	}
	counts, err := s.q.ListRegionProblems(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, c := range counts {
		us := &out[at[c.UnitID]]
		if c.Status == "struck" {
			us.Struck += int(c.N)
		} else {
			us.Open += int(c.N)
		}
	}
	subs, err := s.q.RegionSubmissions(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, x := range subs {
		us := &out[at[x.UnitID]]
		us.Stage, us.Submitted = Stage(x.Status), int(x.RoundNo)
	}
	tasks, err := s.q.ListRegionTasks(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, t := range tasksOfRegion(tasks) {
		us := &out[at[t.unit]]
		us.Tasks++
		switch TaskStatus(t.Task, now) {
		case "逾期":
			us.Overdue++
		case "已销号":
			us.TasksDone++
		}
	}
	return out, nil
}
