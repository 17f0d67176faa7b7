package server

// Result statements (结果声明) of a campaign's log:
// /console/campaigns/:campaign/statements and /api/v1/campaigns/:campaign/statement(s).

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"renke/staff"
)

// declareStatementForm is POST …/statements from the dossier: a
// provisional result statement, computed from the log and appended to it,
// printed in the dossier with the checkpoint that contains it.
func (s *Server) declareStatementForm(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	acct, _ := c.Get("staff").(staff.Account)
	st, err := s.surveys.DeclareResult(c.Request().Context(), cp.ID, acct.Username)
	if err != nil {
		return s.campaignRefused(c, err)
	}
	return s.done(c, fmt.Sprintf("/console/campaigns/%d/dossier#statement", cp.ID),
		fmt.Sprintf("已按样本日志前 %d 条记录生成临时结果声明，记为日志第 %d 条", st.Result.Size, st.Pos))
}

// apiDeclareStatement is POST /api/v1/campaigns/:campaign/statements.
func (s *Server) apiDeclareStatement(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	acct, _ := c.Get("staff").(staff.Account)
	st, err := s.surveys.DeclareResult(c.Request().Context(), cp.ID, acct.Username)
	return respond(c, http.StatusCreated, st, err)
}

// apiStatement is GET /api/v1/campaigns/:campaign/statement: the latest.
func (s *Server) apiStatement(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	st, err := s.surveys.LatestStatement(c.Request().Context(), cp.ID)
	return respond(c, http.StatusOK, st, err)
}
