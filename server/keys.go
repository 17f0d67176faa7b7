package server

import (
	"crypto/hmac"
	"crypto/sha256"
)

// derive makes a purpose-specific key from the session key, so one secret
// serves cookies, form tokens and the WeChat trip's state without reusing
// a key.
func derive(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}
