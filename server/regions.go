package server

// Regions: /console/regions/:region and /api/v1/regions/:region, one row
// per unit in the caller's scope under a province or city code.

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"renke/county"
	"renke/survey"
	"renke/workbook"
)

// regionPrefix reads :region (2, 4 or 6 digits) as the prefix of its units' codes.
func regionPrefix(c echo.Context) (string, error) {
	p, ok := county.RegionPrefix(c.Param("region"))
	if !ok {
		return "", echo.NewHTTPError(http.StatusNotFound, "地区代码须为 2 位（省）、4 位（市）或 6 位行政区划代码")
	}
	return p, nil
}

// regionUnits is :region's prefix and its units in the caller's scope;
// a region with none in scope is errNoRegion.
func (s *Server) regionUnits(c echo.Context) (string, []county.Unit, error) {
	prefix, err := regionPrefix(c)
	if err != nil {
		return "", nil, err
	}
	units, err := s.units.RegionUnits(c.Request().Context(), scope(c), prefix)
	if err != nil {
		return "", nil, regionNotFound(err)
	}
	return prefix, units, nil
}

// regionNotFound turns a store's not-found into errNoRegion.
func regionNotFound(err error) error {
	if errors.Is(err, county.ErrNotFound) || errors.Is(err, survey.ErrNotFound) {
		return errNoRegion()
	}
	return err
}

// errNoRegion answers a region with no unit in the caller's scope.
func errNoRegion() error {
	return echo.NewHTTPError(http.StatusNotFound, "您可查看的评价单位中没有这个地区的单位")
}

// maxChartUnits bounds the interval chart: a province's or the country's
// units beyond the weakest hundred are in the table.
const maxChartUnits = 100

// regionPageSize is the table's rows a page: the country's 2,900 units
// are 29 pages, weakest first.
const regionPageSize = 100

type regionPage struct {
	consolePage
	Code      string
	Rows      []survey.UnitRow
	Shown     []survey.UnitRow // this page's rows of the table
	Page      int              // 1-based
	Pages     int
	Provinces []survey.RegionSummary // the country's page: one row a province
	Threshold float64
	Chart     template.HTML
	ChartMore int // units with answers left out of the chart
	Behind    int // units whose whole interval is below the line, or that have no answers
	Notice    string
	Error     string
	Problems  []workbook.CellError
}

// showRegion is GET /console/regions/:region: the region's units side by
// side, weakest first, each a click from its own dashboard.
func (s *Server) showRegion(c echo.Context) error {
	p, err := s.regionView(c)
	if err != nil {
		return err
	}
	p.Notice = s.flash(c)
	return s.render(c, http.StatusOK, "region.html", p)
}

// regionView is the region's rows, its chart of intervals (worst first)
// and how many units are behind.
func (s *Server) regionView(c echo.Context) (regionPage, error) {
	prefix, err := regionPrefix(c)
	if err != nil {
		return regionPage{}, err
	}
	rows, err := s.surveys.Region(c.Request().Context(), scope(c), prefix)
	if err != nil {
		return regionPage{}, err
	}
	if len(rows) == 0 {
		return regionPage{}, errNoRegion()
	}
	p := regionPage{consolePage: s.consolePage(c, "地区总览 "+county.RegionName(prefix)), Code: prefix, Rows: rows, Threshold: 0.85}
	var chart []intervalRow
	for _, r := range rows {
		if r.Campaign != nil {
			p.Threshold = r.Campaign.Threshold
		}
		if r.Respondents > 0 {
			chart = append(chart, intervalRow{Label: r.Unit.Name, Respondents: r.Respondents, Answers: r.Answers, Interval: r.Result.Interval})
		}
		if r.Behind() {
			p.Behind++
		}
	}
	if len(chart) > maxChartUnits {
		p.ChartMore, chart = len(chart)-maxChartUnits, chart[:maxChartUnits]
	}
	p.Chart = intervalChart(chart, p.Threshold)
	p.Pages = (len(rows) + regionPageSize - 1) / regionPageSize
	p.Page = 1
	if n, err := strconv.Atoi(c.QueryParam("page")); err == nil && n >= 1 && n <= p.Pages {
		p.Page = n
	}
	p.Shown = rows[(p.Page-1)*regionPageSize : min(len(rows), p.Page*regionPageSize)]
	if prefix == "" {
		p.Provinces = survey.Summarise(rows, 2)
	}
	return p, nil
}

// exportRegion is GET /console/regions/:region/export.xlsx: the overview
// as a workbook.
func (s *Server) exportRegion(c echo.Context) error {
	prefix, err := regionPrefix(c)
	if err != nil {
		return err
	}
	rows, err := s.surveys.Region(c.Request().Context(), scope(c), prefix)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return errNoRegion()
	}
	var buf bytes.Buffer
	if err := workbook.Region(&buf, rows); err != nil {
		return err
	}
	return attachment(c, regionFile(prefix)+"-各单位调查进度与认可度.xlsx", xlsxType, buf.Bytes())
}

