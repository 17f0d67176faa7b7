package intake

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// A form token is issued with each rendered form. It holds 16 random
// bytes (the submission id), the render time, the campaign and the link
// the form was rendered for, a tag of the device cookie the browser had
// or was given with the form (and whether it was given just then), and a
// MAC over all of it. Resubmitting the same form sends the same token, so
// the submission is stored only once; the render time gives the time
// taken to fill the form and dates the token; the campaign and link bind
// it, so a token from one link is no good at another; the device tag
// shows whether the submission came back from the browser the form was
// sent to.
const (
	tokenBody = 16 + 8 + 8 + 8 + 8 + 16 + 1
	tokenLen  = tokenBody + 16
	// oldTokenLen is a token issued before the new-device byte: still
	// read, so forms open at an upgrade are not lost.
	oldTokenLen = tokenLen - 1
)

// Token is what a form token says.
type Token struct {
	Submission string // base64 of the 16 random bytes
	Rendered   time.Time
	Campaign   int64
	Link       int64
	Device     [8]byte  // DeviceTag of the cookie at render; zero for none
	WeChat     [16]byte // keyed hash of the WeChat user, for a WeChat-only campaign; zero for none
	// NewDevice: the device cookie was given with this form, not brought
	// from an earlier visit.
	NewDevice bool
}

// DeviceTag is a short keyed tag of a device cookie value ("" for none:
// the zero tag).
func DeviceTag(key []byte, cookie string) [8]byte {
	var tag [8]byte
	if cookie == "" {
		return tag
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("device\x00" + cookie))
	copy(tag[:], m.Sum(nil))
	return tag
}

// NewToken seals a token with key; a zero Submission gets fresh random
// bytes.
func NewToken(key []byte, t Token) string {
	b := make([]byte, tokenLen)
	if t.Submission == "" {
		if _, err := rand.Read(b[:16]); err != nil {
			panic(err)
		}
	} else {
		sid, _ := base64.RawURLEncoding.DecodeString(t.Submission)
		copy(b[:16], sid)
	}
	binary.BigEndian.PutUint64(b[16:24], uint64(t.Rendered.UnixMilli()))
	binary.BigEndian.PutUint64(b[24:32], uint64(t.Campaign))
	binary.BigEndian.PutUint64(b[32:40], uint64(t.Link))
	copy(b[40:48], t.Device[:])
	copy(b[48:64], t.WeChat[:])
	if t.NewDevice {
		b[64] = 1
	}
	m := hmac.New(sha256.New, key)
	m.Write(b[:tokenBody])
	copy(b[tokenBody:], m.Sum(nil))
	return base64.RawURLEncoding.EncodeToString(b)
}

// ReadToken checks a token's MAC and returns what it says.
func ReadToken(key []byte, token string) (Token, bool) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || (len(b) != tokenLen && len(b) != oldTokenLen) {
		return Token{}, false
	}
	body := len(b) - 16
	m := hmac.New(sha256.New, key)
	m.Write(b[:body])
	if !hmac.Equal(m.Sum(nil)[:16], b[body:]) {
		return Token{}, false
	}
	t := Token{Submission: base64.RawURLEncoding.EncodeToString(b[:16]),
		Rendered: time.UnixMilli(int64(binary.BigEndian.Uint64(b[16:24]))),
		Campaign: int64(binary.BigEndian.Uint64(b[24:32])), Link: int64(binary.BigEndian.Uint64(b[32:40]))}
	copy(t.Device[:], b[40:48])
	copy(t.WeChat[:], b[48:64])
	t.NewDevice = body == tokenBody && b[64] == 1
	return t, true
}
