package survey

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"renke/county"
	"renke/dbq"
	"renke/refusal"
	"renke/sampling"
)

// The staff actions on a campaign and its links and questionnaires. Each
// is the one home of its rules: the console and the JSON API translate
// their requests into these calls and their refusals into pages and
// status codes, and nothing else.

// Settings is the part of a campaign staff may set; nil fields stay as
// they are. The API reads it from JSON, the console from its form.
type Settings struct {
	Title     *string          `json:"title"`
	OpensAt   *string          `json:"opens_at"`  // RFC 3339; "" clears
	ClosesAt  *string          `json:"closes_at"` // RFC 3339; "" clears
	RatePPM   *int             `json:"rate_ppm"`
	MinSample *int             `json:"min_sample"`
	Policy    *sampling.Policy `json:"quota_policy"`
	Method    *Method          `json:"scoring_method"`
	Threshold *float64         `json:"threshold"`
	MinFill   *int             `json:"min_fill_seconds"`
	PowBits   *int             `json:"pow_bits"`
	Token     *int             `json:"token_hours"`
	WeChat    *bool            `json:"wechat_only"`
	// Blind is taken when a region creates its units' surveys, and
	// refused after (Campaign.Blind).
	Blind *bool `json:"blind,omitempty"`
	// Reason is why a setting that decides the verdict is changed after
	// the survey opened (platform admin only); recorded with the change.
	Reason *string `json:"reason,omitempty"`
}

// apply sets the given settings on c, fills the national defaults and
// validates the result.
func (in Settings) apply(c *Campaign) error {
	if in.Title != nil {
		c.Title = *in.Title
	}
	for _, t := range []struct {
		in  *string
		out **time.Time
	}{{in.OpensAt, &c.OpensAt}, {in.ClosesAt, &c.ClosesAt}} {
		if t.in == nil {
			continue
		}
		if *t.in == "" {
			*t.out = nil
			continue
		}
		v, err := time.Parse(time.RFC3339, *t.in)
		if err != nil {
			return refusal.Invalidf("时间 %q 格式无效，须为 RFC 3339，如 2026-12-01T08:00:00+08:00", *t.in)
		}
		*t.out = &v
	}
	set := func(p *int, out *int) {
		if p != nil {
			*out = *p
		}
	}
	set(in.RatePPM, &c.RatePPM)
	set(in.MinSample, &c.MinSample)
	set(in.MinFill, &c.MinFillSeconds)
	set(in.PowBits, &c.PowBits)
	set(in.Token, &c.TokenHours)
	if in.WeChat != nil {
		c.WeChatOnly = *in.WeChat
	}
	if in.Blind != nil && *in.Blind != c.Blind {
		return refusal.Forbiddenf("是否盲评在创建调查时确定，之后不能更改")
	}
	if in.Policy != nil {
		c.Policy = *in.Policy
	}
	if in.Method != nil {
		c.Method = *in.Method
	}
	if in.Threshold != nil {
		c.Threshold = *in.Threshold
	}
	c.Defaults()
	return refusal.AsInvalid(c.Validate())
}

// CreateCampaign saves a draft campaign of unit unitID with the settings
// given and the national defaults for the rest, and its own copy of the
// question bank.
func (s *Store) CreateCampaign(ctx context.Context, unitID int64, in Settings) (Campaign, error) {
	return s.createCampaign(ctx, unitID, in, "")
}

