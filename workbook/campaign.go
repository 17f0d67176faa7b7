package workbook

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"renke/evaluation"
	"renke/sampling"
	"renke/statistics"
	"renke/survey"
)

// EachResponse walks a campaign's responses one at a time.
type EachResponse func(fn func(*survey.Row) error) error

// eachRecord walks the responses as numbered table rows; rec is reused.
func eachRecord(t *survey.ResponseTable, each EachResponse, fn func(n int, rec []string) error) error {
	n := 0
	var rec []string
	return each(func(r *survey.Row) error {
		n++
		rec = t.Record(n, r, rec)
		return fn(n, rec)
	})
}

// ResponsesCSV writes the responses as CSV for Excel (NewCSV: a BOM, and
// no cell Excel would run as a formula, whatever a respondent typed). Rows
// go out as they are read.
func ResponsesCSV(w io.Writer, t *survey.ResponseTable, each EachResponse) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw, err := NewCSV(bw)
	if err != nil {
		return err
	}
	if err := cw.Write(t.Header); err != nil {
		return err
	}
	if err := eachRecord(t, each, func(_ int, rec []string) error { return cw.Write(rec) }); err != nil {
		return err
	}
	if err := cw.Flush(); err != nil {
		return err
	}
	return bw.Flush()
}

// Responses writes the responses as one sheet through excelize's stream
// writer, which spills rows to a temporary file rather than keep them in
// memory.
func Responses(w io.Writer, t *survey.ResponseTable, each EachResponse) error {
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
	whenCol, fillCol := -1, -1
	for i, h := range t.Header {
		cells[i] = excelize.Cell{StyleID: head, Value: h}
		switch h {
		case survey.SubmittedHeader:
			whenCol = i
		case survey.FillHeader:
			fillCol = i
		}
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return err
	}
	when := timeStyle(f)
	if err := eachRecord(t, each, func(n int, rec []string) error {
		cells[0] = n
		for i := 1; i < len(rec); i++ {
			cells[i] = rec[i]
		}
		if whenCol > 0 {
			// A time, not text: Excel sorts and filters it.
			if at, err := time.Parse(survey.SubmittedLayout, rec[whenCol]); err == nil {
				cells[whenCol] = excelize.Cell{StyleID: when, Value: at}
			}
		}
		if fillCol > 0 {
			if secs, err := strconv.ParseFloat(rec[fillCol], 64); err == nil {
				cells[fillCol] = secs
			}
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

// CampaignTables writes a campaign's quota and progress and its
// recognition tables, one sheet each.
func CampaignTables(w io.Writer, p survey.Progress, r survey.RecognitionReport) error {
	b := newBook()
	defer b.f.Close()
	pct, _ := b.f.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	sheet := func(name string, header []any, rows [][]any, pctCols ...int) error {
		add, err := b.sheet(name, header, append([]float64{28}, repeat(13, len(header)-1)...)...)
		if err != nil {
			return err
		}
		for _, row := range rows {
			add(row)
		}
		for _, col := range pctCols {
			c, _ := excelize.ColumnNumberToName(col)
			_ = b.f.SetCellStyle(name, c+"2", fmt.Sprintf("%s%d", c, len(rows)+1), pct)
		}
		return nil
	}
	var quota [][]any
	for _, cell := range p.Cells {
		quota = append(quota, []any{cell.Category.Name(), cell.Locale.Name(), cell.Target, cell.Counted, cell.Admitted,
			sampling.QuotaCount{Target: cell.Target, Admitted: cell.Counted}.Share()})
	}
	if err := sheet("配额与进度", []any{"类别", "城乡", "配额", "已纳入（不含判为无效）", "已占名额（含判为无效）", "完成率（已纳入 ÷ 配额）"}, quota, 6); err != nil {
		return err
	}
	var methods [][]any
	for _, m := range r.Methods {
		verdict := passText(m.Pass)
		if r.Provisional {
			verdict = "暂定（" + r.Shortfall + "）"
		}
		methods = append(methods, []any{m.Name, r.Respondents, m.Rate, m.Low, m.High, verdict})
	}
	if err := sheet("认可度（各计分方法）", []any{"计分方法", "作答人数（n）", "认可度", "95%区间下限", "95%区间上限", "是否达标"}, methods, 3, 4, 5); err != nil {
		return err
	}
	for _, g := range []struct {
		name string
		gs   []survey.Group
	}{{"按类别", r.ByCategory}, {"按评价内容", r.ByArea}, {"按题目", r.ByItem}, {"按学校", r.BySchool}, {"按城乡", r.ByLocale}} {
		var rows [][]any
		header, pcts := []any{"分组", "作答人数（n）", "有效回答（条）", "不了解（条）", "认可度", "95%区间下限", "95%区间上限", "满意+比较满意", "前三级", "加权得分"}, []int{5, 6, 7, 8, 9, 10}
		byItem := g.name == "按题目"
		if byItem {
			header, pcts = append([]any{"问卷"}, header...), []int{6, 7, 8, 9, 10, 11}
		}
		for _, g := range g.gs {
			row := []any{g.Label, g.Respondents, g.Answers, g.DontKnow, g.Rate, g.Interval.Low, g.Interval.High, g.TopTwo.Rate, g.TopThree, g.Points}
			if byItem {
				row = append([]any{g.Questionnaire}, row...)
			}
			rows = append(rows, row)
		}
		if err := sheet(g.name, header, rows, pcts...); err != nil {
			return err
		}
	}
	var bands [][]any
	for _, b := range p.GradeBalance {
		bands = append(bands, []any{b.Band.Name(), b.Count, b.Share})
	}
	if err := sheet("年级段", []any{"年级段", "人数", "占比"}, bands, 3); err != nil {
		return err
	}
	b.f.SetActiveSheet(0)
	return b.f.Write(w)
}

// timeFormat is how every workbook shows a time: one format for all.
const timeFormat = "yyyy-mm-dd hh:mm:ss"

// timeStyle is the style of a time cell in f.
func timeStyle(f *excelize.File) int {
	format := timeFormat
	id, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &format})
	return id
}

// wallTime is t as Beijing's clock shows it, for a spreadsheet cell:
// Excel times have no zone, and the reader expects Beijing time.
func wallTime(t time.Time) time.Time {
	b := t.In(survey.Beijing)
	return time.Date(b.Year(), b.Month(), b.Day(), b.Hour(), b.Minute(), b.Second(), 0, time.UTC)
}

func repeat(x float64, n int) []float64 {
	out := make([]float64, max(n, 0))
	for i := range out {
		out[i] = x
	}
	return out
}

func passText(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

// SourceProgress writes the progress by school and by link, one sheet
// each: answers, those counted in the sample, those flagged, and the last
// answer as an Excel time (blank: not started).
func SourceProgress(w io.Writer, schools, links []survey.SourceProgress) error {
	b := newBook()
	defer b.f.Close()
	when := timeStyle(b.f)
	for _, s := range []struct {
		name, first string
		rows        []survey.SourceProgress
	}{{"各学校", "学校", schools}, {"各链接", "链接", links}} {
		add, err := b.sheet(s.name, []any{s.first, "城乡/调查对象", "答卷", "计入样本", "被标记", "最近提交", "状态"}, 30, 16, 8, 10, 8, 18, 10)
		if err != nil {
			return err
		}
		for i, r := range s.rows {
			var last any = ""
			state := "进行中"
			if r.NotStarted() {
				state = "尚未开始"
			} else {
				last = wallTime(r.Last)
			}
			who := r.Locale
			if r.Audience != "" {
				who = r.Audience
			}
			var flagged any = r.Flagged
			if r.Withheld {
				flagged = "盲评不公开"
			}
			add([]any{r.Name, who, r.Answers, r.Counted, flagged, last, state})
			cell, _ := excelize.CoordinatesToCellName(6, i+2)
			_ = b.f.SetCellStyle(s.name, cell, cell, when)
		}
	}
	b.f.SetActiveSheet(0)
	return b.f.Write(w)
}

// Region writes a region's overview, one row per unit as the region page
// shows it: the newest campaign, counted against the sample size, the
// parent share, flagged and pending, the last answer, and recognition with
// its 95% interval and margin.
func Region(w io.Writer, rows []survey.UnitRow) error {
	b := newBook()
	defer b.f.Close()
	const name = "各单位"
	add, err := b.sheet(name, []any{"行政区划代码", "单位", "调查", "状态", "计入样本", "样本量", "家长占比", "家长过半",
		"被标记", "待审核", "最近答卷", "认可度", "置信区间下限", "置信区间上限", "结论",
		"城区样本占比", "城区人口占比", "镇区样本占比", "镇区人口占比", "乡村样本占比", "乡村人口占比"},
		12, 16, 30, 8, 10, 10, 10, 8, 8, 8, 18, 10, 12, 12, 24, 12, 12, 12, 12, 12, 12)
	if err != nil {
		return err
	}
	when := timeStyle(b.f)
	pct, _ := b.f.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	for i, r := range rows {
		row := []any{r.Unit.Code, r.Unit.Name, "", "尚未建立调查", r.Counted, r.SampleSize, "", "", r.Flagged, r.Pending, "", "", "", "", "尚无答卷",
			"", float64(r.Unit.Shares.Urban) / 10000, "", float64(r.Unit.Shares.Town) / 10000, "", float64(r.Unit.Shares.Rural) / 10000}
		if r.Campaign != nil {
			row[2], row[3] = r.Campaign.Title, r.Campaign.Status.Name()
		}
		if r.Counted > 0 {
			row[6], row[7] = r.ParentShare, map[bool]string{true: "是", false: "否"}[r.ParentFloorMet]
			for k, g := range r.Locales {
				row[15+2*k] = g.Share
			}
		}
		if r.LastAt != nil {
			row[10] = wallTime(*r.LastAt)
		}
		if r.Withheld {
			row[14] = "盲评：由上级组织，不向本单位公开"
		} else if r.Respondents > 0 {
			row[11], row[12], row[13], row[14] = r.Result.Rate, r.Result.Low, r.Result.High, r.Margin.Name()
			if r.Provisional {
				row[14] = "暂定（" + r.Shortfall + "）"
			}
		}
		add(row)
		for col, style := range map[int]int{7: pct, 11: when, 12: pct, 13: pct, 14: pct, 16: pct, 17: pct, 18: pct, 19: pct, 20: pct, 21: pct} {
			cell, _ := excelize.CoordinatesToCellName(col, i+2)
			_ = b.f.SetCellStyle(name, cell, cell, style)
		}
	}
	return b.f.Write(w)
}

// RegionEvaluation writes a region's evaluation roll-up: one row per unit
// with its year, verdict, each dimension's verdict, the failing schools
// and the worst coefficient of variation; failures marked.
func RegionEvaluation(w io.Writer, rows []statistics.UnitEvaluation) error {
	b := newBook()
	defer b.f.Close()
	header := []any{"行政区划代码", "单位", "学年", "评估标准", "学校数", "结论"}
	widths := []float64{12, 16, 8, 24, 8, 10}
	var dims []evaluation.Dimension
	if len(rows) > 0 {
		for _, d := range rows[0].Dimensions {
			dims = append(dims, d.Dimension)
			header, widths = append(header, d.Name), append(widths, 14)
		}
	}
	header = append(header, "未达标学校数", "未达标学校", "差异系数最差一项", "差异系数", "限值", "社会认可度")
	widths = append(widths, 10, 40, 24, 10, 8, 10)
	add, err := b.sheet("各单位评估", header, widths...)
	if err != nil {
		return err
	}
	for _, r := range rows {
		row := []any{r.Unit.Code, r.Unit.Name, r.Year, r.Profile, r.Schools, r.Verdict.Name()}
		var failed []int
		if r.Verdict == evaluation.Fail {
			failed = append(failed, 5)
		}
		for i, d := range dims {
			cell := ""
			for _, got := range r.Dimensions {
				if got.Key == d.Key {
					cell = got.Status.Name()
					if got.Status == evaluation.Fail {
						failed = append(failed, 6+i)
					}
				}
			}
			row = append(row, cell)
		}
		row = append(row, len(r.FailingSchools), strings.Join(r.FailingSchools, "、"), r.WorstName, "", "", "")
		if sp := r.WorstSpread; sp != nil {
			row[len(row)-3], row[len(row)-2] = round4(sp.CV), sp.Limit
			if !sp.Met {
				failed = append(failed, len(row)-3)
			}
		}
		if rec := r.Recognition; rec != nil && rec.Withheld != "" {
			row[len(row)-1] = "盲评，不公开"
		} else if rec != nil {
			row[len(row)-1] = rec.Rate
		}
		add(row, failed...)
	}
	return b.f.Write(w)
}
