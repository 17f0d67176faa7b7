package server

// Ledgers (台账) of the county's year: /console/units/:unit/ledger (the
// county's problem, task and responsibility lists), …/ledger/schools/:school
// (一校一策), /console/regions/:region/ledger (the region's units), each
// printable and as a workbook; and the API's reading of them.

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"renke/assessment"
	"renke/workbook"
)

type ledgerPage struct {
	consolePage
	assessment.Ledger
	Progresses []assessment.Progress
	Indicators []string // of the unit's profile, for linking tasks
	Notice     string
	Error      string
	Problems   []workbook.CellError
	Focus      string // the form an error is about: its anchor
}

// ledger reads the unit's ledger.
func (s *Server) ledger(c echo.Context) (assessment.Ledger, error) {
	u, err := s.unit(c)
	if err != nil {
		return assessment.Ledger{}, err
	}
	l, err := s.assessments.Ledger(c.Request().Context(), u, s.now())
	return l, storeError(err)
}

// indicatorNumbers lists the indicator numbers of the unit's profile, as
// its newest findings choose it.
func (s *Server) indicatorNumbers(c echo.Context) ([]string, error) {
	u, err := s.unit(c)
	if err != nil {
		return nil, err
	}
	return s.assessments.Indicators(c.Request().Context(), u, s.now())
}

// renderLedger shows the county ledger, with a refusal's message when
// an action was refused.
func (s *Server) renderLedger(c echo.Context, code int, msg string, probs []workbook.CellError, focus string) error {
	l, err := s.ledger(c)
	if err != nil {
		return err
	}
	inds, err := s.indicatorNumbers(c)
	if err != nil {
		return err
	}
	return s.render(c, code, "ledger.html", ledgerPage{consolePage: s.consolePage(c, "问题清单与任务台账 · "+l.Unit.Name), Ledger: l,
		Progresses: assessment.Progresses, Indicators: inds, Notice: s.flash(c), Error: msg, Problems: probs, Focus: focus})
}

// showLedger is GET /console/units/:unit/ledger.
func (s *Server) showLedger(c echo.Context) error {
	return s.renderLedger(c, http.StatusOK, "", nil, "")
}

// ledgerRefused answers a refused ledger action on the ledger page.
func (s *Server) ledgerRefused(c echo.Context, err error, focus string) error {
	if ie, ok := workbook.IsImportError(err); ok {
		return s.renderLedger(c, http.StatusUnprocessableEntity, ie.Error(), ie.Problems, focus)
	}
	code, msg, ok := refused(err)
	if !ok {
		return storeError(err)
	}
	return s.renderLedger(c, code, msg, nil, focus)
}

func (s *Server) ledgerDone(c echo.Context, anchor, msg string) error {
	return s.done(c, fmt.Sprintf("/console/units/%s/ledger#%s", c.Param("unit"), anchor), msg)
}

// apiLedger is GET /api/v1/units/:unit/ledger.
func (s *Server) apiLedger(c echo.Context) error {
	l, err := s.ledger(c)
	return respond(c, http.StatusOK, l, err)
}

// exportLedger is GET /console/units/:unit/ledger.xlsx: the problem list,
// the task list in the seed's columns, the responsibility list, the 大班额
// ledger and the targets.
func (s *Server) exportLedger(c echo.Context) error {
	l, err := s.ledger(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := workbook.Ledger(&buf, l); err != nil {
		return err
	}
	return attachment(c, l.Unit.Name+"-问题清单与任务台账.xlsx", xlsxType, buf.Bytes())
}

// schoolLedger reads the ledger of the unit's school :school.
func (s *Server) schoolLedger(c echo.Context) (assessment.SchoolLedger, error) {
	u, err := s.unit(c)
	if err != nil {
		return assessment.SchoolLedger{}, err
	}
	id, err := idParam(c, "school")
	if err != nil {
		return assessment.SchoolLedger{}, err
	}
	sl, err := s.assessments.SchoolLedger(c.Request().Context(), u, id, s.now())
	return sl, storeError(err)
}

type schoolLedgerPage struct {
	consolePage
	assessment.SchoolLedger
}

// showSchoolLedger is GET /console/units/:unit/ledger/schools/:school (一校一策).
func (s *Server) showSchoolLedger(c echo.Context) error {
	sl, err := s.schoolLedger(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "school_ledger.html", schoolLedgerPage{
		consolePage: s.consolePage(c, "一校一策 · "+sl.School), SchoolLedger: sl})
}

// apiSchoolLedger is GET /api/v1/units/:unit/ledger/schools/:school.
func (s *Server) apiSchoolLedger(c echo.Context) error {
	sl, err := s.schoolLedger(c)
	return respond(c, http.StatusOK, sl, err)
}

// exportSchoolLedger is GET /console/units/:unit/ledger/schools/:school/ledger.xlsx.
func (s *Server) exportSchoolLedger(c echo.Context) error {
	sl, err := s.schoolLedger(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := workbook.SchoolLedger(&buf, sl); err != nil {
		return err
	}
	return attachment(c, sl.School+"-一校一策台账.xlsx", xlsxType, buf.Bytes())
}

// regionLedger rolls up the county's year of every unit in scope under :region.
func (s *Server) regionLedger(c echo.Context) (string, []assessment.UnitStanding, error) {
	prefix, units, err := s.regionUnits(c)
	if err != nil {
		return "", nil, err
	}
	rows, err := s.assessments.Region(c.Request().Context(), units, s.now())
	return prefix, rows, err
}

type regionLedgerPage struct {
	consolePage
	Code   string
	Rows   []assessment.UnitStanding
	Rounds int // the most rounds of any unit: the columns
}

// showRegionLedger is GET /console/regions/:region/ledger.
func (s *Server) showRegionLedger(c echo.Context) error {
	prefix, rows, err := s.regionLedger(c)
	if err != nil {
		return err
	}
	p := regionLedgerPage{consolePage: s.consolePage(c, "各单位自查自评与整改台账 "+prefix), Code: prefix, Rows: rows}
	for _, r := range rows {
		p.Rounds = max(p.Rounds, len(r.Rounds))
	}
	return s.render(c, http.StatusOK, "region_ledger.html", p)
}

// apiRegionLedger is GET /api/v1/regions/:region/ledger.
func (s *Server) apiRegionLedger(c echo.Context) error {
	_, rows, err := s.regionLedger(c)
	return respond(c, http.StatusOK, rows, err)
}

// exportRegionLedger is GET /console/regions/:region/ledger.xlsx.
func (s *Server) exportRegionLedger(c echo.Context) error {
	prefix, rows, err := s.regionLedger(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := workbook.RegionLedger(&buf, rows); err != nil {
		return err
	}
	return attachment(c, regionFile(prefix)+"-各单位整改台账.xlsx", xlsxType, buf.Bytes())
}

// idList reads ids from repeated form values or one comma-separated value.
func idList(values []string) ([]int64, error) {
	var out []int64
	for _, v := range values {
		for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '，' || r == ' ' || r == '、' }) {
			var id int64
			if _, err := fmt.Sscan(f, &id); err != nil || id <= 0 {
				return nil, echo.NewHTTPError(http.StatusUnprocessableEntity, fmt.Sprintf("“%s”不是问题编号", f))
			}
			out = append(out, id)
		}
	}
	return out, nil
}
