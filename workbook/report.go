package workbook

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"renke/evaluation"
)

// EvaluationResult writes an evaluation result as a workbook: the verdict,
// the per-school indicator table with failures marked, the coefficients
// of variation, the checklist of every indicator, and the gap list, one
// sheet each.
func EvaluationResult(w io.Writer, title string, p *evaluation.Profile, r *evaluation.Result) error {
	b := newBook()
	defer b.f.Close()
	for _, sheet := range []func(*book, *evaluation.Profile, *evaluation.Result) error{
		verdictSheet(title), schoolSheet, spreadSheet, checkSheet, gapSheet,
	} {
		if err := sheet(b, p, r); err != nil {
			return err
		}
	}
	b.f.SetActiveSheet(0)
	_, err := b.f.WriteTo(w)
	return err
}

// book is a workbook being written, with the styles every sheet shares.
type book struct {
	f               *excelize.File
	head, bad, wrap int
}

func newBook() *book {
	b := &book{f: excelize.NewFile()}
	b.head, _ = b.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "center"}})
	b.bad, _ = b.f.NewStyle(&excelize.Style{Font: &excelize.Font{Color: "9C0006"}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}}})
	b.wrap, _ = b.f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	return b
}

// sheet adds a sheet with a header row and column widths, and returns a
// function that adds a row with the cells at the failed columns marked.
// The workbook's default sheet goes once the first sheet is added.
func (b *book) sheet(name string, header []any, widths ...float64) (func(row []any, failed ...int), error) {
	if _, err := b.f.NewSheet(name); err != nil {
		return nil, err
	}
	_ = b.f.DeleteSheet("Sheet1")
	_ = b.f.SetSheetRow(name, "A1", &header)
	end, _ := excelize.CoordinatesToCellName(len(header), 1)
	_ = b.f.SetCellStyle(name, "A1", end, b.head)
	for i, wd := range widths {
		col := letter(i)
		_ = b.f.SetColWidth(name, col, col, wd)
	}
	n := 1
	return func(row []any, failed ...int) {
		n++
		ref, _ := excelize.CoordinatesToCellName(1, n)
		_ = b.f.SetSheetRow(name, ref, &row)
		for _, c := range failed {
			cell, _ := excelize.CoordinatesToCellName(c+1, n)
			_ = b.f.SetCellStyle(name, cell, cell, b.bad)
		}
	}, nil
}

// failedIf marks the verdict column (the second) of a failed row.
func failedIf(s evaluation.Status) []int {
	if s == evaluation.Fail {
		return []int{1}
	}
	return nil
}

// verdictSheet is 评估结论: the verdict of the whole, of each dimension,
// of the scored part and of every veto item.
func verdictSheet(title string) func(*book, *evaluation.Profile, *evaluation.Result) error {
	return func(b *book, p *evaluation.Profile, r *evaluation.Result) error {
		add, err := b.sheet("评估结论", []any{"项目", "结论", "说明"}, 30, 12, 80)
		if err != nil {
			return err
		}
		add([]any{title, "", p.Name})
		add([]any{"总体结论", r.Verdict.Name(), ""}, failedIf(r.Verdict)...)
		for _, d := range r.Dimensions {
			add([]any{d.Name, d.Status.Name(), ""}, failedIf(d.Status)...)
		}
		if r.Score != nil {
			add([]any{"B类指标计分", r.Score.Status.Name(), fmt.Sprintf("%s / %s 分，等级：%s", r.Score.TotalShown, evaluation.Num(r.Score.Max), gradeName(r.Score))}, failedIf(r.Score.Status)...)
		}
		for _, v := range r.Vetoes {
			st := "不存在"
			switch v.Status {
			case evaluation.Fail:
				st = "存在"
			case evaluation.Missing:
				st = "待填报"
			}
			add([]any{"否决项：" + v.Name, st, v.Note}, failedIf(v.Status)...)
		}
		return nil
	}
}

// schoolSheet is 学校指标: each school part's seven resource values, the
// ones below standard marked.
func schoolSheet(b *book, p *evaluation.Profile, r *evaluation.Result) error {
	header := []any{"学校", "学段", "在校生数"}
	for _, r := range evaluation.Resources {
		s := p.Standard(r)
		header = append(header, fmt.Sprintf("%s（%s）", s.Name, s.Unit))
	}
	header = append(header, "达标项数", "结论")
	add, err := b.sheet("学校指标", header, 24, 8, 10, 14, 14, 14, 14, 14, 14, 14, 10, 10)
	if err != nil {
		return err
	}
	for _, pt := range r.Resources.Parts {
		row := []any{pt.Name, pt.Level.Name(), pt.Students}
		var failed []int
		for k := range evaluation.Resources {
			row = append(row, round(pt.Value[k]))
			if !pt.Met[k] {
				failed = append(failed, 3+k)
			}
		}
		verdict := "达标"
		switch {
		case pt.Pending():
			verdict = "待填报"
		case !pt.Pass:
			verdict = "未达标"
			failed = append(failed, 11)
		}
		add(append(row, pt.MetN, verdict), failed...)
	}
	for _, e := range r.Resources.Excluded {
		add([]any{e.Name, "", "", e.Reason})
	}
	return nil
}

