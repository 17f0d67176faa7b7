package survey

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"renke/county"
	"renke/dbq"
	"renke/sampling"
)

var (
	ErrNotFound   = errors.New("not found")
	ErrNotDraft   = errors.New("campaign is no longer a draft")
	ErrNotOpen    = errors.New("campaign is not open")
	ErrLocked     = errors.New("sampling parameters are locked once a campaign opens")
	ErrFrozen     = errors.New("questionnaire is frozen")
	ErrIDConflict = errors.New("submission id belongs to another campaign")
)

// Store keeps campaigns, questionnaires, links and responses in PostgreSQL.
type Store struct {
	pool    *pgxpool.Pool
	q       *dbq.Queries
	commits committer
	traces  sync.Map // campaign id → *campaignTraces, for burst detection
}

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool, q: dbq.New(pool)} }

func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

func campaignFrom(r dbq.Campaign) Campaign {
	c := Campaign{ID: r.ID, UnitID: r.UnitID, Title: r.Title, Status: Status(r.Status), OpensAt: r.OpensAt,
		ClosesAt: r.ClosesAt, RatePPM: int(r.RatePpm), MinSample: int(r.MinSample), Policy: sampling.Policy(r.QuotaPolicy),
		Method: Method(r.ScoringMethod), Threshold: r.Threshold, CreatedAt: r.CreatedAt, OpenedAt: r.OpenedAt, ClosedAt: r.ClosedAt,
		MinFillSeconds: int(r.MinFillSeconds), PowBits: int(r.PowBits), ChainLength: r.ChainLength, ChainHead: r.ChainHead,
		SealedLength: r.SealedLength, SealedHead: r.SealedHead}
	if r.SampleSize != nil {
		n := int(*r.SampleSize)
		c.SampleSize = &n
	}
	return c
}

func (s *Store) inTx(ctx context.Context, fn func(q *dbq.Queries, tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return fn(dbq.New(tx), tx) })
}

// CreateCampaign saves a validated draft campaign with its own copy of the
// question bank.
func (s *Store) CreateCampaign(ctx context.Context, c Campaign) (Campaign, error) {
	var out Campaign
	err := s.inTx(ctx, func(q *dbq.Queries, _ pgx.Tx) error {
		r, err := q.CreateCampaign(ctx, dbq.CreateCampaignParams{UnitID: c.UnitID, Title: c.Title, OpensAt: c.OpensAt,
			ClosesAt: c.ClosesAt, RatePpm: int32(c.RatePPM), MinSample: int32(c.MinSample), QuotaPolicy: string(c.Policy),
			ScoringMethod: string(c.Method), Threshold: c.Threshold, MinFillSeconds: int32(c.MinFillSeconds), PowBits: int32(c.PowBits)})
		if err != nil {
			return err
		}
		for _, form := range Bank() {
			def, _ := json.Marshal(form)
			if _, err := q.CreateQuestionnaire(ctx, dbq.CreateQuestionnaireParams{CampaignID: r.ID, Kind: string(form.Kind), Definition: def}); err != nil {
				return err
			}
		}
		out = campaignFrom(r)
		return nil
	})
	return out, err
}

// Campaign returns the campaign with id, if its unit is in scope.
func (s *Store) Campaign(ctx context.Context, scope county.Scope, id int64) (Campaign, error) {
	r, err := s.q.GetCampaign(ctx, dbq.GetCampaignParams{ID: id, AllUnits: scope.All, UnitIds: scope.Units})
	return campaignFrom(r), notFound(err)
}

// Campaigns lists the campaigns of a unit.
func (s *Store) Campaigns(ctx context.Context, unitID int64) ([]Campaign, error) {
	rows, err := s.q.ListCampaigns(ctx, unitID)
	out := make([]Campaign, 0, len(rows))
	for _, r := range rows {
		out = append(out, campaignFrom(r))
	}
	return out, err
}

