package server

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"renke/staff"
)

// consolePage is what every console page gets: the signed-in account and
// the form token against cross-site requests.
type consolePage struct {
	Title string
	// Standalone: the page is a document of a package, read offline: its
	// style inline, no console bar.
	Standalone bool
	// A live page offers to refresh itself (without script) every
	// RefreshEvery seconds; it does (Refresh) once its reader asks, and
	// RefreshLink flips the choice (offerRefresh).
	Refresh, RefreshEvery int
	RefreshLink           string
	Staff                 staff.Account
	CSRF                  string
}

func (s *Server) consolePage(c echo.Context, title string) consolePage {
	p := consolePage{Title: title}
	p.Staff, _ = c.Get("staff").(staff.Account)
	p.CSRF, _ = c.Get(middleware.DefaultCSRFConfig.ContextKey).(string)
	return p
}

// offerRefresh lets a live page refresh itself every `every` seconds
// once its reader asks (?auto=1). Unasked, a refresh moves a screen
// reader's place and a slow reader's text (WCAG 2.2.1), so it is never
// the default.
func (p *consolePage) offerRefresh(c echo.Context, every int) {
	u := *c.Request().URL
	q := u.Query()
	if q.Get("auto") == "1" {
		p.Refresh = every
		q.Del("auto")
	} else {
		q.Set("auto", "1")
	}
	u.RawQuery = q.Encode()
	p.RefreshEvery, p.RefreshLink = every, u.RequestURI()
}

// csrf guards every state-changing console request with a token that a
// page of ours carries and a forged cross-site form cannot know.
func (s *Server) csrf() echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:_csrf",
		CookieName:     "renke_csrf",
		CookiePath:     "/console",
		CookieHTTPOnly: true,
		CookieSecure:   s.cfg.Secure(),
		CookieSameSite: http.SameSiteStrictMode,
		ErrorHandler: func(error, echo.Context) error {
			return echo.NewHTTPError(http.StatusForbidden, "页面已过期或请求来源无法确认，请返回并刷新页面后重试。")
		},
	})
}

// requireConsole sends a visitor without a staff session to the login
// page, and keeps the account for the handler.
func (s *Server) requireConsole(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := s.requireStaff(next)(c)
		var he *echo.HTTPError
		if errors.As(err, &he) && he.Code == http.StatusUnauthorized && c.Request().Method == http.MethodGet {
			return c.Redirect(http.StatusSeeOther, "/console/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
		}
		if he == errSecondFactor && c.Request().Method == http.MethodGet {
			return c.Redirect(http.StatusSeeOther, "/console/second-factor?next="+url.QueryEscape(c.Request().URL.RequestURI()))
		}
		return err
	}
}

type loginPage struct {
	consolePage
	Username string
	Next     string
	Error    string
}

// safeNext keeps a post-login redirect on our own console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/console") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/console"
	}
	return next
}

func (s *Server) showLogin(c echo.Context) error {
	p := loginPage{consolePage: s.consolePage(c, "登录"), Next: safeNext(c.QueryParam("next"))}
	return s.render(c, http.StatusOK, "login.html", p)
}

func (s *Server) submitLogin(c echo.Context) error {
	p := loginPage{consolePage: s.consolePage(c, "登录"), Username: strings.TrimSpace(c.FormValue("username")), Next: safeNext(c.FormValue("next"))}
	_, err := s.signIn(c, p.Username, c.FormValue("password"))
	if code, msg, ok := loginRefusal(err); ok {
		p.Error = msg
		return s.render(c, code, "login.html", p)
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, p.Next)
}

func (s *Server) submitLogout(c echo.Context) error {
	if err := s.signOut(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/console/login")
}

const flashName = "renke_flash"

// done tells the staff member that an action succeeded, on the page it
// redirects to: the message travels in a signed cookie (a flash), never in
// the address, so no link can make the console say something it did not.
func (s *Server) done(c echo.Context, to, msg string) error {
	sess, _ := s.sessions.Get(c.Request(), flashName)
	sess.Options = &sessions.Options{Path: "/console", MaxAge: 300, HttpOnly: true, Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode}
	sess.AddFlash(msg)
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// flash is the message done left for this page, if any; reading it
// removes it.
func (s *Server) flash(c echo.Context) string {
	sess, err := s.sessions.Get(c.Request(), flashName)
	if err != nil {
		return ""
	}
	flashes := sess.Flashes()
	if len(flashes) == 0 {
		return ""
	}
	sess.Options = &sessions.Options{Path: "/console", MaxAge: -1}
	_ = sess.Save(c.Request(), c.Response())
	msg, _ := flashes[len(flashes)-1].(string)
	return msg
}
