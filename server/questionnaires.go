package server

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"renke/county"
	"renke/refusal"
	"renke/sampling"
	"renke/survey"
)

// Questionnaires of a campaign: /console/campaigns/:campaign/questionnaires/:kind
// (the editor, and a preview as a phone shows it) and
// /api/v1/campaigns/:campaign/questionnaires….

func (s *Server) listForms(c echo.Context) error {
	cp, err := s.campaignProgress(c)
	if err != nil {
		return err
	}
	forms, err := s.surveys.Forms(c.Request().Context(), cp.ID)
	return respond(c, http.StatusOK, forms, err)
}

func (s *Server) updateForm(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	var q survey.Questionnaire
	if err := decode(c, &q); err != nil {
		return err
	}
	f, err := s.surveys.UpdateForm(c.Request().Context(), cp.ID, survey.Kind(c.Param("kind")), q)
	return respond(c, http.StatusOK, f, err)
}

// editorPage is the questionnaire editor: every field of one
// questionnaire, editable while the campaign is a draft.
type editorPage struct {
	*campaignView
	Form     survey.Questionnaire
	Editable bool
	Areas    []survey.Area
	Blank    []int // rows for new items and options
}

// form is the campaign's questionnaire of :kind.
func (v *campaignView) form(kind string) (survey.Questionnaire, error) {
	for _, f := range v.Forms {
		if string(f.Kind) == kind {
			return f.Questionnaire, nil
		}
	}
	return survey.Questionnaire{}, echo.NewHTTPError(http.StatusNotFound, "没有这份问卷")
}

func (s *Server) editor(c echo.Context, q *survey.Questionnaire) (editorPage, error) {
	v, err := s.campaignView(c, "问卷编辑")
	if err != nil {
		return editorPage{}, err
	}
	p := editorPage{campaignView: v, Areas: survey.Areas, Blank: []int{0, 1, 2},
		Editable: v.Campaign.Status == survey.Draft && !v.Staff.ReadOnly()}
	if q != nil {
		p.Form = *q
		return p, nil
	}
	p.Form, err = v.form(c.Param("kind"))
	return p, err
}

// showQuestionnaire is GET …/questionnaires/:kind: the editor, or the
// frozen questionnaire read-only once the campaign opened.
func (s *Server) showQuestionnaire(c echo.Context) error {
	p, err := s.editor(c, nil)
	if err != nil {
		return err
	}
	p.Notice = s.flash(c)
	return s.render(c, http.StatusOK, "questionnaire.html", p)
}

// saveQuestionnaire is POST …/questionnaires/:kind: the editor's form as
// a whole questionnaire, checked by survey.Store.UpdateForm. A refusal
// shows the form again as it was filled in.
func (s *Server) saveQuestionnaire(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	cur, err := s.editor(c, nil)
	if err != nil {
		return err
	}
	q, err := questionnaireFromForm(c, cur.Form)
	if err == nil {
		_, err = s.surveys.UpdateForm(c.Request().Context(), cp.ID, survey.Kind(c.Param("kind")), q)
	}
	if code, msg, ok := refused(err); ok {
		p, perr := s.editor(c, &q)
		if perr != nil {
			return perr
		}
		p.Error = msg
		return s.render(c, code, "questionnaire.html", p)
	} else if err != nil {
		return err
	}
	return s.done(c, fmt.Sprintf("/console/campaigns/%d/questionnaires/%s", cp.ID, c.Param("kind")), "问卷已保存")
}