// UpdateCampaign saves validated settings. A draft may change everything;
// once open, the sampling parameters are locked and only the title, the
// schedule, the scoring method and the threshold may change.
func (s *Store) UpdateCampaign(ctx context.Context, c Campaign) (Campaign, error) {
	cur, err := s.Campaign(ctx, county.Everything, c.ID) // c was reached through the caller's scope
	if err != nil {
		return Campaign{}, err
	}
	var r dbq.Campaign
	if cur.Status == Draft {
		r, err = s.q.UpdateDraftCampaign(ctx, dbq.UpdateDraftCampaignParams{ID: c.ID, Title: c.Title, OpensAt: c.OpensAt,
			ClosesAt: c.ClosesAt, RatePpm: int32(c.RatePPM), MinSample: int32(c.MinSample), QuotaPolicy: string(c.Policy),
			ScoringMethod: string(c.Method), Threshold: c.Threshold, MinFillSeconds: int32(c.MinFillSeconds), PowBits: int32(c.PowBits)})
	} else {
		if c.RatePPM != cur.RatePPM || c.MinSample != cur.MinSample || c.Policy != cur.Policy {
			return Campaign{}, ErrLocked
		}
		r, err = s.q.UpdateCampaignSchedule(ctx, dbq.UpdateCampaignScheduleParams{ID: c.ID, Title: c.Title,
			OpensAt: c.OpensAt, ClosesAt: c.ClosesAt, ScoringMethod: string(c.Method), Threshold: c.Threshold,
			MinFillSeconds: int32(c.MinFillSeconds), PowBits: int32(c.PowBits)})
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return Campaign{}, ErrNotDraft // opened between the read and the update
	}
	return campaignFrom(r), err
}

// Open opens a draft campaign: the sample size is fixed and the quota cells
// of the allocation are created, in one transaction. From now on its
// questionnaires are frozen.
func (s *Store) Open(ctx context.Context, id int64, a sampling.Allocation) (Campaign, error) {
	var out Campaign
	err := s.inTx(ctx, func(q *dbq.Queries, tx pgx.Tx) error {
		n := int32(a.SampleSize)
		r, err := q.OpenCampaign(ctx, dbq.OpenCampaignParams{ID: id, SampleSize: &n})
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotDraft
		} else if err != nil {
			return err
		}
		out = campaignFrom(r)
		return sampling.NewStore(tx).CreateCells(ctx, id, a)
	})
	return out, err
}

// Close closes an open campaign.
func (s *Store) Close(ctx context.Context, id int64) (Campaign, error) {
	r, err := s.q.CloseCampaign(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Campaign{}, ErrNotOpen
	}
	return campaignFrom(r), err
}

// Form is a campaign's stored questionnaire.
type Form struct {
	ID      int64 `json:"id"`
	Version int32 `json:"version"`
	Questionnaire
}

func formFrom(r dbq.Questionnaire) (Form, error) {
	f := Form{ID: r.ID, Version: r.Version}
	err := json.Unmarshal(r.Definition, &f.Questionnaire)
	return f, err
}

