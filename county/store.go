package county

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"renke/dbq"
	"renke/refusal"
	"renke/sampling"
)

// ErrNotFound is returned when a unit or school does not exist.
var ErrNotFound = errors.New("not found")

// Refusals of the unit and school actions.
var (
	ErrCodeTaken  = refusal.Conflictf("单位代码已被其他单位使用，请换一个")
	ErrSchoolUsed = refusal.Conflictf("该学校已有问卷链接或答卷，不能删除")
)

// Store keeps units and schools in PostgreSQL. Every change to a unit or
// its schools is a staff action here, validated here, and announced to
// whoever keeps something derived from the unit (OnChange).
type Store struct {
	pool *pgxpool.Pool
	q    *dbq.Queries

	mu       sync.Mutex
	onChange []func(unitID int64)
}

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool, q: dbq.New(pool)} }

// OnChange registers fn to be called after a unit or one of its schools
// changed in this process, e.g. to drop what a cache derived from it.
func (s *Store) OnChange(fn func(unitID int64)) {
	s.mu.Lock()
	s.onChange = append(s.onChange, fn)
	s.mu.Unlock()
}

func (s *Store) changed(unitID int64) {
	s.mu.Lock()
	fns := slices.Clone(s.onChange)
	s.mu.Unlock()
	for _, fn := range fns {
		fn(unitID)
	}
}

// pgCode is the SQLSTATE of a PostgreSQL error, or "".
func pgCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

func unitFrom(r dbq.Unit) Unit {
	return Unit{ID: r.ID, Code: r.Code, Name: r.Name, Kind: r.Kind, Population: r.Population,
		PopulationSource: r.PopulationSource, PopulationYear: r.PopulationYear, CodeReason: r.CodeReason,
		Shares: sampling.Shares{Urban: int(r.ShareUrban), Town: int(r.ShareTown), Rural: int(r.ShareRural)}}
}

func schoolFrom(r dbq.School) School {
	return School{ID: r.ID, UnitID: r.UnitID, Name: r.Name, Type: SchoolType(r.Type), Locale: sampling.Locale(r.Locale),
		Public: r.Public, EnrolPrimary: r.EnrolPrimary, EnrolJunior: r.EnrolJunior}
}

func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// CreateUnit validates and saves a new unit.
func (s *Store) CreateUnit(ctx context.Context, u Unit) (Unit, error) {
	if err := u.Validate(); err != nil {
		return Unit{}, refusal.AsInvalid(err)
	}
	r, err := s.q.CreateUnit(ctx, dbq.CreateUnitParams{Code: u.Code, Name: u.Name, Kind: u.Kind,
		Population: u.Population, PopulationSource: u.PopulationSource, PopulationYear: u.PopulationYear,
		ShareUrban: int32(u.Shares.Urban), ShareTown: int32(u.Shares.Town), ShareRural: int32(u.Shares.Rural), CodeReason: u.CodeReason})
	if pgCode(err) == "23505" {
		return Unit{}, ErrCodeTaken
	}
	return unitFrom(r), err
}

// UpdateUnit validates a unit and saves it over the one with its id.
func (s *Store) UpdateUnit(ctx context.Context, u Unit) (Unit, error) {
	if err := u.Validate(); err != nil {
		return Unit{}, refusal.AsInvalid(err)
	}
	r, err := s.q.UpdateUnit(ctx, dbq.UpdateUnitParams{ID: u.ID, Code: u.Code, Name: u.Name, Kind: u.Kind,
		Population: u.Population, PopulationSource: u.PopulationSource, PopulationYear: u.PopulationYear,
		ShareUrban: int32(u.Shares.Urban), ShareTown: int32(u.Shares.Town), ShareRural: int32(u.Shares.Rural), CodeReason: u.CodeReason})
	if pgCode(err) == "23505" {
		return Unit{}, ErrCodeTaken
	}
	if err != nil {
		return Unit{}, notFound(err)
	}
	s.changed(u.ID)
	return unitFrom(r), nil
}

// Scope is the set of units a caller may reach: every unit, or the listed
// ones. Units are only found through a scope, so a unit outside it does
// not exist for the caller.
type Scope struct {
	All   bool
	Units []int64
	// Regions are the region prefixes the viewer was granted (a city's
	// or province's staff): what they organise, they read in full.
	Regions []string
}

