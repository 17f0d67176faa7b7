package survey

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/mod/sumdb/note"

	"renke/county"
	"renke/dbq"
	"renke/refusal"
	"renke/sampling"
)

var (
	ErrNotFound   = errors.New("not found")
	ErrIDConflict = errors.New("submission id belongs to another campaign")
)

// Refusals of the staff actions on campaigns.
var (
	ErrNotDraft = refusal.Conflictf("调查已开始，不能再执行此操作")
	ErrNotOpen  = refusal.Conflictf("调查未在进行中")
	ErrLocked   = refusal.Conflictf("调查已开始，抽样比例、最低样本量和配额策略已锁定")
	ErrFrozen   = refusal.Conflictf("调查已开始，问卷已冻结，不能修改")
	ErrNoLinks  = refusal.Conflictf("请先生成问卷链接（二维码），再开始调查")
)

// Store keeps campaigns, questionnaires, links and responses in PostgreSQL.
// Every staff action on a campaign is one method here, which owns its
// rules; the console and the API both call it.
type Store struct {
	pool    *pgxpool.Pool
	q       *dbq.Queries
	units   *county.Store
	quotas  *sampling.Store
	commits committer
	traces  sync.Map // campaign id → *campaignTraces, for burst detection
	reports *reportCache
	logKey  *LogKey
	wechat  bool // the deployment has a WeChat service account (UseWeChat)
	// witnesses whose cosignatures are kept and named (WITNESS_KEYS)
	witnesses []note.Verifier

	mu       sync.Mutex
	onChange []func(campaignID int64)
}

// NewStore returns a store on pool.
func NewStore(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, q: dbq.New(pool), units: county.NewStore(pool), quotas: sampling.NewStore(pool),
		reports: newReportCache(ReportMaxAge), logKey: ephemeralLogKey()}
}

// UseWeChat says whether the deployment has a WeChat service account, so
// that a campaign may be set to WeChat-only answering.
func (s *Store) UseWeChat(configured bool) { s.wechat = configured }

// UseLogKey sets the key that signs the campaigns' checkpoints. A store
// starts with a key of its own that no one else holds, fit for tests and
// for reading; a server sets the deployment's key before it takes answers.
func (s *Store) UseLogKey(k *LogKey) { s.logKey = k }

// LogKey is the key that signs the campaigns' checkpoints.
func (s *Store) LogKey() *LogKey { return s.logKey }

// OnChange registers fn to be called after a staff action changed a
// campaign in this process (its settings, status, questionnaires or the
// sample through a review decision), e.g. to drop what a cache derived
// from it.
func (s *Store) OnChange(fn func(campaignID int64)) {
	s.mu.Lock()
	s.onChange = append(s.onChange, fn)
	s.mu.Unlock()
}

func (s *Store) changed(campaignID int64) {
	s.reports.forget(campaignID)
	s.mu.Lock()
	fns := slices.Clone(s.onChange)
	s.mu.Unlock()
	for _, fn := range fns {
		fn(campaignID)
	}
}

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
		MinFillSeconds: int(r.MinFillSeconds), PowBits: int(r.PowBits), TokenHours: int(r.TokenHours), WeChatOnly: r.WechatOnly, LogSize: r.LogSize, LogRoot: r.LogRoot,
		LogFrontier: r.LogFrontier, SealedSize: r.SealedSize, SealedRoot: r.SealedRoot, Organiser: r.Organiser, Blind: r.Blind}
	if r.SampleSize != nil {
		n := int(*r.SampleSize)
		c.SampleSize = &n
	}
	c.Population = r.Population
	if len(r.Shares) == 3 {
		c.Shares = &sampling.Shares{Urban: int(r.Shares[0]), Town: int(r.Shares[1]), Rural: int(r.Shares[2])}
	}
	return c
}

func (s *Store) inTx(ctx context.Context, fn func(q *dbq.Queries, tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return fn(dbq.New(tx), tx) })
}

// Campaign returns the campaign with id, if its unit is in scope.
func (s *Store) Campaign(ctx context.Context, scope county.Scope, id int64) (Campaign, error) {
	r, err := s.q.GetCampaign(ctx, dbq.GetCampaignParams{ID: id, AllUnits: scope.All, UnitIds: scope.Units})
	return campaignFrom(r), notFound(err)
}

// CampaignAnswers is Campaign for reading its answers or anything made
// from them; ErrBlind when the campaign is blind to the scope's viewer.
// Every answer-bearing page, export and API route looks its campaign up
// here.
func (s *Store) CampaignAnswers(ctx context.Context, scope county.Scope, id int64) (Campaign, error) {
	cp, err := s.Campaign(ctx, scope, id)
	if err == nil && cp.BlindTo(scope) {
		return cp, ErrBlind
	}
	return cp, err
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
	// Held: flagged when it arrived, so stored and logged but counted
	// nowhere and holding no quota place until a reviewer admits it (it
	// then takes a place, or is over quota when its cell is full) or
	// judges it invalid. A stuffer's responses cannot take honest
	// parents' places under the cap policy.
	Held ResponseStatus = "held"
)

// Statuses lists every status.
var Statuses = []ResponseStatus{Admitted, Held, OverQuota, Invalidated}