// createCampaign creates a campaign organised by a region (its six-digit
// code) or, with "", by the unit's own bureau.
func (s *Store) createCampaign(ctx context.Context, unitID int64, in Settings, organiser string) (Campaign, error) {
	c := Campaign{UnitID: unitID, Organiser: organiser}
	if in.Blind != nil {
		if *in.Blind && organiser == "" {
			return Campaign{}, refusal.Invalidf("只有市、省为所辖单位创建的调查可以设为盲评（不向被评估单位公开作答数据）")
		}
		c.Blind, in.Blind = *in.Blind, nil
	}
	if err := in.apply(&c); err != nil {
		return Campaign{}, err
	}
	var out Campaign
	err := s.inTx(ctx, func(q *dbq.Queries, _ pgx.Tx) error {
		r, err := q.CreateCampaign(ctx, dbq.CreateCampaignParams{UnitID: c.UnitID, Title: c.Title, OpensAt: c.OpensAt,
			ClosesAt: c.ClosesAt, RatePpm: int32(c.RatePPM), MinSample: int32(c.MinSample), QuotaPolicy: string(c.Policy),
			ScoringMethod: string(c.Method), Threshold: c.Threshold, MinFillSeconds: int32(c.MinFillSeconds), PowBits: int32(c.PowBits),
			TokenHours: int32(c.TokenHours), WechatOnly: c.WeChatOnly, Organiser: c.Organiser, Blind: c.Blind})
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

// Actor is who takes a staff action.
type Actor struct {
	Username string
	Admin    bool // the platform admin
}

// Change is one setting changed: its name, and its old and new value as
// staff read them.
type Change struct {
	Setting string `json:"setting"`
	Old     string `json:"old"`
	New     string `json:"new"`
}

// String is the change as the audit log and the dossier print it.
func (c Change) String() string { return fmt.Sprintf("%s：%s → %s", c.Setting, c.Old, c.New) }

// settingChanges lists what differs between two versions of a campaign:
// the settings that decide the verdict apart from the rest.
func settingChanges(a, b Campaign) (verdict, other []Change) {
	when := func(t *time.Time) string {
		if t == nil {
			return "未设置"
		}
		return t.In(Beijing).Format("2006-01-02 15:04")
	}
	pct := func(v float64) string { return percent(v) + "%" }
	yes := func(v bool) string { return map[bool]string{true: "是", false: "否"}[v] }
	add := func(list *[]Change, name, old, new string) {
		if old != new {
			*list = append(*list, Change{name, old, new})
		}
	}
	add(&verdict, "达标线", pct(a.Threshold), pct(b.Threshold))
	add(&verdict, "计分方法", a.Method.Name(), b.Method.Name())
	add(&verdict, "抽样比例", strconv.Itoa(a.RatePPM)+" ppm", strconv.Itoa(b.RatePPM)+" ppm")
	add(&verdict, "最低样本量", strconv.Itoa(a.MinSample), strconv.Itoa(b.MinSample))
	add(&verdict, "配额策略", a.Policy.Name(), b.Policy.Name())
	add(&other, "调查名称", a.Title, b.Title)
	add(&other, "开始时间", when(a.OpensAt), when(b.OpensAt))
	add(&other, "结束时间", when(a.ClosesAt), when(b.ClosesAt))
	add(&other, "最短填写时间（秒）", strconv.Itoa(a.MinFillSeconds), strconv.Itoa(b.MinFillSeconds))
	add(&other, "计算验证强度", strconv.Itoa(a.PowBits), strconv.Itoa(b.PowBits))
	add(&other, "问卷页面有效时间（小时）", strconv.Itoa(a.TokenHours), strconv.Itoa(b.TokenHours))
	add(&other, "仅限微信内填写", yes(a.WeChatOnly), yes(b.WeChatOnly))
	return verdict, other
}

// ErrVerdictFrozen refuses unit staff a change of the verdict's settings
// after the survey opened.
var ErrVerdictFrozen = refusal.Forbiddenf("调查已开始，达标线和计分方法已冻结；确需修改的，须由平台管理员填写理由后修改，修改将记录并写入调查材料")

// ErrNoWeChat refuses WeChat-only answering on a deployment without a
// WeChat service account: every respondent would be turned away.
var ErrNoWeChat = refusal.Invalidf("本系统未配置微信服务号（WECHAT_APP_ID、WECHAT_APP_SECRET），不能设为“仅限微信内填写”，否则所有答卷人都将无法填写")

// UpdateCampaign changes a campaign's settings and returns what changed.
// A draft may change everything. Once open, the settings that decide the
// verdict are frozen: the sampling parameters (rate, minimum, quota
// policy) for good, since the quota cells are fixed; the threshold and
// the scoring method may be changed only by the platform admin, with a
// reason, and each such change is a campaign event printed in the
// dossier with its old and new value. The title, the schedule and the
// checks against stuffing stay open to staff.
func (s *Store) UpdateCampaign(ctx context.Context, id int64, in Settings, by Actor) (Campaign, []Change, error) {
	cur, err := s.Campaign(ctx, county.Everything, id) // id was reached through the caller's scope
	if err != nil {
		return Campaign{}, nil, err
	}
	c := cur
	if err := in.apply(&c); err != nil {
		return Campaign{}, nil, err
	}
	if c.WeChatOnly && !cur.WeChatOnly && !s.wechat {
		return Campaign{}, nil, ErrNoWeChat
	}
	verdict, other := settingChanges(cur, c)
	reason := ""
	if in.Reason != nil {
		reason = strings.TrimSpace(*in.Reason)
	}
	var r dbq.Campaign
	if cur.Status == Draft {
		r, err = s.q.UpdateDraftCampaign(ctx, dbq.UpdateDraftCampaignParams{ID: c.ID, Title: c.Title, OpensAt: c.OpensAt,
			ClosesAt: c.ClosesAt, RatePpm: int32(c.RatePPM), MinSample: int32(c.MinSample), QuotaPolicy: string(c.Policy),
			ScoringMethod: string(c.Method), Threshold: c.Threshold, MinFillSeconds: int32(c.MinFillSeconds), PowBits: int32(c.PowBits),
			TokenHours: int32(c.TokenHours), WechatOnly: c.WeChatOnly})
	} else {
		if c.RatePPM != cur.RatePPM || c.MinSample != cur.MinSample || c.Policy != cur.Policy {
			return Campaign{}, nil, ErrLocked
		}
		if len(verdict) > 0 {
			if !by.Admin {
				return Campaign{}, nil, ErrVerdictFrozen
			}
			if n := utf8.RuneCountInString(reason); n < 2 || n > 500 {
				return Campaign{}, nil, refusal.Invalidf("调查开始后修改达标线或计分方法，须填写理由（2 至 500 字），理由将写入调查材料")
			}
		}
		err = s.inTx(ctx, func(q *dbq.Queries, _ pgx.Tx) error {
			var err error
			r, err = q.UpdateCampaignSchedule(ctx, dbq.UpdateCampaignScheduleParams{ID: c.ID, Title: c.Title,
				OpensAt: c.OpensAt, ClosesAt: c.ClosesAt, ScoringMethod: string(c.Method), Threshold: c.Threshold,
				MinFillSeconds: int32(c.MinFillSeconds), PowBits: int32(c.PowBits), TokenHours: int32(c.TokenHours), WechatOnly: c.WeChatOnly})
			if err != nil {
				return err
			}
			// Each change is an event, and each event a leaf of the log
			// with the settings after the change.
			var entries []Entry
			for _, ch := range verdict {
				ev, err := q.AddSettingEvent(ctx, dbq.AddSettingEventParams{CampaignID: id, Reason: reason, Username: by.Username,
					Setting: ch.Setting, OldValue: ch.Old, NewValue: ch.New})
				if err != nil {
					return err
				}
				e := newEntry(id, EntrySetting, by.Username, ev.At)
				e.Event, e.Reason, e.Setting, e.Old, e.New = ev.ID, reason, ch.Setting, ch.Old, ch.New
				e.Settings = campaignFrom(r).Verdict()
				entries = append(entries, e)
			}
			if len(entries) > 0 {
				r, err = s.appendEntries(ctx, q, r, entries...)
			}
			return err
		})
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return Campaign{}, nil, ErrNotDraft // opened between the read and the update
	} else if err != nil {
		return Campaign{}, nil, err
	}
	s.changed(id)
	return campaignFrom(r), append(verdict, other...), nil
}

// Open opens a draft campaign that has at least one link: the sample size
// is fixed, the population and locale shares it was designed on are kept,
// the quota cells of its allocation are created, and the settings it will
// be judged by are recorded as the open event, in one transaction. From
// now on its questionnaires and the verdict's settings are frozen.
func (s *Store) Open(ctx context.Context, id int64, username string) (Campaign, error) {
	cp, err := s.Campaign(ctx, county.Everything, id)
	if err != nil {
		return Campaign{}, err
	}
	if cp.Status != Draft {
		return Campaign{}, ErrNotDraft
	}
	links, err := s.q.ListLinks(ctx, id)
	if err != nil {
		return Campaign{}, err
	}
	if len(links) == 0 {
		return Campaign{}, ErrNoLinks
	}
	u, err := s.units.Unit(ctx, county.Everything, cp.UnitID) // cp was reached in scope
	if err != nil {
		return Campaign{}, err
	}
	a, err := sampling.Allocate(cp.Design(u.Population, u.Shares))
	if err != nil {
		return Campaign{}, refusal.AsInvalid(err)
	}
	var out Campaign
	err = s.inTx(ctx, func(q *dbq.Queries, tx pgx.Tx) error {
		n := int32(a.SampleSize)
		pop := u.Population
		r, err := q.OpenCampaign(ctx, dbq.OpenCampaignParams{ID: id, SampleSize: &n, Population: &pop,
			Shares: []int32{int32(u.Shares.Urban), int32(u.Shares.Town), int32(u.Shares.Rural)}})
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotDraft
		} else if err != nil {
			return err
		}
		out = campaignFrom(r)
		if err := q.CreateCampaignKey(ctx, dbq.CreateCampaignKeyParams{CampaignID: id, Key: newHashKey()}); err != nil {
			return err
		}
		ev, err := q.AddSettingEvent(ctx, dbq.AddSettingEventParams{CampaignID: id, Username: username,
			Setting: "开始调查时冻结的设置", NewValue: out.Frozen()})
		if err != nil {
			return err
		}
		// The log's first leaf of the survey: the settings it froze and
		// the questionnaires it asks.
		e := newEntry(id, EntryOpen, username, ev.At)
		e.Event, e.New, e.Settings = ev.ID, out.Frozen(), out.Verdict()
		if e.Forms, err = formDigests(ctx, q, id); err != nil {
			return err
		}
		if r, err = s.appendEntries(ctx, q, r, e); err != nil {
			return err
		}
		out = campaignFrom(r)
		return sampling.NewStore(tx).CreateCells(ctx, id, a)
	})
	if err == nil {
		s.changed(id)
	}
	return out, err
}

// Close closes an open campaign: the close is a leaf of its log, followed
// by the final result statement computed from the log, and the log is
// sealed after both. It destroys the campaign's hash key (HashKey): the
// address and device hashes stored with its responses keep the flags
// they raised, but no one can tell any more which address or device they
// came from.
func (s *Store) Close(ctx context.Context, id int64, username string) (Campaign, error) {
	var out Campaign
	err := s.inTx(ctx, func(q *dbq.Queries, _ pgx.Tx) error {
		// The campaign's lock first, as a group commit takes it: nothing
		// is admitted between the statement and the seal.
		row, err := q.LockCampaignForSubmit(ctx, id)
		if err != nil {
			return notFound(err)
		}
		if Status(row.Status) != Open {
			return ErrNotOpen
		}
		ev, err := q.AddCampaignEvent(ctx, dbq.AddCampaignEventParams{CampaignID: id, Action: "close", Username: username})
		if err != nil {
			return err
		}
		e := newEntry(id, EntryClose, username, ev.At)
		e.Event, e.Settings = ev.ID, campaignFrom(row).Verdict()
		if row, err = s.appendEntries(ctx, q, row, e); err != nil {
			return err
		}
		result, err := s.statementEntry(ctx, q, id, true, username, ev.At)
		if err != nil {
			return err
		}
		if _, err = s.appendEntries(ctx, q, row, result); err != nil {
			return err
		}
		r, err := q.CloseCampaign(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotOpen
		} else if err != nil {
			return err
		}
		out = campaignFrom(r)
		return q.DeleteCampaignKey(ctx, id)
	})
	if err != nil {
		return Campaign{}, err
	}
	s.changed(id)
	return out, nil
}

// newHashKey is a fresh random key for a campaign's address and device hashes.
func newHashKey() []byte {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return key
}

// HashKey is the key of an open campaign's address and device hashes,
// made when it opened; ErrNotFound once it closed.
func (s *Store) HashKey(ctx context.Context, campaignID int64) ([]byte, error) {
	key, err := s.q.CampaignKey(ctx, campaignID)
	return key, notFound(err)
}

// Preview is the allocation a new campaign with the national defaults
// would enforce for the unit as it stands.
func Preview(u county.Unit) (sampling.Allocation, error) {
	var cp Campaign
	cp.Defaults()
	a, err := sampling.Allocate(cp.Design(u.Population, u.Shares))
	return a, refusal.AsInvalid(err)
}

// Allocation is the quota of a campaign with what each cell admitted: the
// stored cells once it is open, otherwise what opening it now would fix.
func (s *Store) Allocation(ctx context.Context, cp Campaign) (sampling.Allocation, []sampling.CellProgress, error) {
	if cp.Status == Draft {
		u, err := s.units.Unit(ctx, county.Everything, cp.UnitID) // cp was reached in scope
		if err != nil {
			return sampling.Allocation{}, nil, err
		}
		a, err := sampling.Allocate(cp.Design(u.Population, u.Shares))
		if err != nil {
			return a, nil, refusal.AsInvalid(err)
		}
		return a, a.Unfilled(), nil
	}
	cells, err := s.quotas.Progress(ctx, cp.ID)
	if err != nil {
		return sampling.Allocation{}, nil, err
	}
	a := sampling.Allocation{ByCategory: map[sampling.Category]int{}}
	for _, cell := range cells {
		a.Cells = append(a.Cells, cell.Cell)
		a.ByCategory[cell.Category] += cell.Target
		a.SampleSize += cell.Target
	}
	return a, cells, nil
}

// CategoryProgress is one category's target, the quota places its
// responses took, and those of them counted in the sample now.
type CategoryProgress struct {
	Category sampling.Category `json:"category"`
	Name     string            `json:"name"`
	Target   int               `json:"target"`
	Admitted int               `json:"admitted"` // quota places taken
	Counted  int               `json:"counted"`  // in the sample now
}

// Progress is a campaign's sample against its quota. Every count the
// dashboard, the dossier and the exports show comes from here, with one
// meaning each:
//   - Admitted: quota places taken. A response judged invalid keeps its
//     place (it cannot be replaced by a friendlier one), so this does not
//     fall when one is taken out;
//   - Counted: responses in the sample now (status admitted), which the
//     recognition rate and the parent share are computed over;
//   - Responses: every response by status (admitted, over quota,
//     invalidated); Counted equals Responses[Admitted].
type Progress struct {
	SampleSize     int                      `json:"sample_size"`
	Admitted       int                      `json:"admitted"`
	Counted        int                      `json:"counted"`
	Cells          []sampling.CellProgress  `json:"cells"`
	ByCategory     []CategoryProgress       `json:"by_category"`
	ParentShare    float64                  `json:"parent_share"` // of the counted responses
	ParentFloorMet bool                     `json:"parent_floor_met"`
	GradeBalance   []sampling.BandBalance   `json:"grade_balance"`
	Responses      map[ResponseStatus]int64 `json:"responses"`
	quotaShares    map[sampling.Category]float64
	started        bool
}

// State is the counted sample against its design, for the verdict: a
// draft's sample size is not fixed yet.
func (p Progress) State() SampleState {
	st := SampleState{Counted: p.Counted, ParentFloorMet: p.ParentFloorMet}
	if p.started {
		st.Designed = p.SampleSize
	}
	return st
}

// Table is the progress as a category × locale table.
func (p Progress) Table() sampling.QuotaTable {
	t := sampling.NewQuotaTable(p.SampleSize, p.Cells)
	t.Started = p.started
	return t
}

// Progress reads a campaign's sample against its quota: the cells, the
// grade bands and the responses by category and status, each once.
func (s *Store) Progress(ctx context.Context, cp Campaign) (Progress, error) {
	a, cells, err := s.Allocation(ctx, cp)
	if err != nil {
		return Progress{}, err
	}
	counts, err := s.q.CountResponsesByCategory(ctx, cp.ID)
	if err != nil {
		return Progress{}, err
	}
	p := Progress{SampleSize: a.SampleSize, Cells: cells, quotaShares: map[sampling.Category]float64{}, started: cp.Status != Draft,
		Responses: statusCounts()}
	counted := map[sampling.Category]int{}
	type place struct {
		c sampling.Category
		l sampling.Locale
	}
	inCell := map[place]int{}
	for _, c := range counts {
		p.Responses[ResponseStatus(c.Status)] += c.N
		if ResponseStatus(c.Status) == Admitted {
			counted[sampling.Category(c.Category)] += int(c.N)
			inCell[place{sampling.Category(c.Category), sampling.Locale(c.Locale)}] += int(c.N)
		}
	}
	for i := range p.Cells {
		p.Cells[i].Counted = inCell[place{p.Cells[i].Category, p.Cells[i].Locale}]
	}
	parents := 0
	for _, cat := range sampling.Categories {
		row := CategoryProgress{Category: cat, Name: cat.Name(), Target: a.ByCategory[cat], Counted: counted[cat]}
		for _, cell := range cells {
			if cell.Category == cat {
				row.Admitted += cell.Admitted
			}
		}
		p.Admitted += row.Admitted
		p.Counted += row.Counted
		p.ByCategory = append(p.ByCategory, row)
		if cat == sampling.Parent {
			parents = row.Counted
		}
		if a.SampleSize > 0 {
			p.quotaShares[cat] = float64(row.Target) / float64(a.SampleSize)
		}
	}
	if p.Counted > 0 {
		p.ParentShare = float64(parents) / float64(p.Counted)
		p.ParentFloorMet = sampling.ParentFloorMet(parents, p.Counted)
	}
	bands, err := s.quotas.GradeBandCounts(ctx, cp.ID)
	if err != nil {
		return p, err
	}
	p.GradeBalance = sampling.GradeBalance(bands)
	return p, nil
}

// MaxLinkLabel is the longest label a link may carry, in characters.
const MaxLinkLabel = 100

// validLink checks a link of campaign cp before it is saved.
func (s *Store) validLink(ctx context.Context, cp Campaign, l Link) error {
	if l.Kind != nil && !l.Kind.Valid() {
		return refusal.Invalidf("问卷类型须为 social、staff 或 student")
	}
	if utf8.RuneCountInString(l.Label) > MaxLinkLabel {
		return refusal.Invalidf("链接说明不超过 %d 字", MaxLinkLabel)
	}
	if l.SchoolID != nil {
		if _, err := s.units.School(ctx, cp.UnitID, *l.SchoolID); errors.Is(err, county.ErrNotFound) {
			return refusal.Invalidf("学校不属于本调查所在单位")
		} else if err != nil {
			return err
		}
	}
	return nil
}

// CreateLink saves a link of a campaign with a fresh unguessable code: for
// one school or the whole unit (SchoolID nil), for one questionnaire or
// for the respondent to choose (Kind nil).
func (s *Store) CreateLink(ctx context.Context, l Link) (Link, error) {
	cp, err := s.Campaign(ctx, county.Everything, l.CampaignID)
	if err != nil {
		return Link{}, err
	}
	if err := s.validLink(ctx, cp, l); err != nil {
		return Link{}, err
	}
	return s.insertLink(ctx, s.q, l)
}

func (s *Store) insertLink(ctx context.Context, q *dbq.Queries, l Link) (Link, error) {
	var kind *string
	if l.Kind != nil {
		k := string(*l.Kind)
		kind = &k
	}
	r, err := q.CreateLink(ctx, dbq.CreateLinkParams{CampaignID: l.CampaignID, Code: randomCode(linkAlphabet, 10),
		SchoolID: l.SchoolID, QuestionnaireKind: kind, Label: l.Label})
	return linkFrom(r), err
}

// LinkBatch asks for the links a campaign needs, in bulk: for each
// questionnaire in Kinds (nil: the respondent picks), one link per school
// of the unit and/or one for the whole unit.
type LinkBatch struct {
	Kinds    []*Kind
	Schools  bool
	UnitWide bool
}

// CreateLinks makes the links of a batch that the campaign does not have
// yet, in one transaction, and returns how many it made.
func (s *Store) CreateLinks(ctx context.Context, campaignID int64, b LinkBatch) (int, error) {
	cp, err := s.Campaign(ctx, county.Everything, campaignID)
	if err != nil {
		return 0, err
	}
	var places []*int64
	if b.Schools {
		schools, err := s.units.Schools(ctx, cp.UnitID)
		if err != nil {
			return 0, err
		}
		if len(schools) == 0 {
			return 0, refusal.Invalidf("还没有学校，请先在单位页面导入学校名单")
		}
		for i := range schools {
			places = append(places, &schools[i].ID)
		}
	}
	if b.UnitWide {
		places = append(places, nil)
	}
	if len(b.Kinds) == 0 || len(places) == 0 {
		return 0, refusal.Invalidf("请至少选择一种问卷和一种发放范围（各学校或全县通用）")
	}
	key := func(school *int64, kind *Kind) string {
		k := fmt.Sprint(0, "/")
		if school != nil {
			k = fmt.Sprint(*school, "/")
		}
		if kind != nil {
			k += string(*kind)
		}
		return k
	}
	made := 0
	err = s.inTx(ctx, func(q *dbq.Queries, _ pgx.Tx) error {
		existing, err := q.ListLinks(ctx, campaignID)
		if err != nil {
			return err
		}
		have := map[string]bool{}
		for _, r := range existing {
			l := linkFrom(r)
			have[key(l.SchoolID, l.Kind)] = true
		}
		for _, place := range places {
			for _, kind := range b.Kinds {
				l := Link{CampaignID: campaignID, SchoolID: place, Kind: kind}
				if have[key(place, kind)] {
					continue
				}
				if err := s.validLink(ctx, cp, l); err != nil {
					return err
				}
				if _, err := s.insertLink(ctx, q, l); err != nil {
					return err
				}
				have[key(place, kind)] = true
				made++
			}
		}
		return nil
	})
	return made, err
}

// UpdateForm replaces a draft campaign's questionnaire of kind with q.
func (s *Store) UpdateForm(ctx context.Context, campaignID int64, kind Kind, q Questionnaire) (Form, error) {
	if q.Kind != kind {
		return Form{}, refusal.Invalidf("问卷类型与地址不一致")
	}
	if err := q.Validate(); err != nil {
		return Form{}, refusal.AsInvalid(err)
	}
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
	s.changed(campaignID)
	return formFrom(r)
}

// Titled is the settings of a new campaign that takes every national
// default and sets only its title.
func Titled(title string) Settings { return Settings{Title: &title} }
