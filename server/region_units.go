package server

// A region's units: /console/units-template.xlsx,
// /console/regions/:region/units.xlsx, POST /console/regions (import) and
// POST /api/v1/regions/:region/units.

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"renke/county"
	"renke/refusal"
	"renke/staff"
	"renke/workbook"
)

// unitsTemplate is GET /console/units-template.xlsx: the empty unit list.
func (s *Server) unitsTemplate(c echo.Context) error {
	var buf bytes.Buffer
	if err := workbook.Units(&buf, nil); err != nil {
		return err
	}
	return attachment(c, "评价单位名单导入模板.xlsx", xlsxType, buf.Bytes())
}

// exportRegionUnits is GET /console/regions/:region/units.xlsx: the
// region's units in scope as a unit list, to correct and import again.
func (s *Server) exportRegionUnits(c echo.Context) error {
	prefix, err := regionPrefix(c)
	if err != nil {
		return err
	}
	in, err := s.units.RegionUnits(c.Request().Context(), scope(c), prefix)
	if err != nil && !errors.Is(err, county.ErrNotFound) {
		return err
	}
	var buf bytes.Buffer
	if err := workbook.Units(&buf, in); err != nil {
		return err
	}
	return attachment(c, regionFile(prefix)+"-评价单位名单.xlsx", xlsxType, buf.Bytes())
}

// importUnits saves a region's unit list for the caller, who must cover
// the region (staff.Account.Covers).
func (s *Server) importUnits(c echo.Context, prefix string, list []county.Unit) (county.UnitImport, error) {
	if acct, _ := c.Get("staff").(staff.Account); !acct.Covers(prefix) {
		return county.UnitImport{}, echo.NewHTTPError(http.StatusForbidden, "您没有地区 "+county.DivisionCode(prefix)+" 的授权，不能导入该地区的评价单位。")
	}
	return s.units.ImportUnits(c.Request().Context(), prefix, list)
}

// importRegionUnits is POST /console/regions: a unit list (XLSX) for the
// region in the form's region field; every problem is listed by row and
// column, and nothing is saved unless the whole list is right.
func (s *Server) importRegionUnits(c echo.Context) error {
	prefix, ok := county.RegionPrefix(c.FormValue("region"))
	if !ok {
		return s.unitsRefused(c, refusal.Invalidf("地区代码须为省（2 位或 6 位以 0000 结尾）或市（4 位或 6 位以 00 结尾）的行政区划代码，如 4303 或 430300"), nil)
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return s.unitsRefused(c, refusal.Invalidf("请选择要导入的评价单位名单（Excel .xlsx 文件，可先下载模板）"), nil)
	}
	if fh.Size > MaxWorkbook {
		return s.unitsRefused(c, refusal.Invalidf("文件过大（超过 %d MB）", MaxWorkbook>>20), nil)
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	list, err := workbook.ParseUnits(f, prefix)
	if ie, ok := workbook.IsImportError(err); ok {
		return s.unitsRefused(c, refusal.Invalidf("%s", ie.Error()), ie.Problems)
	} else if err != nil {
		return err
	}
	out, err := s.importUnits(c, prefix, list)
	if err != nil {
		return s.unitsRefused(c, err, nil)
	}
	return s.done(c, "/console/regions/"+county.DivisionCode(prefix), fmt.Sprintf("已导入 %d 个评价单位（新增 %d 个，更新 %d 个）", len(out.Units), out.Added, out.Updated))
}

// unitsRefused shows the console home with why an import was refused.
func (s *Server) unitsRefused(c echo.Context, err error, problems []workbook.CellError) error {
	code, msg, ok := refused(err)
	if !ok {
		return err
	}
	p, perr := s.unitsView(c)
	if perr != nil {
		return perr
	}
	p.Error, p.Problems, p.ImportRegion = msg, problems, c.FormValue("region")
	return s.render(c, code, "units.html", p)
}

// apiImportUnits is POST /api/v1/regions/:region/units: the same import
// from JSON, a list of units.
func (s *Server) apiImportUnits(c echo.Context) error {
	prefix, err := regionPrefix(c)
	if err != nil {
		return err
	}
	var in struct {
		Units []county.Unit `json:"units"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	out, err := s.importUnits(c, prefix, in.Units)
	return respond(c, http.StatusOK, out, err)
}
