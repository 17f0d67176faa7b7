package workbook_test

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"renke/assessment"
	"renke/workbook"
)

// The task list written by Tasks reads back as the same tasks, and its
// first sheet has exactly the seed's six columns.
func TestTasksRoundTrip(t *testing.T) {
	want := []assessment.Task{
		{No: 1, Title: "加强党对教育工作全面领导", Goal: "落实党组织领导的校长负责制。\n把党的建设工作纳入学校章程。", Lead: []string{"区委组织部"}, Partners: []string{"区委教育工委"}, DueText: "2024年底"},
		{No: 2, Title: "优化义务教育学校布局规划", Goal: "区域内义务教育学校规划布局合理。", Lead: []string{"区教体局"},
			Partners: []string{"区发改委", "区自然资源局", "区住建局", "区农业农村局", "区财政局", "属地政府"}, DueText: "2026年底"},
		{No: 7, Title: "提高社会认可度", Lead: []string{"区教体局", "区政府办"}, DueText: "长期坚持"},
	}
	var buf bytes.Buffer
	if err := workbook.Tasks(&buf, want, time.Now()); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows(workbook.TaskSheet)
	if !slices.Equal(rows[0], workbook.TaskHeaders) || f.GetSheetList()[0] != workbook.TaskSheet {
		t.Errorf("first sheet %q, header %v", f.GetSheetList()[0], rows[0])
	}
	got, err := workbook.ParseTasks(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		w, g := want[i], got[i]
		if w.Partners == nil {
			w.Partners = g.Partners[:0:0]
		}
		if g.No != w.No || g.Title != w.Title || g.Goal != w.Goal || !reflect.DeepEqual(g.Lead, w.Lead) || len(g.Partners) != len(w.Partners) ||
			(len(w.Partners) > 0 && !reflect.DeepEqual(g.Partners, w.Partners)) || g.DueText != w.DueText {
			t.Errorf("task %d read back as %+v", w.No, g)
		}
	}
	if got[0].Due == nil || got[0].Due.Format("2006-01-02") != "2024-12-31" || got[2].Due != nil {
		t.Errorf("due dates %v %v", got[0].Due, got[2].Due)
	}
}

// A bad task list names every bad cell by row and column, and gives no task.
func TestTasksBadWorkbook(t *testing.T) {
	x := excelize.NewFile()
	_ = x.SetSheetRow("Sheet1", "A1", &[]any{"某区年度任务清单"})
	_ = x.SetSheetRow("Sheet1", "A2", &[]any{"序号", "主要任务", "工作目标", "责任单位", "完成时间"}) // the seed's second list: 责任单位, no 配合部门
	_ = x.SetSheetRow("Sheet1", "A3", &[]any{1, "优化布局", "合理", "区教体局", "2025年底"})
	_ = x.SetSheetRow("Sheet1", "A4", &[]any{2, "", "目标", "区教体局", "2025年底"})      // no 主要任务
	_ = x.SetSheetRow("Sheet1", "A5", &[]any{3, "化解大班额", "目标", "", "尽快"})         // no 责任单位, bad date
	_ = x.SetSheetRow("Sheet1", "A6", &[]any{1, "重复序号", "目标", "区财政局", "2025年6月"}) // 序号 1 again
	_ = x.SetSheetRow("Sheet1", "A7", &[]any{"一", "序号不是数", "目标", "区财政局", "2025年6月"})
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := workbook.ParseTasks(&buf)
	ie, ok := workbook.IsImportError(err)
	if !ok || got != nil {
		t.Fatalf("a bad list gave %d tasks, %v", len(got), err)
	}
	var where []string
	for _, p := range ie.Problems {
		where = append(where, fmt.Sprintf("%d%s", p.Row, p.Column))
	}
	if !slices.Equal(where, []string{"4B", "5E", "5D", "6A", "7A"}) {
		t.Errorf("problems at %v: %v", where, ie.Problems)
	}
	// A sheet without the columns says which are missing.
	x = excelize.NewFile()
	_ = x.SetSheetRow("Sheet1", "A1", &[]any{"序号", "主要任务"})
	buf.Reset()
	_, _ = x.WriteTo(&buf)
	if _, err := workbook.ParseTasks(&buf); err == nil {
		t.Error("a list without 工作目标, 责任部门 and 完成时间 was read")
	} else if ie, _ := workbook.IsImportError(err); len(ie.Problems) != 3 {
		t.Errorf("missing columns: %v", ie.Problems)
	}
}

// A school workbook made before the class-size columns imports, the bands
// blank (unknown), not zero.
func TestSchoolsWithoutClassBands(t *testing.T) {
	f := excelize.NewFile()
	row := goodRow("老模板小学")
	col := 0
	for _, h := range workbook.Headers() {
		if slices.Contains([]string{"45人及以下班级数", "46至55人班级数", "56至65人班级数", "66人及以上班级数"}, h) {
			continue
		}
		col++
		ref, _ := excelize.CoordinatesToCellName(col, 1)
		_ = f.SetCellValue("Sheet1", ref, h)
		if v, ok := row[h]; ok {
			ref, _ := excelize.CoordinatesToCellName(col, 2)
			_ = f.SetCellValue("Sheet1", ref, v)
		}
	}
	var buf bytes.Buffer
	_, _ = f.WriteTo(&buf)
	got, err := workbook.ParseSchools(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, fld := range []string{"ClassesTo45", "Classes46To55", "Classes56To65", "Classes66Up"} {
		if !slices.Contains(got[0].Blank, fld) {
			t.Errorf("%s not blank: %v", fld, got[0].Blank)
		}
	}
	// Bands that do not add up to the classes are refused.
	row["45人及以下班级数"], row["46至55人班级数"] = 10, 1 // 11 of 12 classes
	if _, err := workbook.ParseSchools(sheetOf(t, row)); err == nil {
		t.Error("bands of 11 classes for a school of 12 were read")
	}
	row["56至65人班级数"] = 1
	if _, err := workbook.ParseSchools(sheetOf(t, row)); err == nil {
		t.Error("a class of 56 or more with a largest class of 45 was read")
	}
}
