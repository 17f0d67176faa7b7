// Package assessment is the county's year (seed 000: "开展3-5轮自查自评",
// "建立问题清单、任务清单和责任清单", "盘点销号"): rounds of self-assessment
// that freeze a unit's year, the problem list they find, the annual task
// list (年度任务清单) with the departments responsible, and striking off
// (销号) on evidence: a problem by a later round whose check passes, or,
// for a finding staff enter, by a decision with a reason and a file.
//
// Deciding is pure (Plan, Compare, TaskStatus, ParseDue); Store writes.
package assessment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"renke/county"
	"renke/dbq"
	"renke/evaluation"
	"renke/refusal"
	"renke/statistics"
	"renke/survey"
)

// Store keeps rounds, problems, tasks and evidence in PostgreSQL.
type Store struct {
	pool        *pgxpool.Pool
	q           *dbq.Queries
	evaluations *statistics.Evaluations
	surveys     *survey.Store
	// MaxFile bounds one evidence file, Quota a unit's evidence together.
	MaxFile int64
	Quota   int64
}

// NewStore returns a store on pool that evaluates with evaluations.
func NewStore(pool *pgxpool.Pool, evaluations *statistics.Evaluations) *Store {
	return &Store{pool: pool, q: dbq.New(pool), evaluations: evaluations, surveys: evaluations.Surveys,
		MaxFile: DefaultMaxFile, Quota: DefaultQuota}
}

// ErrNotFound is a round, problem, task or file that is not the unit's.
var ErrNotFound = errors.New("not found")

func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// Round is one frozen self-assessment (第 N 轮自查自评) of a unit's year.
type Round struct {
	ID         int64               `json:"id"`
	UnitID     int64               `json:"unit_id"`
	No         int                 `json:"no"`
	Year       int                 `json:"year"`
	Profile    string              `json:"profile"`
	FrozenAt   time.Time           `json:"frozen_at"`
	FrozenBy   string              `json:"frozen_by"`
	Note       string              `json:"note"`
	Verdict    evaluation.Status   `json:"verdict"`
	Measures   evaluation.Measures `json:"measures"`
	CampaignID *int64              `json:"campaign_id"`
	Checkpoint string              `json:"checkpoint,omitempty"` // the survey log's signed note

	// Read by Round only, not by Rounds.
	Schools   []evaluation.School  `json:"schools,omitempty"`
	Findings  *statistics.Findings `json:"findings,omitempty"`
	Result    *evaluation.Result   `json:"result,omitempty"`
	Statement *survey.Statement    `json:"statement,omitempty"`
}

// Shortfalls is what the round found short, as it found it.
func (r *Round) Shortfalls() []evaluation.Shortfall {
	if r.Result == nil {
		return nil
	}
	return r.Result.Shortfalls(r.Schools)
}

// MaxNote bounds a round's note and a decision's reason.
const MaxNote = 500