// Organises reports whether the scope's viewer is of the region that
// organised something, given as its six-digit division code: the
// platform admin always; staff granted that region or one containing it
// (a province's staff for their cities' surveys).
func (sc Scope) Organises(organiser string) bool {
	if sc.All {
		return true
	}
	prefix, ok := RegionPrefix(organiser)
	if !ok || organiser == "" {
		return false
	}
	for _, r := range sc.Regions {
		if r != "" && strings.HasPrefix(prefix, r) {
			return true
		}
	}
	return false
}

// Everything reaches every unit: for the public survey pages, which find a
// unit through a published link, and for the platform admin.
var Everything = Scope{All: true}

// Includes reports whether the scope reaches unit id.
func (sc Scope) Includes(id int64) bool { return sc.All || slices.Contains(sc.Units, id) }

// Unit returns the unit with id, if it is in scope.
func (s *Store) Unit(ctx context.Context, scope Scope, id int64) (Unit, error) {
	r, err := s.q.GetUnit(ctx, dbq.GetUnitParams{ID: id, AllUnits: scope.All, UnitIds: scope.Units})
	return unitFrom(r), notFound(err)
}

// Units lists the units in scope.
func (s *Store) Units(ctx context.Context, scope Scope) ([]Unit, error) {
	rows, err := s.q.ListUnits(ctx, dbq.ListUnitsParams{AllUnits: scope.All, UnitIds: scope.Units})
	out := make([]Unit, 0, len(rows))
	for _, r := range rows {
		out = append(out, unitFrom(r))
	}
	return out, err
}

