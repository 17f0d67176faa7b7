package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/labstack/echo/v4"

	"renke/county"
	"renke/sampling"
	"renke/survey"
)

// decode reads a JSON body strictly: unknown fields and trailing data are
// errors, so a typo never silently changes nothing.
func decode(c echo.Context, v any) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		}
		return echo.NewHTTPError(http.StatusBadRequest, "请求内容不是有效的 JSON："+err.Error())
	}
	if dec.More() {
		return echo.NewHTTPError(http.StatusBadRequest, "请求内容在 JSON 之后还有多余数据")
	}
	return nil
}

func invalid(err error) error { return echo.NewHTTPError(http.StatusUnprocessableEntity, err.Error()) }

func idParam(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.NewHTTPError(http.StatusNotFound, "资源不存在")
	}
	return id, nil
}

// storeError maps domain and constraint errors to HTTP errors.
func storeError(err error) error {
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, county.ErrNotFound), errors.Is(err, survey.ErrNotFound):
		return echo.NewHTTPError(http.StatusNotFound, "资源不存在")
	case errors.Is(err, survey.ErrNotDraft):
		return echo.NewHTTPError(http.StatusConflict, "调查已开始，不能再执行此操作")
	case errors.Is(err, survey.ErrNotOpen):
		return echo.NewHTTPError(http.StatusConflict, "调查未在进行中")
	case errors.Is(err, survey.ErrLocked):
		return echo.NewHTTPError(http.StatusConflict, "调查已开始，抽样比例、最低样本量和配额策略已锁定")
	case errors.Is(err, survey.ErrFrozen):
		return echo.NewHTTPError(http.StatusConflict, "调查已开始，问卷已冻结，不能修改")
	case errors.As(err, &pgErr) && pgErr.Code == "23505":
		return echo.NewHTTPError(http.StatusConflict, "名称或代码已存在")
	case errors.As(err, &pgErr) && pgErr.Code == "23503":
		return echo.NewHTTPError(http.StatusConflict, "仍有数据引用此项，不能删除")
	}
	return err
}

func (s *Server) unit(c echo.Context) (county.Unit, error) {
	id, err := idParam(c, "unit")
	if err != nil {
		return county.Unit{}, err
	}
	u, err := s.units.Unit(c.Request().Context(), scope(c), id)
	return u, storeError(err)
}

func (s *Server) campaign(c echo.Context) (survey.Campaign, error) {
	id, err := idParam(c, "campaign")
	if err != nil {
		return survey.Campaign{}, err
	}
	cp, err := s.surveys.Campaign(c.Request().Context(), scope(c), id)
	return cp, storeError(err)
}

func (s *Server) healthz(c echo.Context) error {
	if err := s.pool.Ping(c.Request().Context()); err != nil {
		return c.String(http.StatusServiceUnavailable, "database unavailable")
	}
	return c.String(http.StatusOK, "ok")
}

