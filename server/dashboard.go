package server

import (
	"html/template"
	"net/http"
	"sort"
	"time"

	"github.com/labstack/echo/v4"

	"renke/survey"
)

// dashboardPage is the live view of a campaign: sample against quota, and
// recognition against the line. It refreshes itself with a meta refresh,
// so it needs no script.
type dashboardPage struct {
	*campaignView
	Progress   Progress
	Report     RecognitionReport
	MarginText string
	Updated    time.Time
	Charts     []chart
	Hourly     template.HTML
}

type chart struct {
	ID, Title, Note string
	SVG             template.HTML
}

// groupInterval is a group's rate with its 95% interval by the campaign's
// method: Wilson on the top-two answers, or, for the other methods, the
// Wilson interval of the rate as a proportion of the group's answers.
func groupInterval(g survey.Group, m survey.Method) survey.Interval {
	if m == survey.TopTwo || m == survey.CategoryWeighted {
		return g.TopTwo
	}
	iv := survey.Wilson(g.Rate*float64(g.Answers), float64(g.Answers))
	iv.Rate = g.Rate
	return iv
}

// weakestFirst orders groups by rate, lowest first, as interval rows.
func weakestFirst(groups []survey.Group, m survey.Method) []intervalRow {
	rows := make([]intervalRow, 0, len(groups))
	for _, g := range groups {
		if g.Answers == 0 {
			continue
		}
		rows = append(rows, intervalRow{Label: g.Label, Answers: g.Answers, Interval: groupInterval(g, m)})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Rate < rows[j].Rate })
	return rows
}

var marginText = map[survey.Margin]string{
	survey.Clear:     "整个 95% 置信区间都在达标线以上，结论稳定。",
	survey.NoisePass: "认可度达标，但置信区间跨过达标线，结论受抽样误差影响，建议补足样本。",
	survey.NoiseFail: "认可度略低于达标线，置信区间跨过达标线，差距在抽样误差之内。",
	survey.Below:     "整个 95% 置信区间都在达标线以下。",
}

func (s *Server) dashboard(c echo.Context) error {
	v, err := s.campaignView(c, "进度看板")
	if err != nil {
		return err
	}
	p := dashboardPage{campaignView: v}
	if v.Campaign.Status == survey.Open {
		p.Refresh = 30
	}
	if p.Progress, err = s.withProgress(c, v); err != nil {
		return err
	}
	if p.Report, p.Updated, err = s.cachedRecognition(c, v.Campaign); err != nil {
		return err
	}
	r := p.Report
	p.MarginText = marginText[r.Margin]
	m := r.Method
	p.Charts = []chart{
		{"by-category", "按调查对象类别", "", intervalChart(weakestFirst(r.ByCategory, m), r.Threshold)},
		{"by-area", "按评价内容", "", intervalChart(weakestFirst(r.ByArea, m), r.Threshold)},
		{"by-locale", "按城乡", "", intervalChart(weakestFirst(r.ByLocale, m), r.Threshold)},
		{"by-school", "按学校（认可度最低的在前）", "经学校链接提交的答卷", intervalChart(weakestFirst(r.BySchool, m), r.Threshold)},
		{"by-item", "按题目（认可度最低的在前）", "", intervalChart(weakestFirst(r.ByItem, m), r.Threshold)},
	}
	hours, err := s.surveys.Hourly(c.Request().Context(), v.Campaign.ID)
	if err != nil {
		return err
	}
	p.Hourly = hourChart(hours)
	return s.render(c, http.StatusOK, "dashboard.html", p)
}
