package server

// Declarations of 不适用 on the evaluation: /console/units/:unit/evaluation/not-applicable…
// and /api/v1/units/:unit/evaluation/not-applicable…: the unit declares with a
// reason and evidence, a reviewer accepts.

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"renke/assessment"
	"renke/staff"
	"renke/statistics"
)

// reviewerOnly lets only reviewers through: the review's acts (accepting
// a declaration of 不适用, opinions, conclusions) are never the unit's own.
func (s *Server) reviewerOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if acct, _ := c.Get("staff").(staff.Account); acct.Role != staff.Reviewer {
			return echo.NewHTTPError(http.StatusForbidden, "只有评估组（审核人员）可以执行此操作。")
		}
		return next(c)
	}
}

// headOnly lets only the unit's head (单位负责人) through.
func (s *Server) headOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if acct, _ := c.Get("staff").(staff.Account); acct.Role != staff.Head {
			return echo.NewHTTPError(http.StatusForbidden, "只有单位负责人可以签发自查自评。")
		}
		return next(c)
	}
}

// loadYear reads the unit's statistics and findings for the year (0: the default).
func (s *Server) loadYear(c echo.Context, year int) (*statistics.Run, error) {
	u, err := s.unit(c)
	if err != nil {
		return nil, err
	}
	return s.evaluations.Load(c.Request().Context(), scope(c), u, year, s.now())
}

// declareNotApplicable declares the check 不适用 for the year.
func (s *Server) declareNotApplicable(c echo.Context, year int, key, reason string) (int64, error) {
	run, err := s.loadYear(c, year)
	if err != nil {
		return 0, err
	}
	return s.evaluations.DeclareNotApplicable(c.Request().Context(), run, key, reason, username(c))
}

// notApplicableForm is POST /console/units/:unit/evaluation/not-applicable.
func (s *Server) notApplicableForm(c echo.Context) error {
	key := c.FormValue("check")
	year, err := yearParam(c)
	if err != nil {
		return err
	}
	if _, err := s.declareNotApplicable(c, year, key, c.FormValue("reason")); err != nil {
		return s.evaluationRefused(c, err)
	}
	return s.evaluationDone(c, "not-applicable", fmt.Sprintf("已申报 %s 不适用：请上传佐证材料，待评估组认可", key))
}

// evaluationRefused shows a refused action on the evaluation page.
func (s *Server) evaluationRefused(c echo.Context, err error) error {
	code, msg, ok := refused(err)
	if !ok {
		return storeError(err)
	}
	run, lerr := s.load(c)
	if lerr != nil {
		return lerr
	}
	return s.evaluationPage(c, code, run, "", msg, nil, nil)
}

func (s *Server) evaluationDone(c echo.Context, anchor, msg string) error {
	run, err := s.load(c)
	if err != nil {
		return err
	}
	return s.done(c, evaluationURL(run, "")+"#"+anchor, msg)
}

// naEvidence attaches the uploaded file to the declaration of the check.
func (s *Server) naEvidence(c echo.Context, key string) (assessment.Evidence, error) {
	run, err := s.load(c)
	if err != nil {
		return assessment.Evidence{}, err
	}
	na, ok := run.Findings.NotApplicable[key]
	if !ok {
		return assessment.Evidence{}, echo.NewHTTPError(http.StatusUnprocessableEntity, "请先申报该项不适用，再上传佐证材料")
	}
	name, data, err := s.upload(c)
	if err != nil {
		return assessment.Evidence{}, err
	}
	return s.assessments.Attach(c.Request().Context(), run.Unit.ID, assessment.SubjectNotApplicable, na.ID, name, data, username(c))
}

// notApplicableEvidenceForm is POST …/evaluation/not-applicable/evidence (multipart: check, year, file).
func (s *Server) notApplicableEvidenceForm(c echo.Context) error {
	e, err := s.naEvidence(c, c.FormValue("check"))
	return s.evidenceUploaded(c, "not-applicable", e, err)
}

