package server

// Rounds of self-assessment (自查自评): /console/units/:unit/rounds… and
// /api/v1/units/:unit/rounds…; freezing one and comparing two.

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"renke/assessment"
	"renke/county"
	"renke/evaluation"
	"renke/staff"
)

func username(c echo.Context) string {
	acct, _ := c.Get("staff").(staff.Account)
	return acct.Username
}

// roundNo is the :no of a round route.
func roundNo(c echo.Context, name string) (int, error) {
	raw := c.Param(name)
	if raw == "" {
		raw = c.QueryParam(name)
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n <= 0 {
		return 0, echo.NewHTTPError(http.StatusNotFound, "没有这一轮自查自评")
	}
	return n, nil
}

type roundsPage struct {
	consolePage
	Unit    county.Unit
	Rounds  []assessment.Round
	Years   []int
	Year    int
	Notice  string
	Error   string
	Targets map[int][]evaluation.TargetLine
	A, B    int
}

func (s *Server) renderRounds(c echo.Context, code int, msg string) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	p := roundsPage{consolePage: s.consolePage(c, "自查自评轮次 · "+u.Name), Unit: u, Error: msg, Notice: s.flash(c),
		Targets: map[int][]evaluation.TargetLine{}}
	if p.Rounds, err = s.assessments.Rounds(ctx, u.ID); err != nil {
		return err
	}
	run, err := s.evaluations.Load(ctx, scope(c), u, 0, s.now())
	if err != nil {
		return err
	}
	p.Years, p.Year = run.Years, run.Year
	for _, r := range p.Rounds {
		_, p.Targets[r.No] = s.evaluations.ProfileOf(r.Profile).Against(r.Year, r.Measures)
	}
	if n := len(p.Rounds); n >= 2 {
		p.A, p.B = p.Rounds[0].No, p.Rounds[n-1].No
	}
	return s.render(c, code, "rounds.html", p)
}

// showRounds is GET /console/units/:unit/rounds.
func (s *Server) showRounds(c echo.Context) error { return s.renderRounds(c, http.StatusOK, "") }

// freezeRound is POST /console/units/:unit/rounds.
func (s *Server) freezeRound(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	year, err := yearParam(c)
	if err != nil {
		return err
	}
	r, err := s.assessments.Freeze(c.Request().Context(), u, year, username(c), c.FormValue("note"), s.now())
	if code, msg, ok := refused(err); ok {
		return s.renderRounds(c, code, msg)
	} else if err != nil {
		return storeError(err)
	}
	return s.done(c, fmt.Sprintf("/console/units/%d/rounds/%d", u.ID, r.No),
		fmt.Sprintf("已冻结第 %d 轮自查自评（%d 学年）：发现 %d 项问题", r.No, r.Year, len(r.Shortfalls())))
}

