package server

// What each of the three administrators reaches (三员分立): the system
// administrator (admin) keeps the accounts and the units; the security
// administrator disables and enables accounts, ends their sessions and
// resets a lost second factor; the audit administrator reads and exports
// the audit trail. A route named here is its role's alone; the security
// and audit administrators reach nothing but their routes and every
// account's own (the second factor, /me, logging out): every other route
// answers them 403.

import (
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"renke/staff"
)

// roleRoutes are the routes each administrator alone may take.
var roleRoutes = map[staff.Role][]string{
	staff.Admin: {
		"POST /console/accounts", "POST /console/accounts/:account",
		"GET /console/units/new", "POST /console/units/preview", "POST /console/units", "POST /api/v1/units",
		"POST /console/campaigns/:campaign/reopen", "POST /api/v1/campaigns/:campaign/reopen",
	},
	staff.Security: {
		"POST /console/accounts/:account/disable", "POST /console/accounts/:account/enable",
		"POST /console/accounts/:account/sessions/:session/end", "POST /console/accounts/:account/second-factor/reset",
	},
	staff.Auditor: {"GET /console/audit", "GET /console/audit.xlsx"},
}

// sharedAdministration are routes the system and security administrators
// share: the list of accounts, each seeing the forms of its own work.
var sharedAdministration = []string{"GET /console/accounts"}

// everyAccount are the routes of any signed-in account: its home (which
// sends an administrator to its own page) and its second factor.
var everyAccount = []string{"GET /console"}

// mayTake reports whether the account may take the route.
func mayTake(acct staff.Account, route string) bool {
	for role, routes := range roleRoutes {
		if slices.Contains(routes, route) {
			return acct.Role == role
		}
	}
	if slices.Contains(sharedAdministration, route) {
		return acct.Role == staff.Admin || acct.Role == staff.Security
	}
	switch acct.Role {
	case staff.Security, staff.Auditor:
		if slices.Contains(everyAccount, route) {
			return true
		}
		for _, p := range beforeSecondFactor {
			if route == "GET "+p || route == "POST "+p {
				return true
			}
		}
		return false
	}
	return true
}

// refuseRole is the 403 of a route outside the account's role.
func refuseRole(acct staff.Account) error {
	switch acct.Role {
	case staff.Security:
		return echo.NewHTTPError(http.StatusForbidden, "安全管理员只能停用、启用账号，结束登录会话和解除动态口令绑定（三员分立）。")
	case staff.Auditor:
		return echo.NewHTTPError(http.StatusForbidden, "审计管理员只能查看和导出操作日志（三员分立）。")
	}
	return echo.NewHTTPError(http.StatusForbidden, "此操作属于其他管理员的职责（三员分立：系统管理员管理账号和评价单位，安全管理员管理账号的停用、会话和动态口令，审计管理员查看操作日志）。")
}

// administratorHome sends the security and audit administrators from the
// console's home to their own page; "" for everyone else.
func administratorHome(acct staff.Account) string {
	switch acct.Role {
	case staff.Security:
		return "/console/accounts"
	case staff.Auditor:
		return "/console/audit"
	}
	return ""
}
