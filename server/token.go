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

// A form token is issued with each rendered form: 16 random bytes (the
// submission id), the render time, and a MAC over both. Resubmitting the
// same form sends the same token, so the submission is stored only once;
// the render time gives the time taken to fill the form.
const tokenLen = 16 + 8 + 16

func newToken(key []byte, now time.Time) string {
	b := make([]byte, tokenLen)
	if _, err := rand.Read(b[:16]); err != nil {
		panic(err)
	}
	binary.BigEndian.PutUint64(b[16:24], uint64(now.UnixMilli()))
	m := hmac.New(sha256.New, key)
	m.Write(b[:24])
	copy(b[24:], m.Sum(nil))
	return base64.RawURLEncoding.EncodeToString(b)
}

// readToken checks a token and returns its submission id and render time.
func readToken(key []byte, token string) (string, time.Time, bool) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != tokenLen {
		return "", time.Time{}, false
	}
	m := hmac.New(sha256.New, key)
	m.Write(b[:24])
	if !hmac.Equal(m.Sum(nil)[:16], b[24:]) {
		return "", time.Time{}, false
	}
	return base64.RawURLEncoding.EncodeToString(b[:16]), time.UnixMilli(int64(binary.BigEndian.Uint64(b[16:24]))), true
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
