package server

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/labstack/echo/v4"

	"renke/county"
	"renke/evaluation"
	"renke/statistics"
	"renke/survey"
)

// MaxWorkbook is the largest school workbook accepted: a county's few
// hundred schools take tens of kilobytes.
const MaxWorkbook = 8 << 20

// evaluationRun is a unit's evaluation for one year, with what it was made from.
type evaluationRun struct {
	Unit      county.Unit
	Year      int
	Years     []int
	Profile   *evaluation.Profile
	Findings  statistics.Findings
	Schools   []evaluation.School
	Campaigns []survey.Campaign
	Campaign  *survey.Campaign
	Result    evaluation.Result
}

// defaultYear is the school year shown when none is asked for: the newest
// with data, else the current one.
func (s *Server) defaultYear(years []int) int {
	if len(years) > 0 {
		return years[0]
	}
	y := s.now().Year()
	if s.now().Month() < 9 {
		y-- // the school year starts in September
	}
	return y
}

func (s *Server) yearParam(c echo.Context, years []int) (int, error) {
	raw := c.QueryParam("year")
	if raw == "" {
		raw = c.FormValue("year")
	}
	if raw == "" {
		return s.defaultYear(years), nil
	}
	y, err := strconv.Atoi(raw)
	if err != nil || !statistics.ValidYear(y) {
		return 0, echo.NewHTTPError(http.StatusBadRequest, "学年须为 2000 至 2100 之间的年份，如 2025 表示 2025—2026 学年")
	}
	return y, nil
}

// evaluate loads a unit's data for the year and runs the evaluation.
func (s *Server) evaluate(c echo.Context) (*evaluationRun, error) {
	run, err := s.load(c)
	if err != nil {
		return nil, err
	}
	return run, s.run(c, run)
}

// load reads a unit's statistics and findings for the year: what every
// evaluation handler needs, without the survey tally or the evaluation.
func (s *Server) load(c echo.Context) (*evaluationRun, error) {
	ctx := c.Request().Context()
	u, err := s.unit(c)
	if err != nil {
		return nil, err
	}
	run := &evaluationRun{Unit: u}
	if run.Years, err = s.stats.Years(ctx, u.ID); err != nil {
		return nil, err
	}
	if run.Year, err = s.yearParam(c, run.Years); err != nil {
		return nil, err
	}
	if run.Findings, _, err = s.stats.Findings(ctx, u.ID, run.Year); err != nil {
		return nil, err
	}
	run.Profile = s.profileOf(run.Findings.Profile)
	if run.Schools, err = s.stats.Schools(ctx, u.ID, run.Year); err != nil {
		return nil, err
	}
	if run.Campaigns, err = s.surveys.Campaigns(ctx, u.ID); err != nil {
		return nil, err
	}
	for i, cp := range run.Campaigns {
		if run.Findings.CampaignID != nil && cp.ID == *run.Findings.CampaignID {
			run.Campaign = &run.Campaigns[i]
		}
	}
	return run, nil
}

// run scores the linked survey and evaluates a loaded run.
func (s *Server) run(c echo.Context, run *evaluationRun) error {
	var rec *evaluation.Recognition
	if run.Campaign != nil {
		var err error
		if rec, err = s.recognitionFor(c, *run.Campaign); err != nil {
			return err
		}
	}
	run.Result = evaluation.Evaluate(run.Profile, run.Findings.Inputs(run.Schools, rec))
	return nil
}

// profileOf is the profile with the id, or the national one.
func (s *Server) profileOf(id string) *evaluation.Profile {
	if p, ok := s.profiles.Get(id); ok {
		return p
	}
	p, _ := s.profiles.Get("national-2017")
	return p
}

// recognitionFor is a campaign's survey result as the evaluation reads it.
func (s *Server) recognitionFor(c echo.Context, cp survey.Campaign) (*evaluation.Recognition, error) {
	r, _, err := s.cachedRecognition(c, cp)
	if err != nil {
		return nil, err
	}
	rec := &evaluation.Recognition{Campaign: cp.Title, Method: r.Result.Name, Rate: r.Result.Rate,
		Low: r.Result.Low, High: r.Result.High, Answers: r.Answers, ByArea: map[string]evaluation.AreaRate{}}
	for _, g := range r.ByArea {
		rec.ByArea[g.Key] = evaluation.AreaRate{Rate: g.Rate, Answers: g.Answers}
	}
	return rec, nil
}

type evaluationPage struct {
	consolePage
	*evaluationRun
	Profiles []*evaluation.Profile
	Saved    string
	Error    string
	Problems []statistics.CellError
	Fields   findingsFields
}

