package server

// The self-assessment package (申报材料): GET …/units/:unit/rounds/:no/package.zip
// (console and API); the documents a package holds are made here, from the
// frozen round, and packed and signed by assessment.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"renke/assessment"
	"renke/county"
	"renke/evaluation"
	"renke/statistics"
	"renke/workbook"
)

// registrationPage is the registration form (申报登记表) of a round.
type registrationPage struct {
	consolePage
	Unit         county.Unit
	Round        assessment.Round
	Submission   *assessment.Submission
	ProfileName  string
	Ledger       assessment.Ledger
	Registration []evaluation.RegistrationField // keyed as kept
	Narratives   map[string]string
}

// packageDocs makes the documents of round r's package: the report and
// the registration form (pages that read offline), the evaluation and
// ledger workbooks, the task list in the seed's columns, the round as
// frozen, and the survey's result statement and checkpoint.
func (s *Server) packageDocs(c echo.Context, u county.Unit, r assessment.Round, sub *assessment.Submission) ([]assessment.PackFile, error) {
	ctx := c.Request().Context()
	profile := s.evaluations.ProfileOf(r.Profile)
	page := func(name string, data any) ([]byte, error) {
		var b bytes.Buffer
		err := s.views.ExecuteTemplate(&b, name, data)
		return b.Bytes(), err
	}
	title := fmt.Sprintf("%s 第 %d 轮自查自评", u.Name, r.No)
	run := &statistics.Run{Unit: u, Year: r.Year, Profile: profile, Schools: r.Schools, Result: *r.Result}
	if r.Findings != nil {
		run.Findings = *r.Findings
	}
	var docs []assessment.PackFile
	add := func(path string, b []byte, err error) error {
		if err == nil {
			docs = append(docs, assessment.PackFile{Path: path, Data: b})
		}
		return err
	}
	report, err := page("report.html", evaluationPage{consolePage: consolePage{Title: title + " 自评报告", Standalone: true}, Run: run})
	if err := add("自评报告.html", report, err); err != nil {
		return nil, err
	}
	l, err := s.assessments.Ledger(ctx, u, s.now())
	if err != nil {
		return nil, err
	}
	docx, err := s.selfReport(c, u, r)
	if err := add("自评报告.docx", docx, err); err != nil {
		return nil, err
	}
	rp, err := s.registration(c, u, r, sub, l)
	if err != nil {
		return nil, err
	}
	rp.consolePage = consolePage{Title: title + " 申报登记表", Standalone: true}
	form, err := page("registration.html", rp)
	if err := add("申报登记表.html", form, err); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := workbook.EvaluationResult(&b, fmt.Sprintf("%s %d 学年优质均衡发展评估（第 %d 轮）", u.Name, r.Year, r.No), profile, r.Result); err != nil {
		return nil, err
	}
	_ = add("评估结果.xlsx", bytes.Clone(b.Bytes()), nil)
	b.Reset()
	if err := workbook.Ledger(&b, l); err != nil {
		return nil, err
	}
	_ = add("问题清单与任务台账.xlsx", bytes.Clone(b.Bytes()), nil)
	b.Reset()
	if err := workbook.Tasks(&b, l.Tasks, s.now()); err != nil {
		return nil, err
	}
	_ = add("年度任务清单.xlsx", bytes.Clone(b.Bytes()), nil)
	frozen, err := json.MarshalIndent(r, "", " ")
	if err := add("轮次数据.json", frozen, err); err != nil {
		return nil, err
	}
	if r.Statement != nil {
		st, err := json.MarshalIndent(r.Statement, "", " ")
		if err := add("社会认可度调查/结果声明.json", st, err); err != nil {
			return nil, err
		}
	}
	if r.Checkpoint != "" {
		_ = add("社会认可度调查/检查点.txt", []byte(r.Checkpoint), nil)
	}
	return docs, nil
}

// roundPackage is GET …/units/:unit/rounds/:no/package.zip: the package
// as submitted, or a draft of it before.
func (s *Server) roundPackage(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	no, err := roundNo(c, "no")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	err = s.assessments.WritePackage(c.Request().Context(), u, no, &buf, func(r assessment.Round, sub *assessment.Submission) ([]assessment.PackFile, error) {
		return s.packageDocs(c, u, r, sub)
	})
	if err != nil {
		return storeError(err)
	}
	name := strings.ReplaceAll(fmt.Sprintf("%s-第%d轮自查自评申报材料.zip", u.Name, no), " ", "")
	return attachment(c, name, "application/zip", buf.Bytes())
}

// registration is round r's registration form (申报登记表).
func (s *Server) registration(c echo.Context, u county.Unit, r assessment.Round, sub *assessment.Submission, l assessment.Ledger) (registrationPage, error) {
	texts, err := s.assessments.Narratives(c.Request().Context(), u.ID, r.No)
	profile := s.evaluations.ProfileOf(r.Profile)
	return registrationPage{Unit: u, Round: r, Submission: sub, ProfileName: profile.Name, Ledger: l,
		Registration: registrationFields(profile), Narratives: texts}, err
}

// showRegistration is GET /console/units/:unit/rounds/:no/registration:
// the registration form to read and print.
func (s *Server) showRegistration(c echo.Context) error {
	u, r, err := s.unitRound(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	sub, err := s.assessments.SubmissionOf(ctx, u.ID, r.No)
	if err != nil {
		return err
	}
	l, err := s.assessments.Ledger(ctx, u, s.now())
	if err != nil {
		return err
	}
	rp, err := s.registration(c, u, r, sub, l)
	if err != nil {
		return err
	}
	rp.consolePage = s.consolePage(c, fmt.Sprintf("%s 第 %d 轮 申报登记表", u.Name, r.No))
	return s.render(c, http.StatusOK, "registration.html", rp)
}
