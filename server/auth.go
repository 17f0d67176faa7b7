package server

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"renke/staff"
)

const sessionName = "renke_staff"

type credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// signIn checks a staff login and starts its session; ErrBadLogin when
// the name or password is wrong.
func (s *Server) signIn(c echo.Context, username, password string) (staff.Account, error) {
	acct, err := s.staff.Authenticate(c.Request().Context(), username, password)
	if errors.Is(err, staff.ErrBadLogin) {
		slog.Info("login failed", "username", username)
		return acct, err
	} else if err != nil {
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
	if errors.Is(err, staff.ErrBadLogin) {
		return echo.NewHTTPError(http.StatusUnauthorized, "用户名或密码错误")
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

func (s *Server) me(c echo.Context) error { return c.JSON(http.StatusOK, c.Get("staff")) }
