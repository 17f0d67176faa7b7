package server

// A region's evaluations: /console/regions/:region/evaluation and
// /api/v1/regions/:region/evaluation, one row per unit in scope.

import (
	"bytes"
	"net/http"

	"github.com/labstack/echo/v4"

	"renke/evaluation"
	"renke/statistics"
	"renke/workbook"
)

type regionEvaluationPage struct {
	consolePage
	Code       string
	Rows       []statistics.UnitEvaluation
	Dimensions []evaluation.Dimension // of the first unit's profile: the columns
	Failing    int
}

// regionEvaluations evaluates every unit in scope under :region.
func (s *Server) regionEvaluations(c echo.Context) (string, []statistics.UnitEvaluation, error) {
	prefix, units, err := s.regionUnits(c)
	if err != nil {
		return "", nil, err
	}
	rows, err := s.evaluations.Region(c.Request().Context(), scope(c), units, s.now())
	return prefix, rows, err
}

// showRegionEvaluation is GET /console/regions/:region/evaluation.
func (s *Server) showRegionEvaluation(c echo.Context) error {
	prefix, rows, err := s.regionEvaluations(c)
	if err != nil {
		return err
	}
	p := regionEvaluationPage{consolePage: s.consolePage(c, "各单位指标评估 "+prefix), Code: prefix, Rows: rows}
	if len(rows) > 0 {
		for _, d := range rows[0].Dimensions {
			p.Dimensions = append(p.Dimensions, d.Dimension)
		}
	}
	for _, r := range rows {
		if r.Verdict == evaluation.Fail {
			p.Failing++
		}
	}
	return s.render(c, http.StatusOK, "region_evaluation.html", p)
}

// apiRegionEvaluation is GET /api/v1/regions/:region/evaluation.
func (s *Server) apiRegionEvaluation(c echo.Context) error {
	_, rows, err := s.regionEvaluations(c)
	return respond(c, http.StatusOK, rows, err)
}

// exportRegionEvaluation is GET /console/regions/:region/evaluation.xlsx:
// the roll-up as a workbook.
func (s *Server) exportRegionEvaluation(c echo.Context) error {
	prefix, rows, err := s.regionEvaluations(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := workbook.RegionEvaluation(&buf, rows); err != nil {
		return err
	}
	return attachment(c, regionFile(prefix)+"-各单位指标评估.xlsx", xlsxType, buf.Bytes())
}