// apiFreezeRound is POST /api/v1/units/:unit/rounds {"year": 2025, "note": "…"}.
func (s *Server) apiFreezeRound(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	var in struct {
		Year int    `json:"year"`
		Note string `json:"note"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	r, err := s.assessments.Freeze(c.Request().Context(), u, in.Year, username(c), in.Note, s.now())
	if err != nil {
		return storeError(err)
	}
	return c.JSON(http.StatusCreated, roundJSON(r))
}

// roundJSON is a round as the API gives it: what it froze and found.
func roundJSON(r assessment.Round) map[string]any {
	return map[string]any{"round": r, "shortfalls": r.Shortfalls()}
}

// apiRounds is GET /api/v1/units/:unit/rounds.
func (s *Server) apiRounds(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	rs, err := s.assessments.Rounds(c.Request().Context(), u.ID)
	return respond(c, http.StatusOK, rs, err)
}

// unitRound reads the unit's round :no.
func (s *Server) unitRound(c echo.Context) (county.Unit, assessment.Round, error) {
	u, err := s.unit(c)
	if err != nil {
		return u, assessment.Round{}, err
	}
	no, err := roundNo(c, "no")
	if err != nil {
		return u, assessment.Round{}, err
	}
	r, err := s.assessments.Round(c.Request().Context(), u.ID, no)
	return u, r, storeError(err)
}

// apiRound is GET /api/v1/units/:unit/rounds/:no.
func (s *Server) apiRound(c echo.Context) error {
	_, r, err := s.unitRound(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, roundJSON(r))
}

type roundPage struct {
	consolePage
	Unit       county.Unit
	Round      assessment.Round
	Profile    *evaluation.Profile
	Shortfalls []evaluation.Shortfall
	Targets    []evaluation.TargetLine
	Classes    evaluation.ClassLedger
	Notice     string
	Error      string
	Submission *assessment.Submission
	Newest     bool
	Opinions   []assessment.Opinion
	Sections   []string
	Narratives map[string]string
	// Registration are the fields of the registration form the bureau
	// fills in, keyed as kept (assessment.RegistrationKey).
	Registration []evaluation.RegistrationField
}

// registrationFields are a profile's registration fields keyed as kept.
func registrationFields(p *evaluation.Profile) []evaluation.RegistrationField {
	var out []evaluation.RegistrationField
	for _, f := range p.RegistrationFields() {
		out = append(out, evaluation.RegistrationField{Key: assessment.RegistrationKey(f.Key), Label: f.Label})
	}
	return out
}

// showRound is GET /console/units/:unit/rounds/:no.
func (s *Server) showRound(c echo.Context) error { return s.renderRound(c, http.StatusOK, "") }

func (s *Server) renderRound(c echo.Context, code int, msg string) error {
	u, r, err := s.unitRound(c)
	if err != nil {
		return err
	}
	p := roundPage{consolePage: s.consolePage(c, fmt.Sprintf("第 %d 轮自查自评 · %s", r.No, u.Name)), Unit: u, Round: r,
		Profile: s.evaluations.ProfileOf(r.Profile), Shortfalls: r.Shortfalls(), Classes: evaluation.LargeClasses(r.Schools),
		Notice: s.flash(c), Error: msg, Opinions: assessment.Opinions}
	_, p.Targets = p.Profile.Against(r.Year, r.Measures)
	ctx := c.Request().Context()
	if p.Submission, err = s.assessments.SubmissionOf(ctx, u.ID, r.No); err != nil {
		return err
	}
	rounds, err := s.assessments.Rounds(ctx, u.ID)
	if err != nil {
		return err
	}
	p.Newest = rounds[len(rounds)-1].No == r.No
	p.Sections, p.Registration = assessment.Sections, registrationFields(p.Profile)
	if p.Narratives, err = s.assessments.Narratives(ctx, u.ID, r.No); err != nil {
		return err
	}
	return s.render(c, code, "round.html", p)
}

// compareRounds reads ?a= and ?b= and compares those rounds of the unit.
func (s *Server) compareRounds(c echo.Context) (county.Unit, assessment.Comparison, error) {
	u, err := s.unit(c)
	if err != nil {
		return u, assessment.Comparison{}, err
	}
	a, err := roundNo(c, "a")
	if err != nil {
		return u, assessment.Comparison{}, err
	}
	b, err := roundNo(c, "b")
	if err != nil {
		return u, assessment.Comparison{}, err
	}
	cmp, err := s.assessments.Compare(c.Request().Context(), u.ID, a, b)
	return u, cmp, storeError(err)
}

type comparePage struct {
	consolePage
	Unit county.Unit
	assessment.Comparison
}

// showComparison is GET /console/units/:unit/rounds/compare?a=1&b=3.
func (s *Server) showComparison(c echo.Context) error {
	u, cmp, err := s.compareRounds(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "compare.html", comparePage{
		consolePage: s.consolePage(c, fmt.Sprintf("第 %d 轮与第 %d 轮对比 · %s", cmp.A.No, cmp.B.No, u.Name)), Unit: u, Comparison: cmp})
}

// apiComparison is GET /api/v1/units/:unit/rounds/compare?a=1&b=3.
func (s *Server) apiComparison(c echo.Context) error {
	_, cmp, err := s.compareRounds(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cmp)
}

// Sign-off, submission and the region's review of a round:
// /console/units/:unit/rounds/:no/{sign-off,submit,opinions,conclusion} and
// their /api/v1 twins.

// roundAction runs a submission step on round :no and answers: on the
// round's page for the console, as JSON (the submission) for the API.
func (s *Server) roundAction(api bool, step func(c echo.Context, u county.Unit, no int) (string, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		u, err := s.unit(c)
		if err != nil {
			return err
		}
		no, err := roundNo(c, "no")
		if err != nil {
			return err
		}
		msg, err := step(c, u, no)
		if api {
			if err != nil {
				return storeError(err)
			}
			sub, err := s.assessments.SubmissionOf(c.Request().Context(), u.ID, no)
			return respond(c, http.StatusOK, sub, err)
		}
		if code, m, ok := refused(err); ok {
			return s.renderRound(c, code, m)
		} else if err != nil {
			return storeError(err)
		}
		return s.done(c, fmt.Sprintf("/console/units/%d/rounds/%d#submission", u.ID, no), msg)
	}
}

func (s *Server) signOff(c echo.Context, u county.Unit, no int) (string, error) {
	return fmt.Sprintf("已签发第 %d 轮自查自评", no), s.assessments.SignOff(c.Request().Context(), u.ID, no, username(c))
}

// submitRound submits round no with its package.
func (s *Server) submitRound(c echo.Context, u county.Unit, no int) (string, error) {
	return fmt.Sprintf("第 %d 轮自查自评已报送市级复核，申报材料已签名封存", no),
		s.assessments.Submit(c.Request().Context(), u, no, username(c), func(r assessment.Round, sub *assessment.Submission) ([]assessment.PackFile, error) {
			return s.packageDocs(c, u, r, sub)
		})
}

// reviewInput is a reviewer's opinion, from the form or JSON.
type reviewInput struct {
	Indicator  string `json:"indicator"`
	Opinion    string `json:"opinion"`
	Reason     string `json:"reason"`
	Outcome    string `json:"outcome"`
	Conclusion string `json:"conclusion"`
}

func readReview(c echo.Context) (reviewInput, error) {
	var in reviewInput
	if strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEApplicationJSON) {
		return in, decode(c, &in)
	}
	return reviewInput{Indicator: c.FormValue("indicator"), Opinion: c.FormValue("opinion"), Reason: c.FormValue("reason"),
		Outcome: c.FormValue("outcome"), Conclusion: c.FormValue("conclusion")}, nil
}

func (s *Server) reviewRound(c echo.Context, u county.Unit, no int) (string, error) {
	in, err := readReview(c)
	if err != nil {
		return "", err
	}
	op := assessment.Opinion(in.Opinion)
	return fmt.Sprintf("已记录指标 %s 的复核意见：%s", in.Indicator, op.Name()),
		s.assessments.Review(c.Request().Context(), u.ID, no, in.Indicator, op, in.Reason, username(c))
}

func (s *Server) concludeRound(c echo.Context, u county.Unit, no int) (string, error) {
	in, err := readReview(c)
	if err != nil {
		return "", err
	}
	outcome := assessment.Stage(in.Outcome)
	return "复核结论：" + outcome.Name(), s.assessments.Conclude(c.Request().Context(), u.ID, no, outcome, in.Conclusion, username(c))
}

// apiSubmissions is GET /api/v1/units/:unit/submissions.
func (s *Server) apiSubmissions(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	subs, err := s.assessments.Submissions(c.Request().Context(), u.ID)
	return respond(c, http.StatusOK, subs, err)
}
