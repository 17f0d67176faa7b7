package intake

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"renke/survey"
)

// The intake against the stuffers of practice and the honest crowds it
// must let through, on a fake clock, without HTTP or a database. Each
// scenario serves forms and posts them back through a Desk; what the desk
// takes gets the flags survey gives it when it is stored (survey's rules:
// Assess, ConcentratedSource, Burst, and the earlier responses a
// concentrated source or a burst takes along). A proof of work asked is
// taken as paid: the question is what reaches the sample unflagged.

// sim is one campaign's intake.
type sim struct {
	t      *testing.T
	desk   *Desk
	cp     survey.Campaign
	key    []byte // the campaign's hash key
	now    time.Time
	stored []*simResponse
	seen   map[string]bool // device hashes that answered
	traces []survey.Trace
	counts struct{ refused, work int }
}

type simResponse struct {
	scripted bool
	ipHash   []byte
	at       time.Time
	flags    map[survey.Flag]bool
}

func newSim(t *testing.T) *sim {
	s := &sim{t: t, desk: NewDesk([]byte("form-token-key-0123456789abcdef"), 30),
		cp:  survey.Campaign{ID: 1, Status: survey.Open, MinFillSeconds: survey.DefaultMinFillSeconds, TokenHours: survey.DefaultTokenHours},
		key: []byte("campaign-hash-key-0123456789abcd"), now: time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC), seen: map[string]bool{}}
	s.desk.workDone = func(string, string) int { return MaxWorkBits } // every proof asked is paid
	return s
}

// form serves a form of link to a phone at ip with cookie device (given
// just now when fresh) and returns its token.
func (s *sim) form(link int64, ip, device string, fresh bool) string {
	return s.desk.Serve(&s.cp, link, Visitor{IP: ip, Device: device, NewDevice: fresh}, s.now)
}

// post sends a token back to link with answers sig, and stores what the
// desk takes, flagged as survey flags it. It returns the outcome.
func (s *sim) post(link int64, ip, device, token, sig string, scripted bool) Outcome {
	tok, ok := s.desk.Read(token)
	if !ok {
		s.t.Fatal("a token of the desk does not read back")
	}
	out := s.desk.Check(&s.cp, link, s.key, Submission{Text: token, Token: tok, IP: ip, Device: device, UA: "MicroMessenger"}, true, s.now)
	switch out.Verdict {
	case Take:
	case Work:
		s.t.Fatal("a paid proof was asked again")
	default:
		if scripted {
			s.counts.refused++
		}
		return out
	}
	c := out.Client
	r := &simResponse{scripted: scripted, ipHash: c.IPHash, at: s.now, flags: map[survey.Flag]bool{}}
	for _, f := range survey.Assess(sig, c.FillTime, time.Duration(s.cp.MinFillSeconds)*time.Second) {
		r.flags[f] = true
	}
	if c.NoDevice {
		r.flags[survey.FlagNoDevice] = true
	}
	repeat := c.DeviceHash != nil && s.seen[string(c.DeviceHash)]
	if repeat {
		r.flags[survey.FlagDevice] = true
	}
	if c.DeviceHash != nil {
		s.seen[string(c.DeviceHash)] = true
	}
	if survey.ConcentratedSource(c.FromAddress, c.NoDevice || repeat, !c.ConcentratedSince.IsZero()) {
		r.flags[survey.FlagConcentration] = true
	}
	if since := c.ConcentratedSince; !since.IsZero() { // the source's others since then go with it
		for _, o := range s.stored {
			if bytes.Equal(o.ipHash, c.IPHash) && !o.at.Before(since) {
				o.flags[survey.FlagConcentration] = true
			}
		}
	}
	tr := survey.Trace{ID: int64(len(s.stored) + 1), LinkID: link, Sig: sig, At: s.now}
	if like := survey.Burst(tr, s.traces); like != nil {
		r.flags[survey.FlagBurst] = true
		for _, i := range like {
			s.stored[s.traces[i].ID-1].flags[survey.FlagBurst] = true
		}
	}
	s.traces = append(s.traces, tr)
	s.stored = append(s.stored, r)
	return out
}

