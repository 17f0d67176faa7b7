package server

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"renke/audit"
	"renke/county"
	"renke/staff"
	"renke/survey"
	"renke/workbook"
)

// actionNames maps "METHOD path" to the Chinese name of a staff action,
// from the names given in routes.go.
func actionNames(e *echo.Echo) map[string]string {
	m := map[string]string{}
	for _, r := range e.Routes() {
		if r.Name != "" && !strings.HasPrefix(r.Name, "renke/") && !strings.HasPrefix(r.Name, "github.com/") {
			m[r.Method+" "+r.Path] = r.Name
		}
	}
	return m
}

// actionName is an action as the log shows it.
func actionName(a string) string {
	if n, ok := map[string]string{audit.Login: "登录", audit.LoginFailed: "登录失败", audit.LoginLocked: "登录被暂停（失败次数过多）"}[a]; ok {
		return n
	}
	return a
}

// audited records every named staff action after it ran, whatever its outcome.
func (s *Server) audited(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		name := s.actions[c.Request().Method+" "+c.Path()]
		detail := ""
		if name != "" {
			detail = s.describe(c) // before: a deleted school has no name after
		}
		err := next(c)
		if name == "" {
			return err
		}
		status := c.Response().Status
		var he *echo.HTTPError
		if errors.As(err, &he) {
			status = he.Code
		} else if err != nil {
			status = http.StatusInternalServerError
		}
		acct, _ := c.Get("staff").(staff.Account)
		e := audit.Entry{StaffID: &acct.ID, Username: acct.Username, Client: c.RealIP(), Action: name, Status: status}
		if changes, _ := c.Get(changesKey).([]string); len(changes) > 0 {
			detail = strings.TrimPrefix(detail+"；"+strings.Join(changes, "；"), "；")
		}
		e.Detail = detail
		e.UnitID = s.unitOf(c)
		if rerr := s.audit.Record(c.Request().Context(), e); rerr != nil {
			slog.Error("audit record", "error", rerr)
		}
		return err
	}
}

// changesKey holds the settings a request changed, for its audit entry.
const changesKey = "audit-changes"

// noteChanges records what a staff action changed, setting by setting with
// the old and new value ("常住人口：800000 → 812345"), in the request's
// audit entry.
func noteChanges(c echo.Context, changes []string) { c.Set(changesKey, changes) }

// settingChanges is a campaign's changed settings as noteChanges takes them.
func settingChanges(changes []survey.Change) []string {
	out := make([]string, len(changes))
	for i, ch := range changes {
		out[i] = ch.String()
	}
	return out
}

// The names of a unit's and a school's fields in the audit log.
var (
	unitFields = map[string]string{"code": "行政区划代码", "name": "单位名称", "kind": "单位类型", "population": "常住人口",
		"population_source": "人口数据来源", "population_year": "人口数据年份", "shares": "城区/镇区/乡村人口占比（基点）"}
	schoolFields = map[string]string{"name": "学校名称", "type": "学校类型", "locale": "城乡", "public": "公办",
		"enrol_primary": "小学在校生数", "enrol_junior": "初中在校生数"}
)

// actor is the signed-in staff member as the domain's actions take them.
func actor(c echo.Context) survey.Actor {
	acct, _ := c.Get("staff").(staff.Account)
	return survey.Actor{Username: acct.Username, Admin: acct.Role == staff.Admin}
}

// describe names what a staff request acted on in words: the unit, the
// campaign, the school, the account, not their ids.
func (s *Server) describe(c echo.Context) string {
	ctx := c.Request().Context()
	var detail []string
	id := func(name string) int64 {
		v, _ := strconv.ParseInt(c.Param(name), 10, 64)
		return v
	}
	for _, p := range c.ParamNames() {
		switch p {
		case "unit":
			if u, err := s.units.Unit(ctx, county.Everything, id(p)); err == nil {
				detail = append(detail, "单位 "+u.Name)
				if sc := id("school"); sc != 0 {
					if school, err := s.units.School(ctx, u.ID, sc); err == nil {
						detail = append(detail, "学校 "+school.Name)
					}
				}
			}
		case "campaign":
			if cp, err := s.surveys.Campaign(ctx, county.Everything, id(p)); err == nil {
				detail = append(detail, "调查“"+cp.Title+"”")
			}
		case "account":
			if a, err := s.staff.Get(ctx, id(p)); err == nil {
				detail = append(detail, "账号 "+a.Username)
			}
		case "response":
			detail = append(detail, "答卷 #"+c.Param(p))
		case "kind":
			detail = append(detail, survey.Kind(c.Param(p)).Name())
		case "school", "session":
		default:
			detail = append(detail, p+"="+c.Param(p))
		}
	}
	if y := c.FormValue("year"); y != "" {
		detail = append(detail, y+" 学年")
	}
	return strings.Join(detail, "，")
}