// questionnaireFromForm reads the editor: the title and introduction; the
// scale's rows (a row without a label is dropped); the items' rows in the
// order of their 序号, those ticked 删除 and empty new ones dropped, new
// ones numbered after the largest number of the questionnaire.
func questionnaireFromForm(c echo.Context, cur survey.Questionnaire) (survey.Questionnaire, error) {
	form, err := c.FormParams()
	if err != nil {
		return cur, err
	}
	q := survey.Questionnaire{Kind: cur.Kind, Categories: cur.Categories,
		Title: strings.TrimSpace(form.Get("title")), Intro: strings.TrimSpace(form.Get("intro"))}
	num := func(field, label string) (float64, error) {
		raw := strings.TrimSpace(form.Get(field))
		if raw == "" {
			return 0, nil
		}
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return 0, refusal.Invalidf("%s须为数字，现为“%s”", label, raw)
		}
		return v, nil
	}
	for i := 0; form.Has(fmt.Sprintf("o%d_label", i)); i++ {
		label := strings.TrimSpace(form.Get(fmt.Sprintf("o%d_label", i)))
		if label == "" {
			continue
		}
		o := survey.Option{Value: strings.TrimSpace(form.Get(fmt.Sprintf("o%d_value", i))), Label: label,
			DontKnow: form.Get(fmt.Sprintf("o%d_dk", i)) == "on"}
		rank, err := num(fmt.Sprintf("o%d_rank", i), "选项“"+label+"”的等级")
		if err != nil {
			return q, err
		}
		if o.Points, err = num(fmt.Sprintf("o%d_points", i), "选项“"+label+"”的分值"); err != nil {
			return q, err
		}
		if !o.DontKnow {
			o.Rank = int(rank)
		}
		q.Scale = append(q.Scale, o)
	}
	type row struct {
		order float64
		n     int
		item  survey.Item
	}
	var rows []row
	next := 0
	for _, it := range cur.Items {
		if n, err := strconv.Atoi(strings.TrimLeft(it.ID, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")); err == nil {
			next = max(next, n)
		}
	}
	prefix := "Q"
	if len(cur.Items) > 0 {
		prefix = strings.TrimRight(cur.Items[0].ID, "0123456789")
	}
	for i := 0; form.Has(fmt.Sprintf("i%d_text", i)); i++ {
		text := strings.TrimSpace(form.Get(fmt.Sprintf("i%d_text", i)))
		id := strings.TrimSpace(form.Get(fmt.Sprintf("i%d_id", i)))
		if form.Get(fmt.Sprintf("i%d_delete", i)) == "on" || (id == "" && text == "") {
			continue
		}
		if id == "" {
			next++
			id = fmt.Sprintf("%s%02d", prefix, next)
		}
		order, err := num(fmt.Sprintf("i%d_order", i), "题目“"+text+"”的序号")
		if err != nil {
			return q, err
		}
		if strings.TrimSpace(form.Get(fmt.Sprintf("i%d_order", i))) == "" {
			order = 1e9 + float64(i) // new rows without a number go last
		}
		rows = append(rows, row{order, i, survey.Item{ID: id, Area: survey.Area(form.Get(fmt.Sprintf("i%d_area", i))), Text: text}})
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		switch {
		case a.order < b.order:
			return -1
		case a.order > b.order:
			return 1
		}
		return a.n - b.n
	})
	for _, r := range rows {
		q.Items = append(q.Items, r.item)
	}
	q.Suggestion = survey.Suggestion{Enabled: form.Get("suggestion_enabled") == "on", Prompt: strings.TrimSpace(form.Get("suggestion_prompt"))}
	maxLen, err := num("suggestion_max", "意见建议字数上限")
	if err != nil {
		return q, err
	}
	q.Suggestion.MaxLen = int(maxLen)
	return q, nil
}

// previewQuestionnaire is GET …/questionnaires/:kind/preview[?c=category]:
// the questionnaire as a respondent's phone shows it, not submittable.
func (s *Server) previewQuestionnaire(c echo.Context) error {
	v, err := s.campaignView(c, "问卷预览")
	if err != nil {
		return err
	}
	q, err := v.form(c.Param("kind"))
	if err != nil {
		return err
	}
	cat := sampling.Category(c.QueryParam("c"))
	if !q.Serves(cat) {
		cat = q.Categories[0]
	}
	var schools []county.School
	if survey.NeedsSchool(cat) {
		if schools, err = s.units.Schools(c.Request().Context(), v.Unit.ID); err != nil {
			return err
		}
	}
	p := formPage{page: page{Title: v.Unit.Name + "社会认可度调查（预览）", UnitName: v.Unit.Name}, Category: cat, CategoryName: cat.Name(),
		Form: &survey.Form{Questionnaire: q}, Answers: map[string]string{}, Problems: survey.Problems{}, Preview: true,
		AskSchool: survey.NeedsSchool(cat), Schools: survey.SchoolsFor(cat, schools), Bands: survey.GradeBandsFor(cat, nil),
		AskLocale: !survey.NeedsSchool(cat), Locales: sampling.Locales}
	return s.render(c, http.StatusOK, "form.html", p)
}