// field is one entry of the findings form, with what it shows.
type field struct {
	Name, Label, Unit, Group, Value, Placeholder, Note string
	Max                                                float64
}

type findingsFields struct{ Figures, Judgements, Scores, Vetoes []field }

// fields lays out the findings form of profile p, each value from get.
func fields(p *evaluation.Profile, get func(string) string) findingsFields {
	var ff findingsFields
	for _, in := range p.Inputs {
		f := field{Name: "fig_" + in.Key, Label: in.Label, Unit: in.Unit, Value: get("fig_" + in.Key)}
		if in.Default != nil {
			f.Placeholder = "按标准：" + evaluation.Num(*in.Default)
		}
		ff.Figures = append(ff.Figures, f)
	}
	for _, ind := range p.Indicators {
		group := ind.No + " " + ind.Name
		for _, c := range ind.Checks {
			if c.Rule == evaluation.RuleJudgement {
				ff.Judgements = append(ff.Judgements, field{Name: c.Key, Label: c.Label, Group: group, Value: get("j_" + c.Key), Note: get("jn_" + c.Key)})
			}
		}
		for _, it := range ind.Items {
			if len(it.SurveyAreas) == 0 {
				ff.Scores = append(ff.Scores, field{Name: "sc_" + it.No, Label: it.No + " " + it.Name, Group: group, Value: get("sc_" + it.No), Max: it.Points})
			}
		}
	}
	for _, v := range p.Vetoes {
		ff.Vetoes = append(ff.Vetoes, field{Name: v.Key, Label: v.Name, Value: get("v_" + v.Key), Note: get("vn_" + v.Key)})
	}
	return ff
}

// savedValues gives the form's values from saved findings.
func savedValues(f statistics.Findings) func(string) string {
	m := map[string]string{}
	for k, v := range f.Figures {
		m["fig_"+k] = strconv.FormatFloat(v, 'f', -1, 64)
	}
	tri := func(prefix, notePrefix, key, yes, no string, j evaluation.Judgement) {
		if j.Met != nil {
			m[prefix+key] = no
			if *j.Met {
				m[prefix+key] = yes
			}
		}
		m[notePrefix+key] = j.Note
	}
	for k, j := range f.Judgements {
		tri("j_", "jn_", k, "met", "unmet", j)
	}
	for k, v := range f.Scores {
		m["sc_"+k] = strconv.FormatFloat(v, 'f', -1, 64)
	}
	for k, j := range f.Vetoes {
		tri("v_", "vn_", k, "yes", "no", j)
	}
	return func(name string) string { return m[name] }
}

// evaluationPage evaluates a loaded run and shows it with the findings
// form, filled from ff (nil: from the saved findings).
func (s *Server) evaluationPage(c echo.Context, code int, run *evaluationRun, saved, errMsg string, problems []statistics.CellError, ff *findingsFields) error {
	if err := s.run(c, run); err != nil {
		return err
	}
	p := evaluationPage{consolePage: s.consolePage(c, run.Unit.Name+" 优质均衡发展指标评估"), evaluationRun: run,
		Profiles: s.profiles.All(), Saved: saved, Error: errMsg, Problems: problems}
	if ff != nil {
		p.Fields = *ff
	} else {
		p.Fields = fields(run.Profile, savedValues(run.Findings))
	}
	return s.render(c, code, "evaluation.html", p)
}

func (s *Server) showEvaluation(c echo.Context) error {
	run, err := s.load(c)
	if err != nil {
		return err
	}
	saved := map[string]string{"import": "学校统计数据已导入。", "findings": "县级数据与评定已保存。", "school": "学校统计数据已保存。"}[c.QueryParam("saved")]
	return s.evaluationPage(c, http.StatusOK, run, saved, "", nil, nil)
}

func (s *Server) evaluationURL(run *evaluationRun, saved string) string {
	q := url.Values{"year": {strconv.Itoa(run.Year)}}
	if saved != "" {
		q.Set("saved", saved)
	}
	return fmt.Sprintf("/console/units/%d/evaluation?%s", run.Unit.ID, q.Encode())
}

