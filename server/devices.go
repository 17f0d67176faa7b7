package server

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"

	"github.com/labstack/echo/v4"
)

// The device cookie: the HTTP side of the intake's device tags (package
// intake decides what they mean; survey flags a second response from one
// phone, or one that did not come back from the browser its form was sent
// to).

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
// the browser's device cookie and whether it was given just now.
func (s *Server) ensureDevice(c echo.Context) (string, bool) {
	if d := device(c); d != "" {
		return d, false
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	d := base64.RawURLEncoding.EncodeToString(b)
	c.SetCookie(&http.Cookie{Name: deviceCookie, Value: d, Path: "/s/",
		MaxAge: 180 * 24 * 3600, HttpOnly: true, Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode})
	return d, true
}
