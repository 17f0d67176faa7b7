package assessment

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"renke/dbq"
	"renke/evaluation"
	"renke/refusal"
)

// Problem is one line of the problem list (问题清单): a check found short
// for the county or one school, the same record in every round.
type Problem struct {
	ID        int64  `json:"id"`
	Key       string `json:"key"`
	SchoolID  int64  `json:"school_id"` // 0: the county
	School    string `json:"school"`
	Indicator string `json:"indicator"`
	Title     string `json:"title"`
	// Judged: a finding staff enter, struck off only by a decision with
	// a reason and evidence.
	Judged      bool       `json:"judged"`
	Struck      bool       `json:"struck"`
	OpenedRound int64      `json:"-"`
	StruckRound *int64     `json:"-"`
	StruckBy    *string    `json:"struck_by,omitempty"` // nil with Struck: by a round
	StruckAt    *time.Time `json:"struck_at,omitempty"`
	Reason      string     `json:"reason,omitempty"`

	// Read with the ledger.
	OpenedNo int        `json:"opened_round"`
	StruckNo int        `json:"struck_round,omitempty"`
	History  []Finding  `json:"history"` // what each round found, oldest first
	Tasks    []int64    `json:"tasks"`
	Evidence []Evidence `json:"evidence"`
}

// Finding is what one round found of a problem.
type Finding struct {
	Round  int               `json:"round"`
	Status evaluation.Status `json:"status"`
	Figure string            `json:"figure"`
	Gap    string            `json:"gap,omitempty"`
}

// Latest is what the newest round found of the problem.
func (p *Problem) Latest() Finding {
	if len(p.History) == 0 {
		return Finding{}
	}
	return p.History[len(p.History)-1]
}

// State is the problem's standing in words: 已销号; 待销号 when the newest
// round found it met but it waits for a decision; else what the newest
// round found (未达标, 待填报).
func (p *Problem) State() string {
	switch l := p.Latest(); {
	case p.Struck:
		return "已销号"
	case p.FromReview():
		return "未销号"
	case l.Status == evaluation.Pass:
		return "待销号"
	case l.Status == evaluation.Missing:
		return "待填报"
	}
	return "未达标"
}

// How says how the problem was struck off.
func (p *Problem) How() string {
	switch {
	case !p.Struck:
		return ""
	case p.StruckBy == nil:
		return fmt.Sprintf("第 %d 轮自查自评达标，自动销号", p.StruckNo)
	}
	return fmt.Sprintf("%s 决定销号：%s", *p.StruckBy, p.Reason)
}

// FromReview reports whether the problem is a reviewer's opinion (市级复核).
func (p *Problem) FromReview() bool { return strings.HasPrefix(p.Key, ReviewKey("")) }

// Scope is the problem's school, or 全县.
func (p *Problem) Scope() string {
	if p.SchoolID == 0 && p.School == "" {
		return "全县"
	}
	return p.School
}

func problemsOf(rows []dbq.Problem) []Problem {
	out := make([]Problem, len(rows))
	for i, x := range rows {
		out[i] = Problem{ID: x.ID, Key: x.Key, SchoolID: x.SchoolID, School: x.School, Indicator: x.Indicator, Title: x.Title,
			Judged: x.Judged, Struck: x.Status == "struck", OpenedRound: x.OpenedRound, StruckRound: x.StruckRound,
			StruckBy: x.StruckBy, StruckAt: x.StruckAt, Reason: x.Reason}
	}
	return out
}

// ProblemPlan is what a new round changes in the problem list.
type ProblemPlan struct {
	Opened   []int64 // found for the first time
	Reopen   []int64 // struck off before, found again
	Strike   []int64 // open, not found: struck off by the round
	Awaiting []int64 // open findings staff enter, not found: wait for a decision
	found    map[int64]evaluation.Shortfall
	all      []Problem
}

