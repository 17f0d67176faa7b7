package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
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

// lockedError says a login is refused until a time.
type lockedError struct{ until time.Time }

func (e lockedError) Error() string {
	return fmt.Sprintf("登录失败次数过多，登录已暂停，请于 %s 后再试。", e.until.In(survey.Beijing).Format("15:04"))
}

// signIn checks a staff login and starts its session. It returns
// ErrBadLogin when the name or password is wrong, and a lockedError when
// too many attempts failed; each failure slows the next attempt.
func (s *Server) signIn(c echo.Context, username, password string) (staff.Account, error) {
	ctx := c.Request().Context()
	client := c.RealIP()
	now := s.now()
	failures, err := s.audit.Failures(ctx, username, client, now.Add(-audit.DefaultThrottle.Window))
	if err != nil {
		return staff.Account{}, err
	}
	wait, until := audit.DefaultThrottle.Decide(failures, now)
	if until.After(now) {
		_ = s.audit.Record(ctx, audit.Entry{Username: username, Client: client, Action: audit.LoginLocked, Status: http.StatusTooManyRequests})
		return staff.Account{}, lockedError{until}
	}
	select {
	case <-time.After(wait):
	case <-ctx.Done():
		return staff.Account{}, ctx.Err()
	}
	acct, err := s.staff.Authenticate(ctx, username, password)
	if errors.Is(err, staff.ErrBadLogin) {
		slog.Info("login failed")
		_ = s.audit.Record(ctx, audit.Entry{Username: username, Client: client, Action: audit.LoginFailed, Status: http.StatusUnauthorized})
		return acct, err
	} else if err != nil {
		return acct, err
	}
	if err := s.audit.Record(ctx, audit.Entry{StaffID: &acct.ID, Username: acct.Username, Client: client, Action: audit.Login, Status: http.StatusOK}); err != nil {
		return acct, err
	}
	// A fresh session on every login, so an id planted before login is
	// never carried into a signed-in session.
	sess, _ := s.sessions.New(c.Request(), sessionName)
	sess.Values["uid"] = acct.ID
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return acct, err
	}
	slog.Info("login", "username", acct.Username)
	return acct, nil
}

// signOut ends the staff session.
func (s *Server) signOut(c echo.Context) error {
	sess, _ := s.sessions.Get(c.Request(), sessionName)
	sess.Options.MaxAge = -1
	return sess.Save(c.Request(), c.Response())
}

// login is POST /api/v1/login: a session cookie for a staff account.
func (s *Server) login(c echo.Context) error {
	var in credentials
	if err := decode(c, &in); err != nil {
		return err
	}
	acct, err := s.signIn(c, in.Username, in.Password)
	var locked lockedError
	if errors.Is(err, staff.ErrBadLogin) {
		return echo.NewHTTPError(http.StatusUnauthorized, "用户名或密码错误")
	} else if errors.As(err, &locked) {
		return echo.NewHTTPError(http.StatusTooManyRequests, locked.Error())
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

// requireStaff lets a request through only with a valid staff session.
func (s *Server) requireStaff(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess, err := s.sessions.Get(c.Request(), sessionName)
		uid, ok := sess.Values["uid"].(int64)
		if err != nil || !ok {
			return echo.NewHTTPError(http.StatusUnauthorized, "请先登录")
		}
		acct, err := s.staff.Get(c.Request().Context(), uid)
		if errors.Is(err, staff.ErrNotFound) {
			return echo.NewHTTPError(http.StatusUnauthorized, "请先登录")
		} else if err != nil {
			return err
		}
		c.Set("staff", acct)
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
			if acct.ReadOnly() {
				return echo.NewHTTPError(http.StatusForbidden, "审核人员账号只能查看，不能修改数据。")
			}
		}
		return next(c)
	}
}

// adminOnly lets only platform admins through.
func (s *Server) adminOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if acct, _ := c.Get("staff").(staff.Account); acct.Role != staff.Admin {
			return echo.NewHTTPError(http.StatusForbidden, "只有平台管理员可以执行此操作。")
		}
		return next(c)
	}
}

func (s *Server) me(c echo.Context) error { return c.JSON(http.StatusOK, c.Get("staff")) }
