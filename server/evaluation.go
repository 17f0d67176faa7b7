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

	"renke/assessment"
	"renke/county"
	"renke/evaluation"
	"renke/refusal"
	"renke/statistics"
	"renke/workbook"
)

// MaxWorkbook is the largest school workbook accepted: a county's few
// hundred schools take tens of kilobytes.
const MaxWorkbook = 8 << 20

// yearParam is the school year asked for in ?year= or the form; 0 when
// none was, for the default year.
func yearParam(c echo.Context) (int, error) {
	raw := c.QueryParam("year")
	if raw == "" {
		raw = c.FormValue("year")
	}
	if raw == "" {
		return 0, nil
	}
	y, err := strconv.Atoi(raw)
	if err != nil || !statistics.ValidYear(y) {
		return 0, echo.NewHTTPError(http.StatusBadRequest, "学年须为 2000 至 2100 之间的年份，如 2025 表示 2025—2026 学年")
	}
	return y, nil
}

// load reads the unit's statistics and findings for the requested year:
// what every evaluation handler needs, without the survey or the
// evaluation.
func (s *Server) load(c echo.Context) (*statistics.Run, error) {
	u, err := s.unit(c)
	if err != nil {
		return nil, err
	}
	year, err := yearParam(c)
	if err != nil {
		return nil, err
	}
	return s.evaluations.Load(c.Request().Context(), scope(c), u, year, s.now())
}

// evaluate loads and evaluates the unit's requested year.
func (s *Server) evaluate(c echo.Context) (*statistics.Run, error) {
	run, err := s.load(c)
	if err != nil {
		return nil, err
	}
	return run, s.evaluations.Evaluate(c.Request().Context(), run)
}

type evaluationPage struct {
	consolePage
	*statistics.Run
	Profiles []*evaluation.Profile
	Saved    string
	Error    string
	Problems []workbook.CellError
	Fields   findingsFields
	// NAFiles are the evidence files of the declarations of 不适用, by id.
	NAFiles map[int64][]assessment.Evidence
	// FindingFiles are the evidence files of the year's findings, by key.
	FindingFiles map[string][]assessment.Evidence
}

// field is one entry of the findings form, with what it shows.
type field struct {
	Name, Label, Unit, Group, Value, Placeholder, Note string
	// Key names the finding its evidence backs (assessment.FindingKey).
	Key string
	Max float64
}

type findingsFields struct{ Figures, Series, Judgements, Scores, Vetoes []field }

// seriesField is the form field of a series' year.
func seriesField(key string, year int) string { return fmt.Sprintf("ser_%s_%d", key, year) }

// fields lays out the findings form of profile p for the school year,
// each value from get.
func fields(p *evaluation.Profile, year int, get func(string) string) findingsFields {
	var ff findingsFields
	for _, si := range p.Series {
		for _, y := range si.SeriesYears(year) {
			name := seriesField(si.Key, y)
			ff.Series = append(ff.Series, field{Name: name, Label: fmt.Sprintf("%d 年", y), Group: si.Label, Unit: si.Unit, Value: get(name)})
		}
	}
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
				ff.Judgements = append(ff.Judgements, field{Name: c.Key, Label: c.Label, Group: group, Value: get("j_" + c.Key), Note: get("jn_" + c.Key),
					Key: assessment.FindingKey('j', c.Key)})
			}
		}
		for _, it := range ind.Items {
			if len(it.SurveyAreas) == 0 {
				f := field{Name: "sc_" + it.No, Label: it.No + " " + it.Name, Group: group, Value: get("sc_" + it.No), Max: it.Points,
					Key: assessment.FindingKey('s', it.No)}
				if len(it.Series) > 0 {
					f.Note = "填写上方逐年数据后按“只增不减”自动计分，此处不再适用"
				}
				ff.Scores = append(ff.Scores, f)
			}
		}
	}
	for _, v := range p.Vetoes {
		ff.Vetoes = append(ff.Vetoes, field{Name: v.Key, Label: v.Name, Value: get("v_" + v.Key), Note: get("vn_" + v.Key),
			Key: assessment.FindingKey('v', v.Key)})
	}
	return ff
}

