package server

// Exports of a campaign: /console/campaigns/:campaign/responses.xlsx|.csv
// and tables.xlsx.

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"renke/survey"
	"renke/workbook"
)

// exportResponses is every response of a campaign, one row each, as XLSX
// or CSV by the path's extension.
func (s *Server) exportResponses(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	forms, err := s.surveys.Forms(ctx, cp.ID)
	if err != nil {
		return err
	}
	t := survey.NewResponseTable(forms)
	each := func(fn func(*survey.Row) error) error { return s.surveys.EachResponse(ctx, cp.ID, fn) }
	asCSV := strings.HasSuffix(c.Path(), ".csv")
	name := fmt.Sprintf("%s-答卷.xlsx", cp.Title)
	kind := xlsxType
	if asCSV {
		name, kind = fmt.Sprintf("%s-答卷.csv", cp.Title), "text/csv; charset=utf-8"
	}
	download(c, name)
	c.Response().Header().Set(echo.HeaderContentType, kind)
	c.Response().WriteHeader(http.StatusOK)
	if asCSV {
		return workbook.ResponsesCSV(c.Response(), t, each)
	}
	return workbook.Responses(c.Response(), t, each)
}

// exportTables is the allocation and progress table and the recognition
// tables, one sheet each.
func (s *Server) exportTables(c echo.Context) error {
	v, err := s.campaignView(c, "统计表")
	if err != nil {
		return err
	}
	if err := s.withProgress(c, v); err != nil {
		return err
	}
	r, err := s.surveys.Recognition(c.Request().Context(), v.Campaign, v.Forms, v.Progress)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := workbook.CampaignTables(&buf, v.Progress, r); err != nil {
		return err
	}
	return attachment(c, fmt.Sprintf("%s-统计表.xlsx", v.Campaign.Title), xlsxType, buf.Bytes())
}
