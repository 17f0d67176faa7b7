package server

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"renke/county"
	"renke/sampling"
	"renke/statistics"
	"renke/survey"
)

// quotaTable is an allocation as a category × locale table, with what has
// been admitted so far.
type quotaTable struct {
	SampleSize int
	Locales    []sampling.Locale
	Rows       []quotaRow
	Total      quotaRow
}

type quotaRow struct {
	Name  string
	Cells []quotaCell
	quotaCell
}

type quotaCell struct{ Target, Admitted int }

// Share is how full the cell is, 0–1.
func (c quotaCell) Share() float64 {
	if c.Target == 0 {
		return 0
	}
	return math.Min(1, float64(c.Admitted)/float64(c.Target))
}

func newQuotaTable(sampleSize int, cells []sampling.CellProgress) quotaTable {
	t := quotaTable{SampleSize: sampleSize, Locales: sampling.Locales}
	t.Total = quotaRow{Name: "合计", Cells: make([]quotaCell, len(sampling.Locales))}
	for _, cat := range sampling.Categories {
		row := quotaRow{Name: cat.Name()}
		for li, l := range sampling.Locales {
			var qc quotaCell
			for _, c := range cells {
				if c.Category == cat && c.Locale == l {
					qc = quotaCell{Target: c.Target, Admitted: c.Admitted}
				}
			}
			row.Cells = append(row.Cells, qc)
			row.Target += qc.Target
			row.Admitted += qc.Admitted
			t.Total.Cells[li].Target += qc.Target
			t.Total.Cells[li].Admitted += qc.Admitted
		}
		t.Total.Target += row.Target
		t.Total.Admitted += row.Admitted
		t.Rows = append(t.Rows, row)
	}
	return t
}

type unitPage struct {
	consolePage
	Unit      county.Unit
	New       bool
	Error     string
	Notice    string
	Problems  []statistics.CellError
	Preview   *quotaTable
	PreviewOf string
	Schools   []county.School
	Campaigns []survey.Campaign
	Kinds     []string
	Types     []county.SchoolType
}

// unitFromForm reads the unit settings form: shares in percent, two decimals.
func unitFromForm(c echo.Context, u county.Unit) (county.Unit, error) {
	u.Code = strings.TrimSpace(c.FormValue("code"))
	u.Name = strings.TrimSpace(c.FormValue("name"))
	u.Kind = c.FormValue("kind")
	u.PopulationSource = strings.TrimSpace(c.FormValue("population_source"))
	pop, err := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(c.FormValue("population")), ",", ""), 10, 64)
	if err != nil || pop <= 0 {
		return u, errors.New("常住人口须为正整数（人），如 812345")
	}
	u.Population = pop
	u.PopulationYear = nil
	if raw := strings.TrimSpace(c.FormValue("population_year")); raw != "" {
		y, err := strconv.Atoi(raw)
		if err != nil || y < 1950 || y > 2100 {
			return u, errors.New("人口数据年份须为 1950 至 2100 之间的年份")
		}
		y32 := int32(y)
		u.PopulationYear = &y32
	}
	for _, f := range []struct {
		name, label string
		out         *int
	}{{"share_urban", "城区", &u.Shares.Urban}, {"share_town", "镇区", &u.Shares.Town}, {"share_rural", "乡村", &u.Shares.Rural}} {
		raw := strings.TrimSuffix(strings.TrimSpace(c.FormValue(f.name)), "%")
		if raw == "" {
			raw = "0"
		}
		x, err := strconv.ParseFloat(raw, 64)
		if err != nil || x < 0 || x > 100 || math.IsNaN(x) {
			return u, fmt.Errorf("%s人口占比“%s”无效，须为 0 至 100 之间的百分数", f.label, c.FormValue(f.name))
		}
		*f.out = int(math.Round(x * 100))
	}
	if sum := u.Shares.Urban + u.Shares.Town + u.Shares.Rural; sum != 10000 {
		return u, fmt.Errorf("城区、镇区、乡村人口占比合计须为 100%%，现为 %s%%", strconv.FormatFloat(float64(sum)/100, 'f', -1, 64))
	}
	return u, u.Validate()
}