// importSchools reads an uploaded workbook; any problem saves nothing and
// shows every problem by row and column.
func (s *Server) importSchools(c echo.Context) error {
	run, err := s.load(c)
	if err != nil {
		return err
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return s.evaluationPage(c, http.StatusUnprocessableEntity, run, "", "请选择要导入的 Excel 文件（.xlsx）。", nil, nil)
	}
	if fh.Size > MaxWorkbook {
		return s.evaluationPage(c, http.StatusRequestEntityTooLarge, run, "", "文件过大（上限 8 MB），请只保留学校统计表。", nil, nil)
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	schools, err := statistics.Parse(f)
	if ie, ok := statistics.IsImportError(err); ok {
		return s.evaluationPage(c, http.StatusUnprocessableEntity, run, "", ie.Error()+"，请按下列提示修改后重新导入。", ie.Problems, nil)
	} else if err != nil {
		return err
	}
	if err := s.stats.Import(c.Request().Context(), run.Unit.ID, run.Year, schools); err != nil {
		return storeError(err)
	}
	return c.Redirect(http.StatusSeeOther, s.evaluationURL(run, "import"))
}

// findingsForm reads the county findings form against the profile.
func findingsForm(c echo.Context, p *evaluation.Profile, year int) (statistics.Findings, error) {
	f := statistics.Findings{Year: year, Profile: p.ID, Figures: map[string]float64{},
		Judgements: map[string]evaluation.Judgement{}, Scores: map[string]float64{}, Vetoes: map[string]evaluation.Judgement{}}
	num := func(field, label string) (float64, bool, error) {
		raw := strings.TrimSpace(c.FormValue(field))
		if raw == "" {
			return 0, false, nil
		}
		v, err := strconv.ParseFloat(strings.TrimSuffix(raw, "%"), 64)
		if err != nil {
			return 0, false, fmt.Errorf("“%s”须填写数字，现为“%s”", label, raw)
		}
		return v, true, nil
	}
	for _, in := range p.Inputs {
		v, ok, err := num("fig_"+in.Key, in.Label)
		if err != nil {
			return f, err
		}
		if ok {
			f.Figures[in.Key] = v
		}
	}
	tri := func(field, yes, no string) *bool {
		switch c.FormValue(field) {
		case yes:
			t := true
			return &t
		case no:
			f := false
			return &f
		}
		return nil
	}
	for _, j := range p.Judgements() {
		if met, note := tri("j_"+j.Key, "met", "unmet"), strings.TrimSpace(c.FormValue("jn_"+j.Key)); met != nil || note != "" {
			f.Judgements[j.Key] = evaluation.Judgement{Met: met, Note: note}
		}
	}
	for _, it := range p.ScoredItems() {
		v, ok, err := num("sc_"+it.No, "计分项 "+it.No)
		if err != nil {
			return f, err
		}
		if ok {
			f.Scores[it.No] = v
		}
	}
	for _, v := range p.Vetoes {
		if applies, note := tri("v_"+v.Key, "yes", "no"), strings.TrimSpace(c.FormValue("vn_"+v.Key)); applies != nil || note != "" {
			f.Vetoes[v.Key] = evaluation.Judgement{Met: applies, Note: note}
		}
	}
	return f, f.Validate(p)
}

func (s *Server) saveFindings(c echo.Context) error {
	run, err := s.load(c)
	if err != nil {
		return err
	}
	p, ok := s.profiles.Get(c.FormValue("profile"))
	if !ok {
		return s.evaluationPage(c, http.StatusUnprocessableEntity, run, "", "请选择评估标准。", nil, nil)
	}
	f, err := findingsForm(c, p, run.Year)
	if err == nil {
		f.CampaignID, err = campaignOf(run, c.FormValue("campaign"))
	}
	if err != nil {
		// Show the form as it was filled in, so nothing typed is lost.
		ff := fields(p, c.FormValue)
		return s.evaluationPage(c, http.StatusUnprocessableEntity, run, "", err.Error()+"。未保存任何修改，请改正后重新保存。", nil, &ff)
	}

	if err := s.stats.SaveFindings(c.Request().Context(), run.Unit.ID, f); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, s.evaluationURL(run, "findings"))
}