// savedValues gives the form's values from saved findings.
func savedValues(f statistics.Findings) func(string) string {
	m := map[string]string{}
	for k, v := range f.Figures {
		m["fig_"+k] = strconv.FormatFloat(v, 'f', -1, 64)
	}
	for k, years := range f.Series {
		for y, v := range years {
			m[seriesField(k, y)] = strconv.FormatFloat(v, 'f', -1, 64)
		}
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
func (s *Server) evaluationPage(c echo.Context, code int, run *statistics.Run, saved, errMsg string, problems []workbook.CellError, ff *findingsFields) error {
	if err := s.evaluations.Evaluate(c.Request().Context(), run); err != nil {
		return err
	}
	p := evaluationPage{consolePage: s.consolePage(c, run.Unit.Name+" 优质均衡发展指标评估"), Run: run,
		Profiles: s.evaluations.Profiles.All(), Saved: saved, Error: errMsg, Problems: problems}
	files, err := s.assessments.Evidence(c.Request().Context(), run.Unit.ID)
	if err != nil {
		return err
	}
	p.NAFiles, p.FindingFiles = map[int64][]assessment.Evidence{}, map[string][]assessment.Evidence{}
	for _, f := range files {
		switch {
		case f.Subject == assessment.SubjectNotApplicable:
			p.NAFiles[f.SubjectID] = append(p.NAFiles[f.SubjectID], f)
		case f.Subject == assessment.SubjectFinding && f.SubjectID == int64(run.Year):
			p.FindingFiles[f.SubjectKey] = append(p.FindingFiles[f.SubjectKey], f)
		}
	}
	if ff != nil {
		p.Fields = *ff
	} else {
		p.Fields = fields(run.Profile, run.Year, savedValues(run.Findings))
	}
	return s.render(c, code, "evaluation.html", p)
}

func (s *Server) showEvaluation(c echo.Context) error {
	run, err := s.load(c)
	if err != nil {
		return err
	}
	saved := map[string]string{"import": "学校统计数据已导入。", "findings": "县级数据与评定已保存。", "school": "学校统计数据已保存。"}[c.QueryParam("saved")]
	if saved == "" {
		saved = s.flash(c)
	}
	return s.evaluationPage(c, http.StatusOK, run, saved, "", nil, nil)
}

func evaluationURL(run *statistics.Run, saved string) string {
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
	schools, err := workbook.ParseSchools(f)
	if ie, ok := workbook.IsImportError(err); ok {
		return s.evaluationPage(c, http.StatusUnprocessableEntity, run, "", ie.Error()+"，请按下列提示修改后重新导入。", ie.Problems, nil)
	} else if err != nil {
		return err
	}
	if err := s.evaluations.Stats.Import(c.Request().Context(), run.Unit.ID, run.Year, schools); err != nil {
		return storeError(err)
	}
	return c.Redirect(http.StatusSeeOther, evaluationURL(run, "import"))
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
			return 0, false, refusal.Invalidf("“%s”须填写数字，现为“%s”", label, raw)
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
	for _, si := range p.Series {
		for _, y := range si.SeriesYears(year) {
			v, ok, err := num(seriesField(si.Key, y), fmt.Sprintf("%s（%d 年）", si.Label, y))
			if err != nil {
				return f, err
			}
			if ok {
				if f.Series == nil {
					f.Series = map[string]map[int]float64{}
				}
				if f.Series[si.Key] == nil {
					f.Series[si.Key] = map[int]float64{}
				}
				f.Series[si.Key][y] = v
			}
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
	if raw := c.FormValue("campaign"); raw != "" {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return f, refusal.Invalidf("所选调查不属于本单位")
		}
		f.CampaignID = &id
	}
	return f, nil
}

func (s *Server) saveFindings(c echo.Context) error {
	run, err := s.load(c)
	if err != nil {
		return err
	}
	p, ok := s.evaluations.Profiles.Get(c.FormValue("profile"))
	if !ok {
		return s.evaluationPage(c, http.StatusUnprocessableEntity, run, "", "请选择评估标准。", nil, nil)
	}
	f, err := findingsForm(c, p, run.Year)
	if err == nil {
		err = s.evaluations.SaveFindings(c.Request().Context(), run, f)
	}
	if err != nil {
		code, msg, ok := refused(err)
		if !ok {
			return err
		}
		// Show the form as it was filled in, so nothing typed is lost.
		ff := fields(p, run.Year, c.FormValue)
		return s.evaluationPage(c, code, run, "", msg+"。未保存任何修改，请改正后重新保存。", nil, &ff)
	}
	return c.Redirect(http.StatusSeeOther, evaluationURL(run, "findings"))
}

func (s *Server) evaluationReport(c echo.Context) error {
	run, err := s.evaluate(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "report.html", evaluationPage{consolePage: s.consolePage(c, run.Unit.Name+" 县域义务教育优质均衡发展评估报告"), Run: run})
}

func (s *Server) evaluationWorkbook(c echo.Context) error {
	run, err := s.evaluate(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	title := fmt.Sprintf("%s %d 学年优质均衡发展评估", run.Unit.Name, run.Year)
	if err := workbook.EvaluationResult(&buf, title, run.Profile, &run.Result); err != nil {
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
	if err := workbook.Schools(&buf, run.Schools); err != nil {
		return err
	}
	return attachment(c, fmt.Sprintf("%s-%d-学校统计.xlsx", run.Unit.Name, run.Year), xlsxType, buf.Bytes())
}

// unitSchoolsTemplate is the statistics workbook with the unit's schools
// already in it (name, type, locale, public or private, enrolment from
// the roster), so a bureau fills in figures rather than retyping schools.
func (s *Server) unitSchoolsTemplate(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	list, err := s.units.Schools(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	rows := make([]evaluation.School, len(list))
	for i, sc := range list {
		rows[i] = evaluation.School{Name: sc.Name, Type: sc.Type, Locale: sc.Locale, Public: sc.Public,
			EnrolPrimary: int(sc.EnrolPrimary), EnrolJunior: int(sc.EnrolJunior)}
	}
	var buf bytes.Buffer
	if err := workbook.Schools(&buf, rows); err != nil {
		return err
	}
	return attachment(c, u.Name+"-学校统计导入模板.xlsx", xlsxType, buf.Bytes())
}

func (s *Server) schoolsTemplate(c echo.Context) error {
	var buf bytes.Buffer
	if err := workbook.Schools(&buf, nil); err != nil {
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
func (s *Server) apiProfiles(c echo.Context) error {
	return c.JSON(http.StatusOK, s.evaluations.Profiles.All())
}

type schoolPage struct {
	consolePage
	Unit     county.Unit
	Year     int
	SchoolID int64
	Fields   []workbook.Field
	Problems []workbook.CellError
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
		p.Fields = workbook.Form(nil)
		return s.render(c, http.StatusOK, "school.html", p)
	}
	id, err := idParam(c, "school")
	if err != nil {
		return err
	}
	for i := range run.Schools {
		if run.Schools[i].ID == id {
			p.SchoolID, p.Fields = id, workbook.Form(&run.Schools[i])
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
	year, err := yearParam(c)
	if err != nil {
		return err
	}
	if year == 0 {
		year = statistics.DefaultYear(nil, s.now())
	}
	sc, probs := workbook.FromForm(c.FormValue)
	if c.Param("school") != "" {
		if sc.ID, err = idParam(c, "school"); err != nil {
			return err
		}
	}
	if len(probs) == 0 {
		_, err = s.evaluations.Stats.SaveSchool(c.Request().Context(), u.ID, year, sc)
		switch {
		case errors.Is(err, statistics.ErrNotFound):
			return echo.NewHTTPError(http.StatusNotFound, "没有这所学校")
		case isUnique(err):
			probs = append(probs, workbook.CellError{Header: "学校名称", Message: "本单位已有同名学校"})
		case err != nil:
			return err
		default:
			return c.Redirect(http.StatusSeeOther, evaluationURL(&statistics.Run{Unit: u, Year: year}, "school"))
		}
	}
	p := schoolPage{consolePage: s.consolePage(c, "学校统计数据录入"), Unit: u, Year: year, SchoolID: sc.ID,
		Fields: workbook.Form(nil), Problems: probs, Bad: map[string]bool{}}
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