// Freeze evaluates the unit's year as it stands and keeps it as the
// unit's next round: its statistics, findings and result, the linked
// survey's newest signed checkpoint and result statement, and the
// problems it finds. Problems found again stay open (a struck one
// reopens); an open problem the round no longer finds is struck off by
// it, unless it is a finding staff enter, which waits for a decision.
func (s *Store) Freeze(ctx context.Context, u county.Unit, year int, by, note string, now time.Time) (Round, error) {
	if len([]rune(note)) > MaxNote {
		return Round{}, refusal.Invalidf("说明不超过 %d 字", MaxNote)
	}
	// A round is the unit's own self-assessment: a blind survey's result
	// is never in it (the zero viewer organises nothing), whoever froze it.
	run, err := s.evaluations.Load(ctx, county.Scope{}, u, year, now)
	if err != nil {
		return Round{}, err
	}
	if len(run.Schools) == 0 {
		return Round{}, refusal.Invalidf("%d 学年尚无学校统计数据：请先导入或填写学校统计数据，再冻结本轮自查自评", run.Year)
	}
	if err := s.evaluations.Evaluate(ctx, run); err != nil {
		return Round{}, err
	}
	r := Round{UnitID: u.ID, Year: run.Year, Profile: run.Profile.ID, FrozenBy: by, Note: note,
		Verdict: run.Result.Verdict, Schools: run.Schools, Findings: &run.Findings, Result: &run.Result}
	sfs := run.Result.Shortfalls(run.Schools)
	r.Measures = run.Profile.Measure(run.Schools, sfs)
	if run.Campaign != nil {
		id := run.Campaign.ID
		r.CampaignID = &id
		if cp, err := s.surveys.LatestCheckpoint(ctx, id); err == nil {
			r.Checkpoint = cp.Note
		} else if !errors.Is(err, survey.ErrNotFound) {
			return Round{}, err
		}
		if run.Campaign.Blind {
			// A blind survey's statement (its rates) stays with its
			// organiser; the round keeps its signed checkpoint only.
		} else if st, err := s.surveys.LatestStatement(ctx, id); err == nil {
			r.Statement = &st
		} else if !errors.Is(err, survey.ErrNotFound) {
			return Round{}, err
		}
	}
	enc := func(v any) []byte { b, _ := json.Marshal(v); return b }
	var statement []byte
	if r.Statement != nil {
		statement = enc(r.Statement)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := dbq.New(tx)
		last, err := q.LockUnitYear(ctx, u.ID)
		if err != nil {
			return notFound(err)
		}
		r.No = int(last) + 1
		row, err := q.InsertRound(ctx, dbq.InsertRoundParams{UnitID: u.ID, No: int32(r.No), Year: int32(r.Year),
			Profile: r.Profile, FrozenBy: by, Note: note, Verdict: string(r.Verdict), Schools: enc(r.Schools),
			Findings: enc(r.Findings), Result: enc(r.Result), Measures: enc(r.Measures), CampaignID: r.CampaignID,
			Checkpoint: r.Checkpoint, Statement: statement})
		if err != nil {
			return err
		}
		r.ID, r.FrozenAt = row.ID, row.FrozenAt
		return s.record(ctx, q, r, sfs, by)
	})
	return r, err
}

// record writes what round r found to the problem list: it plans the
// changes (Plan) from the unit's problems and writes them.
func (s *Store) record(ctx context.Context, q *dbq.Queries, r Round, sfs []evaluation.Shortfall, by string) error {
	sfs = dedupe(sfs)
	p := dbq.UpsertProblemsParams{UnitID: r.UnitID, RoundID: r.ID}
	for _, sf := range sfs {
		p.Keys = append(p.Keys, sf.Key)
		p.SchoolIds = append(p.SchoolIds, sf.SchoolID)
		p.Schools = append(p.Schools, sf.School)
		p.Indicators = append(p.Indicators, sf.Indicator)
		p.Titles = append(p.Titles, sf.Title)
		p.Judged = append(p.Judged, sf.Judged)
	}
	if _, err := q.UpsertProblems(ctx, p); err != nil {
		return err
	}
	rows, err := q.ListProblems(ctx, r.UnitID)
	if err != nil {
		return err
	}
	plan := Plan(r.ID, problemsOf(rows), sfs)
	if err := q.InsertProblemRounds(ctx, plan.rounds(r.ID)); err != nil {
		return err
	}
	if err := q.StrikeProblems(ctx, dbq.StrikeProblemsParams{RoundID: r.ID, Ids: plan.Strike}); err != nil {
		return err
	}
	if err := q.ReopenProblems(ctx, plan.Reopen); err != nil {
		return err
	}
	ev := events{unit: r.UnitID, round: r.ID, by: by}
	for _, id := range plan.Opened {
		ev.problem(id, EventOpened, fmt.Sprintf("第 %d 轮自查自评发现", r.No))
	}
	for _, id := range plan.Reopen {
		ev.problem(id, EventReopened, fmt.Sprintf("第 %d 轮自查自评再次发现，重新列入问题清单", r.No))
	}
	for _, id := range plan.Strike {
		ev.problem(id, EventStruck, fmt.Sprintf("第 %d 轮自查自评该项达标，自动销号", r.No))
	}
	for _, id := range plan.Awaiting {
		ev.problem(id, EventAwaiting, fmt.Sprintf("第 %d 轮自查自评评定为达到，待上传佐证材料决定销号", r.No))
	}
	if err := s.settleTasks(ctx, q, r.UnitID, &ev); err != nil {
		return err
	}
	return ev.write(ctx, q)
}