func (s *Server) unitView(c echo.Context, u county.Unit) (unitPage, error) {
	p := unitPage{consolePage: s.consolePage(c, u.Name), Unit: u, Types: county.SchoolTypes}
	if u.ID == 0 {
		p.Title, p.New = "新建评价单位", true
		return p, nil
	}
	ctx := c.Request().Context()
	var err error
	if p.Schools, err = s.units.Schools(ctx, u.ID); err != nil {
		return p, err
	}
	if p.Campaigns, err = s.surveys.Campaigns(ctx, u.ID); err != nil {
		return p, err
	}
	return p, nil
}

// preview is the quota a new campaign at the national rate would enforce
// for the unit as it stands.
func preview(u county.Unit) *quotaTable {
	cp := survey.Campaign{}
	cp.Defaults()
	a, err := sampling.Allocate(cp.Design(u.Population, u.Shares))
	if err != nil {
		return nil
	}
	cells := make([]sampling.CellProgress, len(a.Cells))
	for i, cell := range a.Cells {
		cells[i] = sampling.CellProgress{Cell: cell}
	}
	t := newQuotaTable(a.SampleSize, cells)
	return &t
}

func (s *Server) showUnit(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	p, err := s.unitView(c, u)
	if err != nil {
		return err
	}
	p.Preview = preview(u)
	p.Notice = c.QueryParam("ok")
	return s.render(c, http.StatusOK, "unit.html", p)
}

func (s *Server) newUnit(c echo.Context) error {
	p, _ := s.unitView(c, county.Unit{Kind: "county", Shares: sampling.Shares{Urban: 4000, Town: 3500, Rural: 2500}})
	return s.render(c, http.StatusOK, "unit.html", p)
}

