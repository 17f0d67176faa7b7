package server

// Staff sign-in, sessions and what each role may do: /console/login,
// /console/logout, /api/v1/login, /api/v1/logout.

import (
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"renke/audit"
	"renke/county"
	"renke/staff"
	"renke/survey"
)

const sessionName = "renke_staff"

type credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// lockedError says a login is refused until a time, and why.
type lockedError struct{ audit.Lock }

func (e lockedError) Error() string {
	at := e.Until.In(survey.Beijing).Format("15:04")
	if e.Account {
		return fmt.Sprintf("此账号在您所在的网络连续登录失败次数过多，已暂停从此网络登录，请于 %s 后再试；其他网络的登录不受影响。如忘记密码，请联系平台管理员重置。", at)
	}
	return fmt.Sprintf("您所在的网络登录失败次数过多，已暂停从此网络登录，请于 %s 后再试。", at)
}

// signIn checks a staff login and starts its session. It returns
// ErrBadLogin when the name or password is wrong, ErrDisabled for a
// disabled account, and a lockedError when too many attempts failed from
// the client's address; each failure slows the next attempt.
func (s *Server) signIn(c echo.Context, username, password string) (staff.Account, error) {
	ctx := c.Request().Context()
	client := c.RealIP()
	var acct staff.Account
	err := s.throttled(c, username, func() (int64, error) {
		var err error
		acct, err = s.staff.Authenticate(ctx, username, password)
		if errors.Is(err, staff.ErrBadLogin) || errors.Is(err, staff.ErrDisabled) {
			slog.Info("login failed")
		}
		return acct.ID, err
	})
	if err != nil {
		return acct, err
	}
	token, err := s.staff.StartSession(ctx, acct.ID, client, c.Request().UserAgent())
	if err != nil {
		return acct, err
	}
	// A fresh cookie on every login, so an id planted before login is
	// never carried into a signed-in session.
	sess, _ := s.sessions.New(c.Request(), sessionName)
	sess.Values["token"] = token
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return acct, err
	}
	slog.Info("login", "username", acct.Username)
	return acct, nil
}

// throttled runs one attempt to sign in as username (a password, or a
// second factor's code) under the login throttle: refused with a
// lockedError while the client's network is locked out, slowed by each
// recent failure, and recorded as a failure unless check names the
// account it let in.
func (s *Server) throttled(c echo.Context, username string, check func() (accountID int64, err error)) error {
	ctx := c.Request().Context()
	attempt, err := s.audit.BeginLogin(ctx, audit.DefaultThrottle, username, c.RealIP(), s.now())
	if err != nil {
		return err
	}
	if !attempt.Lock.Until.IsZero() {
		return lockedError{attempt.Lock}
	}
	select {
	case <-time.After(attempt.Wait):
	case <-ctx.Done():
		return ctx.Err()
	}
	id, err := check()
	if err != nil {
		return err // the attempt stays recorded as a failure
	}
	return s.audit.Succeeded(ctx, attempt, id, username)
}

// sessionToken is the session token of the request's cookie, or "".
func (s *Server) sessionToken(c echo.Context) string {
	sess, err := s.sessions.Get(c.Request(), sessionName)
	if err != nil {
		return ""
	}
	token, _ := sess.Values["token"].(string)
	return token
}

// signOut ends the staff session on the server and drops its cookie.
func (s *Server) signOut(c echo.Context) error {
	if token := s.sessionToken(c); token != "" {
		if err := s.staff.EndSession(c.Request().Context(), token); err != nil {
			return err
		}
	}
	sess, _ := s.sessions.Get(c.Request(), sessionName)
	sess.Options.MaxAge = -1
	return sess.Save(c.Request(), c.Response())
}

// loginRefusal is the status and message of a refused login.
func loginRefusal(err error) (int, string, bool) {
	var locked lockedError
	switch {
	case errors.Is(err, staff.ErrBadLogin):
		return http.StatusUnauthorized, "用户名或密码错误，请重新输入。在同一网络连续输错 5 次将暂停从此网络登录 15 分钟。", true
	case errors.Is(err, staff.ErrDisabled):
		return http.StatusForbidden, staff.ErrDisabled.Error(), true
	case errors.As(err, &locked):
		return http.StatusTooManyRequests, locked.Error(), true
	}
	return 0, "", false
}

