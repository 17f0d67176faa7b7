package server

// Review and verification of a campaign's sample:
// /console/campaigns/:campaign/review|verify and their API twins.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"

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
	Result      survey.Verification
	Printed     string // a root the visitor typed in from the dossier
	Size        string // with it, the printed checkpoint's size (the region's dossier)
	Matches     bool
	Checkpoint  string // a signed checkpoint pasted in
	Unreadable  string // why it could not be read
	Key         *survey.LogKey
	Cosignature []survey.Cosigned
}

// showVerify is GET /console/campaigns/:campaign/verify[?root=…[&size=…]][&checkpoint=…]:
// the log recomputed from the database and checked against its
// checkpoints, the witnesses' cosignatures, and a printed root or a pasted
// checkpoint.
func (s *Server) showVerify(c echo.Context) error {
	v, err := s.campaignView(c, "样本日志校验")
	if err != nil {
		return err
	}
	p := verifyPage{campaignView: v, Printed: strings.TrimSpace(c.QueryParam("root")),
		Checkpoint: strings.TrimSpace(c.QueryParam("checkpoint")), Key: s.surveys.LogKey()}
	var evidence []survey.Evidence
	if p.Checkpoint != "" {
		e, err := s.surveys.CheckpointEvidence(v.Campaign.ID, strings.ReplaceAll(p.Checkpoint, "\r\n", "\n")+"\n", "粘贴的检查点")
		if err != nil {
			_, msg, ok := refused(err)
			if !ok {
				return err
			}
			p.Unreadable = msg
		} else {
			evidence = append(evidence, e)
		}
	}
	if raw := strings.TrimSpace(c.QueryParam("size")); raw != "" {
		// A printed checkpoint: its size and its whole root.
		size, err := strconv.ParseInt(raw, 10, 64)
		root, herr := hex.DecodeString(strings.ToLower(p.Printed))
		if err != nil || size < 0 || herr != nil || len(root) != sha256.Size {
			p.Unreadable = "比对某一时刻的检查点时，请填写其记录条数（非负整数）和完整的 64 位十六进制根值"
		} else {
			evidence = append(evidence, survey.Evidence{Source: "打印的检查点", Size: size, Root: root})
		}
		p.Size = raw
	}
	ctx := c.Request().Context()
	if p.Result, err = s.surveys.Verify(ctx, v.Campaign.ID, evidence...); err != nil {
		return err
	}
	if p.Cosignature, err = s.surveys.Cosignatures(ctx, v.Campaign.ID); err != nil {
		return err
	}
	p.Matches = p.Result.MatchesRoot(p.Printed)
	return s.render(c, http.StatusOK, "verify.html", p)
}

// PrintedDiffers reports whether a printed root was given alone and is not
// the recomputed one.
func (p verifyPage) PrintedDiffers() bool { return p.Printed != "" && p.Size == "" && !p.Matches }

// Problems counts what the headline reports: the log's problems, a
// printed root that differs, evidence that could not be read.
func (p verifyPage) Problems() int {
	n := len(p.Result.Problems)
	if p.PrintedDiffers() {
		n++
	}
	if p.Unreadable != "" {
		n++
	}
	return n
}

// Clean is the page's headline: green only when every check passed, the
// database's own and every piece of evidence given.
func (p verifyPage) Clean() bool { return p.Result.OK() && !p.PrintedDiffers() && p.Unreadable == "" }

// verifyResult is what the verify API answers.
type verifyResult struct {
	OK bool `json:"ok"`
	survey.Verification
}

// apiVerify is GET /api/v1/campaigns/:campaign/verify.
func (s *Server) apiVerify(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	r, err := s.surveys.Verify(c.Request().Context(), cp.ID)
	return respond(c, http.StatusOK, verifyResult{r.OK(), r}, err)
}

// verifyEvidence is the body of POST /api/v1/campaigns/:campaign/verify:
// outside evidence to check the log against.
type verifyEvidence struct {
	Checkpoints []string `json:"checkpoints"` // signed checkpoints, e.g. cosigned by a witness or printed
	Receipts    []struct {
		Receipt string `json:"receipt"`
		Pos     int64  `json:"log_pos"`
		Size    int64  `json:"tree_size"`
		Root    string `json:"tree_root"`
	} `json:"receipts"`
}

// apiVerifyWith is POST /api/v1/campaigns/:campaign/verify.
func (s *Server) apiVerifyWith(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	var body verifyEvidence
	if err := decode(c, &body); err != nil {
		return err
	}
	var evidence []survey.Evidence
	for i, text := range body.Checkpoints {
		e, err := s.surveys.CheckpointEvidence(cp.ID, text, fmt.Sprintf("第 %d 个给定的检查点", i+1))
		if err != nil {
			return storeError(err)
		}
		evidence = append(evidence, e)
	}
	for _, r := range body.Receipts {
		e, err := survey.ReceiptEvidence(r.Receipt, r.Pos, r.Size, r.Root)
		if err != nil {
			return storeError(err)
		}
		evidence = append(evidence, e)
	}
	r, err := s.surveys.Verify(c.Request().Context(), cp.ID, evidence...)
	return respond(c, http.StatusOK, verifyResult{r.OK(), r}, err)
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