// unitOf is the unit a staff request acts on, if any.
func (s *Server) unitOf(c echo.Context) *int64 {
	if id, err := strconv.ParseInt(c.Param("unit"), 10, 64); err == nil {
		if _, err := s.units.Unit(c.Request().Context(), county.Everything, id); err == nil {
			return &id
		}
	}
	if id, err := strconv.ParseInt(c.Param("campaign"), 10, 64); err == nil {
		if cp, err := s.surveys.Campaign(c.Request().Context(), county.Everything, id); err == nil {
			return &cp.UnitID
		}
	}
	return nil
}

type auditPage struct {
	consolePage
	Units    []county.Unit
	UnitID   int64
	From, To string
	Entries  []audit.Entry
	Max      int
	// The signed audit log: its latest checkpoint (Size 0: none yet) and
	// the witnesses that cosigned one.
	Checkpoint audit.LogCheckpoint
	Witnesses  []string
}

// auditLog is the audit administrator's view of the audit log, by unit
// and time.
func (s *Server) auditLog(c echo.Context) error {
	p, f, err := s.auditFilter(c, 500)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if p.Entries, err = s.audit.List(ctx, f); err != nil {
		return err
	}
	if p.Checkpoint, err = s.audit.LatestCheckpoint(ctx); err != nil && !errors.Is(err, audit.ErrNotSealed) {
		return err
	}
	witnesses, err := s.audit.Witnesses(ctx)
	if err != nil {
		return err
	}
	for _, w := range witnesses {
		p.Witnesses = append(p.Witnesses, w.Witness)
	}
	return s.render(c, http.StatusOK, "audit.html", p)
}

// maxAuditExport bounds one export: a busy deployment's half year.
const maxAuditExport = 200_000

// exportAuditLog is GET /console/audit.xlsx: the entries the page's
// filter selects, all of them (to maxAuditExport), as a workbook.
func (s *Server) exportAuditLog(c echo.Context) error {
	p, f, err := s.auditFilter(c, maxAuditExport)
	if err != nil {
		return err
	}
	proven, err := s.audit.ListProven(c.Request().Context(), f)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := workbook.AuditLog(&buf, proven); err != nil {
		return err
	}
	return attachment(c, fmt.Sprintf("操作日志-%s至%s.xlsx", p.From, p.To), xlsxType, buf.Bytes())
}

// auditFilter reads the audit page's filter: a unit, and the days from
// and to (Beijing time; the last 30 days by default).
func (s *Server) auditFilter(c echo.Context, max int) (auditPage, audit.Filter, error) {
	ctx := c.Request().Context()
	units, err := s.units.Units(ctx, county.Everything)
	if err != nil {
		return auditPage{}, audit.Filter{}, err
	}
	p := auditPage{consolePage: s.consolePage(c, "操作日志"), Units: units, Max: max}
	day := func(name string, def time.Time) (time.Time, error) {
		raw := c.QueryParam(name)
		if raw == "" {
			return def, nil
		}
		t, err := time.ParseInLocation("2006-01-02", raw, survey.Beijing)
		if err != nil {
			return t, echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("日期“%s”无效，应为 2026-01-31 的格式", raw))
		}
		return t, nil
	}
	today := s.now().In(survey.Beijing).Truncate(24 * time.Hour)
	from, err := day("from", today.AddDate(0, 0, -30))
	if err != nil {
		return p, audit.Filter{}, err
	}
	to, err := day("to", today)
	if err != nil {
		return p, audit.Filter{}, err
	}
	p.From, p.To = from.Format("2006-01-02"), to.Format("2006-01-02")
	f := audit.Filter{From: from, To: to.AddDate(0, 0, 1), Max: max}
	if raw := c.QueryParam("unit"); raw != "" {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return p, f, echo.NewHTTPError(http.StatusBadRequest, "单位无效")
		}
		p.UnitID, f.UnitID = id, &id
	}
	return p, f, nil
}
