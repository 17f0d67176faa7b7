package server

import (
	"bytes"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"renke/audit"
	"renke/county"
	"renke/refusal"
	"renke/sampling"
	"renke/workbook"
)

// Schools of a unit: /console/units/:unit/schools… and
// /api/v1/units/:unit/schools….

// unitSchool is the unit of :unit, in the caller's scope, and the id in
// :school.
func (s *Server) unitSchool(c echo.Context) (county.Unit, int64, error) {
	u, err := s.unit(c)
	if err != nil {
		return u, 0, err
	}
	id, err := idParam(c, "school")
	return u, id, err
}

// rosterTemplate is the empty school roster workbook.
func (s *Server) rosterTemplate(c echo.Context) error {
	var buf bytes.Buffer
	if err := workbook.Roster(&buf, nil); err != nil {
		return err
	}
	return attachment(c, "学校名单模板.xlsx", xlsxType, buf.Bytes())
}

func (s *Server) exportRoster(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	list, err := s.units.Schools(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := workbook.Roster(&buf, list); err != nil {
		return err
	}
	return attachment(c, u.Name+"学校名单.xlsx", xlsxType, buf.Bytes())
}

// importRoster reads a school roster (XLSX or CSV). Any problem saves
// nothing and lists every cell at fault.
func (s *Server) importRoster(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return s.unitRefused(c, u, refusal.Invalidf("请选择要导入的 Excel（.xlsx）或 CSV 文件"))
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	list, err := workbook.ParseRoster(f, strings.EqualFold(path.Ext(fh.Filename), ".csv"))
	if ie, ok := workbook.IsImportError(err); ok {
		p, err := s.unitView(c, u)
		if err != nil {
			return err
		}
		p.Error, p.Problems = ie.Error(), ie.Problems
		return s.render(c, http.StatusUnprocessableEntity, "unit.html", p)
	} else if err != nil {
		return err
	}
	added, err := s.units.ImportSchools(c.Request().Context(), u.ID, list)
	if err != nil {
		return s.unitRefused(c, u, err)
	}
	return s.done(c, fmt.Sprintf("/console/units/%d#schools", u.ID),
		fmt.Sprintf("已导入 %d 所学校（新增 %d 所，更新 %d 所）", len(list), added, len(list)-added))
}

// addSchool adds one school by hand.
func (s *Server) addSchool(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	sc := county.School{UnitID: u.ID, Name: c.FormValue("name"), Type: county.SchoolType(c.FormValue("type")),
		Locale: sampling.Locale(c.FormValue("locale")), Public: c.FormValue("public") != "private"}
	for _, f := range []struct {
		name, label string
		out         *int32
	}{{"enrol_primary", "小学在校生数", &sc.EnrolPrimary}, {"enrol_junior", "初中在校生数", &sc.EnrolJunior}} {
		raw := strings.TrimSpace(c.FormValue(f.name))
		if raw == "" {
			continue
		}
		n, err := strconv.ParseInt(raw, 10, 32)
		if err != nil || n < 0 {
			return s.unitRefused(c, u, refusal.Invalidf("%s须为不小于 0 的整数", f.label))
		}
		*f.out = int32(n)
	}
	if sc, err = s.units.CreateSchool(c.Request().Context(), sc); err != nil {
		return s.unitRefused(c, u, err)
	}
	return s.done(c, fmt.Sprintf("/console/units/%d#schools", u.ID), "已添加 "+sc.Name)
}

// removeSchool deletes a school that no link or response names.
func (s *Server) removeSchool(c echo.Context) error {
	u, id, err := s.unitSchool(c)
	if err != nil {
		return err
	}
	if c.FormValue("confirm") != "yes" {
		return s.unitRefused(c, u, refusal.Invalidf("请勾选“确认删除”后再删除学校"))
	}
	if err := s.units.DeleteSchool(c.Request().Context(), u.ID, id); err != nil {
		return s.unitRefused(c, u, err)
	}
	return s.done(c, fmt.Sprintf("/console/units/%d#schools", u.ID), "已删除")
}

func (s *Server) listSchools(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	list, err := s.units.Schools(c.Request().Context(), u.ID)
	return respond(c, http.StatusOK, list, err)
}

func (s *Server) createSchool(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	sc := county.School{Public: true}
	if err := decode(c, &sc); err != nil {
		return err
	}
	sc.UnitID, sc.ID = u.ID, 0
	sc, err = s.units.CreateSchool(c.Request().Context(), sc)
	return respond(c, http.StatusCreated, sc, err)
}

func (s *Server) updateSchool(c echo.Context) error {
	u, id, err := s.unitSchool(c)
	if err != nil {
		return err
	}
	sc, err := s.units.School(c.Request().Context(), u.ID, id)
	if err != nil {
		return storeError(err)
	}
	before := sc
	if err := decode(c, &sc); err != nil {
		return err
	}
	sc.UnitID, sc.ID = u.ID, id
	sc, err = s.units.UpdateSchool(c.Request().Context(), sc)
	if err == nil {
		noteChanges(c, audit.Changes(before, sc, schoolFields, "id", "unit_id"))
	}
	return respond(c, http.StatusOK, sc, err)
}

func (s *Server) deleteSchool(c echo.Context) error {
	u, id, err := s.unitSchool(c)
	if err != nil {
		return err
	}
	if err := storeError(s.units.DeleteSchool(c.Request().Context(), u.ID, id)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
