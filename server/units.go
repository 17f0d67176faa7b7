package server

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"renke/audit"
	"renke/county"
	"renke/refusal"
	"renke/sampling"
	"renke/staff"
	"renke/survey"
	"renke/workbook"
)

// Units: /console, /console/units/… and /api/v1/units/….

// unit is the unit of the request's :unit, in the caller's scope.
func (s *Server) unit(c echo.Context) (county.Unit, error) {
	id, err := idParam(c, "unit")
	if err != nil {
		return county.Unit{}, err
	}
	u, err := s.units.Unit(c.Request().Context(), scope(c), id)
	return u, storeError(err)
}

type unitsPage struct {
	consolePage
	Units        []county.Unit
	Key          *survey.LogKey
	Regions      []string // the regions granted, and cities with two or more of the units
	CanImport    bool     // the caller may import a region's units
	ImportRegion string
	Notice       string
	Error        string
	Problems     []workbook.CellError
}

// consoleHome is GET /console: the units the caller reaches.
func (s *Server) consoleHome(c echo.Context) error {
	if to := administratorHome(c.Get("staff").(staff.Account)); to != "" {
		return c.Redirect(http.StatusSeeOther, to)
	}
	p, err := s.unitsView(c)
	if err != nil {
		return err
	}
	p.Notice = s.flash(c)
	return s.render(c, http.StatusOK, "units.html", p)
}

func (s *Server) unitsView(c echo.Context) (unitsPage, error) {
	units, err := s.units.Units(c.Request().Context(), scope(c))
	if err != nil {
		return unitsPage{}, err
	}
	acct, _ := c.Get("staff").(staff.Account)
	regions := slices.Concat(acct.Regions, county.Cities(units, 2))
	if acct.Role == staff.Admin && len(county.Cities(units, 1)) >= 2 {
		regions = append(regions, "") // the whole country
	}
	slices.Sort(regions)
	return unitsPage{consolePage: s.consolePage(c, "评价单位"), Units: units, Key: s.surveys.LogKey(),
		Regions: slices.Compact(regions), CanImport: acct.RunsRegions()}, nil
}

type unitPage struct {
	consolePage
	Unit      county.Unit
	New       bool
	Error     string
	Notice    string
	Problems  []workbook.CellError
	Preview   *sampling.QuotaTable
	PreviewOf string
	Schools   []county.School
	Campaigns []survey.Campaign
	Kinds     []string
	Types     []county.SchoolType
}

// unitFromForm reads the unit settings form: shares in percent, two
// decimals. Its errors are about the form's fields; the unit's own rules
// are checked by county.Store.
func unitFromForm(c echo.Context, u county.Unit) (county.Unit, error) {
	u.Code = strings.TrimSpace(c.FormValue("code"))
	u.Name = strings.TrimSpace(c.FormValue("name"))
	u.Kind = c.FormValue("kind")
	u.PopulationSource = strings.TrimSpace(c.FormValue("population_source"))
	u.CodeReason = strings.TrimSpace(c.FormValue("code_reason"))
	pop, err := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(c.FormValue("population")), ",", ""), 10, 64)
	if err != nil || pop <= 0 {
		return u, refusal.Invalidf("常住人口须为正整数（人），如 812345")
	}
	u.Population = pop
	u.PopulationYear = nil
	if raw := strings.TrimSpace(c.FormValue("population_year")); raw != "" {
		y, err := strconv.Atoi(raw)
		if err != nil || y < 1950 || y > 2100 {
			return u, refusal.Invalidf("人口数据年份须为 1950 至 2100 之间的年份")
		}
		y32 := int32(y)
		u.PopulationYear = &y32
	}
	for _, f := range []struct {
		name, label string
		out         *int
	}{{"share_urban", "城区", &u.Shares.Urban}, {"share_town", "镇区", &u.Shares.Town}, {"share_rural", "乡村", &u.Shares.Rural}} {
		raw := strings.TrimSuffix(strings.TrimSpace(c.FormValue(f.name)), "%")
		if raw == "" {
			raw = "0"
		}
		x, err := strconv.ParseFloat(raw, 64)
		if err != nil || x < 0 || x > 100 || math.IsNaN(x) {
			return u, refusal.Invalidf("%s人口占比“%s”无效，须为 0 至 100 之间的百分数", f.label, c.FormValue(f.name))
		}
		*f.out = int(math.Round(x * 100))
	}
	if sum := u.Shares.Urban + u.Shares.Town + u.Shares.Rural; sum != 10000 {
		return u, refusal.Invalidf("城区、镇区、乡村人口占比合计须为 100%%，现为 %s%%", strconv.FormatFloat(float64(sum)/100, 'f', -1, 64))
	}
	return u, refusal.AsInvalid(u.Validate())
}