// saveUnit creates (admins) or updates a unit from the settings form. On
// its …/preview route it saves nothing and shows the allocation the
// figures would give.
func (s *Server) saveUnit(c echo.Context) error {
	var cur county.Unit
	if c.Param("unit") != "" {
		var err error
		if cur, err = s.unit(c); err != nil {
			return err
		}
	}
	u, ferr := unitFromForm(c, cur)
	u.ID = cur.ID
	p, err := s.unitView(c, u)
	if err != nil {
		return err
	}
	if ferr != nil {
		p.Error = ferr.Error()
		return s.render(c, http.StatusUnprocessableEntity, "unit.html", p)
	}
	if strings.HasSuffix(c.Path(), "/preview") {
		p.Preview, p.PreviewOf = preview(u), "按所填数据预览，尚未保存"
		return s.render(c, http.StatusOK, "unit.html", p)
	}
	ctx := c.Request().Context()
	if u.ID == 0 {
		u, err = s.units.CreateUnit(ctx, u)
	} else {
		u, err = s.units.UpdateUnit(ctx, u)
	}
	if err = storeError(err); err != nil {
		if isConflict(err) {
			p.Error = "单位代码已被其他单位使用，请换一个"
			return s.render(c, http.StatusConflict, "unit.html", p)
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/console/units/%d?ok=%s", u.ID, "单位信息已保存"))
}

// rosterTemplate is the empty school roster workbook.
func (s *Server) rosterTemplate(c echo.Context) error {
	var buf bytes.Buffer
	if err := statistics.RosterWorkbook(&buf, nil); err != nil {
		return err
	}
	return attachment(c, "学校名单模板.xlsx", xlsxType, buf.Bytes())
}

func (s *Server) exportRoster(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	list, err := s.units.Schools(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := statistics.RosterWorkbook(&buf, list); err != nil {
		return err
	}
	return attachment(c, u.Name+"学校名单.xlsx", xlsxType, buf.Bytes())
}

// importRoster reads a school roster (XLSX or CSV). Any problem saves
// nothing and lists every cell at fault.
func (s *Server) importRoster(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	p, err := s.unitView(c, u)
	if err != nil {
		return err
	}
	fh, err := c.FormFile("file")
	if err != nil {
		p.Error = "请选择要导入的 Excel（.xlsx）或 CSV 文件"
		return s.render(c, http.StatusUnprocessableEntity, "unit.html", p)
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	isCSV := strings.EqualFold(path.Ext(fh.Filename), ".csv")
	list, err := statistics.ParseRoster(f, isCSV)
	if ie, ok := statistics.IsImportError(err); ok {
		p.Error, p.Problems = ie.Error(), ie.Problems
		return s.render(c, http.StatusUnprocessableEntity, "unit.html", p)
	} else if err != nil {
		return err
	}
	added, err := s.units.ImportSchools(c.Request().Context(), u.ID, list)
	if err != nil {
		return storeError(err)
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/console/units/%d?ok=%s#schools", u.ID,
		fmt.Sprintf("已导入 %d 所学校（新增 %d 所，更新 %d 所）", len(list), added, len(list)-added)))
}

// addSchool adds one school by hand.
func (s *Server) addSchool(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	sc := county.School{UnitID: u.ID, Name: c.FormValue("name"), Type: county.SchoolType(c.FormValue("type")),
		Locale: sampling.Locale(c.FormValue("locale")), Public: c.FormValue("public") != "private"}
	for _, f := range []struct {
		name, label string
		out         *int32
	}{{"enrol_primary", "小学在校生数", &sc.EnrolPrimary}, {"enrol_junior", "初中在校生数", &sc.EnrolJunior}} {
		raw := strings.TrimSpace(c.FormValue(f.name))
		if raw == "" {
			continue
		}
		n, err := strconv.ParseInt(raw, 10, 32)
		if err != nil || n < 0 {
			return s.unitError(c, u, fmt.Sprintf("%s须为不小于 0 的整数", f.label))
		}
		*f.out = int32(n)
	}
	if err := sc.Validate(); err != nil {
		return s.unitError(c, u, err.Error())
	}
	if _, err := s.units.CreateSchool(c.Request().Context(), sc); err != nil {
		if err = storeError(err); err != nil {
			if isConflict(err) {
				return s.unitError(c, u, "已有同名学校："+sc.Name)
			}
			return err
		}
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/console/units/%d?ok=%s#schools", u.ID, "已添加 "+sc.Name))
}

func (s *Server) unitError(c echo.Context, u county.Unit, msg string) error {
	p, err := s.unitView(c, u)
	if err != nil {
		return err
	}
	p.Error = msg
	return s.render(c, http.StatusUnprocessableEntity, "unit.html", p)
}

// removeSchool deletes a school that no link or response names.
func (s *Server) removeSchool(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	id, err := idParam(c, "school")
	if err != nil {
		return err
	}
	if err := storeError(s.units.DeleteSchool(c.Request().Context(), u.ID, id)); err != nil {
		if isConflict(err) {
			return s.unitError(c, u, "该学校已有问卷链接或答卷，不能删除")
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/console/units/%d?ok=%s#schools", u.ID, "已删除"))
}

// newCampaign creates a draft campaign with the national defaults and
// goes to its page, where the rest is set.
func (s *Server) newCampaign(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	cp := survey.Campaign{UnitID: u.ID, Title: strings.TrimSpace(c.FormValue("title"))}
	cp.Defaults()
	if err := cp.Validate(); err != nil {
		return s.unitError(c, u, err.Error())
	}
	cp, err = s.surveys.CreateCampaign(c.Request().Context(), cp)
	if err != nil {
		return storeError(err)
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/console/campaigns/%d", cp.ID))
}

// isConflict reports whether err is a 409 from storeError: a duplicate
// name or a row still referenced.
func isConflict(err error) bool {
	var he *echo.HTTPError
	return errors.As(err, &he) && he.Code == http.StatusConflict
}
