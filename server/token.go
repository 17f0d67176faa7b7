package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"time"
)

// derive makes a purpose-specific key from the session key, so one secret
// serves cookies, form tokens and IP hashing without reusing a key.
func derive(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// A form token is issued with each rendered form. It holds 16 random
// bytes (the submission id), the render time, the campaign and the link
// the form was rendered for, a tag of the device cookie the browser had
// or was given with the form, and a MAC over all of it. Resubmitting the
// same form sends the same token, so the submission is stored only once;
// the render time gives the time taken to fill the form and dates the
// token; the campaign and link bind it, so a token from one link is no
// good at another; the device tag shows whether the submission came back
// from the browser the form was sent to.
const (
	tokenBody = 16 + 8 + 8 + 8 + 8 + 16
	tokenLen  = tokenBody + 16
)

// formToken is what a token says.
type formToken struct {
	Submission string // base64 of the 16 random bytes
	Rendered   time.Time
	Campaign   int64
	Link       int64
	Device     [8]byte  // deviceTag of the cookie at render; zero for none
	WeChat     [16]byte // keyed hash of the WeChat user, for a WeChat-only campaign; zero for none
}

// deviceTag is a short keyed tag of a device cookie value ("" for none:
// the zero tag).
func deviceTag(key []byte, cookie string) [8]byte {
	var tag [8]byte
	if cookie == "" {
		return tag
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("device\x00" + cookie))
	copy(tag[:], m.Sum(nil))
	return tag
}

func newToken(key []byte, t formToken) string {
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
	m := hmac.New(sha256.New, key)
	m.Write(b[:tokenBody])
	copy(b[tokenBody:], m.Sum(nil))
	return base64.RawURLEncoding.EncodeToString(b)
}

// readToken checks a token's MAC and returns what it says.
func readToken(key []byte, token string) (formToken, bool) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != tokenLen {
		return formToken{}, false
	}
	m := hmac.New(sha256.New, key)
	m.Write(b[:tokenBody])
	if !hmac.Equal(m.Sum(nil)[:16], b[tokenBody:]) {
		return formToken{}, false
	}
	t := formToken{Submission: base64.RawURLEncoding.EncodeToString(b[:16]),
		Rendered: time.UnixMilli(int64(binary.BigEndian.Uint64(b[16:24]))),
		Campaign: int64(binary.BigEndian.Uint64(b[24:32])), Link: int64(binary.BigEndian.Uint64(b[32:40]))}
	copy(t.Device[:], b[40:48])
	copy(t.WeChat[:], b[48:64])
	return t, true
}

// keyedHash is a keyed hash of a client address or device cookie, under
// the campaign's hash key (survey.Store.HashKey): enough to spot many
// submissions from one address or phone within the campaign, never the
// address itself, and unlinkable to it once the campaign closes and its
// key is destroyed. what names the kind of value, so an address and a
// cookie never share a hash.
func keyedHash(key []byte, what, value string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(what))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return m.Sum(nil)[:16]
}

// uaFamily reduces a User-Agent to a coarse family.
func uaFamily(ua string) string {
	for _, f := range []struct{ needle, family string }{
		{"MicroMessenger", "wechat"}, {"AlipayClient", "alipay"}, {"DingTalk", "dingtalk"},
		{"QQ/", "qq"}, {"HeadlessChrome", "headless"}, {"Edg/", "edge"}, {"Firefox/", "firefox"},
		{"Chrome/", "chrome"}, {"Safari/", "safari"}, {"curl/", "script"}, {"Go-http-client", "script"},
		{"python", "script"},
	} {
		if strings.Contains(ua, f.needle) {
			return f.family
		}
	}
	return "other"
}