func (s *Server) unitView(c echo.Context, u county.Unit) (unitPage, error) {
	p := unitPage{consolePage: s.consolePage(c, u.Name), Unit: u, Types: county.SchoolTypes}
	if u.ID == 0 {
		p.Title, p.New = "新建评价单位", true
		return p, nil
	}
	ctx := c.Request().Context()
	var err error
	if p.Schools, err = s.units.Schools(ctx, u.ID); err != nil {
		return p, err
	}
	if p.Campaigns, err = s.surveys.Campaigns(ctx, u.ID); err != nil {
		return p, err
	}
	return p, nil
}

// preview is the quota a new campaign at the national rate would enforce
// for the unit as it stands, or nil when its figures allow none.
func preview(u county.Unit) *sampling.QuotaTable {
	a, err := survey.Preview(u)
	if err != nil {
		return nil
	}
	t := sampling.NewQuotaTable(a.SampleSize, a.Unfilled())
	return &t
}

// unitRefused shows the unit page with the refusal of an action, or
// returns the error when it is not a refusal.
func (s *Server) unitRefused(c echo.Context, u county.Unit, err error) error {
	code, msg, ok := refused(err)
	if !ok {
		return storeError(err)
	}
	p, verr := s.unitView(c, u)
	if verr != nil {
		return verr
	}
	p.Error = msg
	return s.render(c, code, "unit.html", p)
}

func (s *Server) showUnit(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	p, err := s.unitView(c, u)
	if err != nil {
		return err
	}
	p.Preview = preview(u)
	p.Notice = s.flash(c)
	return s.render(c, http.StatusOK, "unit.html", p)
}

func (s *Server) newUnit(c echo.Context) error {
	p, _ := s.unitView(c, county.Unit{Kind: "county", Shares: sampling.Shares{Urban: 4000, Town: 3500, Rural: 2500}})
	return s.render(c, http.StatusOK, "unit.html", p)
}

// saveUnit creates (admins) or updates a unit from the settings form. On
// its …/preview route it saves nothing and shows the allocation the
// figures would give.
func (s *Server) saveUnit(c echo.Context) error {
	var cur county.Unit
	if c.Param("unit") != "" {
		var err error
		if cur, err = s.unit(c); err != nil {
			return err
		}
	}
	u, err := unitFromForm(c, cur)
	u.ID = cur.ID
	if err != nil {
		return s.unitRefused(c, u, err)
	}
	if strings.HasSuffix(c.Path(), "/preview") {
		p, err := s.unitView(c, u)
		if err != nil {
			return err
		}
		p.Preview, p.PreviewOf = preview(u), "按所填数据预览，尚未保存"
		return s.render(c, http.StatusOK, "unit.html", p)
	}
	ctx := c.Request().Context()
	if u.ID == 0 {
		u, err = s.units.CreateUnit(ctx, u)
	} else {
		u, err = s.units.UpdateUnit(ctx, u)
	}
	if err != nil {
		u.ID = cur.ID
		return s.unitRefused(c, u, err)
	}
	if cur.ID != 0 {
		noteChanges(c, audit.Changes(cur, u, unitFields, "id"))
	}
	return s.done(c, fmt.Sprintf("/console/units/%d", u.ID), "单位信息已保存")
}

func (s *Server) listUnits(c echo.Context) error {
	us, err := s.units.Units(c.Request().Context(), scope(c))
	return respond(c, http.StatusOK, us, err)
}

func (s *Server) getUnit(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

func (s *Server) createUnit(c echo.Context) error {
	var u county.Unit
	if err := decode(c, &u); err != nil {
		return err
	}
	u, err := s.units.CreateUnit(c.Request().Context(), u)
	return respond(c, http.StatusCreated, u, err)
}

func (s *Server) updateUnit(c echo.Context) error {
	cur, err := s.unit(c)
	if err != nil {
		return err
	}
	u := cur
	if err := decode(c, &u); err != nil {
		return err
	}
	u.ID = cur.ID
	u, err = s.units.UpdateUnit(c.Request().Context(), u)
	if err == nil {
		noteChanges(c, audit.Changes(cur, u, unitFields, "id"))
	}
	return respond(c, http.StatusOK, u, err)
}