func (s *Server) listUnits(c echo.Context) error {
	us, err := s.units.Units(c.Request().Context(), scope(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, us)
}

func (s *Server) getUnit(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

func (s *Server) createUnit(c echo.Context) error {
	var u county.Unit
	if err := decode(c, &u); err != nil {
		return err
	}
	if err := u.Validate(); err != nil {
		return invalid(err)
	}
	u, err := s.units.CreateUnit(c.Request().Context(), u)
	if err != nil {
		return storeError(err)
	}
	return c.JSON(http.StatusCreated, u)
}

func (s *Server) updateUnit(c echo.Context) error {
	cur, err := s.unit(c)
	if err != nil {
		return err
	}
	u := cur
	if err := decode(c, &u); err != nil {
		return err
	}
	u.ID = cur.ID
	if err := u.Validate(); err != nil {
		return invalid(err)
	}
	u, err = s.units.UpdateUnit(c.Request().Context(), u)
	if err != nil {
		return storeError(err)
	}
	return c.JSON(http.StatusOK, u)
}

func (s *Server) listSchools(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	list, err := s.units.Schools(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list)
}

func (s *Server) createSchool(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	sc := county.School{Public: true}
	if err := decode(c, &sc); err != nil {
		return err
	}
	sc.UnitID, sc.ID = u.ID, 0
	if err := sc.Validate(); err != nil {
		return invalid(err)
	}
	sc, err = s.units.CreateSchool(c.Request().Context(), sc)
	if err != nil {
		return storeError(err)
	}
	return c.JSON(http.StatusCreated, sc)
}

func (s *Server) updateSchool(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	id, err := idParam(c, "school")
	if err != nil {
		return err
	}
	sc, err := s.units.School(c.Request().Context(), u.ID, id)
	if err != nil {
		return storeError(err)
	}
	if err := decode(c, &sc); err != nil {
		return err
	}
	sc.UnitID, sc.ID = u.ID, id
	if err := sc.Validate(); err != nil {
		return invalid(err)
	}
	sc, err = s.units.UpdateSchool(c.Request().Context(), sc)
	if err != nil {
		return storeError(err)
	}
	return c.JSON(http.StatusOK, sc)
}

func (s *Server) deleteSchool(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	id, err := idParam(c, "school")
	if err != nil {
		return err
	}
	if err := storeError(s.units.DeleteSchool(c.Request().Context(), u.ID, id)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) listCampaigns(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	list, err := s.surveys.Campaigns(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list)
}

// campaignInput is the part of a campaign staff may set.
type campaignInput struct {
	Title     *string          `json:"title"`
	OpensAt   *string          `json:"opens_at"`
	ClosesAt  *string          `json:"closes_at"`
	RatePPM   *int             `json:"rate_ppm"`
	MinSample *int             `json:"min_sample"`
	Policy    *sampling.Policy `json:"quota_policy"`
	Method    *survey.Method   `json:"scoring_method"`
	Threshold *float64         `json:"threshold"`
	MinFill   *int             `json:"min_fill_seconds"`
	PowBits   *int             `json:"pow_bits"`
}

func (in campaignInput) apply(cp *survey.Campaign) error {
	if in.Title != nil {
		cp.Title = *in.Title
	}
	for _, t := range []struct {
		in  *string
		out **time.Time
	}{{in.OpensAt, &cp.OpensAt}, {in.ClosesAt, &cp.ClosesAt}} {
		if t.in == nil {
			continue
		}
		if *t.in == "" {
			*t.out = nil
			continue
		}
		v, err := time.Parse(time.RFC3339, *t.in)
		if err != nil {
			return fmt.Errorf("时间 %q 格式无效，须为 RFC 3339，如 2026-12-01T08:00:00+08:00", *t.in)
		}
		*t.out = &v
	}
	if in.RatePPM != nil {
		cp.RatePPM = *in.RatePPM
	}
	if in.MinSample != nil {
		cp.MinSample = *in.MinSample
	}
	if in.Policy != nil {
		cp.Policy = *in.Policy
	}
	if in.MinFill != nil {
		cp.MinFillSeconds = *in.MinFill
	}
	if in.PowBits != nil {
		cp.PowBits = *in.PowBits
	}
	if in.Method != nil {
		cp.Method = *in.Method
	}
	if in.Threshold != nil {
		cp.Threshold = *in.Threshold
	}
	cp.Defaults()
	return cp.Validate()
}

func (s *Server) createCampaign(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	var in campaignInput
	if err := decode(c, &in); err != nil {
		return err
	}
	cp := survey.Campaign{UnitID: u.ID}
	if err := in.apply(&cp); err != nil {
		return invalid(err)
	}
	cp, err = s.surveys.CreateCampaign(c.Request().Context(), cp)
	if err != nil {
		return storeError(err)
	}
	return c.JSON(http.StatusCreated, cp)
}

func (s *Server) getCampaign(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cp)
}

func (s *Server) updateCampaign(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	var in campaignInput
	if err := decode(c, &in); err != nil {
		return err
	}
	if err := in.apply(&cp); err != nil {
		return invalid(err)
	}
	cp, err = s.surveys.UpdateCampaign(c.Request().Context(), cp)
	if err != nil {
		return storeError(err)
	}
	return c.JSON(http.StatusOK, cp)
}

// allocationOf is the quota of a campaign: the stored cells once it is
// open, otherwise what opening it now would fix.
func (s *Server) allocationOf(c echo.Context, cp survey.Campaign) (sampling.Allocation, []sampling.CellProgress, error) {
	ctx := c.Request().Context()
	if cp.Status == survey.Draft {
		u, err := s.units.Unit(ctx, county.Everything, cp.UnitID) // cp was reached in scope
		if err != nil {
			return sampling.Allocation{}, nil, err
		}
		a, err := sampling.Allocate(cp.Design(u.Population, u.Shares))
		if err != nil {
			return a, nil, invalid(err)
		}
		progress := make([]sampling.CellProgress, 0, len(a.Cells))
		for _, cell := range a.Cells {
			progress = append(progress, sampling.CellProgress{Cell: cell})
		}
		return a, progress, nil
	}
	cells, err := s.quotas.Progress(ctx, cp.ID)
	if err != nil {
		return sampling.Allocation{}, nil, err
	}
	a := sampling.Allocation{ByCategory: map[sampling.Category]int{}}
	for _, cell := range cells {
		a.Cells = append(a.Cells, cell.Cell)
		a.ByCategory[cell.Category] += cell.Target
		a.SampleSize += cell.Target
	}
	return a, cells, nil
}

func (s *Server) allocation(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	a, _, err := s.allocationOf(c, cp)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

func (s *Server) openCampaign(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	if cp.Status != survey.Draft {
		return storeError(survey.ErrNotDraft)
	}
	a, _, err := s.allocationOf(c, cp)
	if err != nil {
		return err
	}
	cp, err = s.surveys.Open(c.Request().Context(), cp.ID, a)
	if err != nil {
		return storeError(err)
	}
	return c.JSON(http.StatusOK, cp)
}

func (s *Server) closeCampaign(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	cp, err = s.surveys.Close(c.Request().Context(), cp.ID)
	if err != nil {
		return storeError(err)
	}
	return c.JSON(http.StatusOK, cp)
}

func (s *Server) listForms(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	forms, err := s.surveys.Forms(c.Request().Context(), cp.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, forms)
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
	if q.Kind != survey.Kind(c.Param("kind")) {
		return invalid(errors.New("问卷类型与地址不一致"))
	}
	if err := q.Validate(); err != nil {
		return invalid(err)
	}
	f, err := s.surveys.UpdateForm(c.Request().Context(), cp.ID, q)
	if err != nil {
		return storeError(err)
	}
	return c.JSON(http.StatusOK, f)
}

type linkView struct {
	survey.Link
	URL    string `json:"url"`
	QR     string `json:"qr"`
	Poster string `json:"poster"`
}

func (s *Server) viewLink(c echo.Context, l survey.Link) linkView {
	u := s.formURL(c, l.Code)
	return linkView{Link: l, URL: u, QR: u + "/qr.png", Poster: u + "/poster"}
}

func (s *Server) listLinks(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	links, err := s.surveys.Links(c.Request().Context(), cp.ID)
	if err != nil {
		return err
	}
	out := make([]linkView, 0, len(links))
	for _, l := range links {
		out = append(out, s.viewLink(c, l))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) createLink(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	var in struct {
		SchoolID *int64       `json:"school_id"`
		Kind     *survey.Kind `json:"questionnaire"`
		Label    string       `json:"label"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Kind != nil && !in.Kind.Valid() {
		return invalid(errors.New("问卷类型须为 social、staff 或 student"))
	}
	if len([]rune(in.Label)) > 100 {
		return invalid(errors.New("链接说明不超过 100 字"))
	}
	if in.SchoolID != nil {
		if _, err := s.units.School(c.Request().Context(), cp.UnitID, *in.SchoolID); err != nil {
			if errors.Is(err, county.ErrNotFound) {
				return invalid(errors.New("学校不属于本调查所在单位"))
			}
			return err
		}
	}
	l, err := s.surveys.CreateLink(c.Request().Context(), survey.Link{CampaignID: cp.ID, SchoolID: in.SchoolID, Kind: in.Kind, Label: in.Label})
	if err != nil {
		return storeError(err)
	}
	return c.JSON(http.StatusCreated, s.viewLink(c, l))
}

type categoryProgress struct {
	Category sampling.Category `json:"category"`
	Name     string            `json:"name"`
	Target   int               `json:"target"`
	Admitted int               `json:"admitted"`
}

// Progress is the sample's state against its quota.
type Progress struct {
	SampleSize     int                             `json:"sample_size"`
	Admitted       int                             `json:"admitted"`
	Cells          []sampling.CellProgress         `json:"cells"`
	ByCategory     []categoryProgress              `json:"by_category"`
	ParentShare    float64                         `json:"parent_share"` // of admitted responses
	ParentFloorMet bool                            `json:"parent_floor_met"`
	GradeBalance   []sampling.BandBalance          `json:"grade_balance"`
	Responses      map[survey.ResponseStatus]int64 `json:"responses"`
}

func (s *Server) progress(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	p, err := s.progressOf(c, cp)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// progressOf is a campaign's sample against its quota.
func (s *Server) progressOf(c echo.Context, cp survey.Campaign) (Progress, error) {
	ctx := c.Request().Context()
	a, cells, err := s.allocationOf(c, cp)
	if err != nil {
		return Progress{}, err
	}
	p := Progress{SampleSize: a.SampleSize, Cells: cells}
	for _, cat := range sampling.Categories {
		row := categoryProgress{Category: cat, Name: cat.Name(), Target: a.ByCategory[cat]}
		for _, cell := range cells {
			if cell.Category == cat {
				row.Admitted += cell.Admitted
			}
		}
		p.Admitted += row.Admitted
		p.ByCategory = append(p.ByCategory, row)
	}
	if p.Admitted > 0 {
		p.ParentShare = float64(p.ByCategory[0].Admitted) / float64(p.Admitted) // Categories[0] is Parent
		p.ParentFloorMet = p.ParentShare >= 0.5
	}
	bands, err := s.quotas.GradeBandCounts(ctx, cp.ID)
	if err != nil {
		return p, err
	}
	p.GradeBalance = sampling.GradeBalance(bands)
	p.Responses, err = s.surveys.StatusCounts(ctx, cp.ID)
	return p, err
}

// RecognitionReport is the recognition result with the counts beside it.
type RecognitionReport struct {
	survey.Report
	Responses map[survey.ResponseStatus]int64 `json:"responses"`
}

func (s *Server) report(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	r, err := s.recognition(c, cp)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (s *Server) recognition(c echo.Context, cp survey.Campaign) (RecognitionReport, error) {
	ctx := c.Request().Context()
	a, _, err := s.allocationOf(c, cp)
	if err != nil {
		return RecognitionReport{}, err
	}
	forms, err := s.surveys.Forms(ctx, cp.ID)
	if err != nil {
		return RecognitionReport{}, err
	}
	counts, err := s.surveys.Tally(ctx, cp.ID)
	if err != nil {
		return RecognitionReport{}, err
	}
	sc := survey.Scoring{Method: cp.Method, Threshold: cp.Threshold, QuotaShares: map[sampling.Category]float64{}}
	for _, f := range forms {
		sc.Questionnaires = append(sc.Questionnaires, f.Questionnaire)
	}
	for cat, n := range a.ByCategory {
		if a.SampleSize > 0 {
			sc.QuotaShares[cat] = float64(n) / float64(a.SampleSize)
		}
	}
	r := RecognitionReport{Report: survey.Score(sc, counts)}
	r.Responses, err = s.surveys.StatusCounts(ctx, cp.ID)
	return r, err
}
