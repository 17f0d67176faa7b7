// Package intake is the respondent's side of a campaign: the rules a form
// and its submission pass before survey stores anything. It issues and
// reads form tokens, decides whether a submission is taken, asked again
// (a token from another link, an expired one) or asked for a proof of
// work, counts each source against its budgets (budget.go), and makes the
// keyed hashes stored with a response (address.go). It takes a clock, so
// every rule is tested without HTTP and without waiting; server/ parses
// requests and renders pages around it, and survey/ flags and stores.
package intake

import (
	"fmt"
	"time"

	"renke/survey"
)

// Desk is the intake of one server: the key its form tokens are sealed
// with, the rate past which proofs of work are asked, and the budgets of
// the sources it has seen.
type Desk struct {
	key     []byte
	rate    int // submissions a minute from a source before work is asked; 0: never for rate alone
	budgets Budgets
	// workDone measures a proof of work (WorkDone); the simulations of
	// this package's tests take every proof asked as paid.
	workDone func(token, nonce string) int
}

// NewDesk is a desk sealing tokens with key, asking work past rate
// submissions a minute from one source (0: only past a budget).
func NewDesk(key []byte, rate int) *Desk { return &Desk{key: key, rate: rate, workDone: WorkDone} }

// Visitor is a browser asking for a form.
type Visitor struct {
	IP     string
	Device string // its device cookie, as it has it now (given one if it had none)
	// NewDevice: the browser came without a device cookie and was given
	// Device with this form.
	NewDevice bool
	WeChat    [16]byte // the keyed hash of its WeChat user, in a WeChat-only campaign
}

// Serve is the token of a form rendered for a visitor of a campaign's
// link at now; a form given to a new device counts against its source.
func (d *Desk) Serve(cp *survey.Campaign, linkID int64, v Visitor, now time.Time) string {
	d.budgets.Served(cp.ID, Source(v.IP), v.NewDevice, now)
	return NewToken(d.key, Token{Rendered: now, Campaign: cp.ID, Link: linkID, Device: DeviceTag(d.key, v.Device),
		WeChat: v.WeChat, NewDevice: v.NewDevice})
}

// Read is the token a form came back with; false when it is not one of
// this deployment's.
func (d *Desk) Read(token string) (Token, bool) { return ReadToken(d.key, token) }

// Submission is a form posted back: its token as sent and as read, the
// proof of work it carries, and the client.
type Submission struct {
	Text   string // the token as posted
	Token  Token
	Nonce  string // the proof of work
	IP     string
	Device string // the device cookie it came with; "" for none
	UA     string
}

// Verdict is what becomes of a submission.
type Verdict int

const (
	// Take: store it (survey.Submit) with the Envelope fields given.
	Take Verdict = iota
	// Again: the form comes back with the answers kept and a fresh token
	// (Outcome.Token) whose clock starts now; nothing is stored.
	Again
	// Work: the form comes back asking for Outcome.Work bits of proof of
	// work; nothing is stored.
	Work
	// WeChatOnly: the campaign is answered inside WeChat only.
	WeChatOnly
	// Fix: the answers have problems (survey.Questionnaire.Check): the
	// form comes back with them; nothing is stored or counted.
	Fix
)

// Outcome is the desk's decision on a submission.
type Outcome struct {
	Verdict Verdict
	Problem string // for Again and Work, in words for the respondent
	Token   string // the token the form goes back with
	Work    int    // for Work: the bits asked
	// Busy: work is asked because the source is busy, beyond the
	// campaign's own level.
	Busy bool
	// For Take: what survey.Envelope carries of the client.
	Client Client
}

// Client is what a taken submission's envelope carries of its client.
type Client struct {
	FillTime    time.Duration
	NoDevice    bool // the device cookie the form was sent with did not come back
	NewDevice   bool // the device cookie was given with the form
	FromAddress int  // submissions from the source to the campaign within the shortest window, this one included
	// ConcentratedSince: the source is beyond a budget; its responses
	// since then are flagged (zero: it is not).
	ConcentratedSince time.Time
	IPHash            []byte
	DeviceHash        []byte
	WeChatHash        []byte
	UAFamily          string
}

// Check decides on a submission to a campaign's link at now, with the
// campaign's hash key (nil: the campaign takes no answers) and whether its
// answers check out. A token from another link or campaign, or older than
// the campaign allows, is never taken: the form comes back with the
// answers kept and a fresh token whose clock starts now, so posting it
// again at once is "fast". Then answers with problems come back, then a
// proof of work too small. A submission taken is counted against its
// source's budgets.
func (d *Desk) Check(cp *survey.Campaign, linkID int64, key []byte, s Submission, answersOK bool, now time.Time) Outcome {
	tok := s.Token
	fresh := func(problem string) Outcome {
		t := NewToken(d.key, Token{Rendered: now, Campaign: cp.ID, Link: linkID, Device: DeviceTag(d.key, s.Device), WeChat: tok.WeChat})
		return Outcome{Verdict: Again, Problem: problem, Token: t, Work: cp.PowBits}
	}
	switch {
	case tok.Campaign != cp.ID || tok.Link != linkID:
		return fresh("这份问卷是从另一个调查链接打开的。您的答案已保留，请核对后再次点击“提交问卷”。")
	case cp.WeChatOnly && tok.WeChat == [16]byte{}:
		return Outcome{Verdict: WeChatOnly}
	case now.Sub(tok.Rendered) > cp.TokenTTL():
		return fresh(fmt.Sprintf("问卷页面打开已超过 %d 小时。您的答案已保留，请核对后再次点击“提交问卷”。", cp.TokenHours))
	}
	if !answersOK {
		return Outcome{Verdict: Fix, Token: s.Text, Work: cp.PowBits}
	}
	noDevice := s.Device == "" || DeviceTag(d.key, s.Device) != tok.Device
	source := Source(s.IP)
	load := d.budgets.Load(cp.ID, source, now)
	if need := RequiredWork(cp.PowBits, d.rate, load, noDevice); d.workDone(s.Text, s.Nonce) < need {
		out := Outcome{Verdict: Work, Token: s.Text, Work: need, Problem: "请点击“提交问卷”，页面将自动完成安全验证。"}
		if need > cp.PowBits {
			out.Busy, out.Problem = true, "您所在的网络提交较多。请再次点击“提交问卷”，页面将自动完成几秒钟的安全验证。"
		}
		return out
	}
	d.budgets.Submitted(cp.ID, source, now)
	c := Client{FillTime: max(now.Sub(tok.Rendered), 0), NoDevice: noDevice, NewDevice: tok.NewDevice, FromAddress: load.InWindow,
		ConcentratedSince: load.Since(now), UAFamily: UAFamily(s.UA)}
	if key != nil {
		c.IPHash = AddressHash(key, s.IP)
		if s.Device != "" {
			c.DeviceHash = KeyedHash(key, "device", s.Device)
		}
	}
	if tok.WeChat != [16]byte{} {
		c.WeChatHash = tok.WeChat[:]
	}
	return Outcome{Verdict: Take, Token: s.Text, Client: c}
}

// WeChatUser is the keyed hash a WeChat user is known by in a campaign.
func WeChatUser(key []byte, openid string) [16]byte {
	var u [16]byte
	copy(u[:], KeyedHash(key, "wechat", openid))
	return u
}
