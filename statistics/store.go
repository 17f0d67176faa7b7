package statistics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"renke/county"
	"renke/dbq"
	"renke/evaluation"
	"renke/sampling"
)

// Store keeps school statistics and county findings in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	q    *dbq.Queries
}

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool, q: dbq.New(pool)} }

// ValidYear reports whether y is a plausible school year (its first calendar year).
func ValidYear(y int) bool { return y >= 2000 && y <= 2100 }

// Import replaces the unit's statistics for the year with the parsed
// schools, in one transaction: schools are matched by name, created when
// new, and their type, locale and enrolment updated.
func (s *Store) Import(ctx context.Context, unitID int64, year int, schools []evaluation.School) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := dbq.New(tx)
		if err := q.DeleteYearStats(ctx, dbq.DeleteYearStatsParams{UnitID: unitID, Year: int32(year)}); err != nil {
			return err
		}
		for _, sc := range schools {
			sc.ID = 0 // a workbook names its schools
			if _, err := putSchool(ctx, q, unitID, year, sc); err != nil {
				return err
			}
		}
		return nil
	})
}

// ErrNotFound is returned for a school that is not the unit's.
var ErrNotFound = errors.New("not found")

// SaveSchool saves one school's statistics for the year, entered by hand:
// sc.ID set updates that school of the unit (renaming it if need be);
// otherwise the school is matched by name or created.
func (s *Store) SaveSchool(ctx context.Context, unitID int64, year int, sc evaluation.School) (id int64, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		id, err = putSchool(ctx, dbq.New(tx), unitID, year, sc)
		return err
	})
	return id, err
}

// putSchool writes a school row (by id within the unit, else by name)
// and its statistics for the year.
func putSchool(ctx context.Context, q *dbq.Queries, unitID int64, year int, sc evaluation.School) (int64, error) {
	if sc.ID != 0 {
		_, err := q.UpdateSchool(ctx, dbq.UpdateSchoolParams{UnitID: unitID, ID: sc.ID, Name: sc.Name,
			Type: string(sc.Type), Locale: string(sc.Locale), Public: sc.Public,
			EnrolPrimary: int32(sc.EnrolPrimary), EnrolJunior: int32(sc.EnrolJunior)})
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, ErrNotFound
		} else if err != nil {
			return 0, err
		}
	} else {
		id, err := q.UpsertSchoolByName(ctx, dbq.UpsertSchoolByNameParams{UnitID: unitID, Name: sc.Name,
			Type: string(sc.Type), Locale: string(sc.Locale), Public: sc.Public,
			EnrolPrimary: int32(sc.EnrolPrimary), EnrolJunior: int32(sc.EnrolJunior)})
		if err != nil {
			return 0, err
		}
		sc.ID = id
	}
	b, err := json.Marshal(sc)
	if err != nil {
		return 0, err
	}
	return sc.ID, q.UpsertSchoolStats(ctx, dbq.UpsertSchoolStatsParams{SchoolID: sc.ID, Year: int32(year), Stats: b})
}

// Schools returns the unit's school statistics for the year.
func (s *Store) Schools(ctx context.Context, unitID int64, year int) ([]evaluation.School, error) {
	rows, err := s.q.ListSchoolStats(ctx, dbq.ListSchoolStatsParams{UnitID: unitID, Year: int32(year)})
	if err != nil {
		return nil, err
	}
	out := make([]evaluation.School, len(rows))
	for i, r := range rows {
		if err := json.Unmarshal(r.Stats, &out[i]); err != nil {
			return nil, fmt.Errorf("school %d stats: %w", r.ID, err)
		}
		// The school row is the truth for identity.
		out[i].ID, out[i].Name, out[i].Type, out[i].Locale, out[i].Public = r.ID, r.Name, county.SchoolType(r.Type), sampling.Locale(r.Locale), r.Public
	}
	return out, nil
}

// Years lists the years with statistics or findings, newest first.
func (s *Store) Years(ctx context.Context, unitID int64) ([]int, error) {
	ys, err := s.q.StatsYears(ctx, unitID)
	out := make([]int, len(ys))
	for i, y := range ys {
		out[i] = int(y)
	}
	return out, err
}

// Findings are the county-level inputs of one year's evaluation.
type Findings struct {
	Year       int                             `json:"year"`
	Profile    string                          `json:"profile"`
	CampaignID *int64                          `json:"campaign_id"`
	Figures    map[string]float64              `json:"figures"`
	Judgements map[string]evaluation.Judgement `json:"judgements"`
	Scores     map[string]float64              `json:"scores"`
	Vetoes     map[string]evaluation.Judgement `json:"vetoes"`
	UpdatedAt  *time.Time                      `json:"updated_at"`
	// NotApplicable are the year's declarations of 不适用, by check key;
	// kept apart from the rest (SaveFindings leaves them be).
	NotApplicable map[string]evaluation.NotApplicable `json:"not_applicable,omitempty"`
	// Series are figures entered year by year, by key and calendar year.
	Series map[string]map[int]float64 `json:"series,omitempty"`
}

// MaxNote bounds an evidence note.
const MaxNote = 500