// flaggedOrRefused is the share of the scripted submissions (or, honest,
// of the honest responses) flagged or refused.
func (s *sim) share(scripted bool, posted int) (float64, int) {
	flagged := 0
	for _, r := range s.stored {
		if r.scripted == scripted && len(r.flags) > 0 {
			flagged++
		}
	}
	bad := flagged
	if scripted {
		bad += s.counts.refused
	}
	return float64(bad) / float64(posted), flagged
}

// honestAnswers are answers at the demo's rates: 15% of parents answer
// 满意 throughout; the others item by item, 满意 62%, 比较满意 28%, 一般 4%,
// 不满意 3%, 不了解 3%.
func honestAnswers(r *rand.Rand) string {
	opts := make([]string, 12)
	allSatisfied := r.Float64() < 0.15
	for i := range opts {
		switch x := r.Float64(); {
		case allSatisfied || x < 0.62:
			opts[i] = "A"
		case x < 0.90:
			opts[i] = "B"
		case x < 0.94:
			opts[i] = "C"
		case x < 0.97:
			opts[i] = "D"
		default:
			opts[i] = "X"
		}
	}
	return strings.Join(opts, ",")
}

func cookie(r *rand.Rand) string { return fmt.Sprintf("dev%019d", r.Uint64()) }

// One address, a fresh device cookie with every form, as fast as a script
// goes (two forms a second, each posted 21 s after it was served, just
// past the minimum), 120 forms. (A script that paces itself under every
// budget gets that many through unflagged from one address: the exposure
// table shows its share.)
func TestScriptWithFreshCookies(t *testing.T) {
	s, r := newSim(t), rand.New(rand.NewPCG(1, 2))
	const n = 120
	for range n {
		dev := cookie(r)
		tok := s.form(7, "203.0.113.66", dev, true)
		s.now = s.now.Add(21 * time.Second)
		s.post(7, "203.0.113.66", dev, tok, honestAnswers(r), true)
		s.now = s.now.Add(-21*time.Second + 500*time.Millisecond) // the next form half a second after this one
	}
	got, flagged := s.share(true, n)
	t.Logf("fresh cookies at full speed: %d posted, %d refused, %d flagged: %.1f%%", n, s.counts.refused, flagged, got*100)
	if got < 0.95 {
		t.Errorf("flagged or refused %.1f%%, want at least 95%%", got*100)
	}
}

// 25 a minute spread over 3 links, for 2 hours, from one address, each
// with a kept device cookie per link and human-looking fill times.
func TestPacedScriptOverThreeLinks(t *testing.T) {
	s, r := newSim(t), rand.New(rand.NewPCG(3, 4))
	devs := []string{cookie(r), cookie(r), cookie(r)}
	n := 0
	start := s.now
	for i := 0; s.now.Sub(start) < 2*time.Hour; i++ {
		link := int64(7 + i%3)
		tok := s.form(link, "203.0.113.9", devs[i%3], i < 3)
		s.now = s.now.Add(90 * time.Second) // "read and answered"
		s.post(link, "203.0.113.9", devs[i%3], tok, honestAnswers(r), true)
		s.now = s.now.Add(-90*time.Second + 60*time.Second/25)
		n++
	}
	got, flagged := s.share(true, n)
	t.Logf("25 a minute over 3 links for 2 hours: %d posted, %d refused, %d flagged: %.1f%%", n, s.counts.refused, flagged, got*100)
	if got < 0.95 {
		t.Errorf("flagged or refused %.1f%%, want at least 95%%", got*100)
	}
}

