// Package staff knows the bureau staff accounts that manage campaigns.
package staff

import (
	"context"
	"errors"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"renke/dbq"
)

// Role is what an account may do.
type Role string

// Admin manages every unit and account.
const Admin Role = "admin"

// Account is a staff account, without its password hash.
type Account struct {
	ID        int64     `json:"id"`
	Username  string    `json:"username"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

var (
	ErrBadLogin = errors.New("用户名或密码错误")
	ErrExists   = errors.New("用户名已存在")
	ErrNotFound = errors.New("not found")
)

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9_.@-]{3,64}$`)

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 10

// Store keeps accounts in PostgreSQL.
type Store struct{ q *dbq.Queries }

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{q: dbq.New(pool)} }

// Create adds an account with a bcrypt hash of its password.
func (s *Store) Create(ctx context.Context, username, password string, role Role) (Account, error) {
	if !usernamePattern.MatchString(username) {
		return Account{}, errors.New("用户名须为 3 至 64 位字母、数字或 _.@-")
	}
	if len(password) < MinPasswordLen || len(password) > 72 {
		return Account{}, errors.New("密码须为 10 至 72 个字符")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return Account{}, err
	}
	r, err := s.q.CreateStaff(ctx, dbq.CreateStaffParams{Username: username, PasswordHash: string(hash), Role: string(role)})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return Account{}, ErrExists
	}
	return Account{ID: r.ID, Username: r.Username, Role: Role(r.Role), CreatedAt: r.CreatedAt}, err
}

// dummyHash keeps the time of a login for an unknown user like that of a
// known one, so timing does not tell which usernames exist.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("renke-dummy-password"), bcrypt.DefaultCost)

// Authenticate checks a username and password.
func (s *Store) Authenticate(ctx context.Context, username, password string) (Account, error) {
	r, err := s.q.GetStaffByUsername(ctx, username)
	if errors.Is(err, pgx.ErrNoRows) {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return Account{}, ErrBadLogin
	} else if err != nil {
		return Account{}, err
	}
	if bcrypt.CompareHashAndPassword([]byte(r.PasswordHash), []byte(password)) != nil {
		return Account{}, ErrBadLogin
	}
	return Account{ID: r.ID, Username: r.Username, Role: Role(r.Role), CreatedAt: r.CreatedAt}, nil
}

// Get returns the account with id.
func (s *Store) Get(ctx context.Context, id int64) (Account, error) {
	r, err := s.q.GetStaff(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Account{}, ErrNotFound
	}
	return Account{ID: r.ID, Username: r.Username, Role: Role(r.Role), CreatedAt: r.CreatedAt}, err
}
