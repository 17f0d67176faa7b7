package server

// Regions: /console/regions/:region and /api/v1/regions/:region, one row
// per unit in the caller's scope under a province or city code.

import (
	"html/template"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"renke/county"
	"renke/survey"
)

// regionPrefix reads :region (2, 4 or 6 digits) as the prefix of its units' codes.
func regionPrefix(c echo.Context) (string, error) {
	p, ok := county.RegionPrefix(c.Param("region"))
	if !ok {
		return "", echo.NewHTTPError(http.StatusNotFound, "地区代码须为 2 位（省）、4 位（市）或 6 位行政区划代码")
	}
	return p, nil
}

type regionPage struct {
	consolePage
	Code      string
	Rows      []survey.UnitRow
	Threshold float64
	Chart     template.HTML
	Behind    int // units whose whole interval is below the line, or that have no answers
}

// showRegion is GET /console/regions/:region: the region's units side by
// side, weakest first, each a click from its own dashboard.
func (s *Server) showRegion(c echo.Context) error {
	prefix, err := regionPrefix(c)
	if err != nil {
		return err
	}
	rows, err := s.surveys.Region(c.Request().Context(), scope(c), prefix)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return echo.NewHTTPError(http.StatusNotFound, "您可查看的评价单位中没有这个地区的单位")
	}
	p := regionPage{consolePage: s.consolePage(c, "地区总览 "+prefix), Code: prefix, Rows: rows, Threshold: 0.85}
	var chart []intervalRow
	for _, r := range rows {
		if r.Campaign != nil {
			p.Threshold = r.Campaign.Threshold
		}
		if r.Answers > 0 {
			chart = append(chart, intervalRow{Label: r.Unit.Name, Answers: r.Answers, Interval: r.Result.Interval})
		}
		if r.Answers == 0 || r.Margin == survey.Below {
			p.Behind++
		}
	}
	p.Chart = intervalChart(chart, p.Threshold)
	return s.render(c, http.StatusOK, "region.html", p)
}

// apiRegion is GET /api/v1/regions/:region.
func (s *Server) apiRegion(c echo.Context) error {
	prefix, err := regionPrefix(c)
	if err != nil {
		return err
	}
	rows, err := s.surveys.Region(c.Request().Context(), scope(c), prefix)
	if err == nil && len(rows) == 0 {
		return echo.NewHTTPError(http.StatusNotFound, "您可查看的评价单位中没有这个地区的单位")
	}
	return respond(c, http.StatusOK, rows, err)
}

// regionsOf is the cities (four-digit prefixes) with two or more of the
// units, for the console's home page.
func regionsOf(units []county.Unit) []string {
	n := map[string]int{}
	for _, u := range units {
		if city, ok := county.RegionPrefix(u.Code[:min(4, len(u.Code))]); ok && len(u.Code) == 6 {
			n[city]++
		}
	}
	var out []string
	for p, k := range n {
		if k >= 2 {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}