// Tokens posted to another link than their own, and tokens older than the
// campaign allows (37 hours, 30 days), are refused with a fresh token
// whose clock starts now; posting that at once is "fast".
func TestCrossLinkAndExpiredTokens(t *testing.T) {
	for _, tc := range []struct {
		name string
		age  time.Duration
		to   int64
	}{
		{"another link", time.Minute, 8},
		{"37 hours old", 37 * time.Hour, 7},
		{"30 days old", 30 * 24 * time.Hour, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, r := newSim(t), rand.New(rand.NewPCG(5, 6))
			const n = 60
			for i := range n {
				dev := cookie(r)
				ip := fmt.Sprintf("198.51.100.%d", i) // many addresses: no budget helps here
				tok := s.form(7, ip, dev, true)
				s.now = s.now.Add(tc.age)
				out := s.post(tc.to, ip, dev, tok, honestAnswers(r), true)
				if out.Verdict != Again || out.Token == tok {
					t.Fatalf("%s: %+v", tc.name, out)
				}
				again := s.post(tc.to, ip, dev, out.Token, honestAnswers(r), true) // at once
				if again.Verdict != Take || s.stored[len(s.stored)-1].flags[survey.FlagFast] != true {
					t.Fatalf("%s: the fresh token posted at once: %+v", tc.name, again)
				}
			}
			got, flagged := s.share(true, 2*n)
			t.Logf("%s: %d posted, %d refused, %d flagged: %.1f%%", tc.name, 2*n, s.counts.refused, flagged, got*100)
			if got < 0.95 {
				t.Errorf("flagged or refused %.1f%%, want at least 95%%", got*100)
			}
		})
	}
}

// A parents' meeting: 200 phones behind the school's one address within 20
// minutes, each with its own cookie, answering in 1 to 10 minutes at the
// demo's rates (15% 满意 throughout).
func TestParentsMeeting(t *testing.T) {
	s, r := newSim(t), rand.New(rand.NewPCG(7, 8))
	type phone struct {
		dev, tok string
		done     time.Time
	}
	start := s.now
	var phones []phone
	for range 200 {
		at := start.Add(time.Duration(r.Int64N(int64(20 * time.Minute))))
		phones = append(phones, phone{dev: cookie(r), done: at})
	}
	// Each phone is served its form on arrival and posts it 1 to 10
	// minutes later.
	type event struct {
		at    time.Time
		serve bool
		i     int
	}
	events := make([]event, 0, 400)
	for i, p := range phones {
		events = append(events, event{p.done, true, i}, event{p.done.Add(time.Duration(60+r.IntN(540)) * time.Second), false, i})
	}
	slices.SortStableFunc(events, func(a, b event) int { return a.at.Compare(b.at) })
	for _, ev := range events {
		s.now = ev.at
		p := &phones[ev.i]
		if ev.serve {
			p.tok = s.form(7, "198.51.100.10", p.dev, true)
		} else {
			s.post(7, "198.51.100.10", p.dev, p.tok, honestAnswers(r), false)
		}
	}
	got, flagged := s.share(false, 200)
	t.Logf("parents' meeting: 200 phones in 20 minutes behind one address, %d flagged: %.1f%%", flagged, got*100)
	if got > 0.05 {
		t.Errorf("flagged %.1f%%, want at most 5%%", got*100)
	}
}

// A carrier-grade NAT address: 300 parents over a day, most in the
// evening, each on their own phone.
func TestCarrierNAT(t *testing.T) {
	s, r := newSim(t), rand.New(rand.NewPCG(9, 10))
	day := s.now.Truncate(24 * time.Hour)
	var times []time.Time
	for range 300 {
		h := 7 + r.IntN(15) // 07:00 to 21:59, and twice as likely after 18:00
		if r.Float64() < 0.4 {
			h = 18 + r.IntN(4)
		}
		times = append(times, day.Add(time.Duration(h)*time.Hour+time.Duration(r.Int64N(int64(time.Hour)))))
	}
	slices.SortFunc(times, time.Time.Compare)
	for _, at := range times {
		s.now = at
		dev, link := cookie(r), 7+int64(r.IntN(5)) // the links of five schools
		tok := s.form(link, "100.64.0.1", dev, true)
		s.now = at.Add(time.Duration(60+r.IntN(600)) * time.Second)
		s.post(link, "100.64.0.1", dev, tok, honestAnswers(r), false)
	}
	got, flagged := s.share(false, len(s.stored))
	t.Logf("carrier NAT: %d parents over a day behind one address, %d stored, %d flagged: %.1f%%", 300, len(s.stored), flagged, got*100)
	if got > 0.05 {
		t.Errorf("flagged %.1f%%, want at most 5%%", got*100)
	}
}