// campaignOf is the chosen campaign, which must be one of the unit's.
func campaignOf(run *evaluationRun, raw string) (*int64, error) {
	if raw == "" {
		return nil, nil
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	for _, cp := range run.Campaigns {
		if err == nil && cp.ID == id {
			return &id, nil
		}
	}
	return nil, errors.New("所选调查不属于本单位")
}

func (s *Server) evaluationReport(c echo.Context) error {
	run, err := s.evaluate(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "report.html", evaluationPage{consolePage: s.consolePage(c, run.Unit.Name+" 县域义务教育优质均衡发展评估报告"), evaluationRun: run})
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// download marks the response as a file to save under name.
func download(c echo.Context, name string) {
	c.Response().Header().Set(echo.HeaderContentDisposition, "attachment; filename*=UTF-8''"+url.PathEscape(name))
	c.Response().Header().Set("Cache-Control", "no-store")
}

func attachment(c echo.Context, name, contentType string, b []byte) error {
	download(c, name)
	return c.Blob(http.StatusOK, contentType, b)
}

func (s *Server) evaluationWorkbook(c echo.Context) error {
	run, err := s.evaluate(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	title := fmt.Sprintf("%s %d 学年优质均衡发展评估", run.Unit.Name, run.Year)
	if err := statistics.ReportWorkbook(&buf, title, run.Profile, &run.Result); err != nil {
		return err
	}
	return attachment(c, fmt.Sprintf("%s-%d-评估结果.xlsx", run.Unit.Name, run.Year), xlsxType, buf.Bytes())
}

func (s *Server) exportSchools(c echo.Context) error {
	run, err := s.load(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := statistics.Workbook(&buf, run.Schools); err != nil {
		return err
	}
	return attachment(c, fmt.Sprintf("%s-%d-学校统计.xlsx", run.Unit.Name, run.Year), xlsxType, buf.Bytes())
}

func (s *Server) schoolsTemplate(c echo.Context) error {
	var buf bytes.Buffer
	if err := statistics.Workbook(&buf, nil); err != nil {
		return err
	}
	return attachment(c, "学校统计导入模板.xlsx", xlsxType, buf.Bytes())
}

// apiEvaluation is GET /api/v1/units/:unit/evaluation?year=: the whole result.
func (s *Server) apiEvaluation(c echo.Context) error {
	run, err := s.evaluate(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"unit": run.Unit.ID, "year": run.Year, "profile": run.Profile.ID,
		"schools": len(run.Schools), "result": run.Result})
}

// apiProfiles is GET /api/v1/profiles.
func (s *Server) apiProfiles(c echo.Context) error { return c.JSON(http.StatusOK, s.profiles.All()) }

type schoolPage struct {
	consolePage
	Unit     county.Unit
	Year     int
	SchoolID int64
	Fields   []statistics.Field
	Problems []statistics.CellError
	Bad      map[string]bool // headers with a problem
}

// schoolForm shows one school's statistics for entry by hand.
func (s *Server) schoolForm(c echo.Context) error {
	run, err := s.load(c)
	if err != nil {
		return err
	}
	p := schoolPage{consolePage: s.consolePage(c, "学校统计数据录入"), Unit: run.Unit, Year: run.Year}
	if c.Param("school") == "" {
		p.Fields = statistics.Form(nil)
		return s.render(c, http.StatusOK, "school.html", p)
	}
	id, err := idParam(c, "school")
	if err != nil {
		return err
	}
	for i := range run.Schools {
		if run.Schools[i].ID == id {
			p.SchoolID, p.Fields = id, statistics.Form(&run.Schools[i])
			return s.render(c, http.StatusOK, "school.html", p)
		}
	}
	return echo.NewHTTPError(http.StatusNotFound, "本学年没有这所学校的统计数据")
}

// saveSchool saves one school's statistics; any problem saves nothing.
func (s *Server) saveSchool(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	year, err := s.yearParam(c, nil)
	if err != nil {
		return err
	}
	sc, probs := statistics.FromForm(c.FormValue)
	if c.Param("school") != "" {
		if sc.ID, err = idParam(c, "school"); err != nil {
			return err
		}
	}
	if len(probs) == 0 {
		_, err = s.stats.SaveSchool(c.Request().Context(), u.ID, year, sc)
		switch {
		case errors.Is(err, statistics.ErrNotFound):
			return echo.NewHTTPError(http.StatusNotFound, "没有这所学校")
		case isUnique(err):
			probs = append(probs, statistics.CellError{Header: "学校名称", Message: "本单位已有同名学校"})
		case err != nil:
			return err
		default:
			return c.Redirect(http.StatusSeeOther, s.evaluationURL(&evaluationRun{Unit: u, Year: year}, "school"))
		}
	}
	p := schoolPage{consolePage: s.consolePage(c, "学校统计数据录入"), Unit: u, Year: year, SchoolID: sc.ID,
		Fields: statistics.Form(nil), Problems: probs, Bad: map[string]bool{}}
	for i := range p.Fields {
		p.Fields[i].Value = c.FormValue(p.Fields[i].Name)
	}
	for _, pr := range probs {
		p.Bad[pr.Header] = true
	}
	return s.render(c, http.StatusUnprocessableEntity, "school.html", p)
}

// isUnique reports a unique-constraint violation.
func isUnique(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}
