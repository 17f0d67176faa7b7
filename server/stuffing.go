package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"math/bits"
	"net/http"
	"renke/survey"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// Layers against stuffing on the respondent's side (the flags are set by
// survey when a response is stored):
//   - a device cookie, and a tag of it in the form's token, so a second
//     response from one phone, or one that did not come back from the
//     browser its form was sent to, is flagged;
//   - a proof of work whose cost grows with the submissions from one
//     client address: a school's parents often share one address, so
//     volume costs more and more, but nobody is refused;
//   - a campaign may ask a proof of every submit (Campaign.PowBits).

const deviceCookie = "rk_device"

// device returns the request's device cookie, or "" without a valid one.
func device(c echo.Context) string {
	ck, err := c.Cookie(deviceCookie)
	if err != nil || len(ck.Value) != 22 {
		return ""
	}
	if _, err := base64.RawURLEncoding.DecodeString(ck.Value); err != nil {
		return ""
	}
	return ck.Value
}

// ensureDevice gives a browser without one a device cookie, and returns
// the browser's device cookie.
func (s *Server) ensureDevice(c echo.Context) string {
	if d := device(c); d != "" {
		return d
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	d := base64.RawURLEncoding.EncodeToString(b)
	c.SetCookie(&http.Cookie{Name: deviceCookie, Value: d, Path: "/s/",
		MaxAge: 180 * 24 * 3600, HttpOnly: true, Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode})
	return d
}

// sources counts, in this process, the submissions from each client
// address (the raw address, in memory only, for at most ConcentrationWindow)
// and from each address in each campaign. Echo's IP extractor decides the
// address: TRUSTED_PROXIES decides whether X-Forwarded-For is believed.
type sources struct {
	mu   sync.Mutex
	seen map[string][]time.Time // by address, and by "campaign/address"
}

// peek returns how many submissions came from ip in the last minute, and
// from ip to campaign within ConcentrationWindow, before now.
func (s *sources) peek(ip string, campaign int64, now time.Time) (lastMinute, inCampaign int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return since(s.seen[ip], now.Add(-time.Minute)), since(s.seen[campaignKey(campaign, ip)], now.Add(-survey.ConcentrationWindow))
}

// since counts the times at or after from in ts, which note keeps in the
// order they came.
func since(ts []time.Time, from time.Time) int {
	return len(ts) - sort.Search(len(ts), func(i int) bool { return !ts[i].Before(from) })
}

// note counts a submission from ip to campaign at now, forgetting what
// is older than ConcentrationWindow.
func (s *sources) note(ip string, campaign int64, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil || len(s.seen) > 100_000 {
		s.seen = map[string][]time.Time{} // a flood of addresses: start again
	}
	for _, key := range []string{ip, campaignKey(campaign, ip)} {
		ts := s.seen[key]
		i := 0
		for i < len(ts) && now.Sub(ts[i]) > survey.ConcentrationWindow {
			i++
		}
		ts = append(ts[i:], now)
		if len(ts) > maxNoted {
			ts = ts[len(ts)-maxNoted:] // counts saturate: the work asked is capped long before
		}
		s.seen[key] = ts
	}
}

// maxNoted bounds the times kept per address: 1,024 a minute already asks
// the most work.
const maxNoted = 1024

func campaignKey(campaign int64, ip string) string { return strconv.FormatInt(campaign, 10) + "/" + ip }

// requiredWork is the proof of work a submit must carry, in leading zero
// bits of SHA-256: the campaign's own level, and past rate submissions a
// minute from the address, 18 bits (about 260,000 hashes, a second or two
// on an old phone) and two more for every doubling beyond, 2 more again
// for a client that did not return its device cookie, at most MaxWorkBits.
// The 31st parent in a minute behind a school's address waits a second or
// two; the 60th form in a minute from a script without cookies costs
// about a million hashes (seconds in a script), and each doubling four
// times that.
func requiredWork(campaignBits, rate, lastMinute int, cookieless bool) int {
	bits := 0
	if rate > 0 && lastMinute >= rate {
		bits = 18 + 2*bitsLen(lastMinute/rate)
		if cookieless {
			bits += 2
		}
	}
	return min(max(bits, campaignBits), MaxWorkBits)
}

// MaxWorkBits bounds the proof asked: about 16 million hashes.
const MaxWorkBits = 24

// bitsLen is ⌊log₂ n⌋ for n ≥ 1, 0 below.
func bitsLen(n int) int {
	if n < 1 {
		return 0
	}
	return bits.Len(uint(n)) - 1
}

// powBits is the work a nonce proves for a form token: the leading zero
// bits of SHA-256(token ":" nonce). The token holds the submission id, so
// one proof serves one submission only.
func powBits(token, nonce string) int {
	if nonce == "" || len(nonce) > 12 {
		return 0
	}
	if _, err := strconv.ParseUint(nonce, 10, 64); err != nil {
		return 0
	}
	sum := sha256.Sum256([]byte(token + ":" + nonce))
	n := 0
	for _, b := range sum {
		n += bits.LeadingZeros8(b)
		if b != 0 {
			break
		}
	}
	return n
}
