package server

// The live dashboard of a campaign: /console/campaigns/:campaign/dashboard.

import (
	"html/template"
	"net/http"

	"github.com/labstack/echo/v4"

	"renke/survey"
)

// dashboardPage is the live view of a campaign: sample against quota, and
// recognition against the line. Asked to, it refreshes itself with a meta
// refresh, so it needs no script.
type dashboardPage struct {
	*campaignView
	Report     survey.RecognitionReport
	MarginText string
	Schools    []survey.SourceProgress
	Pending    int64          // flagged responses awaiting review
	Changes    []survey.Event // verdict settings changed after the opening
	Charts     []chart
	Hourly     template.HTML
	Exposure   survey.Exposure
}

type chart struct {
	ID, Title, Note string
	SVG             template.HTML
}

// intervalRows are groups as chart rows, weakest first.
func intervalRows(groups []survey.Group) []intervalRow {
	rows := make([]intervalRow, 0, len(groups))
	for _, g := range survey.WeakestFirst(groups) {
		rows = append(rows, intervalRow{Label: g.Label, Respondents: g.Respondents, Answers: g.Answers, Interval: g.Interval})
	}
	return rows
}

var marginText = map[survey.Margin]string{
	survey.Clear:     "整个 95% 置信区间都在达标线以上，结论稳定。",
	survey.NoisePass: "认可度达标，但置信区间跨过达标线，结论受抽样误差影响，建议补足样本。",
	survey.NoiseFail: "认可度略低于达标线，置信区间跨过达标线，差距在抽样误差之内。",
	survey.Below:     "整个 95% 置信区间都在达标线以下。",
}

// provisionalText is what the interval says while the sample is short of
// its design: never that the verdict is settled.
var provisionalText = map[survey.Margin]string{
	survey.Clear:     "目前整个 95% 置信区间在达标线以上，待样本完整后方可下结论。",
	survey.NoisePass: "目前认可度在达标线以上，但置信区间跨过达标线。",
	survey.NoiseFail: "目前认可度低于达标线，置信区间跨过达标线。",
	survey.Below:     "目前整个 95% 置信区间在达标线以下。",
}

// verdictText is the sentence under a report's rate: the shortfall first
// while the sample is incomplete.
func verdictText(r survey.Report) string {
	if r.Provisional {
		return r.Shortfall + "。" + provisionalText[r.Margin]
	}
	return marginText[r.Margin]
}

func (s *Server) dashboard(c echo.Context) error {
	v, err := s.campaignView(c, "进度看板")
	if err != nil {
		return err
	}
	p := dashboardPage{campaignView: v}
	if v.Campaign.Status == survey.Open {
		p.offerRefresh(c, 30)
	}
	if err := s.withProgress(c, v); err != nil {
		return err
	}
	if p.Report, err = s.surveys.CachedRecognition(c.Request().Context(), v.Campaign, v.Forms, v.Progress); err != nil {
		return err
	}
	r := p.Report
	p.MarginText = verdictText(r.Report)
	groups := [][]intervalRow{intervalRows(r.ByCategory), intervalRows(r.ByArea), intervalRows(r.ByLocale),
		intervalRows(r.BySchool), intervalRows(r.ByItem)}
	lo := chartFloor(r.Threshold, groups...) // one scale for every chart
	p.Charts = []chart{
		{"by-category", "按调查对象类别", "", intervalChartFrom(groups[0], r.Threshold, lo)},
		{"by-area", "按评价内容", "", intervalChartFrom(groups[1], r.Threshold, lo)},
		{"by-locale", "按城乡", "", intervalChartFrom(groups[2], r.Threshold, lo)},
		{"by-school", "按学校（认可度最低的在前）", "经学校链接提交的答卷", intervalChartFrom(groups[3], r.Threshold, lo)},
		{"by-item", "按题目（认可度最低的在前）", "", intervalChartFrom(groups[4], r.Threshold, lo)},
	}
	ctx := c.Request().Context()
	if p.Schools, err = s.surveys.SchoolProgress(ctx, scope(c), v.Campaign); err != nil {
		return err
	}
	review, err := s.surveys.Review(ctx, v.Campaign.ID)
	if err != nil {
		return err
	}
	p.Pending = review.Pending
	hours, err := s.surveys.Hourly(ctx, v.Campaign.ID)
	if err != nil {
		return err
	}
	p.Hourly = hourChart(hours)
	events, err := s.surveys.Events(ctx, v.Campaign.ID)
	if err != nil {
		return err
	}
	p.Changes = survey.SettingChanges(events)
	if p.Exposure, err = s.surveys.Exposure(ctx, v.Campaign.ID); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "dashboard.html", p)
}
