package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"renke/county"
	"renke/staff"
	"renke/workbook"
)

type accountsPage struct {
	consolePage
	Accounts []staff.Account
	Units    []county.Unit
	UnitName map[int64]string
	Sessions map[int64][]staff.Session // live sessions by account
	Roles    []staff.Role
	Policy   staff.Policy
	Error    string
	Notice   string
	Problems []workbook.CellError
	Username string
}

func (s *Server) accountsPage(c echo.Context) (accountsPage, error) {
	ctx := c.Request().Context()
	p := accountsPage{consolePage: s.consolePage(c, "账号管理"), Roles: staff.Roles, UnitName: map[int64]string{}, Policy: s.staff.Policy()}
	var err error
	if p.Accounts, err = s.staff.List(ctx); err != nil {
		return p, err
	}
	if p.Units, err = s.units.Units(ctx, county.Everything); err != nil {
		return p, err
	}
	for _, u := range p.Units {
		p.UnitName[u.ID] = u.Name
	}
	live, err := s.staff.Sessions(ctx, s.now())
	if err != nil {
		return p, err
	}
	p.Sessions = map[int64][]staff.Session{}
	for _, ss := range live {
		p.Sessions[ss.AccountID] = append(p.Sessions[ss.AccountID], ss)
	}
	return p, nil
}

// account is the account of :account.
func (s *Server) account(c echo.Context) (staff.Account, error) {
	id, err := idParam(c, "account")
	if err != nil {
		return staff.Account{}, err
	}
	a, err := s.staff.Get(c.Request().Context(), id)
	if errors.Is(err, staff.ErrNotFound) {
		return a, echo.NewHTTPError(http.StatusNotFound, "账号不存在")
	}
	return a, err
}

// setDisabled disables an account, which ends its sessions at once, or
// enables it again. An admin cannot disable their own account.
func (s *Server) setDisabled(disabled bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		a, err := s.account(c)
		if err != nil {
			return err
		}
		if me, _ := c.Get("staff").(staff.Account); me.ID == a.ID && disabled {
			return s.accountError(c, http.StatusUnprocessableEntity, "不能停用自己的账号，请由另一位管理员操作")
		}
		if err := s.staff.SetDisabled(c.Request().Context(), a.ID, disabled); err != nil {
			return err
		}
		if disabled {
			return s.done(c, "/console/accounts", "已停用账号 "+a.Username+"，其登录会话已全部结束")
		}
		return s.done(c, "/console/accounts", "已启用账号 "+a.Username)
	}
}

// endSession ends one live session of an account.
func (s *Server) endSession(c echo.Context) error {
	a, err := s.account(c)
	if err != nil {
		return err
	}
	if err := s.staff.EndAccountSession(c.Request().Context(), a.ID, c.Param("session")); errors.Is(err, staff.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, "该会话不存在或已结束")
	} else if err != nil {
		return err
	}
	return s.done(c, "/console/accounts", "已结束账号 "+a.Username+" 的一个登录会话")
}

func (s *Server) showAccounts(c echo.Context) error {
	p, err := s.accountsPage(c)
	if err != nil {
		return err
	}
	p.Notice = s.flash(c)
	return s.render(c, http.StatusOK, "accounts.html", p)
}

// grantFromForm reads a role, its units and its regions from a form.
func grantFromForm(c echo.Context) (staff.Grant, error) {
	g := staff.Grant{Role: staff.Role(c.FormValue("role"))}
	form, err := c.FormParams()
	if err != nil {
		return g, err
	}
	for _, raw := range form["unit"] {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return g, errors.New("评价单位无效")
		}
		g.Units = append(g.Units, id)
	}
	g.Regions = strings.FieldsFunc(c.FormValue("regions"), func(r rune) bool {
		return r == ',' || r == '，' || r == '、' || r == ' ' || r == ';'
	})
	return g, nil
}

func (s *Server) accountError(c echo.Context, code int, msg string) error {
	p, err := s.accountsPage(c)
	if err != nil {
		return err
	}
	p.Error, p.Username = msg, c.FormValue("username")
	return s.render(c, code, "accounts.html", p)
}

// createAccount adds a staff account with its role and units.
func (s *Server) createAccount(c echo.Context) error {
	g, err := grantFromForm(c)
	if err != nil {
		return s.accountError(c, http.StatusUnprocessableEntity, err.Error())
	}
	username := strings.TrimSpace(c.FormValue("username"))
	a, err := s.staff.Create(c.Request().Context(), username, c.FormValue("password"), g)
	if errors.Is(err, staff.ErrExists) {
		return s.accountError(c, http.StatusConflict, "用户名“"+username+"”已存在")
	} else if err != nil && !isStoreFailure(err) {
		return s.accountError(c, http.StatusUnprocessableEntity, err.Error())
	} else if err != nil {
		return err
	}
	return s.done(c, "/console/accounts", fmt.Sprintf("已创建账号 %s（%s）", a.Username, a.Role.Name()))
}

// updateAccount changes an account's role and units, and its password
// when a new one is given.
func (s *Server) updateAccount(c echo.Context) error {
	a, err := s.account(c)
	if err != nil {
		return err
	}
	ctx, id := c.Request().Context(), a.ID
	g, err := grantFromForm(c)
	if err != nil {
		return s.accountError(c, http.StatusUnprocessableEntity, err.Error())
	}
	if me, _ := c.Get("staff").(staff.Account); me.ID == a.ID && g.Role != staff.Admin {
		return s.accountError(c, http.StatusUnprocessableEntity, "不能取消自己的管理员角色，请由另一位管理员操作")
	}
	if pw := c.FormValue("password"); pw != "" {
		if err := s.staff.SetPassword(ctx, id, pw); err != nil {
			if isStoreFailure(err) {
				return err
			}
			return s.accountError(c, http.StatusUnprocessableEntity, a.Username+"："+err.Error())
		}
	}
	if err := s.staff.SetGrant(ctx, id, g); err != nil {
		if isStoreFailure(err) {
			return err
		}
		return s.accountError(c, http.StatusUnprocessableEntity, a.Username+"："+err.Error())
	}
	return s.done(c, "/console/accounts", "已保存账号 "+a.Username)
}

// isStoreFailure tells a failure from a refusal with a message for the admin.
func isStoreFailure(err error) bool {
	var r staff.Refusal
	return !errors.As(err, &r)
}
