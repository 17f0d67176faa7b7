package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"math/bits"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"
)

// Layers against stuffing on the respondent's side (the flags are set by
// survey when a response is stored):
//   - a device cookie, so a second response from one phone is flagged;
//   - a soft per-client rate limit on submissions: a school's parents often
//     share one address, so past the limit the form asks the browser for a
//     proof of work instead of refusing;
//   - a campaign may ask that proof of every submit (Campaign.PowBits).

const (
	deviceCookie = "rk_device"
	// limitedPowBits is the work asked past the rate limit: about 65,000
	// hashes, well under a second on an old phone, costly for a bot at scale.
	limitedPowBits = 16
)

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

// ensureDevice gives a browser without one a device cookie.
func (s *Server) ensureDevice(c echo.Context) {
	if device(c) != "" {
		return
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	c.SetCookie(&http.Cookie{Name: deviceCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: "/s/",
		MaxAge: 180 * 24 * 3600, HttpOnly: true, Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode})
}

// submitLimiter counts submissions per client address (Echo's IP
// extractor: TRUSTED_PROXIES decides whether X-Forwarded-For is believed).
func newSubmitLimiter(perMinute int) *middleware.RateLimiterMemoryStore {
	if perMinute <= 0 {
		return nil
	}
	return middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
		Rate: rate.Limit(float64(perMinute) / 60), Burst: perMinute, ExpiresIn: 10 * time.Minute})
}

// overLimit takes a submission from the client's allowance and reports
// whether it had none left.
func (s *Server) overLimit(c echo.Context) bool {
	if s.limiter == nil {
		return false
	}
	ok, _ := s.limiter.Allow(c.RealIP())
	return !ok
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
