package server

// The self-assessment report (自评报告) of a round: the sections the
// bureau writes (/…/rounds/:no/narrative) and the report as a .docx the
// bureau edits in WPS or Word (/…/rounds/:no/report.docx).

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"renke/assessment"
	"renke/county"
)

// selfReport makes round r's report as a .docx.
func (s *Server) selfReport(c echo.Context, u county.Unit, r assessment.Round) ([]byte, error) {
	ctx := c.Request().Context()
	l, err := s.assessments.Ledger(ctx, u, s.now())
	if err != nil {
		return nil, err
	}
	texts, err := s.assessments.Narratives(ctx, u.ID, r.No)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err = assessment.SelfReport(u, &r, s.evaluations.ProfileOf(r.Profile), l, texts).Write(&b, r.FrozenAt)
	return b.Bytes(), err
}

// reportDocx is GET …/units/:unit/rounds/:no/report.docx.
func (s *Server) reportDocx(c echo.Context) error {
	u, r, err := s.unitRound(c)
	if err != nil {
		return err
	}
	b, err := s.selfReport(c, u, r)
	if err != nil {
		return err
	}
	return attachment(c, strings.ReplaceAll(fmt.Sprintf("%s-第%d轮自评报告.docx", u.Name, r.No), " ", ""), docxType, b)
}

const docxType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

// narrativeForm is POST /console/units/:unit/rounds/:no/narrative: the
// sections as fields n_基本情况, ….
func (s *Server) narrativeForm(c echo.Context, u county.Unit, no int) (string, error) {
	form, err := c.FormParams()
	if err != nil {
		return "", err
	}
	texts := map[string]string{} // the store refuses a name it does not know
	for name, v := range form {
		if sec, ok := strings.CutPrefix(name, "n_"); ok && len(v) > 0 {
			texts[sec] = v[0]
		}
	}
	return "自评报告文字已保存", s.assessments.SaveNarratives(c.Request().Context(), u.ID, no, texts, username(c))
}

// apiNarrative is PUT /api/v1/units/:unit/rounds/:no/narrative {"基本情况": "…", …}.
func (s *Server) apiNarrative(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	no, err := roundNo(c, "no")
	if err != nil {
		return err
	}
	texts := map[string]string{}
	if err := decode(c, &texts); err != nil {
		return err
	}
	if err := s.assessments.SaveNarratives(c.Request().Context(), u.ID, no, texts, username(c)); err != nil {
		return storeError(err)
	}
	out, err := s.assessments.Narratives(c.Request().Context(), u.ID, no)
	return respond(c, http.StatusOK, out, err)
}