// login is POST /api/v1/login: a session cookie for a staff account.
func (s *Server) login(c echo.Context) error {
	var in credentials
	if err := decode(c, &in); err != nil {
		return err
	}
	acct, err := s.signIn(c, in.Username, in.Password)
	if code, msg, ok := loginRefusal(err); ok {
		return echo.NewHTTPError(code, msg)
	} else if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, acct)
}

// logout is POST /api/v1/logout.
func (s *Server) logout(c echo.Context) error {
	if err := s.signOut(c); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// requireStaff lets a request through only with a live staff session:
// the cookie's token must name a session the database holds as live.
func (s *Server) requireStaff(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token := s.sessionToken(c)
		if token == "" {
			return echo.NewHTTPError(http.StatusUnauthorized, "请先登录")
		}
		acct, passed, err := s.staff.SessionAccount(c.Request().Context(), token, s.now())
		if errors.Is(err, staff.ErrNoSession) || errors.Is(err, staff.ErrNotFound) {
			return echo.NewHTTPError(http.StatusUnauthorized, "登录已失效，请重新登录")
		} else if err != nil {
			return err
		}
		c.Set("staff", acct)
		c.Set(passedKey, passed)
		if needsPass(acct, passed, c.Path()) {
			return errSecondFactor
		}
		if !mayTake(acct, c.Request().Method+" "+c.Path()) {
			return refuseRole(acct)
		}
		return next(c)
	}
}

// scope is the units the signed-in account reaches; nothing without one.
func scope(c echo.Context) county.Scope {
	acct, ok := c.Get("staff").(staff.Account)
	if !ok {
		return county.Scope{}
	}
	return acct.Scope()
}

// readOnly refuses changes from a reviewer's account. Logout is not a
// change of data and stays open to everyone.
func (s *Server) readOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		acct, _ := c.Get("staff").(staff.Account)
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead:
		default:
			// Verifying with outside evidence posts it, and changes nothing;
			// the review's own acts are a reviewer's (reviewerOnly).
			if acct.ReadOnly() && !strings.HasSuffix(c.Path(), "/verify") && !reviewAct(c.Path()) && !slices.Contains(beforeSecondFactor, c.Path()) {
				return echo.NewHTTPError(http.StatusForbidden, "审核人员账号只能查看，不能修改数据。")
			}
		}
		return next(c)
	}
}

func (s *Server) me(c echo.Context) error { return c.JSON(http.StatusOK, c.Get("staff")) }

// apiCSRF guards every state-changing API request, login included: its
// body, if any, must be JSON (an HTML form or a no-cors fetch cannot send
// that cross-site), and a browser's request must come from our own origin
// (Sec-Fetch-Site, else Origin against the Host or BASE_URL; Go's
// http.CrossOriginProtection). Scripts and command-line clients send
// neither header and pass on the JSON rule alone.
func (s *Server) apiCSRF() echo.MiddlewareFunc {
	cop := http.NewCrossOriginProtection()
	if u, err := url.Parse(s.cfg.BaseURL); err == nil && u.Host != "" {
		_ = cop.AddTrustedOrigin(u.Scheme + "://" + u.Host)
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			switch req.Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions:
				return next(c)
			}
			if err := cop.Check(req); err != nil {
				return echo.NewHTTPError(http.StatusForbidden, "请求来源与本站不一致，已拒绝。")
			}
			ct := req.Header.Get(echo.HeaderContentType)
			if (ct != "" || req.ContentLength > 0) && !isJSON(ct) && !(isUpload(c.Path()) && isMultipart(ct)) {
				return echo.NewHTTPError(http.StatusForbidden, "接口只接受 JSON（Content-Type: application/json）；上传文件的接口接受 multipart/form-data。")
			}
			return next(c)
		}
	}
}

// reviewAct reports whether a route is one of the review's own acts,
// which reviewers (and only they: reviewerOnly) perform.
func reviewAct(path string) bool {
	for _, suffix := range []string{"/not-applicable/accept", "/opinions", "/conclusion"} {
		if strings.HasSuffix(path, suffix) {
			return true
		}
	}
	return false
}

// isUpload reports whether a route takes a file (a workbook to import,
// an evidence file): those take multipart/form-data, the cross-origin
// check above still applying.
func isUpload(path string) bool {
	return strings.HasSuffix(path, "/import") || strings.HasSuffix(path, "/evidence")
}

func isMultipart(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "multipart/form-data"
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == echo.MIMEApplicationJSON
}