// spreadSheet is 差异系数: each level's and indicator's county value and
// coefficient of variation, with the schools that pull it up most.
func spreadSheet(b *book, p *evaluation.Profile, r *evaluation.Result) error {
	add, err := b.sheet("差异系数", []any{"学段", "指标", "学校数", "全县值", "标准", "差异系数", "上限", "结论", "拉高差异系数最多的学校"}, 8, 40, 8, 12, 10, 12, 8, 10, 60)
	if err != nil {
		return err
	}
	for _, sp := range r.Resources.Spreads {
		var cv evaluation.CountyValue
		for _, c := range r.Resources.County {
			if c.Level == sp.Level && c.Resource == sp.Resource {
				cv = c
			}
		}
		var pull []string
		for _, pu := range sp.Pullers {
			pull = append(pull, fmt.Sprintf("%s（%s，占 %.0f%%，若达均值差异系数为 %.4f）", pu.Name, evaluation.Num(pu.Value), pu.Share*100, pu.CVIfMean))
		}
		verdict, failed := "达标", []int(nil)
		if !sp.Met {
			verdict, failed = "超限", []int{5, 7}
		}
		if !cv.Met {
			failed = append(failed, 3)
		}
		add([]any{sp.Level.Name(), p.Standard(sp.Resource).Name, sp.Schools, round(cv.Value), cv.Standard, round4(sp.CV), sp.Limit, verdict, strings.Join(pull, "；")}, failed...)
	}
	return nil
}

// checkSheet is 指标核查: every check of every indicator, and each scored
// indicator's points.
func checkSheet(b *book, p *evaluation.Profile, r *evaluation.Result) error {
	add, err := b.sheet("指标核查", []any{"序号", "维度", "指标", "类别", "结论", "核查内容", "实际情况", "未达标情况", "佐证说明", "核查范围", "依据"}, 6, 12, 40, 6, 10, 40, 30, 60, 30, 30, 50)
	if err != nil {
		return err
	}
	dims := map[string]string{}
	for _, d := range p.Dimensions {
		dims[d.Key] = d.Name
	}
	for _, ir := range r.Indicators {
		if ir.Class == "B" {
			add([]any{ir.No, dims[ir.Dimension], ir.Name, "B", ir.Status.Name(), fmt.Sprintf("得分 %s / %s（至少 %s）", ir.ScoreShown, evaluation.Num(ir.Points()), evaluation.Num(ir.Floor)), "", "", ""}, failedIf4(ir.Status)...)
			continue
		}
		for _, c := range ir.Results {
			add([]any{ir.No, dims[ir.Dimension], ir.Name, "A", c.Status.Name(), c.Label, c.Value, strings.Join(c.Failures, "\n"), c.Note, c.Scope, c.Reason}, failedIf4(c.Status)...)
		}
	}
	_ = b.f.SetColStyle("指标核查", "F:K", b.wrap)
	return nil
}

// gapSheet is 整改清单: for each failing school and county value, what to
// add to pass and at what estimated cost.
func gapSheet(b *book, p *evaluation.Profile, r *evaluation.Result) error {
	add, err := b.sheet("整改清单", []any{"学校", "学段", "指标", "现值", "目标", "需增加", "单位", "估算费用（元）", "说明"}, 24, 8, 36, 10, 10, 12, 8, 14, 40)
	if err != nil {
		return err
	}
	for _, pl := range r.Gaps.Schools {
		for _, a := range pl.Actions {
			note := "达到标准"
			if a.Floor {
				note = "作为余项达到标准的 " + evaluation.Num(p.Resources.RemainderFloor*100) + "%"
			}
			add([]any{pl.Name, pl.Level.Name(), a.Indicator, round(a.Value), round(a.Target), a.Add, a.What + "（" + a.Quantity + "）", a.Cost, note})
		}
	}
	for _, a := range r.Gaps.County {
		add([]any{"全县", a.Level.Name(), a.Indicator, round(a.Value), round(a.Target), a.Add, a.What + "（" + a.Quantity + "）", a.Cost, "全县值达到标准"})
	}
	if p.CostNote != "" {
		add([]any{"注：" + p.CostNote})
	}
	return nil
}

func failedIf4(s evaluation.Status) []int {
	if s == evaluation.Fail {
		return []int{4}
	}
	return nil
}

func gradeName(s *evaluation.ScoreResult) string {
	switch {
	case s.Status == evaluation.Missing:
		return "待填报"
	case s.Grade == "" && s.Why != "":
		return "不定等（" + s.Why + "）"
	case s.Grade == "":
		return "不合格"
	}
	return s.Grade
}

func round(x float64) float64  { return float64(int64(x*100+0.5)) / 100 }
func round4(x float64) float64 { return float64(int64(x*10000+0.5)) / 10000 }
