package intake

import (
	"crypto/sha256"
	"math"
	"math/bits"
	"strconv"
)

// MaxWorkBits bounds the proof of work the intake asks: 24 leading zero
// bits, about 16 million hashes. A campaign's own level (its PowBits
// setting) is bounded lower, by survey.MaxPowBits, so that the growth
// below always has room above it.
const MaxWorkBits = 24

// RequiredWork is the proof of work a submit must carry, in leading zero
// bits of SHA-256(token ":" nonce):
//
//   - the campaign's own level;
//   - past rate submissions a minute from the source, 18 bits (about
//     260,000 hashes, a second or two on an old phone) and two more for
//     every doubling beyond;
//   - past a budget (Budgets), 18 bits and two more for every doubling of
//     the excess;
//   - two more again for a client that did not return its device cookie;
//
// at most MaxWorkBits. Rate 0 (SUBMIT_RATE=off, for load and fault tests
// from one address) asks only the campaign's level: a source beyond its
// budgets is still flagged. The 31st parent in a minute behind a school's
// address waits a second or two; the 60th form in a minute from a script
// without cookies costs about a million hashes (seconds in a script), and
// each doubling four times that.
func RequiredWork(campaignBits, rate int, l Load, cookieless bool) int {
	need := 0
	if rate > 0 && l.LastMinute >= rate {
		need = 18 + 2*log2(float64(l.LastMinute)/float64(rate))
	}
	if rate > 0 && l.Over != nil {
		need = max(need, 18+2*log2(l.Excess))
	}
	if need > 0 && cookieless {
		need += 2
	}
	return min(max(need, campaignBits), MaxWorkBits)
}

// log2 is ⌊log₂ x⌋ for x ≥ 1, 0 below.
func log2(x float64) int {
	if x < 1 {
		return 0
	}
	return int(math.Floor(math.Log2(x)))
}

// WorkDone is the work a nonce proves for a form token: the leading zero
// bits of SHA-256(token ":" nonce). The token holds the submission id, so
// one proof serves one submission only.
func WorkDone(token, nonce string) int {
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