// Plan decides what round (its id) changes, given the unit's problems
// (those it found already among them, opened by it) and its shortfalls.
func Plan(round int64, problems []Problem, sfs []evaluation.Shortfall) ProblemPlan {
	type id struct {
		key    string
		school int64
	}
	idx := map[id]evaluation.Shortfall{}
	for _, sf := range sfs {
		idx[id{sf.Key, sf.SchoolID}] = sf
	}
	pl := ProblemPlan{found: map[int64]evaluation.Shortfall{}}
	for _, p := range problems {
		if p.FromReview() {
			continue // a reviewer's opinion: no round finds it
		}
		pl.all = append(pl.all, p)
		sf, found := idx[id{p.Key, p.SchoolID}]
		switch {
		case found:
			pl.found[p.ID] = sf
			if p.OpenedRound == round {
				pl.Opened = append(pl.Opened, p.ID)
			} else if p.Struck {
				pl.Reopen = append(pl.Reopen, p.ID)
			}
		case p.Struck:
		case p.Judged:
			pl.Awaiting = append(pl.Awaiting, p.ID)
		default:
			pl.Strike = append(pl.Strike, p.ID)
		}
	}
	return pl
}

// rounds is the round's finding of every problem of the unit: what it
// found short, and a pass for the rest.
func (pl ProblemPlan) rounds(round int64) dbq.InsertProblemRoundsParams {
	out := dbq.InsertProblemRoundsParams{RoundID: round}
	for _, p := range pl.all {
		st, figure, gap := string(evaluation.Pass), "", ""
		if sf, ok := pl.found[p.ID]; ok {
			st, figure, gap = string(sf.Status), sf.Figure, sf.Gap
		}
		out.ProblemIds = append(out.ProblemIds, p.ID)
		out.Statuses = append(out.Statuses, st)
		out.Figures = append(out.Figures, figure)
		out.Gaps = append(out.Gaps, gap)
	}
	return out
}

// Problems lists the unit's problems with what every round found of them,
// the tasks that address them and their evidence.
func (s *Store) Problems(ctx context.Context, unitID int64) ([]Problem, error) {
	rounds, err := s.Rounds(ctx, unitID)
	if err != nil {
		return nil, err
	}
	links, err := s.q.TaskLinks(ctx, unitID)
	if err != nil {
		return nil, err
	}
	files, err := s.Evidence(ctx, unitID)
	if err != nil {
		return nil, err
	}
	return s.problems(ctx, unitID, rounds, links, files)
}

// problems is Problems given the unit's rounds, task links and evidence,
// which the ledger reads once for its lists.
func (s *Store) problems(ctx context.Context, unitID int64, rounds []Round, links []dbq.TaskProblem, files []Evidence) ([]Problem, error) {
	rows, err := s.q.ListProblems(ctx, unitID)
	if err != nil {
		return nil, err
	}
	ps := problemsOf(rows)
	noOf := map[int64]int{}
	for _, r := range rounds {
		noOf[r.ID] = r.No
	}
	byID := map[int64]*Problem{}
	for i := range ps {
		p := &ps[i]
		byID[p.ID] = p
		p.OpenedNo = noOf[p.OpenedRound]
		if p.StruckRound != nil {
			p.StruckNo = noOf[*p.StruckRound]
		}
		p.History, p.Tasks, p.Evidence = []Finding{}, []int64{}, []Evidence{}
	}
	hist, err := s.q.ProblemRounds(ctx, unitID)
	if err != nil {
		return nil, err
	}
	for _, h := range hist {
		if p := byID[h.ProblemID]; p != nil {
			p.History = append(p.History, Finding{Round: int(h.No), Status: evaluation.Status(h.Status), Figure: h.Figure, Gap: h.Gap})
		}
	}
	for _, l := range links {
		if p := byID[l.ProblemID]; p != nil {
			p.Tasks = append(p.Tasks, l.TaskID)
		}
	}
	for _, f := range files {
		if p := byID[f.SubjectID]; p != nil && f.Subject == SubjectProblem {
			p.Evidence = append(p.Evidence, f)
		}
	}
	return ps, nil
}

