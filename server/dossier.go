package server

// The satisfaction-survey dossier: /console/campaigns/:campaign/dossier.

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"renke/sampling"
	"renke/survey"
)

// dossierPage is the satisfaction-survey dossier (公众满意度调查材料) a
// bureau hands the reviewer: the design and its sources, the achieved
// sample, the results by every method with intervals, what was left out
// and why, and the questionnaires as asked.
type dossierPage struct {
	*campaignView
	Report     survey.RecognitionReport
	MarginText string
	Generated  string
	Formula    string
	Tables     []dossierTable
	Left       []leftOut
	Review     survey.ReviewSummary
	Events     []survey.Event
	Changes    []survey.Event // verdict settings changed after the opening
	Population int64          // the population and shares the sample was designed on
	Shares     sampling.Shares
	Log        survey.Verification
	Key        *survey.LogKey
	Checkpoint survey.StoredCheckpoint // the latest, printed whole
	Cosigned   []survey.Cosigned
	// Statement is the log's latest result statement, printed with the
	// checkpoint that contains it; StatementProblems are what verify found
	// wrong with it just now.
	Statement         *survey.Statement
	StatementProblems []survey.LogProblem
	Notice            string
	Exposure          survey.Exposure
}

type dossierTable struct {
	Title  string
	Groups []survey.Group
	Rows   []intervalRow
}

type leftOut struct {
	Status survey.ResponseStatus
	N      int64
	Reason string
}

func (s *Server) dossier(c echo.Context) error {
	v, err := s.campaignView(c, "社会认可度调查材料")
	if err != nil {
		return err
	}
	p := dossierPage{campaignView: v, Generated: s.now().In(survey.Beijing).Format("2006年1月2日 15:04")}
	if err := s.withProgress(c, v); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if p.Report, err = s.surveys.Recognition(ctx, v.Campaign, v.Forms, v.Progress); err != nil {
		return err
	}
	cp := v.Campaign
	p.Population, p.Shares = cp.DesignPopulation(v.Unit), cp.DesignShares(v.Unit)
	p.Formula = cp.Design(p.Population, p.Shares).Working()
	p.MarginText = verdictText(p.Report.Report)
	r := p.Report
	for _, t := range []dossierTable{{Title: "按调查对象类别", Groups: r.ByCategory}, {Title: "按评价内容", Groups: r.ByArea},
		{Title: "按城乡", Groups: r.ByLocale}, {Title: "按学校", Groups: r.BySchool}, {Title: "按题目", Groups: r.ByItem}} {
		for _, g := range t.Groups {
			t.Rows = append(t.Rows, intervalRow{Label: g.Label, Respondents: g.Respondents, Answers: g.Answers, Interval: g.Interval})
		}
		p.Tables = append(p.Tables, t)
	}
	policy := "配额策略为“满额后不再纳入”：所属类别与城乡的配额已满，答卷保存但不计入认可度。"
	if cp.Policy == sampling.Floor {
		policy = "配额策略为“配额为下限”，满额后仍纳入样本，本项应为 0。"
	}
	p.Left = []leftOut{
		{survey.Held, v.Progress.Responses[survey.Held], "提交时被系统标记（见下文审核），暂不占配额名额、不计入认可度，待工作人员核实：核实有效的计入样本（所属配额已满时为超出配额），无效的不计入。"},
		{survey.OverQuota, v.Progress.Responses[survey.OverQuota], policy},
		{survey.Invalidated, v.Progress.Responses[survey.Invalidated], "经工作人员审核判为无效，每份均有记录的审核决定和理由（见下表）。"},
	}
	if p.Review, err = s.surveys.Review(ctx, cp.ID); err != nil {
		return err
	}
	if p.Events, err = s.surveys.Events(ctx, cp.ID); err != nil {
		return err
	}
	p.Changes = survey.SettingChanges(p.Events)
	if p.Log, err = s.surveys.Verify(ctx, cp.ID); err != nil {
		return err
	}
	p.Key = s.surveys.LogKey()
	if p.Checkpoint, err = s.surveys.LatestCheckpoint(ctx, cp.ID); err != nil && !errors.Is(err, survey.ErrNotFound) {
		return err
	}
	if p.Cosigned, err = s.surveys.Cosignatures(ctx, cp.ID); err != nil {
		return err
	}
	switch st, err := s.surveys.LatestStatement(ctx, cp.ID); {
	case err == nil:
		p.Statement, p.StatementProblems = &st, p.Log.At(st.Pos)
	case !errors.Is(err, survey.ErrNotFound):
		return err
	}
	if p.Exposure, err = s.surveys.Exposure(ctx, cp.ID); err != nil {
		return err
	}
	p.Notice = s.flash(c)
	return s.render(c, http.StatusOK, "dossier.html", p)
}