// evidenceUploaded answers a file uploaded as evidence on the evaluation
// page: back at anchor, or the page again with a refused file's reason.
func (s *Server) evidenceUploaded(c echo.Context, anchor string, e assessment.Evidence, err error) error {
	if he, ok := err.(*echo.HTTPError); ok && he.Code == http.StatusUnprocessableEntity {
		msg, _ := he.Message.(string)
		run, lerr := s.load(c)
		if lerr != nil {
			return lerr
		}
		return s.evaluationPage(c, he.Code, run, "", msg, nil, nil)
	}
	if err != nil {
		return s.evaluationRefused(c, err)
	}
	return s.evaluationDone(c, anchor, fmt.Sprintf("已上传佐证材料“%s”", e.Name))
}

// acceptNotApplicable is a reviewer's acceptance of the check's declaration.
func (s *Server) acceptNotApplicable(c echo.Context, year int, key string) error {
	run, err := s.loadYear(c, year)
	if err != nil {
		return err
	}
	return s.evaluations.AcceptNotApplicable(c.Request().Context(), run, key, username(c))
}

// acceptNotApplicableForm is POST …/evaluation/not-applicable/accept (reviewers).
func (s *Server) acceptNotApplicableForm(c echo.Context) error {
	key := c.FormValue("check")
	year, err := yearParam(c)
	if err != nil {
		return err
	}
	if err := s.acceptNotApplicable(c, year, key); err != nil {
		return s.evaluationRefused(c, err)
	}
	return s.evaluationDone(c, "not-applicable", fmt.Sprintf("已认可 %s 不适用", key))
}

type notApplicableJSON struct {
	Year   int    `json:"year"`
	Check  string `json:"check"`
	Reason string `json:"reason"`
}

// apiNotApplicable is POST /api/v1/units/:unit/evaluation/not-applicable {"year", "check", "reason"}.
func (s *Server) apiNotApplicable(c echo.Context) error {
	var in notApplicableJSON
	if err := decode(c, &in); err != nil {
		return err
	}
	id, err := s.declareNotApplicable(c, in.Year, in.Check, in.Reason)
	return respond(c, http.StatusCreated, map[string]any{"id": id, "check": in.Check}, err)
}

// apiNotApplicableEvidence is POST /api/v1/units/:unit/evaluation/not-applicable/evidence (multipart: year, check, file).
func (s *Server) apiNotApplicableEvidence(c echo.Context) error {
	e, err := s.naEvidence(c, c.FormValue("check"))
	return respond(c, http.StatusCreated, e, err)
}

// apiAcceptNotApplicable is POST /api/v1/units/:unit/evaluation/not-applicable/accept {"year", "check"} (reviewers).
func (s *Server) apiAcceptNotApplicable(c echo.Context) error {
	var in notApplicableJSON
	if err := decode(c, &in); err != nil {
		return err
	}
	if err := s.acceptNotApplicable(c, in.Year, in.Check); err != nil {
		return storeError(err)
	}
	return c.NoContent(http.StatusNoContent)
}

// findingEvidence keeps the uploaded file as evidence of a finding of the
// year (fields: year, finding, file).
func (s *Server) findingEvidence(c echo.Context) (assessment.Evidence, error) {
	year, err := yearParam(c)
	if err != nil {
		return assessment.Evidence{}, err
	}
	run, err := s.loadYear(c, year)
	if err != nil {
		return assessment.Evidence{}, err
	}
	name, data, err := s.upload(c)
	if err != nil {
		return assessment.Evidence{}, err
	}
	return s.assessments.AttachFinding(c.Request().Context(), run, c.FormValue("finding"), name, data, username(c))
}

// findingEvidenceForm is POST /console/units/:unit/evaluation/evidence.
func (s *Server) findingEvidenceForm(c echo.Context) error {
	e, err := s.findingEvidence(c)
	return s.evidenceUploaded(c, "finding-evidence", e, err)
}

// apiFindingEvidence is POST /api/v1/units/:unit/evaluation/evidence (multipart: year, finding, file).
func (s *Server) apiFindingEvidence(c echo.Context) error {
	e, err := s.findingEvidence(c)
	return respond(c, http.StatusCreated, e, err)
}
