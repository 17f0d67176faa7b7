package server

// The second factor of a staff sign-in (二次验证): /console/second-factor
// and /api/v1/second-factor. A session of an account that needs one
// (every administrator, every account that enrolled) reaches nothing else
// until it passes (requireStaff).

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"
	qrcode "github.com/skip2/go-qrcode"

	"renke/staff"
)

// errSecondFactor refuses a session that has not passed its second factor.
var errSecondFactor = echo.NewHTTPError(http.StatusForbidden,
	"请先完成二次验证：输入验证器应用上的 6 位动态口令（管理员账号必须绑定动态口令）。")

// beforeSecondFactor are the routes a signed-in session reaches before it
// passes the second factor: the second factor's own, and logging out.
var beforeSecondFactor = []string{
	"/console/second-factor", "/console/second-factor/enrolment", "/console/logout",
	"/api/v1/second-factor", "/api/v1/second-factor/enrolment", "/api/v1/second-factor/enrolment/confirm",
	"/api/v1/logout", "/api/v1/me",
}

// passedKey is where requireStaff leaves whether the session passed.
const passedKey = "second-factor-passed"

type secondFactorPage struct {
	consolePage
	Account   staff.Account
	Passed    bool
	Enrolment staff.Enrolment
	QR        template.URL // the enrolment's QR code, a data: URL
	Codes     []string     // the recovery codes, shown once after confirming
	Left      int64
	Next      string
	Error     string
}

// secondFactorPage is what /console/second-factor shows the account: the
// code to enter, or the enrolment to finish, or its state.
func (s *Server) secondFactorPage(c echo.Context) (secondFactorPage, error) {
	ctx := c.Request().Context()
	acct, _ := c.Get("staff").(staff.Account)
	passed, _ := c.Get(passedKey).(bool)
	p := secondFactorPage{consolePage: s.consolePage(c, "二次验证"), Account: acct, Passed: passed, Next: safeNext(c.QueryParam("next"))}
	if c.Request().Method == http.MethodPost {
		p.Next = safeNext(c.FormValue("next"))
	}
	if acct.SecondFactor {
		left, err := s.staff.RecoveryCodesLeft(ctx, acct.ID)
		p.Left = left
		return p, err
	}
	e, ok, err := s.staff.PendingEnrolment(ctx, acct)
	if err != nil {
		return p, err
	}
	if !ok {
		if e, err = s.staff.BeginEnrolment(ctx, acct); err != nil {
			return p, err
		}
	}
	png, err := qrcode.Encode(e.URL, qrcode.Medium, 256)
	if err != nil {
		return p, err
	}
	p.Enrolment, p.QR = e, template.URL("data:image/png;base64,"+base64.StdEncoding.EncodeToString(png))
	return p, nil
}

// showSecondFactor is GET /console/second-factor.
func (s *Server) showSecondFactor(c echo.Context) error {
	p, err := s.secondFactorPage(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "second_factor.html", p)
}

// submitSecondFactor is POST /console/second-factor: a code, and on to
// the page asked for.
func (s *Server) submitSecondFactor(c echo.Context) error {
	if err := s.passSecondFactor(c, c.FormValue("code")); err != nil {
		p, perr := s.secondFactorPage(c)
		if perr != nil {
			return perr
		}
		code, msg := refusedCode(err)
		if code == 0 {
			return err
		}
		p.Error = msg
		return s.render(c, code, "second_factor.html", p)
	}
	return c.Redirect(http.StatusSeeOther, safeNext(c.FormValue("next")))
}

// submitEnrolment is POST /console/second-factor/enrolment: the first
// code confirms the secret; the recovery codes are shown this once.
func (s *Server) submitEnrolment(c echo.Context) error {
	codes, err := s.confirmEnrolment(c, c.FormValue("code"))
	p, perr := s.secondFactorPage(c)
	if perr != nil {
		return perr
	}
	if err != nil {
		code, msg := refusedCode(err)
		if code == 0 {
			return err
		}
		p.Error = msg
		return s.render(c, code, "second_factor.html", p)
	}
	p.Codes, p.Passed = codes, true
	p.Account.SecondFactor, p.Left = true, int64(len(codes))
	return s.render(c, http.StatusOK, "second_factor.html", p)
}

