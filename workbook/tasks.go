package workbook

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/xuri/excelize/v2"

	"renke/assessment"
)

// TaskSheet is the sheet of the annual task list (年度任务清单).
const TaskSheet = "年度任务清单"

// TaskHeaders are the columns of the annual task list, exactly as seed 000
// (附件2) has them.
var TaskHeaders = []string{"序号", "主要任务", "工作目标", "责任部门", "配合部门", "完成时间"}

// taskAliases are other headers counties use for a column: the seed's
// second list names 责任单位 and has no 配合部门.
var taskAliases = map[string]string{"责任单位": "责任部门", "牵头单位": "责任部门", "牵头部门": "责任部门",
	"配合单位": "配合部门", "完成时限": "完成时间"}

// ParseTasks reads an annual task list: its header row (within the first
// five rows, under any title) names the seed's columns (配合部门 may be
// absent); then one task per row. Every problem is named by row and
// column; if there is any, no task is returned.
func ParseTasks(r io.Reader) ([]assessment.Task, error) {
	rows, err := readSheet(r, TaskSheet)
	if err != nil {
		return nil, err
	}
	return parseTaskRows(rows)
}

func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

func parseTaskRows(rows [][]string) ([]assessment.Task, error) {
	head := -1
	at := map[string]int{}
	for i := 0; i < len(rows) && i < 5 && head < 0; i++ {
		cols := map[string]int{}
		for j, h := range rows[i] {
			h = squeeze(h)
			if a, ok := taskAliases[h]; ok {
				h = a
			}
			if _, dup := cols[h]; !dup && h != "" {
				cols[h] = j
			}
		}
		if _, ok := cols["主要任务"]; ok {
			head, at = i, cols
		}
	}
	if head < 0 {
		return nil, &ImportError{Problems: []CellError{{Row: 1, Message: "前 5 行中没有列标题行：应有“序号、主要任务、工作目标、责任部门、配合部门、完成时间”六列（可先导出任务清单作为模板）"}}}
	}
	var probs []CellError
	for _, h := range TaskHeaders {
		if _, ok := at[h]; !ok && h != "配合部门" {
			probs = append(probs, CellError{Row: head + 1, Message: fmt.Sprintf("缺少列“%s”", h)})
		}
	}
	if len(probs) > 0 {
		return nil, &ImportError{Problems: probs}
	}
	if len(rows)-head-1 > MaxRows {
		return nil, &ImportError{Problems: []CellError{{Row: head + MaxRows + 2, Message: fmt.Sprintf("最多 %d 项任务", MaxRows)}}}
	}
	var out []assessment.Task
	seen := map[int]int{}
	for n, row := range rows[head+1:] {
		line := head + n + 2
		cell := func(h string) string {
			if i, ok := at[h]; ok && i < len(row) {
				return strings.TrimSpace(row[i])
			}
			return ""
		}
		empty := true
		for _, h := range TaskHeaders {
			empty = empty && cell(h) == ""
		}
		if empty {
			continue
		}
		bad := func(h, msg string) {
			probs = append(probs, CellError{Row: line, Column: letter(at[h]), Header: h, Message: msg})
		}
		t := assessment.Task{Title: cell("主要任务"), Goal: cell("工作目标"), Lead: assessment.Departments(cell("责任部门")),
			Partners: assessment.Departments(cell("配合部门")), DueText: cell("完成时间")}
		no := strings.TrimRight(cell("序号"), ".、．")
		x, err := strconv.ParseFloat(no, 64)
		switch {
		case no == "":
			bad("序号", "不能为空")
		case err != nil || x < 1 || x != float64(int(x)) || x > 100000:
			bad("序号", fmt.Sprintf("“%s”应为正整数", cell("序号")))
		default:
			t.No = int(x)
			if first, dup := seen[t.No]; dup {
				bad("序号", fmt.Sprintf("与第 %d 行的序号重复", first))
			}
			seen[t.No] = line
		}
		if d, err := excelDate(t.DueText); err == nil {
			t.DueText = d // a date cell reads as its serial: keep the day
		}
		for _, fe := range t.Validate() {
			if fe.Column == "序号" {
				continue
			}
			bad(fe.Column, fe.Message)
		}
		if len(probs) >= maxProblems {
			break
		}
		out = append(out, t)
	}
	if len(probs) > 0 {
		return nil, &ImportError{Problems: probs}
	}
	if len(out) == 0 {
		return nil, &ImportError{Problems: []CellError{{Row: head + 2, Message: "没有任务：请从列标题下一行起每项任务填写一行"}}}
	}
	return out, nil
}

// excelDate reads a date cell's serial as the day it is ("2025年6月30日").
func excelDate(s string) (string, error) {
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || x < 36526 || x > 73051 {
		return "", fmt.Errorf("not a date serial")
	}
	t, err := excelize.ExcelDateToTime(x, false)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day()), nil
}

// Tasks writes the annual task list in the seed's columns, so that it
// imports back as it is, and a second sheet with each task's status on
// day now, its problems and indicators.
func Tasks(w io.Writer, tasks []assessment.Task, now time.Time) error {
	b := newBook()
	defer b.f.Close()
	header := make([]any, len(TaskHeaders))
	for i, h := range TaskHeaders {
		header[i] = h
	}
	list, err := b.sheet(TaskSheet, header, 6, 28, 60, 24, 24, 14)
	if err != nil {
		return err
	}
	for _, t := range tasks {
		list([]any{t.No, t.Title, t.Goal, strings.Join(t.Lead, "、"), strings.Join(t.Partners, "、"), t.DueText})
	}
	add, err := b.sheet("进展与销号", []any{"序号", "主要任务", "状态", "完成日期", "关联问题数", "关联指标", "销号说明"}, 6, 28, 10, 12, 10, 16, 40)
	if err != nil {
		return err
	}
	for _, t := range tasks {
		due := "长期"
		if t.Due != nil {
			due = t.Due.Format("2006-01-02")
		}
		how := ""
		if t.StruckAt != nil {
			how = t.Reason
		}
		st := assessment.TaskStatus(t, now)
		var failed []int
		if st == "逾期" {
			failed = []int{2}
		}
		add([]any{t.No, t.Title, st, due, len(t.Problems), strings.Join(t.Indicators, "、"), how}, failed...)
	}
	var buf bytes.Buffer
	if _, err := b.f.WriteTo(&buf); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}