// StrikeOff strikes off a problem by a staff decision: only a finding
// staff enter (a judgement, a score, a veto item), with a reason and at
// least one evidence file attached to it. Its tasks are struck off when
// all their problems are.
func (s *Store) StrikeOff(ctx context.Context, unitID, problemID int64, by, reason string) error {
	reason, err := decisionReason(reason)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := dbq.New(tx)
		p, err := q.LockProblem(ctx, dbq.LockProblemParams{UnitID: unitID, ID: problemID})
		if err != nil {
			return notFound(err)
		}
		switch {
		case p.Status == "struck":
			return refusal.Conflictf("该问题已销号")
		case !p.Judged:
			return refusal.Invalidf("该问题由统计数据判定：须在下一轮自查自评中该项达标后自动销号，不能人工销号")
		}
		files, err := q.ListEvidence(ctx, unitID)
		if err != nil {
			return err
		}
		has := false
		for _, f := range files {
			has = has || (f.Subject == SubjectProblem && f.SubjectID == problemID)
		}
		if !has {
			return refusal.Invalidf("请先上传佐证材料，再决定销号")
		}
		if err := q.DecideProblem(ctx, dbq.DecideProblemParams{ID: problemID, StruckBy: by, Reason: reason}); err != nil {
			return err
		}
		ev := events{unit: unitID, by: by}
		ev.problem(problemID, EventDecided, reason)
		if err := s.settleTasks(ctx, q, unitID, &ev); err != nil {
			return err
		}
		return ev.write(ctx, q)
	})
}

// decisionReason is a strike-off decision's reason, trimmed: required,
// at most MaxNote characters.
func decisionReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	switch n := len([]rune(reason)); {
	case n == 0:
		return "", refusal.Invalidf("请填写销号理由")
	case n > MaxNote:
		return "", refusal.Invalidf("销号理由不超过 %d 字", MaxNote)
	}
	return reason, nil
}

// Event kinds of the ledger's history.
const (
	EventOpened    = "opened"
	EventReopened  = "reopened"
	EventStruck    = "struck"
	EventAwaiting  = "awaiting"
	EventDecided   = "decided"
	EventEvidence  = "evidence"
	EventTaskNew   = "task_created"
	EventTaskEdit  = "task_updated"
	EventProgress  = "task_progress"
	EventLinked    = "task_linked"
	EventTaskDone  = "task_struck"
	EventTaskAgain = "task_reopened"
)

// EventName is an event kind in Chinese.
func EventName(kind string) string {
	return map[string]string{EventOpened: "列入问题清单", EventReopened: "重新列入", EventStruck: "自动销号", EventAwaiting: "待销号",
		EventDecided: "决定销号", EventEvidence: "上传佐证材料", EventTaskNew: "新建任务", EventTaskEdit: "修改任务",
		EventProgress: "更新进展", EventLinked: "关联问题与指标", EventTaskDone: "任务销号", EventTaskAgain: "任务重新打开"}[kind]
}

// events gathers history lines to write in one statement.
type events struct {
	unit, round int64
	by          string
	p           dbq.InsertEventsParams
}

func (e *events) add(problem, task int64, kind, detail string) {
	e.p.ProblemIds = append(e.p.ProblemIds, problem)
	e.p.TaskIds = append(e.p.TaskIds, task)
	e.p.Kinds = append(e.p.Kinds, kind)
	e.p.Details = append(e.p.Details, detail)
}

func (e *events) problem(id int64, kind, detail string) { e.add(id, 0, kind, detail) }
func (e *events) task(id int64, kind, detail string)    { e.add(0, id, kind, detail) }

func (e *events) write(ctx context.Context, q *dbq.Queries) error {
	if len(e.p.Kinds) == 0 {
		return nil
	}
	e.p.UnitID, e.p.RoundID, e.p.Username = e.unit, e.round, e.by
	return q.InsertEvents(ctx, e.p)
}

// Event is one line of the ledger's history.
type Event struct {
	ID        int64     `json:"id"`
	ProblemID *int64    `json:"problem_id,omitempty"`
	TaskID    *int64    `json:"task_id,omitempty"`
	Round     *int32    `json:"round,omitempty"`
	At        time.Time `json:"at"`
	By        string    `json:"by"`
	Kind      string    `json:"kind"`
	Detail    string    `json:"detail"`
}

// Name is the event's kind in Chinese.
func (e Event) Name() string { return EventName(e.Kind) }

// Events is the unit's ledger history, oldest first.
func (s *Store) Events(ctx context.Context, unitID int64) ([]Event, error) {
	rows, err := s.q.ListEvents(ctx, unitID)
	out := make([]Event, len(rows))
	for i, x := range rows {
		out[i] = Event{ID: x.ID, ProblemID: x.ProblemID, TaskID: x.TaskID, Round: x.RoundNo, At: x.At, By: x.Username, Kind: x.Kind, Detail: x.Detail}
	}
	return out, err
}
