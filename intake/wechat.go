package intake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// TripTTL bounds the trip to WeChat's authorisation and back.
const TripTTL = 10 * time.Minute

// TripState is the state carried on the trip to WeChat and back for a
// link's code and a category, sealed at a time: a code that comes back is
// used for what it was asked for, once, soon.
func (d *Desk) TripState(code, category string, at time.Time) string {
	b := binary.BigEndian.AppendUint64(nil, uint64(at.Unix()))
	m := hmac.New(sha256.New, d.key)
	m.Write([]byte("wechat-state\x00" + code + "\x00" + category + "\x00"))
	m.Write(b)
	return base64.RawURLEncoding.EncodeToString(append(b, m.Sum(nil)[:16]...))
}

// TripStateOK reports whether a state came back sealed by this desk, for
// the link and category, within TripTTL of now.
func (d *Desk) TripStateOK(state, code, category string, now time.Time) bool {
	raw, err := base64.RawURLEncoding.DecodeString(state)
	if err != nil || len(raw) != 24 {
		return false
	}
	at := time.Unix(int64(binary.BigEndian.Uint64(raw[:8])), 0)
	return hmac.Equal([]byte(d.TripState(code, category, at)), []byte(state)) && now.Sub(at) <= TripTTL && !at.After(now.Add(time.Minute))
}