var statusNames = map[ResponseStatus]string{Admitted: "纳入样本", OverQuota: "超出配额", Invalidated: "无效", Held: "待审核，暂未计入"}

// statusCounts is a zero count of every status.
func statusCounts() map[ResponseStatus]int64 {
	out := make(map[ResponseStatus]int64, len(Statuses))
	for _, st := range Statuses {
		out[st] = 0
	}
	return out
}

// Name is the status's Chinese name.
func (s ResponseStatus) Name() string { return statusNames[s] }

// Envelope is what the server knows of a submission beside its answers.
type Envelope struct {
	CampaignID int64
	FormID     int64
	// Form is the questionnaire answered (FormID's): the respondent's marks
	// for the respondent sums are taken from its scale and items.
	Form         *Questionnaire
	LinkID       int64
	SubmissionID string // from the rendered form
	IPHash       []byte // keyed hash of the client address
	UAFamily     string
	FillTime     time.Duration // from render to submit
	DeviceHash   []byte        // keyed hash of the device cookie; nil without one
	Signature    string        // Questionnaire.Signature of the answers
	// NoDevice: the submission did not return the device cookie its form
	// was sent with.
	NoDevice bool
	// NewDevice: the device cookie was given with the form, not brought
	// from an earlier visit.
	NewDevice bool
	// FromAddress counts the responses to the campaign from the same
	// client address within ConcentrationWindow, this one included.
	FromAddress int
	// ConcentratedSince: the client's source is beyond its budget
	// (package intake); this response and the source's others since then
	// are flagged. Zero: it is not.
	ConcentratedSince time.Time
	// WeChatHash is the keyed hash of the WeChat user's openid, for a
	// campaign that requires WeChat sign-in: one response per user.
	WeChatHash []byte
}

// Identity is how strongly a response's respondent is identified: the
// rows of the exposure table.
type Identity string

const (
	IdentityWeChat    Identity = "wechat"    // a WeChat user: one response each
	IdentityReturning Identity = "returning" // a device cookie from an earlier visit, come back with the form
	IdentityNew       Identity = "new"       // a device cookie given with the form, come back with it
	IdentityNone      Identity = "none"      // the form's device cookie did not come back
)

// Identities lists them, strongest first.
var Identities = []Identity{IdentityWeChat, IdentityReturning, IdentityNew, IdentityNone}

var identityNames = map[Identity]string{IdentityWeChat: "微信身份（每人一份）", IdentityReturning: "此前访问过的设备",
	IdentityNew: "首次访问的设备", IdentityNone: "未带回设备标识", "": "早于本版本的答卷"}

// Name is the identity in Chinese.
func (i Identity) Name() string { return identityNames[i] }

// Identity is the envelope's identity.
func (e *Envelope) Identity() Identity {
	switch {
	case e.WeChatHash != nil:
		return IdentityWeChat
	case e.NoDevice || e.DeviceHash == nil:
		return IdentityNone
	case e.NewDevice:
		return IdentityNew
	}
	return IdentityReturning
}

// Receipt is what the respondent is told after submitting.
type Receipt struct {
	Code      string         `json:"receipt"`
	Status    ResponseStatus `json:"status"`
	Duplicate bool           `json:"duplicate"` // the submission id had been stored before
	// Where the log holds it: its place (leaf index + 1; 0 when not
	// admitted), its leaf hash's prefix, and the checkpoint it was admitted
	// under (size and full root, hex), which the respondent keeps to check
	// later that the log still extends it.
	Pos      int64  `json:"log_pos,omitempty"`
	Hash     string `json:"leaf_hash,omitempty"`
	TreeSize int64  `json:"tree_size,omitempty"`
	Root     string `json:"tree_root,omitempty"`
}

// ClosedError says a campaign took no answers at the moment of submitting.
type ClosedError struct{ Reason string }

func (e *ClosedError) Error() string { return e.Reason }

// StatusCounts counts a campaign's responses by status.
func (s *Store) StatusCounts(ctx context.Context, campaignID int64) (map[ResponseStatus]int64, error) {
	rows, err := s.q.CountResponsesByStatus(ctx, campaignID)
	out := statusCounts()
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

// WeChatReceipt is the receipt of the response a WeChat user sent to a
// campaign, if any.
func (s *Store) WeChatReceipt(ctx context.Context, campaignID int64, user []byte) (Receipt, bool, error) {
	rows, err := s.q.FindWeChatResponses(ctx, dbq.FindWeChatResponsesParams{CampaignID: campaignID, Hashes: [][]byte{user}})
	if err != nil || len(rows) == 0 {
		return Receipt{}, false, err
	}
	r := rows[0]
	return Receipt{Code: r.Receipt, Status: ResponseStatus(r.Status), Duplicate: true, Pos: r.Pos, Hash: HashPrefix(r.Hash)}, true, nil
}

// ReceiptCode is a receipt code as a respondent may type or copy it, made
// plain: upper case, with the spaces, hyphens and full-width characters a
// phone keyboard or a printed slip puts in taken out ("abcd-efgh 23" →
// "ABCDEFGH23").
func ReceiptCode(typed string) string {
	var b strings.Builder
	for _, r := range typed {
		if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII
			r -= 0xFEE0
		}
		switch r {
		case ' ', '-', '\t', '\u3000', '_', '.', '·', '—', '－':
			continue
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}