// passSecondFactor checks a code for the signed-in account and marks its
// session passed. Wrong codes count as failed logins of the account from
// the client's network, and lock it out as those do.
func (s *Server) passSecondFactor(c echo.Context, code string) error {
	ctx := c.Request().Context()
	acct, _ := c.Get("staff").(staff.Account)
	err := s.throttled(c, acct.Username, func() (int64, error) {
		return acct.ID, s.staff.VerifySecondFactor(ctx, acct.ID, code, s.now())
	})
	if err != nil {
		return err
	}
	return s.staff.PassSession(ctx, s.sessionToken(c))
}

// confirmEnrolment confirms the signed-in account's new secret; the
// session that did so has passed.
func (s *Server) confirmEnrolment(c echo.Context, code string) ([]string, error) {
	ctx := c.Request().Context()
	acct, _ := c.Get("staff").(staff.Account)
	codes, err := s.staff.ConfirmEnrolment(ctx, acct, code, s.now())
	if err != nil {
		return nil, err
	}
	return codes, s.staff.PassSession(ctx, s.sessionToken(c))
}

// refusedCode is the status and message of a refused code or enrolment;
// 0 for an error that is not a refusal.
func refusedCode(err error) (int, string) {
	var refusal staff.Refusal
	if code, msg, ok := loginRefusal(err); ok {
		return code, msg
	}
	if errors.As(err, &refusal) {
		return http.StatusUnprocessableEntity, refusal.Error()
	}
	return 0, ""
}

// apiRefused is a refused code or enrolment as the API's error; any other
// error as it is.
func apiRefused(err error) error {
	if code, msg := refusedCode(err); code != 0 {
		return echo.NewHTTPError(code, msg)
	}
	return err
}

type codeInput struct {
	Code string `json:"code"`
}

// apiSecondFactor is POST /api/v1/second-factor: {"code": "123456"}.
func (s *Server) apiSecondFactor(c echo.Context) error {
	var in codeInput
	if err := decode(c, &in); err != nil {
		return err
	}
	if err := s.passSecondFactor(c, in.Code); err != nil {
		return apiRefused(err)
	}
	return c.NoContent(http.StatusNoContent)
}

// apiBeginEnrolment is POST /api/v1/second-factor/enrolment: a new secret
// and its otpauth:// URL.
func (s *Server) apiBeginEnrolment(c echo.Context) error {
	acct, _ := c.Get("staff").(staff.Account)
	e, err := s.staff.BeginEnrolment(c.Request().Context(), acct)
	if err != nil {
		return apiRefused(err)
	}
	return c.JSON(http.StatusCreated, e)
}

// apiConfirmEnrolment is POST /api/v1/second-factor/enrolment/confirm:
// {"code": …} gives the recovery codes, this once.
func (s *Server) apiConfirmEnrolment(c echo.Context) error {
	var in codeInput
	if err := decode(c, &in); err != nil {
		return err
	}
	codes, err := s.confirmEnrolment(c, in.Code)
	if err != nil {
		return apiRefused(err)
	}
	return c.JSON(http.StatusOK, map[string][]string{"recovery_codes": codes})
}

// resetSecondFactor is POST /console/accounts/:account/second-factor/reset:
// the admin removes an account's enrolment (a lost phone) and ends its
// sessions.
func (s *Server) resetSecondFactor(c echo.Context) error {
	a, err := s.account(c)
	if err != nil {
		return err
	}
	if err := s.staff.ResetSecondFactor(c.Request().Context(), a.ID); errors.Is(err, staff.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, "账号不存在")
	} else if err != nil {
		return err
	}
	return s.done(c, "/console/accounts", "已解除账号 "+a.Username+" 的动态口令绑定并结束其登录会话；其下次登录时重新绑定")
}

// needsPass reports whether a request of the account must wait for its
// session to pass the second factor.
func needsPass(acct staff.Account, passed bool, path string) bool {
	return acct.NeedsSecondFactor() && !passed && !slices.Contains(beforeSecondFactor, path)
}
