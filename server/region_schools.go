package server

// A region's school rosters in one workbook:
// /console/regions/:region/schools.xlsx and POST …/schools.

import (
	"bytes"
	"fmt"

	"github.com/labstack/echo/v4"

	"renke/county"
	"renke/refusal"
	"renke/workbook"
)

// exportRegionSchools is GET /console/regions/:region/schools.xlsx: every
// unit's roster in one workbook, each school with its unit's code (the
// template, with headers only, when none has schools yet).
func (s *Server) exportRegionSchools(c echo.Context) error {
	prefix, units, err := s.regionUnits(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	ids := make([]int64, len(units))
	for i, u := range units {
		ids[i] = u.ID
	}
	schools, err := s.units.SchoolsOf(ctx, ids)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := workbook.RegionRoster(&buf, units, schools); err != nil {
		return err
	}
	return attachment(c, regionFile(prefix)+"-各单位学校名单.xlsx", xlsxType, buf.Bytes())
}

// importRegionSchools is POST /console/regions/:region/schools: the
// rosters of the region's units from one workbook, all or nothing.
func (s *Server) importRegionSchools(c echo.Context) error {
	p, err := s.regionView(c)
	if err != nil {
		return err
	}
	refuse := func(err error, problems []workbook.CellError) error {
		code, msg, ok := refused(err)
		if !ok {
			return err
		}
		p.Error, p.Problems = msg, problems
		return s.render(c, code, "region.html", p)
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return refuse(refusal.Invalidf("请选择要导入的学校名单（Excel .xlsx 文件，可先下载本地区的名单）"), nil)
	}
	if fh.Size > MaxWorkbook {
		return refuse(refusal.Invalidf("文件过大（超过 %d MB）", MaxWorkbook>>20), nil)
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	byCode := map[string]int64{}
	for _, r := range p.Rows {
		byCode[r.Unit.Code] = r.Unit.ID
	}
	rosters, err := workbook.ParseRegionRoster(f, func(code string) bool { _, ok := byCode[code]; return ok })
	if ie, ok := workbook.IsImportError(err); ok {
		return refuse(refusal.Invalidf("%s", ie.Error()), ie.Problems)
	} else if err != nil {
		return err
	}
	byUnit, n := map[int64][]county.School{}, 0
	for code, list := range rosters {
		byUnit[byCode[code]] = list
		n += len(list)
	}
	added, err := s.units.ImportRosters(c.Request().Context(), byUnit)
	if err != nil {
		return refuse(err, nil)
	}
	return s.done(c, "/console/regions/"+county.DivisionCode(p.Code),
		fmt.Sprintf("已导入 %d 个单位的 %d 所学校（新增 %d 所，更新 %d 所）", len(byUnit), n, added, n-added))
}
