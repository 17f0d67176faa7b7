package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"renke/survey"
)

// Questionnaires of a campaign: /api/v1/campaigns/:campaign/questionnaires….

func (s *Server) listForms(c echo.Context) error {
	cp, err := s.campaign(c)
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
