package server

// The problem list (问题清单) and its evidence: /console/units/:unit/problems/…,
// /api/v1/units/:unit/problems…, and evidence files at …/evidence/:evidence.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/labstack/echo/v4"

	"renke/assessment"
)

// apiProblems is GET /api/v1/units/:unit/problems.
func (s *Server) apiProblems(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	ps, err := s.assessments.Problems(c.Request().Context(), u.ID)
	return respond(c, http.StatusOK, ps, err)
}

// strikeOff is a decision striking off a problem or a task, with a reason.
type strikeOff func(ctx context.Context, unitID, id int64, by, reason string) error

// strikeForm is POST /console/units/:unit/{problems,tasks}/:id/strike: a
// decision with its reason, answered on the ledger at the item.
func (s *Server) strikeForm(param, what string, strike strikeOff) echo.HandlerFunc {
	return func(c echo.Context) error {
		u, err := s.unit(c)
		if err != nil {
			return err
		}
		id, err := idParam(c, param)
		if err != nil {
			return err
		}
		anchor := fmt.Sprintf("%s-%d", param, id)
		if err := strike(c.Request().Context(), u.ID, id, username(c), c.FormValue("reason")); err != nil {
			return s.ledgerRefused(c, err, anchor)
		}
		return s.ledgerDone(c, anchor, fmt.Sprintf("%s %d 已决定销号", what, id))
	}
}

// apiStrike is POST /api/v1/units/:unit/{problems,tasks}/:id/strike {"reason": "…"}.
func (s *Server) apiStrike(param string, strike strikeOff) echo.HandlerFunc {
	return func(c echo.Context) error {
		u, err := s.unit(c)
		if err != nil {
			return err
		}
		id, err := idParam(c, param)
		if err != nil {
			return err
		}
		var in struct {
			Reason string `json:"reason"`
		}
		if err := decode(c, &in); err != nil {
			return err
		}
		if err := strike(c.Request().Context(), u.ID, id, username(c), in.Reason); err != nil {
			return storeError(err)
		}
		return c.NoContent(http.StatusNoContent)
	}
}

// upload reads the multipart file field "file" within the evidence limit.
func (s *Server) upload(c echo.Context) (string, []byte, error) {
	fh, err := c.FormFile("file")
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return "", nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("文件超过 %d MB 的上限", s.assessments.MaxFile>>20))
		}
		return "", nil, echo.NewHTTPError(http.StatusUnprocessableEntity, "请选择要上传的文件")
	}
	if err := s.assessments.FitsSize(fh.Filename, fh.Size); err != nil {
		return "", nil, err
	}
	f, err := fh.Open()
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, s.assessments.MaxFile+1))
	return fh.Filename, b, err
}

// attach keeps an uploaded file as evidence of the subject.
func (s *Server) attach(c echo.Context, subject, param string) (assessment.Evidence, error) {
	u, err := s.unit(c)
	if err != nil {
		return assessment.Evidence{}, err
	}
	id, err := idParam(c, param)
	if err != nil {
		return assessment.Evidence{}, err
	}
	name, data, err := s.upload(c)
	if err != nil {
		return assessment.Evidence{}, err
	}
	return s.assessments.Attach(c.Request().Context(), u.ID, subject, id, name, data, username(c))
}

// attachForm is POST …/problems/:problem/evidence and …/tasks/:task/evidence from the ledger.
func (s *Server) attachForm(subject, param string) echo.HandlerFunc {
	return func(c echo.Context) error {
		anchor := subject + "-" + c.Param(param)
		e, err := s.attach(c, subject, param)
		if err != nil {
			var he *echo.HTTPError
			if errors.As(err, &he) && he.Code == http.StatusUnprocessableEntity {
				msg, _ := he.Message.(string)
				return s.renderLedger(c, he.Code, msg, nil, anchor)
			}
			return s.ledgerRefused(c, err, anchor)
		}
		return s.ledgerDone(c, anchor, fmt.Sprintf("已上传佐证材料“%s”", e.Name))
	}
}

// apiAttach is POST /api/v1/units/:unit/problems/:problem/evidence (and tasks'): multipart "file".
func (s *Server) apiAttach(subject, param string) echo.HandlerFunc {
	return func(c echo.Context) error {
		e, err := s.attach(c, subject, param)
		return respond(c, http.StatusCreated, e, err)
	}
}

// evidenceFile is GET …/units/:unit/evidence/:evidence: the file, always
// as a download (a picture inline for its thumbnail with ?view=1), under
// a sandbox that runs nothing, whatever it holds.
func (s *Server) evidenceFile(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	id, err := idParam(c, "evidence")
	if err != nil {
		return err
	}
	e, data, err := s.assessments.File(c.Request().Context(), u.ID, id)
	if err != nil {
		return storeError(err)
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, max-age=3600")
	h.Set("ETag", `"`+e.SHA256+`"`)
	disposition := "attachment"
	if c.QueryParam("view") == "1" && e.Image() {
		disposition = "inline"
	}
	h.Set(echo.HeaderContentDisposition, mime.FormatMediaType(disposition, map[string]string{"filename": e.Name}))
	return c.Blob(http.StatusOK, e.Downloadable(), data) // a web page or SVG as bytes: nothing runs
}