// Forms returns a campaign's questionnaires.
func (s *Store) Forms(ctx context.Context, campaignID int64) ([]Form, error) {
	rows, err := s.q.ListQuestionnaires(ctx, campaignID)
	if err != nil {
		return nil, err
	}
	out := make([]Form, 0, len(rows))
	for _, r := range rows {
		f, err := formFrom(r)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// UpdateForm replaces a draft campaign's questionnaire with a validated one.
func (s *Store) UpdateForm(ctx context.Context, campaignID int64, q Questionnaire) (Form, error) {
	def, err := json.Marshal(q)
	if err != nil {
		return Form{}, err
	}
	r, err := s.q.UpdateQuestionnaire(ctx, dbq.UpdateQuestionnaireParams{CampaignID: campaignID, Kind: string(q.Kind), Definition: def})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23514" {
		return Form{}, ErrFrozen
	}
	if err != nil {
		return Form{}, notFound(err)
	}
	return formFrom(r)
}

// Link is a published address of a campaign's form, behind a QR code.
type Link struct {
	ID         int64     `json:"id"`
	CampaignID int64     `json:"campaign_id"`
	Code       string    `json:"code"`
	SchoolID   *int64    `json:"school_id"`
	Kind       *Kind     `json:"questionnaire"` // nil: the respondent picks their category
	Label      string    `json:"label"`
	CreatedAt  time.Time `json:"created_at"`
}

func linkFrom(r dbq.Link) Link {
	l := Link{ID: r.ID, CampaignID: r.CampaignID, Code: r.Code, SchoolID: r.SchoolID, Label: r.Label, CreatedAt: r.CreatedAt}
	if r.QuestionnaireKind != nil {
		k := Kind(*r.QuestionnaireKind)
		l.Kind = &k
	}
	return l
}

// CreateLink saves a link with a fresh unguessable code.
func (s *Store) CreateLink(ctx context.Context, l Link) (Link, error) {
	var kind *string
	if l.Kind != nil {
		k := string(*l.Kind)
		kind = &k
	}
	r, err := s.q.CreateLink(ctx, dbq.CreateLinkParams{CampaignID: l.CampaignID, Code: randomCode(linkAlphabet, 10),
		SchoolID: l.SchoolID, QuestionnaireKind: kind, Label: l.Label})
	return linkFrom(r), err
}

// Links lists a campaign's links.
func (s *Store) Links(ctx context.Context, campaignID int64) ([]Link, error) {
	rows, err := s.q.ListLinks(ctx, campaignID)
	out := make([]Link, 0, len(rows))
	for _, r := range rows {
		out = append(out, linkFrom(r))
	}
	return out, err
}

// LinkByCode returns the link with code.
func (s *Store) LinkByCode(ctx context.Context, code string) (Link, error) {
	r, err := s.q.GetLinkByCode(ctx, code)
	return linkFrom(r), notFound(err)
}

// ResponseStatus says whether a response is in the official sample.
type ResponseStatus string

const (
	Admitted    ResponseStatus = "admitted"
	OverQuota   ResponseStatus = "over_quota"
	Invalidated ResponseStatus = "invalidated"
)

// Envelope is what the server knows of a submission beside its answers.
type Envelope struct {
	CampaignID   int64
	FormID       int64
	LinkID       int64
	SubmissionID string // from the rendered form
	IPHash       []byte // keyed hash of the client address
	UAFamily     string
	FillTime     time.Duration // from render to submit
	DeviceHash   []byte        // keyed hash of the device cookie; nil without one
	Signature    string        // Questionnaire.Signature of the answers
}

// Receipt is what the respondent is told after submitting.
type Receipt struct {
	Code      string         `json:"receipt"`
	Status    ResponseStatus `json:"status"`
	Duplicate bool           `json:"duplicate"`            // the submission id had been stored before
	Pos       int64          `json:"chain_pos,omitempty"`  // place in the sample chain; 0 when not admitted
	Hash      string         `json:"chain_hash,omitempty"` // the entry's hash prefix
}

// ClosedError says a campaign took no answers at the moment of submitting.
type ClosedError struct{ Reason string }

func (e *ClosedError) Error() string { return e.Reason }

// Tally counts a campaign's admitted answers for scoring.
func (s *Store) Tally(ctx context.Context, campaignID int64) ([]Count, error) {
	rows, err := s.q.TallyAnswers(ctx, campaignID)
	out := make([]Count, 0, len(rows))
	for _, r := range rows {
		out = append(out, Count{Item: r.Item, Option: r.Option, Category: sampling.Category(r.Category),
			Locale: sampling.Locale(r.Locale), School: r.School, N: r.N})
	}
	return out, err
}

// StatusCounts counts a campaign's responses by status.
func (s *Store) StatusCounts(ctx context.Context, campaignID int64) (map[ResponseStatus]int64, error) {
	rows, err := s.q.CountResponsesByStatus(ctx, campaignID)
	out := map[ResponseStatus]int64{Admitted: 0, OverQuota: 0, Invalidated: 0}
	for _, r := range rows {
		out[ResponseStatus(r.Status)] = r.N
	}
	return out, err
}

// Hour is how many responses arrived in one clock hour, by status.
type Hour struct {
	Start time.Time
	N     map[ResponseStatus]int64
}

// Hourly counts a campaign's responses per hour, oldest first; hours with
// none are left out.
func (s *Store) Hourly(ctx context.Context, campaignID int64) ([]Hour, error) {
	rows, err := s.q.HourlySubmissions(ctx, campaignID)
	var out []Hour
	for _, r := range rows {
		if len(out) == 0 || !out[len(out)-1].Start.Equal(r.Hour) {
			out = append(out, Hour{Start: r.Hour, N: map[ResponseStatus]int64{}})
		}
		out[len(out)-1].N[ResponseStatus(r.Status)] = r.N
	}
	return out, err
}

const (
	linkAlphabet    = "abcdefghijkmnpqrstuvwxyz23456789" // no l, o, 0, 1
	receiptAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  // no I, L, O, 0, 1
)

// randomCode draws n characters uniformly from alphabet with crypto/rand.
func randomCode(alphabet string, n int) string {
	b := make([]byte, n)
	buf := make([]byte, 1)
	limit := 256 - 256%len(alphabet)
	for i := 0; i < n; {
		if _, err := rand.Read(buf); err != nil {
			panic(fmt.Sprintf("crypto/rand: %v", err))
		}
		if int(buf[0]) < limit {
			b[i] = alphabet[int(buf[0])%len(alphabet)]
			i++
		}
	}
	return string(b)
}
