// Package staff knows the bureau staff accounts, their roles and the units
// each may reach.
package staff

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"renke/county"
	"renke/dbq"
	"renke/division"
)

// Role is what an account may do.
type Role string

const (
	// Admin (平台管理员) manages every unit and the staff accounts.
	Admin Role = "admin"
	// UnitStaff (单位工作人员) runs the surveys and evaluation of one unit.
	UnitStaff Role = "staff"
	// Head (单位负责人) does what the unit's staff do, and signs off a
	// round of self-assessment for submission to the region.
	Head Role = "head"
	// Reviewer (审核人员) reads one or more units and changes nothing but
	// the review's own acts (opinions, conclusions, accepting 不适用),
	// e.g. the city checking its counties.
	Reviewer Role = "reviewer"
	// Security (安全管理员) keeps the accounts safe: disables and enables
	// them, ends their sessions, resets a lost second factor. It reaches no
	// unit and cannot create accounts or grant roles.
	Security Role = "security"
	// Auditor (审计管理员) reads and exports the audit trail, and nothing
	// else.
	Auditor Role = "auditor"
)

// The three administrators (三员分立) are Admin (the system
// administrator: accounts, units), Security and Auditor: each account has
// one role, so the three are three accounts, and no role does another's
// work (the server's routes of each, server/roles.go).

// Roles lists the roles in the order the console offers them.
var Roles = []Role{UnitStaff, Head, Reviewer, Admin, Security, Auditor}