// dedupe keeps the first shortfall of each problem (key and school).
func dedupe(sfs []evaluation.Shortfall) []evaluation.Shortfall {
	type id struct {
		key    string
		school int64
	}
	seen := map[id]bool{}
	out := sfs[:0:0]
	for _, sf := range sfs {
		k := id{sf.Key, sf.SchoolID}
		if !seen[k] {
			seen[k] = true
			out = append(out, sf)
		}
	}
	return out
}

// Rounds lists the unit's rounds, oldest first, without what they froze.
func (s *Store) Rounds(ctx context.Context, unitID int64) ([]Round, error) {
	rows, err := s.q.ListRounds(ctx, unitID)
	if err != nil {
		return nil, err
	}
	out := make([]Round, len(rows))
	for i, x := range rows {
		out[i] = Round{ID: x.ID, UnitID: x.UnitID, No: int(x.No), Year: int(x.Year), Profile: x.Profile, FrozenAt: x.FrozenAt,
			FrozenBy: x.FrozenBy, Note: x.Note, Verdict: evaluation.Status(x.Verdict), CampaignID: x.CampaignID, Checkpoint: x.Checkpoint}
		if err := json.Unmarshal(x.Measures, &out[i].Measures); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Round reads round no of the unit with all it froze.
func (s *Store) Round(ctx context.Context, unitID int64, no int) (Round, error) {
	x, err := s.q.GetRound(ctx, dbq.GetRoundParams{UnitID: unitID, No: int32(no)})
	if err != nil {
		return Round{}, notFound(err)
	}
	r := Round{ID: x.ID, UnitID: x.UnitID, No: int(x.No), Year: int(x.Year), Profile: x.Profile, FrozenAt: x.FrozenAt,
		FrozenBy: x.FrozenBy, Note: x.Note, Verdict: evaluation.Status(x.Verdict), CampaignID: x.CampaignID, Checkpoint: x.Checkpoint,
		Findings: &statistics.Findings{}, Result: &evaluation.Result{}}
	for _, f := range []struct {
		b []byte
		v any
	}{{x.Schools, &r.Schools}, {x.Findings, r.Findings}, {x.Result, r.Result}, {x.Measures, &r.Measures}} {
		if err := json.Unmarshal(f.b, f.v); err != nil {
			return Round{}, fmt.Errorf("round %d: %w", no, err)
		}
	}
	if len(x.Statement) > 0 {
		r.Statement = &survey.Statement{}
		if err := json.Unmarshal(x.Statement, r.Statement); err != nil {
			return Round{}, fmt.Errorf("round %d statement: %w", no, err)
		}
	}
	return r, nil
}

// Compare reads rounds a and b of the unit and compares them.
func (s *Store) Compare(ctx context.Context, unitID int64, a, b int) (Comparison, error) {
	if a == b {
		return Comparison{}, refusal.Invalidf("请选择两个不同的轮次进行对比")
	}
	ra, err := s.Round(ctx, unitID, a)
	if err != nil {
		return Comparison{}, err
	}
	rb, err := s.Round(ctx, unitID, b)
	if err != nil {
		return Comparison{}, err
	}
	return Compare(&ra, &rb), nil
}
