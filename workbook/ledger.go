package workbook

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"renke/assessment"
	"renke/evaluation"
)

func (b *book) write(w io.Writer) error {
	var buf bytes.Buffer
	if _, err := b.f.WriteTo(&buf); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func statusMark(st string) []int {
	switch st {
	case "未达标", "逾期", "待填报":
		return []int{3}
	}
	return nil
}

// problemRows writes the problem list: one row per problem with what the
// newest round found, how it stands and its history.
func problemRows(b *book, ps []assessment.Problem) error {
	add, err := b.sheet("问题清单", []any{"编号", "指标", "问题", "状态", "学校", "最新一轮发现", "差距清单", "首次发现", "销号", "各轮情况", "关联任务", "佐证材料"},
		6, 8, 36, 10, 20, 50, 36, 10, 30, 30, 12, 20)
	if err != nil {
		return err
	}
	for _, p := range ps {
		l := p.Latest()
		var hist, files []string
		for _, h := range p.History {
			hist = append(hist, fmt.Sprintf("第%d轮 %s", h.Round, h.Status.Name()))
		}
		for _, e := range p.Evidence {
			files = append(files, e.Name)
		}
		var tasks []string
		for _, t := range p.Tasks {
			tasks = append(tasks, fmt.Sprint(t))
		}
		st := p.State()
		add([]any{p.ID, p.Indicator, p.Title, st, p.Scope(), l.Figure, l.Gap, fmt.Sprintf("第 %d 轮", p.OpenedNo), p.How(),
			strings.Join(hist, "；"), strings.Join(tasks, "、"), strings.Join(files, "、")}, statusMark(st)...)
	}
	return nil
}

// Ledger writes a unit's ledger: 问题清单, 年度任务清单 in the seed's
// columns, 责任清单 by department, the tallies by indicator, the 大班额
// ledger and the rounds against their targets.
func Ledger(w io.Writer, l assessment.Ledger) error {
	b := newBook()
	defer b.f.Close()
	if err := problemRows(b, l.Problems); err != nil {
		return err
	}
	header := make([]any, len(TaskHeaders))
	for i, h := range TaskHeaders {
		header[i] = h
	}
	list, err := b.sheet(TaskSheet, append(header, "状态", "关联问题", "关联指标"), 6, 28, 60, 24, 24, 14, 10, 14, 14)
	if err != nil {
		return err
	}
	for _, t := range l.Tasks {
		var ps []string
		for _, id := range t.Problems {
			ps = append(ps, fmt.Sprint(id))
		}
		var bad []int
		if t.Status == "逾期" {
			bad = []int{6}
		}
		list([]any{t.No, t.Title, t.Goal, strings.Join(t.Lead, "、"), strings.Join(t.Partners, "、"), t.DueText, t.Status,
			strings.Join(ps, "、"), strings.Join(t.Indicators, "、")}, bad...)
	}
	dept, err := b.sheet("责任清单", []any{"责任部门", "牵头任务", "推进中或未开始", "待销号", "已销号", "逾期"}, 24, 10, 14, 10, 10, 10)
	if err != nil {
		return err
	}
	for _, d := range l.ByDepartment {
		var bad []int
		if d.Overdue > 0 {
			bad = []int{5}
		}
		dept([]any{d.Name, d.Tasks, d.Open, d.Awaiting, d.Struck, d.Overdue}, bad...)
	}
	ind, err := b.sheet("按指标统计", []any{"指标", "未销号", "待销号", "已销号"}, 10, 10, 10, 10)
	if err != nil {
		return err
	}
	for _, t := range l.ByIndicator {
		ind([]any{t.Name, t.Open, t.Awaiting, t.Struck})
	}
	if l.Classes != nil {
		cl, err := b.sheet("大班额台账", []any{"学校", "班级数", "56-65人大班额", "66人及以上超大班额", "占比"}, 28, 10, 14, 16, 10)
		if err != nil {
			return err
		}
		for _, s := range l.Classes.Schools {
			cl([]any{s.Name, s.Total, s.Large, s.Huge, round4(s.Share())}, 2, 3)
		}
		cl([]any{fmt.Sprintf("全县（%d 所学校按班额分段填报，%d 所未填）", l.Classes.Known, l.Classes.Unknown), l.Classes.Classes, l.Classes.Large, l.Classes.Huge, round4(l.Classes.Share())})
		cl([]any{fmt.Sprintf("大规模学校 %d 所：%s", len(l.LargeSchools), strings.Join(l.LargeSchools, "、"))})
	}
	tg, err := b.sheet("年度目标", []any{"轮次", "学年", "目标", "要求", "本轮", "结论"}, 8, 8, 28, 12, 30, 10)
	if err != nil {
		return err
	}
	for _, rt := range l.Targets {
		for _, line := range rt.Lines {
			tg([]any{rt.No, rt.Year, line.What, line.Target, line.Now, line.Status.Name()}, failedIf4(line.Status)...)
		}
	}
	return b.write(w)
}

// SchoolLedger writes one school's ledger (一校一策): its figures by round,
// its problems and their tasks.
func SchoolLedger(w io.Writer, sl assessment.SchoolLedger) error {
	b := newBook()
	defer b.f.Close()
	header := []any{"轮次", "学年", "是否达标", "问题数", "义务教育在校生", "班级数", "最大班额", "56人及以上班级"}
	for _, in := range sl.Indicators {
		header = append(header, "指标 "+in+"（小学）", "指标 "+in+"（初中）")
	}
	add, err := b.sheet("各轮数据", header, 8, 8, 10, 8, 14, 8, 10, 14)
	if err != nil {
		return err
	}
	for _, r := range sl.Rounds {
		if !r.Present {
			add([]any{r.No, r.Year, "本轮无此校"})
			continue
		}
		up := "达标"
		if !r.UpToStandard {
			up = "未达标"
		}
		large := any("未填")
		if r.Bands != nil {
			large = r.Bands.Large + r.Bands.Huge
		}
		row := []any{r.No, r.Year, up, r.Shortfalls, r.Enrol, r.Classes, r.Largest, large}
		for k := range sl.Indicators {
			for _, l := range evaluation.Levels {
				v := any("")
				for _, pt := range r.Parts {
					if pt.Level == l && k < len(pt.Value) && !pt.Blank[k] {
						v = round(pt.Value[k])
					}
				}
				row = append(row, v)
			}
		}
		var bad []int
		if !r.UpToStandard {
			bad = []int{2}
		}
		add(row, bad...)
	}
	if err := problemRows(b, sl.Problems); err != nil {
		return err
	}
	tl, err := b.sheet("整改任务", []any{"序号", "主要任务", "工作目标", "责任部门", "完成时间", "状态"}, 6, 28, 50, 20, 14, 10)
	if err != nil {
		return err
	}
	for _, t := range sl.Tasks {
		tl([]any{t.No, t.Title, t.Goal, strings.Join(t.Lead, "、"), t.DueText, t.Status}, statusMark(t.Status)...)
	}
	return b.write(w)
}

// RegionLedger writes a region's roll-up of its units' year.
func RegionLedger(w io.Writer, rows []assessment.UnitStanding) error {
	b := newBook()
	defer b.f.Close()
	add, err := b.sheet("各单位整改台账", []any{"单位代码", "单位", "已冻结轮次", "最新一轮结论", "未销号问题", "已销号问题", "任务", "逾期任务", "已销号任务", "各轮达标学校", "申报与复核"},
		12, 20, 10, 12, 10, 10, 8, 10, 10, 50, 20)
	if err != nil {
		return err
	}
	for _, r := range rows {
		verdict := "尚未冻结"
		if l := r.Latest(); l != nil {
			verdict = fmt.Sprintf("第%d轮 %s", l.No, l.Verdict.Name())
		}
		var by []string
		for _, sd := range r.Rounds {
			by = append(by, fmt.Sprintf("第%d轮 %d/%d", sd.No, sd.Measures.UpToStandard, sd.Measures.Schools))
		}
		var bad []int
		if r.Overdue > 0 {
			bad = []int{7}
		}
		stage := "未签发"
		if r.Stage != "" {
			stage = fmt.Sprintf("第%d轮 %s", r.Submitted, r.Stage.Name())
		}
		add([]any{r.Unit.Code, r.Unit.Name, len(r.Rounds), verdict, r.Open, r.Struck, r.Tasks, r.Overdue, r.TasksDone, strings.Join(by, "；"), stage}, bad...)
	}
	return b.write(w)
}
