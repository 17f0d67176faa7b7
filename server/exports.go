package server

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	"renke/survey"
)

// eachResponse walks a campaign's responses one at a time.
type eachResponse func(fn func(*survey.Row) error) error

// eachRecord walks the responses as numbered table rows; rec is reused.
func eachRecord(t *survey.ResponseTable, each eachResponse, fn func(n int, rec []string) error) error {
	n := 0
	var rec []string
	return each(func(r *survey.Row) error {
		n++
		rec = t.Record(n, r, rec)
		return fn(n, rec)
	})
}

// writeResponsesCSV writes the responses as CSV with a UTF-8 BOM, so that
// Excel opens the Chinese correctly. Rows go out as they are read.
func writeResponsesCSV(w io.Writer, t *survey.ResponseTable, each eachResponse) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	if _, err := bw.WriteString("\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	if err := cw.Write(t.Header); err != nil {
		return err
	}
	if err := eachRecord(t, each, func(_ int, rec []string) error { return cw.Write(rec) }); err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// writeResponsesXLSX writes the responses as one sheet through excelize's
// stream writer, which spills rows to a temporary file rather than keep
// them in memory.
func writeResponsesXLSX(w io.Writer, t *survey.ResponseTable, each eachResponse) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "答卷"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	head, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	_ = sw.SetColWidth(2, 3, 20)
	_ = sw.SetColWidth(8, 8, 24)
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	cells := make([]any, len(t.Header))
	for i, h := range t.Header {
		cells[i] = excelize.Cell{StyleID: head, Value: h}
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return err
	}
	if err := eachRecord(t, each, func(n int, rec []string) error {
		cells[0] = n
		for i := 1; i < len(rec); i++ {
			cells[i] = rec[i]
		}
		ref, _ := excelize.CoordinatesToCellName(1, n+1)
		return sw.SetRow(ref, cells)
	}); err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}

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
		return writeResponsesCSV(c.Response(), t, each)
	}
	return writeResponsesXLSX(c.Response(), t, each)
}

// exportTables is the allocation and progress table and the recognition
// tables, one sheet each.
func (s *Server) exportTables(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	p, err := s.progressOf(c, cp)
	if err != nil {
		return err
	}
	r, err := s.recognition(c, cp)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	head, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	pctStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	sheet := func(name string, header []string, rows [][]any, pctCols ...int) error {
		if _, err := f.NewSheet(name); err != nil {
			return err
		}
		all := append([][]any{toAny(header)}, rows...)
		for i, row := range all {
			ref, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow(name, ref, &row); err != nil {
				return err
			}
		}
		last, _ := excelize.ColumnNumberToName(len(header))
		_ = f.SetCellStyle(name, "A1", last+"1", head)
		_ = f.SetColWidth(name, "A", "A", 28)
		_ = f.SetColWidth(name, "B", last, 13)
		for _, col := range pctCols {
			c, _ := excelize.ColumnNumberToName(col)
			_ = f.SetCellStyle(name, c+"2", fmt.Sprintf("%s%d", c, len(all)), pctStyle)
		}
		return nil
	}
	var quota [][]any
	for _, cell := range p.Cells {
		quota = append(quota, []any{cell.Category.Name(), cell.Locale.Name(), cell.Target, cell.Admitted, ratioOf(cell.Admitted, cell.Target)})
	}
	if err := sheet("配额与进度", []string{"类别", "城乡", "配额", "已纳入", "完成率"}, quota, 5); err != nil {
		return err
	}
	var methods [][]any
	for _, m := range r.Methods {
		methods = append(methods, []any{m.Name, m.Rate, m.Low, m.High, yesNo(m.Pass)})
	}
	if err := sheet("认可度（各计分方法）", []string{"计分方法", "认可度", "95%区间下限", "95%区间上限", "是否达标"}, methods, 2, 3, 4); err != nil {
		return err
	}
	groups := func(name string, gs []survey.Group) error {
		var rows [][]any
		for _, g := range gs {
			iv := groupInterval(g, r.Method)
			rows = append(rows, []any{g.Label, g.Answers, g.DontKnow, g.Rate, iv.Low, iv.High, g.TopTwo.Rate, g.TopThree, g.Points})
		}
		return sheet(name, []string{"分组", "有效回答", "不了解", "认可度", "95%区间下限", "95%区间上限", "满意+比较满意", "前三级", "加权得分"}, rows, 4, 5, 6, 7, 8, 9)
	}
	for _, g := range []struct {
		name string
		gs   []survey.Group
	}{{"按类别", r.ByCategory}, {"按评价内容", r.ByArea}, {"按题目", r.ByItem}, {"按学校", r.BySchool}, {"按城乡", r.ByLocale}} {
		if err := groups(g.name, g.gs); err != nil {
			return err
		}
	}
	var bands [][]any
	for _, b := range p.GradeBalance {
		bands = append(bands, []any{b.Band.Name(), b.Count, b.Share})
	}
	if err := sheet("年级段", []string{"年级段", "人数", "占比"}, bands, 3); err != nil {
		return err
	}
	_ = f.DeleteSheet("Sheet1")
	download(c, fmt.Sprintf("%s-统计表.xlsx", cp.Title))
	c.Response().Header().Set(echo.HeaderContentType, xlsxType)
	c.Response().WriteHeader(http.StatusOK)
	return f.Write(c.Response())
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

func ratioOf(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}
