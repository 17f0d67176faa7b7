package server

// Progress by school and by link: /console/campaigns/:campaign/progress
// and progress.xlsx. (The quota progress of the JSON API is in
// campaigns.go.)

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"renke/survey"
	"renke/workbook"
)

type progressPage struct {
	*campaignView
	Schools []survey.SourceProgress
	Links   []survey.SourceProgress
	Sort    string
	Orders  []sortOrder
}

type sortOrder struct{ Key, Name string }

var sortOrders = []sortOrder{{"behind", "落后的在前"}, {"name", "名称"}, {"answers", "答卷数"}, {"counted", "计入样本"},
	{"flagged", "被标记"}, {"last", "最近提交"}}

// sourceProgress reads the progress of every school and link.
func (s *Server) sourceProgress(c echo.Context, v *campaignView) (schools, links []survey.SourceProgress, err error) {
	ctx := c.Request().Context()
	if schools, err = s.surveys.SchoolProgress(ctx, scope(c), v.Campaign); err != nil {
		return nil, nil, err
	}
	list, err := s.units.Schools(ctx, v.Unit.ID)
	if err != nil {
		return nil, nil, err
	}
	links, err = s.surveys.LinkProgress(ctx, scope(c), v.Campaign, v.Unit.WideName(), list, v.Forms)
	return schools, links, err
}

// showSourceProgress is GET …/progress[?sort=…]: every school, answered
// or not, and every link, with answers, those counted, those flagged and
// the last answer.
func (s *Server) showSourceProgress(c echo.Context) error {
	v, err := s.campaignView(c, "各学校、各链接进度")
	if err != nil {
		return err
	}
	p := progressPage{campaignView: v, Sort: c.QueryParam("sort"), Orders: sortOrders}
	if !slices.Contains(survey.ProgressOrders, p.Sort) {
		p.Sort = "behind"
	}
	if v.Campaign.Status == survey.Open {
		p.offerRefresh(c, 60)
	}
	if p.Schools, p.Links, err = s.sourceProgress(c, v); err != nil {
		return err
	}
	survey.SortProgress(p.Schools, p.Sort)
	survey.SortProgress(p.Links, p.Sort)
	return s.render(c, http.StatusOK, "progress.html", p)
}

// exportSourceProgress is the same tables as a workbook.
func (s *Server) exportSourceProgress(c echo.Context) error {
	v, err := s.campaignView(c, "进度")
	if err != nil {
		return err
	}
	schools, links, err := s.sourceProgress(c, v)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := workbook.SourceProgress(&buf, schools, links); err != nil {
		return err
	}
	return attachment(c, fmt.Sprintf("%s-各学校与链接进度.xlsx", v.Campaign.Title), xlsxType, buf.Bytes())
}
