package server

// Review and verification of a campaign's sample:
// /console/campaigns/:campaign/review|verify and their API twins.

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"renke/sampling"
	"renke/staff"
	"renke/survey"
)

// reviewPage is the review queue of a campaign: flagged responses in the
// sample, undecided first, each with its latest decision.
type reviewPage struct {
	*campaignView
	Queue   []survey.Flagged
	Summary survey.ReviewSummary
	Flags   []survey.Flag
	Answers map[int64]string // each flagged response's answers in the scale's words
}

// showReview is GET /console/campaigns/:campaign/review.
func (s *Server) showReview(c echo.Context) error {
	v, err := s.campaignView(c, "答卷审核")
	if err != nil {
		return err
	}
	return s.renderReview(c, v, http.StatusOK)
}

func (s *Server) renderReview(c echo.Context, v *campaignView, code int) error {
	ctx := c.Request().Context()
	p := reviewPage{campaignView: v, Flags: survey.Flags}
	var err error
	if p.Queue, err = s.surveys.Queue(ctx, v.Campaign.ID); err != nil {
		return err
	}
	p.Answers = map[int64]string{}
	for _, f := range p.Queue {
		if form := survey.FormFor(v.Forms, sampling.Category(f.Category)); form != nil {
			p.Answers[f.ID] = form.Summary(f.Signature)
		}
	}
	if p.Summary, err = s.surveys.Review(ctx, v.Campaign.ID); err != nil {
		return err
	}
	v.Notice = s.flash(c)
	return s.render(c, code, "review.html", p)
}

// decide is POST /console/campaigns/:campaign/review/:response: a decision
// with its reason.
func (s *Server) decide(c echo.Context) error {
	v, err := s.campaignView(c, "答卷审核")
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Param("response"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	d := survey.Decision(c.FormValue("decision"))
	acct, _ := c.Get("staff").(staff.Account)
	err = s.surveys.Decide(c.Request().Context(), v.Campaign.ID, id, d, c.FormValue("reason"), acct.ID, acct.Username)
	if code, msg, ok := refused(err); ok {
		v.Error = fmt.Sprintf("答卷 %d：%s", id, msg)
		return s.renderReview(c, v, code)
	} else if err != nil {
		return storeError(err)
	}
	msg := "已记录：答卷判为有效，保留在样本中"
	if d == survey.Invalid {
		msg = "已记录：答卷判为无效，移出样本"
	}
	return s.done(c, fmt.Sprintf("/console/campaigns/%d/review#r%d", v.Campaign.ID, id), msg)
}

type verifyPage struct {
	*campaignView
	Result  survey.Verification
	Printed string // a head the visitor typed in from the dossier
	Matches bool
}

// showVerify is GET /console/campaigns/:campaign/verify[?head=…]: the chain
// recomputed from the database, and compared with a printed head.
func (s *Server) showVerify(c echo.Context) error {
	v, err := s.campaignView(c, "样本链校验")
	if err != nil {
		return err
	}
	p := verifyPage{campaignView: v, Printed: c.QueryParam("head")}
	if p.Result, err = s.surveys.Verify(c.Request().Context(), v.Campaign.ID); err != nil {
		return err
	}
	p.Matches = p.Result.MatchesHead(p.Printed)
	return s.render(c, http.StatusOK, "verify.html", p)
}

// apiVerify is GET /api/v1/campaigns/:campaign/verify.
func (s *Server) apiVerify(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	r, err := s.surveys.Verify(c.Request().Context(), cp.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct {
		OK bool `json:"ok"`
		survey.Verification
	}{r.OK(), r})
}

// apiReview is GET /api/v1/campaigns/:campaign/review: the queue.
func (s *Server) apiReview(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	q, err := s.surveys.Queue(c.Request().Context(), cp.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, q)
}

// apiDecide is POST /api/v1/campaigns/:campaign/review/:response with
// {"decision": "valid"|"invalid", "reason": "…"}.
func (s *Server) apiDecide(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Param("response"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	var in struct {
		Decision survey.Decision `json:"decision"`
		Reason   string          `json:"reason"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	acct, _ := c.Get("staff").(staff.Account)
	if err := s.surveys.Decide(c.Request().Context(), cp.ID, id, in.Decision, in.Reason, acct.ID, acct.Username); err != nil {
		return storeError(err)
	}
	return c.NoContent(http.StatusNoContent)
}
