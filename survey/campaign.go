package survey

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"renke/county"
	"renke/refusal"
	"renke/sampling"
)

// Status is where a campaign is in its life: draft → open → closed.
type Status string

const (
	Draft  Status = "draft"
	Open   Status = "open"
	Closed Status = "closed"
)

var campaignStatusNames = map[Status]string{Draft: "未开始", Open: "进行中", Closed: "已结束"}

// Name is the status's Chinese name.
func (s Status) Name() string { return campaignStatusNames[s] }

// Campaign is one run of the survey in one unit.
type Campaign struct {
	ID         int64           `json:"id"`
	UnitID     int64           `json:"unit_id"`
	Title      string          `json:"title"`
	Status     Status          `json:"status"`
	OpensAt    *time.Time      `json:"opens_at"`
	ClosesAt   *time.Time      `json:"closes_at"`
	RatePPM    int             `json:"rate_ppm"`   // 1500 = 1.5‰
	MinSample  int             `json:"min_sample"` // 0 = no minimum
	Policy     sampling.Policy `json:"quota_policy"`
	Method     Method          `json:"scoring_method"`
	Threshold  float64         `json:"threshold"`
	SampleSize *int            `json:"sample_size"` // fixed when the campaign opens
	// The population and locale shares the sample was designed on, kept
	// when the campaign opens: a later edit of the unit changes neither
	// the quota nor the balance the campaign is judged by.
	Population *int64           `json:"population"`
	Shares     *sampling.Shares `json:"shares"`
	CreatedAt  time.Time        `json:"created_at"`
	OpenedAt   *time.Time       `json:"opened_at"`
	ClosedAt   *time.Time       `json:"closed_at"`
	// Organiser is the region (six-digit division code, 000000 the whole
	// country) whose staff set the campaign up for its units, named as
	// 主办 on its posters and pages; empty: the unit's own bureau.
	Organiser string `json:"organiser,omitempty"`
	// Blind (盲评): a survey the organiser runs so that the assessed
	// unit's staff see its progress (counts against the quota, by school
	// and cell) and nothing of its answers (BlindTo). Only a region's
	// survey can be blind; the choice is made at creation and never
	// changes.
	Blind bool `json:"blind"`
	// Against stuffing: answers filled faster are flagged for review; every
	// submit must carry a proof of work of PowBits (0 = only past a
	// client's rate limit).
	MinFillSeconds int `json:"min_fill_seconds"`
	PowBits        int `json:"pow_bits"`
	// TokenHours is how long a rendered form may be submitted; an older
	// one gets a fresh form with the answers kept.
	TokenHours int `json:"token_hours"`
	// WeChatOnly: the survey is answered inside WeChat only, signed in by
	// WeChat's silent authorisation (snsapi_base), one response per user.
	WeChatOnly bool `json:"wechat_only"`
	// The sample log (see log.go): its size, root and right edge now, and
	// its size and root as sealed when the campaign closed.
	LogSize     int64    `json:"log_size"`
	LogRoot     []byte   `json:"-"`
	LogFrontier [][]byte `json:"-"`
	SealedSize  *int64   `json:"sealed_size"`
	SealedRoot  []byte   `json:"-"`
}

// BlindTo reports whether the campaign's answers, and every figure made
// from them (rate, interval, free text, exports, the review queue, the
// result statements), are withheld from the viewer of scope: a blind
// survey is read in full only by the staff of the region that organised
// it (and the platform admin); the assessed unit's staff see its
// progress.
func (c Campaign) BlindTo(sc county.Scope) bool { return c.Blind && !sc.Organises(c.Organiser) }

// ErrBlind refuses a viewer a blind survey's answers or what is made of
// them (HTTP 403).
var ErrBlind = &refusal.Error{Kind: refusal.Forbidden,
	Msg: "这项调查由上级组织（盲评），作答数据、认可度、意见、导出和审核队列不向被评估单位公开；本单位只能查看进度（各校、各类别的完成数与配额）"}

// MaxPowBits is the hardest proof of work a campaign may ask: about four
// million hashes, some seconds on an old phone.
const MaxPowBits = 22

// DefaultTokenHours lets a parent who opened the form in the evening
// finish it the next morning.
const DefaultTokenHours = 36

// TokenTTL is how long a form rendered for the campaign may be submitted.
func (c *Campaign) TokenTTL() time.Duration { return time.Duration(c.TokenHours) * time.Hour }

// DefaultMinFillSeconds is the fill time under which a response is flagged:
// reading and answering a dozen items honestly takes longer.
const DefaultMinFillSeconds = 20

// Defaults fills unset parameters with the national defaults.
func (c *Campaign) Defaults() {
	if c.RatePPM == 0 {
		c.RatePPM = sampling.DefaultRatePPM
	}
	if c.Policy == "" {
		c.Policy = sampling.Cap
	}
	if c.Method == "" {
		c.Method = TopTwo
	}
	if c.Threshold == 0 {
		c.Threshold = 0.85
	}
	if c.MinFillSeconds == 0 {
		c.MinFillSeconds = DefaultMinFillSeconds
	}
	if c.TokenHours == 0 {
		c.TokenHours = DefaultTokenHours
	}
}