// apiRegion is GET /api/v1/regions/:region.
func (s *Server) apiRegion(c echo.Context) error {
	prefix, err := regionPrefix(c)
	if err != nil {
		return err
	}
	rows, err := s.surveys.Region(c.Request().Context(), scope(c), prefix)
	if err == nil && len(rows) == 0 {
		return errNoRegion()
	}
	return respond(c, http.StatusOK, rows, err)
}

// regionLinks reads the links a region-wide survey makes: the kinds
// ("any" lets the respondent choose) and the scope (each school, the
// unit-wide link).
func regionLinks(kinds []string, schools, unitWide bool) survey.LinkBatch {
	b := survey.LinkBatch{Schools: schools, UnitWide: unitWide}
	for _, raw := range kinds {
		if raw == "any" {
			b.Kinds = append(b.Kinds, nil)
			continue
		}
		k := survey.Kind(raw)
		b.Kinds = append(b.Kinds, &k)
	}
	return b
}

// outcomeText sums up a region-wide action for the flash message: format
// takes the number of units acted on.
func outcomeText(format string, out []survey.RegionOutcome) string {
	done, notes := 0, []string{}
	for _, o := range out {
		if o.Done {
			done++
		}
		if o.Reason != "" {
			notes = append(notes, o.Unit.Name+"："+o.Reason)
		}
	}
	msg := fmt.Sprintf(format, done)
	if len(notes) > 0 {
		msg += "；" + strings.Join(notes, "；")
	}
	return msg
}

// createRegionSurvey is POST /console/regions/:region/campaigns: one
// survey for every unit of the region (title and dates from the form, the
// national defaults for the rest), with a link per school and a unit-wide
// link, each letting the respondent choose who they are.
func (s *Server) createRegionSurvey(c echo.Context) error {
	prefix, err := regionPrefix(c)
	if err != nil {
		return err
	}
	title, opens, closes := strings.TrimSpace(c.FormValue("title")), localTime(c.FormValue("opens_at")), localTime(c.FormValue("closes_at"))
	blind := c.FormValue("blind") != ""
	out, err := s.surveys.CreateRegionCampaigns(c.Request().Context(), scope(c), prefix,
		survey.Settings{Title: &title, OpensAt: &opens, ClosesAt: &closes, Blind: &blind}, regionLinks([]string{"any"}, true, true))
	if _, msg, ok := refused(err); ok {
		return s.done(c, "/console/regions/"+county.DivisionCode(prefix), "未创建："+msg)
	} else if err != nil {
		return storeError(err)
	}
	return s.done(c, "/console/regions/"+county.DivisionCode(prefix), outcomeText("已为 %d 个单位创建调查", out))
}

// openRegion is POST /console/regions/:region/open; closeRegion …/close.
func (s *Server) openRegion(c echo.Context) error  { return s.regionAction(c, "开始调查", false) }
func (s *Server) closeRegion(c echo.Context) error { return s.regionAction(c, "结束调查", true) }

func (s *Server) regionAction(c echo.Context, what string, closing bool) error {
	prefix, err := regionPrefix(c)
	if err != nil {
		return err
	}
	out, err := s.regionOutcome(c, prefix, closing)
	if err != nil {
		return storeError(err)
	}
	return s.done(c, "/console/regions/"+county.DivisionCode(prefix), outcomeText(what+"：%d 个单位", out))
}

func (s *Server) regionOutcome(c echo.Context, prefix string, closing bool) ([]survey.RegionOutcome, error) {
	if closing {
		return s.surveys.CloseRegion(c.Request().Context(), scope(c), prefix, actor(c).Username)
	}
	return s.surveys.OpenRegion(c.Request().Context(), scope(c), prefix, actor(c).Username)
}

// regionSurveyRequest is the body of POST /api/v1/regions/:region/campaigns.
type regionSurveyRequest struct {
	Settings survey.Settings `json:"settings"`
	Kinds    []string        `json:"kinds"`   // "any", "social", "staff", "student"
	Schools  bool            `json:"schools"` // a link per school
	UnitWide bool            `json:"unit_wide"`
}

// apiCreateRegionSurvey is POST /api/v1/regions/:region/campaigns.
func (s *Server) apiCreateRegionSurvey(c echo.Context) error {
	prefix, err := regionPrefix(c)
	if err != nil {
		return err
	}
	var in regionSurveyRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	out, err := s.surveys.CreateRegionCampaigns(c.Request().Context(), scope(c), prefix, in.Settings, regionLinks(in.Kinds, in.Schools, in.UnitWide))
	return respond(c, http.StatusCreated, out, err)
}

// apiOpenRegion is POST /api/v1/regions/:region/open; apiCloseRegion …/close.
func (s *Server) apiOpenRegion(c echo.Context) error  { return s.apiRegionAction(c, false) }
func (s *Server) apiCloseRegion(c echo.Context) error { return s.apiRegionAction(c, true) }

func (s *Server) apiRegionAction(c echo.Context, closing bool) error {
	prefix, err := regionPrefix(c)
	if err != nil {
		return err
	}
	out, err := s.regionOutcome(c, prefix, closing)
	return respond(c, http.StatusOK, out, err)
}

// regionFile names a region in a file name: 地区430300, or 全国.
func regionFile(prefix string) string { return strings.ReplaceAll(county.RegionName(prefix), " ", "") }
