package workbook_test

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"renke/county"
	"renke/demo"
	"renke/evaluation"
	"renke/sampling"
	"renke/workbook"
)

func TestWorkbookRoundTrip(t *testing.T) {
	want := demo.County(300, 7)
	var buf bytes.Buffer
	if err := workbook.Schools(&buf, want); err != nil {
		t.Fatal(err)
	}
	got, err := workbook.ParseSchools(&buf)
	if err != nil {
		if ie, ok := workbook.IsImportError(err); ok {
			t.Fatalf("%v: %v", err, ie.Problems[:min(5, len(ie.Problems))])
		}
		t.Fatal(err)
	}
	for i := range want {
		want[i].ID = 0
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip differs: first school %+v, want %+v", got[0], want[0])
	}
	// The template has the headers and no school.
	buf.Reset()
	if err := workbook.Schools(&buf, nil); err != nil {
		t.Fatal(err)
	}
	_, err = workbook.ParseSchools(&buf)
	if ie, ok := workbook.IsImportError(err); !ok || !strings.Contains(ie.Problems[0].Error(), "没有学校数据") {
		t.Errorf("empty template: %v", err)
	}
}

// workbook builds a file from the template's headers and rows of cells by header.
func sheetOf(t *testing.T, rows ...map[string]any) *bytes.Buffer {
	t.Helper()
	f := excelize.NewFile()
	for i, h := range workbook.Headers() {
		ref, _ := excelize.CoordinatesToCellName(i+1, 1)
		_ = f.SetCellValue("Sheet1", ref, h)
	}
	for r, row := range rows {
		for i, h := range workbook.Headers() {
			if v, ok := row[h]; ok {
				ref, _ := excelize.CoordinatesToCellName(i+1, r+2)
				_ = f.SetCellValue("Sheet1", ref, v)
			}
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return &buf
}

func goodRow(name string) map[string]any {
	return map[string]any{"学校名称": name, "学校类型": "小学", "城乡类别": "城区", "办学性质": "公办", "是否寄宿制": "否",
		"小学在校生数": 500, "小学班级数": 12, "小学最大班额": 45, "小学专任教师数": 30, "小学专科及以上学历教师数": 21,
		"小学县级以上骨干教师数": 5, "小学体育艺术专任教师数": 5, "持有教师资格证专任教师数": 30,
		"教学及辅助用房面积": 2250.5, "体育运动场馆面积": 3750, "教学仪器设备值": 1000000, "网络多媒体教室数": 12,
		"音乐专用教室数": 1, "最小音乐教室面积": 96, "美术专用教室数": 1, "最小美术教室面积": 90,
		"年度公用经费": 400000, "教师培训经费": 20000}
}

func TestParseReportsEveryProblemByRowAndColumn(t *testing.T) {
	ok := goodRow("甲小学")
	got, err := workbook.ParseSchools(sheetOf(t, ok))
	if err != nil || len(got) != 1 || got[0].TeachingArea != 2250.5 || got[0].Type != county.Primary || got[0].Locale != sampling.Urban || !got[0].Public {
		t.Fatalf("good row: %+v %v", got, err)
	}
	with := func(name string, kv ...any) map[string]any {
		r := goodRow(name)
		for i := 0; i < len(kv); i += 2 {
			r[kv[i].(string)] = kv[i+1]
		}
		return r
	}
	_, err = workbook.ParseSchools(sheetOf(t,
		ok,
		with("乙小学", "学校类型", "中学"),
		with("丙小学", "小学在校生数", -3),
		with("丁小学", "教学仪器设备值", "一百万"),
		with("甲小学"),
		with("戊小学", "小学县级以上骨干教师数", 31),
		with("己小学", "城乡类别", "郊区", "办学性质", "私立"),
		with("庚小学", "初中在校生数", 20),
		map[string]any{}, // a blank row is skipped
		with("辛小学", "小学班级数", 2.5),
	))
	ie, isImport := workbook.IsImportError(err)
	if !isImport {
		t.Fatalf("want an import error, got %v", err)
	}
	var lines []string
	for _, p := range ie.Problems {
		lines = append(lines, p.Error())
	}
	for _, want := range []string{
		"第 3 行 B 列（学校类型）：“中学”不是有效的学校类型",
		"第 4 行 F 列（小学在校生数）：“-3”应为不小于 0 的整数",
		"第 5 行 X 列（教学仪器设备值）：“一百万”应为不小于 0 的数",
		"第 6 行 A 列（学校名称）：与第 2 行重名",
		"第 7 行 O 列（小学县级以上骨干教师数）：31 人，多于小学专任教师数 30 人",
		"第 8 行 C 列（城乡类别）：“郊区”无效",
		"第 8 行 D 列（办学性质）：“私立”无效，应为公办或民办",
		"第 9 行：小学没有初中学段，初中在校生数应为 0",
		"第 11 行 I 列（小学班级数）：“2.5”应为不小于 0 的整数",
	} {
		found := false
		for _, l := range lines {
			if strings.HasPrefix(l, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("missing %q in:\n%s", want, strings.Join(lines, "\n"))
		}
	}
	if len(lines) != 9 {
		t.Errorf("%d problems, want 9:\n%s", len(lines), strings.Join(lines, "\n"))
	}

	// A missing column is named.
	f := excelize.NewFile()
	_ = f.SetSheetRow("Sheet1", "A1", &[]any{"学校名称", "学校类型"})
	var buf bytes.Buffer
	_, _ = f.WriteTo(&buf)
	_, err = workbook.ParseSchools(&buf)
	if ie, ok := workbook.IsImportError(err); !ok || !strings.Contains(ie.Problems[0].Message, "缺少列“城乡类别”") {
		t.Errorf("missing columns: %v", err)
	}
	// Not a workbook at all.
	_, err = workbook.ParseSchools(strings.NewReader("学校名称,学校类型\n"))
	if ie, ok := workbook.IsImportError(err); !ok || !strings.Contains(ie.Problems[0].Message, ".xlsx") {
		t.Errorf("a CSV file: %v", err)
	}
}

// A figure left blank imports as not entered: the indicator that needs it
// is 待填报, never evaluated as 0 and failed; written out again, the cell
// is blank.
func TestBlankCellIsNotZero(t *testing.T) {
	schools := demo.County(4, 7)
	var buf bytes.Buffer
	if err := workbook.Schools(&buf, schools); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, h := range workbook.Headers() {
		if h == "教学及辅助用房面积" {
			col = i + 1
		}
	}
	ref, _ := excelize.CoordinatesToCellName(col, 2) // the first school's
	if err := f.SetCellValue(workbook.SheetName, ref, ""); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := workbook.ParseSchools(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if first := got[0]; first.TeachingArea != 0 || len(first.Blank) != 1 || first.Blank[0] != "TeachingArea" {
		t.Fatalf("first school: area %v, blank %v", first.TeachingArea, first.Blank)
	}
	ps, err := evaluation.LoadProfiles("")
	if err != nil {
		t.Fatal(err)
	}
	nat, ok := ps.Get("national-2017")
	if !ok {
		t.Fatal("no national profile")
	}
	r := evaluation.Evaluate(nat, evaluation.Inputs{Schools: got})
	found := false
	for _, ir := range r.Indicators {
		for _, c := range ir.Results {
			if c.Rule == evaluation.RuleResource && strings.Contains(c.Label, "教学及辅助用房") && got[0].Compulsory() > 0 {
				found = true
				if c.Status != evaluation.Missing || !strings.HasPrefix(c.Value, "待填报："+got[0].Name) {
					t.Errorf("teaching area with one school blank: %s %q", c.Status, c.Value)
				}
			}
		}
	}
	if !found {
		t.Fatal("no teaching-area check in the national profile")
	}
	if failing := r.FailingSchools(got); slices.Contains(failing, got[0].Name) {
		t.Errorf("the school with a blank figure is counted as failing: %v", failing)
	}
	buf.Reset()
	if err := workbook.Schools(&buf, got); err != nil {
		t.Fatal(err)
	}
	back, _ := excelize.OpenReader(&buf)
	if v, _ := back.GetCellValue(workbook.SheetName, ref); v != "" {
		t.Errorf("written back as %q, want blank", v)
	}
}