// Validate checks a campaign's settings; messages are for staff.
func (c *Campaign) Validate() error {
	switch {
	case c.Title == "" || utf8.RuneCountInString(c.Title) > 200:
		return errors.New("调查名称不能为空，且不超过 200 字")
	case c.RatePPM < 1 || c.RatePPM > 1_000_000:
		return errors.New("抽样比例须在 0.0001% 至 100% 之间（rate_ppm 为百万分数，1500 即 1.5‰）")
	case c.MinSample < 0:
		return errors.New("最低样本量不能为负数")
	case !c.Policy.Valid():
		return fmt.Errorf("配额策略须为 cap 或 floor")
	case !c.Method.Valid():
		return fmt.Errorf("计分方法须为 top2、top3、points 或 category")
	case c.Threshold <= 0 || c.Threshold > 1:
		return errors.New("达标线须在 0 至 1 之间（85% 即 0.85）")
	case c.MinFillSeconds < 0 || c.MinFillSeconds > 3600:
		return errors.New("最短填写时间须在 0 至 3600 秒之间")
	case c.TokenHours < 1 || c.TokenHours > 720:
		return errors.New("问卷页面有效时间须在 1 至 720 小时之间")
	case c.PowBits < 0 || c.PowBits > MaxPowBits:
		return fmt.Errorf("提交时的计算验证强度须在 0 至 %d 之间（0 为不要求）", MaxPowBits)
	case c.OpensAt != nil && c.ClosesAt != nil && !c.ClosesAt.After(*c.OpensAt):
		return errors.New("结束时间须晚于开始时间")
	}
	return nil
}

// Design is the campaign's sample design for a unit's population.
// Frozen is the settings an open campaign is judged by, in words: what
// its open event records and every report names.
func (c *Campaign) Frozen() string {
	var b strings.Builder
	if c.Population != nil {
		fmt.Fprintf(&b, "常住人口 %d 人；", *c.Population)
	}
	if c.Shares != nil {
		fmt.Fprintf(&b, "城区/镇区/乡村人口占比 %s%%/%s%%/%s%%；", bp(c.Shares.Urban), bp(c.Shares.Town), bp(c.Shares.Rural))
	}
	fmt.Fprintf(&b, "抽样比例 %s‰", strconv.FormatFloat(float64(c.RatePPM)/1000, 'f', -1, 64))
	if c.MinSample > 0 {
		fmt.Fprintf(&b, "，最低样本量 %d", c.MinSample)
	}
	if c.SampleSize != nil {
		fmt.Fprintf(&b, "；样本量 %d", *c.SampleSize)
	}
	fmt.Fprintf(&b, "；配额策略 %s；计分方法 %s；达标线 %s%%", c.Policy.Name(), c.Method.Name(), percent(c.Threshold))
	return b.String()
}

// percent is a share as a percentage to two decimals at most, without the
// float's noise: 0.29 is "29", never "28.999999999999996".
func percent(v float64) string { return strconv.FormatFloat(math.Round(v*10000)/100, 'f', -1, 64) }

func bp(v int) string { return strconv.FormatFloat(float64(v)/100, 'f', -1, 64) }

// DesignShares is the locale shares the campaign is judged by: those kept
// when it opened, the unit's own before.
func (c *Campaign) DesignShares(u county.Unit) sampling.Shares {
	if c.Shares != nil {
		return *c.Shares
	}
	return u.Shares
}

// DesignPopulation is the resident population the sample was designed on:
// kept when the campaign opened, the unit's own before.
func (c *Campaign) DesignPopulation(u county.Unit) int64 {
	if c.Population != nil {
		return *c.Population
	}
	return u.Population
}

func (c *Campaign) Design(population int64, shares sampling.Shares) sampling.Design {
	return sampling.Design{Population: population, RatePPM: c.RatePPM, MinSample: c.MinSample, Shares: shares}
}

// Refusal is why a campaign takes no answers now, in words for a respondent;
// "" when it does.
func (c *Campaign) Refusal(now time.Time) string {
	const layout = "2006年1月2日 15:04"
	switch {
	case c.Status == Draft:
		return "本次调查尚未开始，请留意学校或教育局的通知。"
	case c.Status == Closed:
		return "本次调查已经结束，感谢您的关注。"
	case c.OpensAt != nil && now.Before(*c.OpensAt):
		return "本次调查将于 " + c.OpensAt.In(Beijing).Format(layout) + " 开始，请届时再来填写。"
	case c.ClosesAt != nil && !now.Before(*c.ClosesAt):
		return "本次调查已于 " + c.ClosesAt.In(Beijing).Format(layout) + " 结束，感谢您的关注。"
	}
	return ""
}

// Beijing is China Standard Time (UTC+8, no daylight saving), in which every
// time is shown to people.
var Beijing = time.FixedZone("CST", 8*3600)