// Name is the role's Chinese name.
func (r Role) Name() string {
	switch r {
	case Admin:
		return "系统管理员（平台管理员）"
	case Security:
		return "安全管理员"
	case Auditor:
		return "审计管理员"
	case UnitStaff:
		return "单位工作人员"
	case Head:
		return "单位负责人（签发自评）"
	case Reviewer:
		return "审核人员（只读）"
	}
	return string(r)
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Account is a staff account, without its password hash.
type Account struct {
	ID        int64     `json:"id"`
	Username  string    `json:"username"`
	Role      Role      `json:"role"`
	Units     []int64   `json:"units"`   // the units granted one by one to a unit staff or reviewer
	Regions   []string  `json:"regions"` // the regions granted: code prefixes of 2 or 4 digits
	CreatedAt time.Time `json:"created_at"`
	Disabled  bool      `json:"disabled"`
	// SecondFactor: the account has a confirmed TOTP enrolment, and signs
	// in with a code as well as its password.
	SecondFactor bool    `json:"second_factor"`
	reach        []int64 // the units under Regions, as Get found them
}

// Scope is the set of units the account reaches: those granted, and those
// under its regions.
func (a Account) Scope() county.Scope {
	if a.Role == Admin {
		return county.Everything
	}
	units := slices.Concat(a.Units, a.reach)
	slices.Sort(units)
	return county.Scope{Units: slices.Compact(units), Regions: a.Regions}
}

// Organises reports whether the account is of the region that organised
// a survey (county.Scope.Organises): a blind survey is theirs to read.
func (a Account) Organises(organiser string) bool { return a.Scope().Organises(organiser) }

// Covers reports whether the account may add units under the region
// prefix: a platform admin anywhere; staff granted that region or one
// containing it (a province's staff under each of its cities). A
// reviewer adds nothing.
func (a Account) Covers(prefix string) bool {
	if a.Role == Admin {
		return true
	}
	if !a.RunsRegions() {
		return false
	}
	for _, r := range a.Regions {
		if strings.HasPrefix(prefix, r) {
			return true
		}
	}
	return false
}

// RunsRegions reports whether the account may import units somewhere:
// the platform admin, and staff granted regions (a city's or province's
// survey staff).
func (a Account) RunsRegions() bool {
	return a.Role == Admin || a.Role == UnitStaff && len(a.Regions) > 0
}

// ReadOnly reports whether the account may change nothing.
func (a Account) ReadOnly() bool { return a.Role == Reviewer || a.Role == Auditor }

// Grant is a role and the units or regions that go with it.
type Grant struct {
	Role    Role
	Units   []int64
	Regions []string // GB/T 2260 codes of provinces or cities: 43, 4303, 430000, 430300
}

// Validate checks that the grant fits the role: nothing for an admin;
// for unit staff exactly one unit (a county bureau's staff), or regions
// and no unit (a city's or province's survey staff, who run the survey
// for every unit under them); at least one unit or region for a
// reviewer. Regions become the prefixes of their units' codes.
func (g *Grant) Validate() error {
	for i, r := range g.Regions {
		p, ok := county.RegionPrefix(r)
		if !ok {
			return Refusal("地区代码“" + r + "”无效：须为省（2 位或 6 位以 0000 结尾）或市（4 位或 6 位以 00 结尾）的行政区划代码")
		}
		if p != "" && !division.Region(p) {
			return Refusal("地区代码“" + r + "”不是" + division.Edition + "中的省或市")
		}
		g.Regions[i] = p
	}
	switch g.Role {
	case Admin, Security, Auditor:
		g.Units, g.Regions = nil, nil
	case UnitStaff:
		if len(g.Units) > 0 && len(g.Regions) > 0 || len(g.Units) > 1 || len(g.Units) == 0 && len(g.Regions) == 0 {
			return Refusal("工作人员须指定一个评价单位，或按地区授权（二者只选其一）")
		}
	case Head:
		if len(g.Units) != 1 || len(g.Regions) > 0 {
			return Refusal("单位负责人须指定一个评价单位")
		}
	case Reviewer:
		if len(g.Units) == 0 && len(g.Regions) == 0 {
			return Refusal("审核人员须至少指定一个评价单位或地区")
		}
	default:
		return Refusal("角色无效")
	}
	slices.Sort(g.Units)
	g.Units = slices.Compact(g.Units)
	slices.Sort(g.Regions)
	g.Regions = slices.Compact(g.Regions)
	return nil
}

// Refusal is an account change refused for a reason the admin can fix;
// its text says what to fix.
type Refusal string

func (r Refusal) Error() string { return string(r) }

var (
	ErrBadLogin = errors.New("用户名或密码错误")
	ErrNotFound = errors.New("not found")
	ErrExists   = Refusal("用户名已存在")
	ErrNoUnit   = Refusal("所选评价单位不存在")
)

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9_.@-]{3,64}$`)

// Store keeps accounts in PostgreSQL, under a password and session
// policy.
type Store struct {
	pool   *pgxpool.Pool
	q      *dbq.Queries
	policy Policy
}

// NewStore returns a store on pool under DefaultPolicy.
func NewStore(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, q: dbq.New(pool), policy: DefaultPolicy}
}

// WithPolicy is the store under another policy (checked by
// Policy.Validate first).
func (s *Store) WithPolicy(p Policy) *Store {
	t := *s
	t.policy = p
	return &t
}

// Policy is the store's password and session policy.
func (s *Store) Policy() Policy { return s.policy }

// Create adds an account with a bcrypt hash of its password and the
// grant's units, in one transaction.
func (s *Store) Create(ctx context.Context, username, password string, g Grant) (Account, error) {
	if !usernamePattern.MatchString(username) {
		return Account{}, Refusal("用户名须为 3 至 64 位字母、数字或 _.@-")
	}
	if err := s.policy.Check(password); err != nil {
		return Account{}, err
	}
	if err := g.Validate(); err != nil {
		return Account{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return Account{}, err
	}
	var a Account
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := dbq.New(tx)
		r, err := q.CreateStaff(ctx, dbq.CreateStaffParams{Username: username, PasswordHash: string(hash), Role: string(g.Role)})
		if err != nil {
			return err
		}
		a = Account{ID: r.ID, Username: r.Username, Role: Role(r.Role), Units: g.Units, Regions: g.Regions, CreatedAt: r.CreatedAt}
		if err := q.RecordPassword(ctx, dbq.RecordPasswordParams{StaffID: r.ID, Hash: string(hash)}); err != nil {
			return err
		}
		return setUnits(ctx, q, r.ID, g)
	})
	return a, storeError(err)
}

// setUnits stores a grant's units and regions.
func setUnits(ctx context.Context, q *dbq.Queries, id int64, g Grant) error {
	if err := q.ClearStaffUnits(ctx, id); err != nil {
		return err
	}
	for _, u := range g.Units {
		if err := q.AddStaffUnit(ctx, dbq.AddStaffUnitParams{StaffID: id, UnitID: u}); err != nil {
			return err
		}
	}
	if err := q.ClearStaffRegions(ctx, id); err != nil {
		return err
	}
	for _, r := range g.Regions {
		if err := q.AddStaffRegion(ctx, dbq.AddStaffRegionParams{StaffID: id, Prefix: r}); err != nil {
			return err
		}
	}
	return nil
}

func storeError(err error) error {
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "23505":
		return ErrExists
	case errors.As(err, &pgErr) && pgErr.Code == "23503":
		return ErrNoUnit
	}
	return err
}

// SetGrant changes an account's role and units.
func (s *Store) SetGrant(ctx context.Context, id int64, g Grant) error {
	if err := g.Validate(); err != nil {
		return err
	}
	return storeError(pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := dbq.New(tx)
		before, err := q.StaffUnits(ctx, id)
		if err != nil {
			return err
		}
		regions, err := q.StaffRegions(ctx, id)
		if err != nil {
			return err
		}
		cur, err := q.GetStaff(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		if Role(cur.Role) == g.Role && slices.Equal(before, g.Units) && slices.Equal(regions, g.Regions) {
			return nil // nothing changes, no session ends
		}
		if _, err := q.SetStaffRole(ctx, dbq.SetStaffRoleParams{ID: id, Role: string(g.Role)}); err != nil {
			return err
		}
		if err := setUnits(ctx, q, id, g); err != nil {
			return err
		}
		// What a session may reach was decided at sign-in: sign in again.
		return q.EndAccountSessions(ctx, dbq.EndAccountSessionsParams{StaffID: id, Why: EndedGrant})
	}))
}

// SetPassword replaces an account's password with one the policy allows
// that is none of its last Policy.History (the current one among them).
func (s *Store) SetPassword(ctx context.Context, id int64, password string) error {
	if err := s.policy.Check(password); err != nil {
		return err
	}
	if s.policy.History > 0 {
		recent, err := s.q.RecentPasswords(ctx, dbq.RecentPasswordsParams{StaffID: id, N: int32(s.policy.History)})
		if err != nil {
			return err
		}
		for _, h := range recent {
			if bcrypt.CompareHashAndPassword([]byte(h), []byte(password)) == nil {
				return Refusal(fmt.Sprintf("新密码不能与最近 %d 次使用过的密码相同", s.policy.History))
			}
		}
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := dbq.New(tx)
		n, err := q.SetStaffPassword(ctx, dbq.SetStaffPasswordParams{ID: id, PasswordHash: string(hash)})
		if err == nil && n == 0 {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		if err := q.RecordPassword(ctx, dbq.RecordPasswordParams{StaffID: id, Hash: string(hash)}); err != nil {
			return err
		}
		return q.EndAccountSessions(ctx, dbq.EndAccountSessionsParams{StaffID: id, Why: EndedPassword})
	})
}

// dummyHash keeps the time of a login for an unknown user like that of a
// known one, so timing does not tell which usernames exist.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("renke-dummy-password"), bcrypt.DefaultCost)

// Authenticate checks a username and password. A disabled account is
// refused with ErrDisabled, but only after its password was checked, so
// the refusal tells a stranger nothing.
func (s *Store) Authenticate(ctx context.Context, username, password string) (Account, error) {
	r, err := s.q.StaffLogin(ctx, username)
	if errors.Is(err, pgx.ErrNoRows) {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return Account{}, ErrBadLogin
	} else if err != nil {
		return Account{}, err
	}
	if bcrypt.CompareHashAndPassword([]byte(r.PasswordHash), []byte(password)) != nil {
		return Account{}, ErrBadLogin
	}
	if r.Disabled {
		return Account{}, ErrDisabled
	}
	return s.Get(ctx, r.ID)
}

// Get returns the account with id and its units.
func (s *Store) Get(ctx context.Context, id int64) (Account, error) {
	r, err := s.q.GetStaff(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Account{}, ErrNotFound
	} else if err != nil {
		return Account{}, err
	}
	a := Account{ID: r.ID, Username: r.Username, Role: Role(r.Role), CreatedAt: r.CreatedAt, Disabled: r.Disabled, SecondFactor: r.SecondFactor}
	if a.Units, err = s.q.StaffUnits(ctx, id); err != nil {
		return a, err
	}
	if a.Regions, err = s.q.StaffRegions(ctx, id); err != nil || len(a.Regions) == 0 {
		return a, err
	}
	a.reach, err = s.q.UnitsInRegions(ctx, id)
	return a, err
}

// List returns every account with its units.
func (s *Store) List(ctx context.Context) ([]Account, error) {
	rows, err := s.q.ListStaff(ctx)
	if err != nil {
		return nil, err
	}
	grants, err := s.q.AllStaffUnits(ctx)
	if err != nil {
		return nil, err
	}
	units := map[int64][]int64{}
	for _, g := range grants {
		units[g.StaffID] = append(units[g.StaffID], g.UnitID)
	}
	areas, err := s.q.AllStaffRegions(ctx)
	if err != nil {
		return nil, err
	}
	regions := map[int64][]string{}
	for _, g := range areas {
		regions[g.StaffID] = append(regions[g.StaffID], g.Prefix)
	}
	out := make([]Account, 0, len(rows))
	for _, r := range rows {
		out = append(out, Account{ID: r.ID, Username: r.Username, Role: Role(r.Role), Units: units[r.ID], Regions: regions[r.ID],
			CreatedAt: r.CreatedAt, Disabled: r.Disabled, SecondFactor: r.SecondFactor})
	}
	return out, nil
}