// Validate checks findings against their profile; messages are for staff.
func (f *Findings) Validate(p *evaluation.Profile) error {
	for k, v := range f.Figures {
		in, ok := p.Input(k)
		switch {
		case !ok:
			return fmt.Errorf("未知的数据项 %q", k)
		case math.IsNaN(v) || math.IsInf(v, 0) || v < 0:
			return fmt.Errorf("“%s”须为不小于 0 的数", in.Label)
		case in.Unit == "%" && v > 100:
			return fmt.Errorf("“%s”是百分比，不能超过 100", in.Label)
		}
	}
	judged := map[string]string{}
	for _, c := range p.Judgements() {
		judged[c.Key] = c.Label
	}
	for k, j := range f.Judgements {
		if _, ok := judged[k]; !ok {
			return fmt.Errorf("未知的评定项 %q", k)
		}
		if utf8.RuneCountInString(j.Note) > MaxNote {
			return fmt.Errorf("“%s”的佐证说明不超过 %d 字", judged[k], MaxNote)
		}
	}
	items := map[string]evaluation.Item{}
	for _, it := range p.ScoredItems() {
		items[it.No] = it
	}
	for k, v := range f.Scores {
		it, ok := items[k]
		if !ok {
			return fmt.Errorf("未知的计分项 %q", k)
		}
		if math.IsNaN(v) || v < 0 || v > it.Points {
			return fmt.Errorf("计分项 %s 的得分须在 0 到 %s 分之间", k, evaluation.Num(it.Points))
		}
	}
	for k, years := range f.Series {
		si, ok := p.SeriesInput(k)
		if !ok {
			return fmt.Errorf("未知的逐年数据项 %q", k)
		}
		for y, v := range years {
			if !ValidYear(y) {
				return fmt.Errorf("“%s”的年份 %d 无效", si.Label, y)
			}
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				return fmt.Errorf("“%s”%d 年须为不小于 0 的数", si.Label, y)
			}
		}
	}
	vetoes := map[string]string{}
	for _, v := range p.Vetoes {
		vetoes[v.Key] = v.Name
	}
	for k, j := range f.Vetoes {
		if _, ok := vetoes[k]; !ok {
			return fmt.Errorf("未知的否决项 %q", k)
		}
		if utf8.RuneCountInString(j.Note) > MaxNote {
			return fmt.Errorf("否决项说明不超过 %d 字", MaxNote)
		}
	}
	return nil
}

// Findings returns the unit's findings for the year; ok is false when
// none were saved yet.
func (s *Store) Findings(ctx context.Context, unitID int64, year int) (f Findings, ok bool, err error) {
	nas, err := s.notApplicable(ctx, unitID, year)
	if err != nil {
		return f, false, err
	}
	r, err := s.q.GetEvaluationInputs(ctx, dbq.GetEvaluationInputsParams{UnitID: unitID, Year: int32(year)})
	if errors.Is(err, pgx.ErrNoRows) {
		return Findings{Year: year, NotApplicable: nas}, false, nil
	} else if err != nil {
		return f, false, err
	}
	defer func() { f.NotApplicable = nas }()
	f = Findings{Year: year, Profile: r.Profile, CampaignID: r.CampaignID, UpdatedAt: &r.UpdatedAt}
	for _, x := range []struct {
		b []byte
		v any
	}{{r.Figures, &f.Figures}, {r.Judgements, &f.Judgements}, {r.Scores, &f.Scores}, {r.Vetoes, &f.Vetoes}, {r.Series, &f.Series}} {
		if err := json.Unmarshal(x.b, x.v); err != nil {
			return f, false, err
		}
	}
	return f, true, nil
}

// SaveFindings writes validated findings over the year's.
func (s *Store) SaveFindings(ctx context.Context, unitID int64, f Findings) error {
	enc := func(v any) []byte {
		b, _ := json.Marshal(v)
		if string(b) == "null" {
			return []byte("{}")
		}
		return b
	}
	return s.q.SaveEvaluationInputs(ctx, dbq.SaveEvaluationInputsParams{UnitID: unitID, Year: int32(f.Year),
		Profile: f.Profile, CampaignID: f.CampaignID, Figures: enc(f.Figures), Judgements: enc(f.Judgements),
		Scores: enc(f.Scores), Vetoes: enc(f.Vetoes), Series: enc(f.Series)})
}

// Inputs turns findings and schools into the engine's inputs.
func (f *Findings) Inputs(schools []evaluation.School, rec *evaluation.Recognition) evaluation.Inputs {
	return evaluation.Inputs{Schools: schools, Figures: f.Figures, Judgements: f.Judgements,
		Scores: f.Scores, Vetoes: f.Vetoes, Recognition: rec, NotApplicable: f.NotApplicable, Series: f.Series, Year: f.Year}
}

// notApplicable reads the year's declarations of 不适用.
func (s *Store) notApplicable(ctx context.Context, unitID int64, year int) (map[string]evaluation.NotApplicable, error) {
	rows, err := s.q.ListNotApplicable(ctx, dbq.ListNotApplicableParams{UnitID: unitID, Year: int32(year)})
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	out := map[string]evaluation.NotApplicable{}
	for _, r := range rows {
		na := evaluation.NotApplicable{ID: r.ID, Reason: r.Reason, DeclaredBy: r.DeclaredBy, Evidence: int(r.Files)}
		if r.AcceptedBy != nil {
			na.AcceptedBy = *r.AcceptedBy
		}
		out[r.CheckKey] = na
	}
	return out, nil
}