// RegionUnits is the units in scope under a region prefix
// (RegionPrefix, InRegion), by code; ErrNotFound when there are none.
func (s *Store) RegionUnits(ctx context.Context, scope Scope, prefix string) ([]Unit, error) {
	units, err := s.Units(ctx, scope)
	if err != nil {
		return nil, err
	}
	var out []Unit
	for _, u := range units {
		if InRegion(u.Code, prefix) {
			out = append(out, u)
		}
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	slices.SortFunc(out, func(a, b Unit) int { return strings.Compare(a.Code, b.Code) })
	return out, nil
}

// CreateSchool validates and saves a new school of sc.UnitID.
func (s *Store) CreateSchool(ctx context.Context, sc School) (School, error) {
	if err := sc.Validate(); err != nil {
		return School{}, refusal.AsInvalid(err)
	}
	r, err := s.q.CreateSchool(ctx, dbq.CreateSchoolParams{UnitID: sc.UnitID, Name: sc.Name, Type: string(sc.Type),
		Locale: string(sc.Locale), Public: sc.Public, EnrolPrimary: sc.EnrolPrimary, EnrolJunior: sc.EnrolJunior})
	if pgCode(err) == "23505" {
		return School{}, refusal.Conflictf("已有同名学校：%s", sc.Name)
	} else if err != nil {
		return School{}, err
	}
	s.changed(sc.UnitID)
	return schoolFrom(r), nil
}

// UpdateSchool validates a school and saves it over the one with its id.
func (s *Store) UpdateSchool(ctx context.Context, sc School) (School, error) {
	if err := sc.Validate(); err != nil {
		return School{}, refusal.AsInvalid(err)
	}
	r, err := s.q.UpdateSchool(ctx, dbq.UpdateSchoolParams{UnitID: sc.UnitID, ID: sc.ID, Name: sc.Name,
		Type: string(sc.Type), Locale: string(sc.Locale), Public: sc.Public, EnrolPrimary: sc.EnrolPrimary,
		EnrolJunior: sc.EnrolJunior})
	if pgCode(err) == "23505" {
		return School{}, refusal.Conflictf("已有同名学校：%s", sc.Name)
	} else if err != nil {
		return School{}, notFound(err)
	}
	s.changed(sc.UnitID)
	return schoolFrom(r), nil
}

// DeleteSchool removes a school of a unit that no link or response names.
func (s *Store) DeleteSchool(ctx context.Context, unitID, id int64) error {
	n, err := s.q.DeleteSchool(ctx, dbq.DeleteSchoolParams{UnitID: unitID, ID: id})
	switch {
	case pgCode(err) == "23503":
		return ErrSchoolUsed
	case err != nil:
		return err
	case n == 0:
		return ErrNotFound
	}
	s.changed(unitID)
	return nil
}

// School returns school id of unit unitID.
func (s *Store) School(ctx context.Context, unitID, id int64) (School, error) {
	r, err := s.q.GetSchool(ctx, dbq.GetSchoolParams{UnitID: unitID, ID: id})
	return schoolFrom(r), notFound(err)
}

// ImportSchools saves a roster in one transaction: schools are matched by
// name, updated when known and created when new; schools not in the roster
// stay. It returns how many were new.
func (s *Store) ImportSchools(ctx context.Context, unitID int64, list []School) (added int, err error) {
	return s.ImportRosters(ctx, map[int64][]School{unitID: list})
}

// ImportRosters saves several units' rosters (a region's, from one
// workbook) in one transaction, each as ImportSchools does: any invalid
// school refuses them all. It returns how many schools were new.
func (s *Store) ImportRosters(ctx context.Context, byUnit map[int64][]School) (added int, err error) {
	ids := slices.Sorted(maps.Keys(byUnit))
	for _, id := range ids {
		for i := range byUnit[id] {
			if err := byUnit[id][i].Validate(); err != nil {
				return 0, refusal.Invalidf("第 %d 所学校：%s", i+1, err.Error())
			}
		}
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := dbq.New(tx)
		added = 0
		for _, unitID := range ids {
			before, err := q.ListSchools(ctx, unitID)
			if err != nil {
				return err
			}
			for _, sc := range byUnit[unitID] {
				if _, err := q.UpsertSchoolByName(ctx, dbq.UpsertSchoolByNameParams{UnitID: unitID, Name: sc.Name,
					Type: string(sc.Type), Locale: string(sc.Locale), Public: sc.Public,
					EnrolPrimary: sc.EnrolPrimary, EnrolJunior: sc.EnrolJunior}); err != nil {
					return err
				}
			}
			after, err := q.ListSchools(ctx, unitID)
			if err != nil {
				return err
			}
			added += len(after) - len(before)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		s.changed(id)
	}
	return added, nil
}

// UnitImport is what an import of a region's units did.
type UnitImport struct {
	Added   int    `json:"added"`
	Updated int    `json:"updated"`
	Units   []Unit `json:"units"` // the units imported, in the list's order
}

// ImportUnits saves a region's unit list in one transaction: each unit
// must be a county-level division under the region prefix; units are
// matched by code, updated when known and created when new; units not in
// the list stay. Any invalid unit refuses the whole list.
func (s *Store) ImportUnits(ctx context.Context, prefix string, list []Unit) (out UnitImport, err error) {
	if len(list) == 0 {
		return out, refusal.Invalidf("名单中没有评价单位")
	}
	seen := map[string]int{}
	for i := range list {
		u := &list[i]
		if err := u.Validate(); err != nil {
			return out, refusal.Invalidf("第 %d 个单位：%s", i+1, err.Error())
		}
		if !CountyLevel(u.Code) || !strings.HasPrefix(u.Code, prefix) {
			return out, refusal.Invalidf("第 %d 个单位：%s 不是%s的县级行政区划代码", i+1, u.Code, RegionName(prefix))
		}
		if first, dup := seen[u.Code]; dup {
			return out, refusal.Invalidf("第 %d 个单位：代码 %s 与第 %d 个重复", i+1, u.Code, first)
		}
		seen[u.Code] = i + 1
	}
	var updated []int64
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := dbq.New(tx)
		out, updated = UnitImport{}, nil
		for _, u := range list {
			r, err := q.UpsertUnitByCode(ctx, dbq.UpsertUnitByCodeParams{Code: u.Code, Name: u.Name, Kind: u.Kind,
				Population: u.Population, PopulationSource: u.PopulationSource, PopulationYear: u.PopulationYear,
				ShareUrban: int32(u.Shares.Urban), ShareTown: int32(u.Shares.Town), ShareRural: int32(u.Shares.Rural), CodeReason: u.CodeReason})
			if err != nil {
				return err
			}
			u.ID = r.ID
			if r.Inserted {
				out.Added++
			} else {
				out.Updated++
				updated = append(updated, r.ID)
			}
			out.Units = append(out.Units, u)
		}
		return nil
	})
	if err != nil {
		return UnitImport{}, err
	}
	for _, id := range updated {
		s.changed(id)
	}
	return out, nil
}

// SchoolsOf lists the schools of several units (a region's), by unit, in
// one query.
func (s *Store) SchoolsOf(ctx context.Context, unitIDs []int64) (map[int64][]School, error) {
	rows, err := s.q.ListSchoolsOfUnits(ctx, unitIDs)
	out := map[int64][]School{}
	for _, r := range rows {
		out[r.UnitID] = append(out[r.UnitID], schoolFrom(r))
	}
	return out, err
}

// Schools lists the schools of a unit.
func (s *Store) Schools(ctx context.Context, unitID int64) ([]School, error) {
	rows, err := s.q.ListSchools(ctx, unitID)
	out := make([]School, 0, len(rows))
	for _, r := range rows {
		out = append(out, schoolFrom(r))
	}
	return out, err
}
