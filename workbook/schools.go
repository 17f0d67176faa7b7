// Package statistics keeps the school statistics (教育事业统计 and
// 教育经费统计) and the county findings the indicator evaluation reads:
// their storage, and the Excel workbooks bureaus exchange them in.
package workbook

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"renke/county"
	"renke/evaluation"
	"renke/sampling"
)

// SheetName is the sheet of the school workbook.
const SheetName = "学校统计"

type kind int

const (
	text kind = iota
	schoolType
	locale
	public
	yesNo
	integer
	decimal
)

// column is one column of the school workbook: its Chinese header, the
// evaluation.School field it fills, and a hint for the template.
type column struct {
	Header string
	Field  string
	Kind   kind
	Hint   string
	// Optional columns may be missing from a workbook made before they
	// were added: their figures are then blank.
	Optional bool
}

var columns = []column{
	{"学校名称", "Name", text, "与学校公章名称一致，每校一行，不可重复", required},
	{"学校类型", "Type", schoolType, "小学、初中、九年一贯制学校、十二年一贯制学校、完全中学、特殊教育学校、教学点", required},
	{"城乡类别", "Locale", locale, "城区、镇区、乡村", required},
	{"办学性质", "Public", public, "公办、民办", required},
	{"是否寄宿制", "Boarding", yesNo, "是、否", required},
	{"小学在校生数", "EnrolPrimary", integer, "人", required},
	{"初中在校生数", "EnrolJunior", integer, "人", required},
	{"高中在校生数", "EnrolSenior", integer, "人，完全中学、十二年一贯制学校填写", required},
	{"小学班级数", "ClassesPrimary", integer, "个", required},
	{"初中班级数", "ClassesJunior", integer, "个", required},
	{"小学最大班额", "LargestClassPrimary", integer, "人，人数最多的小学班级", required},
	{"初中最大班额", "LargestClassJunior", integer, "人，人数最多的初中班级", required},
	{"小学专任教师数", "TeachersPrimary", integer, "人，按任教学段计", required},
	{"小学专科及以上学历教师数", "QualifiedPrimary", integer, "人，高于规定学历", required},
	{"小学县级以上骨干教师数", "KeyPrimary", integer, "人", required},
	{"小学体育艺术专任教师数", "PEArtsPrimary", integer, "人，体育、音乐、美术", required},
	{"初中专任教师数", "TeachersJunior", integer, "人，按任教学段计", required},
	{"初中本科及以上学历教师数", "QualifiedJunior", integer, "人，高于规定学历", required},
	{"初中县级以上骨干教师数", "KeyJunior", integer, "人", required},
	{"初中体育艺术专任教师数", "PEArtsJunior", integer, "人，体育、音乐、美术", required},
	{"持有教师资格证专任教师数", "Certified", integer, "人，小学与初中合计", required},
	{"教学及辅助用房面积", "TeachingArea", decimal, "平方米，全校", required},
	{"体育运动场馆面积", "SportsArea", decimal, "平方米，全校", required},
	{"教学仪器设备值", "EquipmentValue", decimal, "元，全校", required},
	{"网络多媒体教室数", "MultimediaRooms", integer, "间，全校", required},
	{"音乐专用教室数", "MusicRooms", integer, "间", required},
	{"最小音乐教室面积", "MusicRoomMinArea", decimal, "平方米，面积最小的一间", required},
	{"美术专用教室数", "ArtRooms", integer, "间", required},
	{"最小美术教室面积", "ArtRoomMinArea", decimal, "平方米，面积最小的一间", required},
	{"年度公用经费", "OperatingFunds", decimal, "元", required},
	{"教师培训经费", "TrainingFunds", decimal, "元", required},
	// The class-size bands (消除大班额台账) came later: a workbook without
	// them imports with the bands unknown.
	{"45人及以下班级数", "ClassesTo45", integer, "个，按班额分段的班级数，小学与初中合计（此四列可不填）", optional},
	{"46至55人班级数", "Classes46To55", integer, "个", optional},
	{"56至65人班级数", "Classes56To65", integer, "个，大班额", optional},
	{"66人及以上班级数", "Classes66Up", integer, "个，超大班额", optional},
}

const (
	required = false
	optional = true
)

// layout is one kind of school workbook: its sheet, its columns, the
// checks across a row's cells, and the note on how to fill it in.
type layout struct {
	sheet   string
	columns []column
	check   func(*evaluation.School) []CellError
	note    string
}

var statsLayout = layout{sheet: SheetName, columns: columns, check: consistency,
	note: "每校一行，一个学年一个文件；导入时该学年原有数据整体替换。九年一贯制等学校的教师按任教学段分别填写，校舍、设备按全校填写，系统按评估办法的折算比例分摊。任何一行有误时不导入任何数据，并按行、列列出错误。"}

// Headers lists the workbook's column headers in order.
func Headers() []string { return statsLayout.headers() }

func (l layout) headers() []string {
	out := make([]string, len(l.columns))
	for i, c := range l.columns {
		out[i] = c.Header
	}
	return out
}

var (
	typeByName   = map[string]county.SchoolType{}
	localeNames  = map[sampling.Locale]string{sampling.Urban: "城区", sampling.Town: "镇区", sampling.Rural: "乡村"}
	localeByName = map[string]sampling.Locale{"城区": sampling.Urban, "镇区": sampling.Town, "乡村": sampling.Rural, "农村": sampling.Rural}
)

func init() {
	for _, t := range county.SchoolTypes {
		typeByName[t.Name()] = t
	}
}

// CellError is a problem with one cell (or a whole row, Column empty).
type CellError struct {
	Row     int    `json:"row"`
	Column  string `json:"column"` // the column letter, e.g. F
	Header  string `json:"header"`
	Message string `json:"message"`
}

func (e CellError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("第 %d 行：%s", e.Row, e.Message)
	}
	return fmt.Sprintf("第 %d 行 %s 列（%s）：%s", e.Row, e.Column, e.Header, e.Message)
}

// ImportError lists every problem found in a workbook; nothing is saved.
type ImportError struct{ Problems []CellError }

func (e *ImportError) Error() string {
	return fmt.Sprintf("工作簿有 %d 处错误，未导入任何数据", len(e.Problems))
}

// MaxRows bounds a workbook: a county has a few hundred schools.
const MaxRows = 5000

// maxProblems bounds the error list, so a wrong file gives a readable answer.
const maxProblems = 200

func letter(i int) string {
	n, _ := excelize.ColumnNumberToName(i + 1)
	return n
}

// Parse reads a school workbook. Every problem is reported by row and
// column in Chinese; if there is any, no school is returned.
func ParseSchools(r io.Reader) ([]evaluation.School, error) { return statsLayout.parse(r) }

func (l layout) parse(r io.Reader) ([]evaluation.School, error) {
	rows, err := readSheet(r, l.sheet)
	if err != nil {
		return nil, err
	}
	return l.parseRows(rows)
}

// readSheet reads the rows of a workbook's sheet (its first sheet when
// none has the name), within the limits of collectRows.
func readSheet(r io.Reader, sheet string) ([][]string, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if err := checkUnpacked(b); err != nil {
		return nil, err
	}
	// A sheet larger than UnzipXMLSizeLimit is unpacked to a temporary
	// file, not into memory, and its rows are read one at a time, so a
	// workbook that claims a million rows costs the rows read before the
	// limit, whatever its size.
	f, err := excelize.OpenReader(bytes.NewReader(b), excelize.Options{UnzipSizeLimit: maxUnpacked, UnzipXMLSizeLimit: 1 << 20})
	if err != nil {
		return nil, unreadable()
	}
	defer f.Close()
	if idx, _ := f.GetSheetIndex(sheet); idx < 0 {
		sheet = f.GetSheetList()[0]
	}
	it, err := f.Rows(sheet)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	return collectRows(func() ([]string, bool, error) {
		if !it.Next() {
			return nil, false, it.Error()
		}
		row, err := it.Columns(excelize.Options{RawCellValue: true})
		return row, true, err
	})
}

// maxCells bounds the cells read from one file, whatever its rows hold.
const maxCells = 200_000

// What a workbook may unpack to, read from its zip directory before any
// part is opened (archive/zip then refuses a part longer than its entry
// says): text compresses a thousandfold, so a 200 KB upload can hold a
// 200 MB shared string. A sheet may be large, as it is unpacked to a
// temporary file and read row by row; every other part, the shared
// strings among them, is read into memory whole, so it is kept small.
const (
	maxSheetPart = 64 << 20
	maxOtherPart = 8 << 20
	maxUnpacked  = 128 << 20
	maxCellChars = 32_767 // Excel's own limit of one cell
)

func unreadable() error {
	return &ImportError{Problems: []CellError{{Row: 0, Message: "无法读取文件，请上传 .xlsx 格式的 Excel 工作簿（可先下载模板）"}}}
}

// checkUnpacked refuses a workbook whose parts would unpack past the
// limits, naming the part, before anything is unpacked.
func checkUnpacked(b []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return unreadable()
	}
	var total uint64
	for _, f := range zr.File {
		limit := uint64(maxOtherPart)
		if strings.HasPrefix(f.Name, "xl/worksheets/") {
			limit = maxSheetPart
		}
		total += f.UncompressedSize64
		if f.UncompressedSize64 > limit || total > maxUnpacked {
			return &ImportError{Problems: []CellError{{Row: 0, Message: fmt.Sprintf(
				"文件内容过大：其中 %s 解压后有 %.1f MB（上限 %d MB），请只保留模板中的列和数据，或另存为新的工作簿后再上传",
				f.Name, float64(f.UncompressedSize64)/(1<<20), limit>>20)}}}
		}
	}
	return nil
}

// collectRows reads rows from next until it has none, or until the file
// has shown it is over the limits: one row past MaxRows (after the
// header), or more than maxCells cells. It stops reading there, so the
// rest of a huge file is never read.
func collectRows(next func() (row []string, ok bool, err error)) ([][]string, error) {
	var rows [][]string
	cells := 0
	for len(rows) <= MaxRows+1 {
		row, ok, err := next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return rows, nil
		}
		if cells += len(row); cells > maxCells {
			return nil, &ImportError{Problems: []CellError{{Row: len(rows) + 1, Message: fmt.Sprintf("文件的单元格过多（超过 %d 个），请只保留模板中的列和学校", maxCells)}}}
		}
		for i, c := range row {
			if len(c) > maxCellChars && utf8.RuneCountInString(c) > maxCellChars {
				return nil, &ImportError{Problems: []CellError{{Row: len(rows) + 1, Column: letter(i),
					Message: fmt.Sprintf("单元格有 %d 个字符，超过 Excel 的上限 %d，请检查文件", utf8.RuneCountInString(c), maxCellChars)}}}
			}
		}
		rows = append(rows, row)
	}
	return rows, nil // over MaxRows: parseRows says so
}

func parseRows(rows [][]string) ([]evaluation.School, error) { return statsLayout.parseRows(rows) }

// headed reads a sheet's header row: the column of each header, or an
// ImportError that names an empty sheet or every header missing.
func headed(rows [][]string, headers []string) (map[string]int, error) {
	if len(rows) == 0 {
		return nil, &ImportError{Problems: []CellError{{Row: 1, Message: "工作表是空的，第 1 行应为列标题"}}}
	}
	at := map[string]int{}
	for i, h := range rows[0] {
		at[strings.TrimSpace(h)] = i
	}
	var probs []CellError
	for _, h := range headers {
		if _, ok := at[h]; !ok {
			probs = append(probs, CellError{Row: 1, Message: fmt.Sprintf("缺少列“%s”，请使用模板的列标题", h)})
		}
	}
	if len(probs) > 0 {
		return nil, &ImportError{Problems: probs}
	}
	return at, nil
}

func (l layout) parseRows(rows [][]string) ([]evaluation.School, error) {
	var probs []CellError
	var required []string
	for _, c := range l.columns {
		if !c.Optional {
			required = append(required, c.Header)
		}
	}
	at, err := headed(rows, required)
	if err != nil {
		return nil, err
	}
	if len(rows)-1 > MaxRows {
		return nil, &ImportError{Problems: []CellError{{Row: MaxRows + 2, Message: fmt.Sprintf("最多 %d 所学校", MaxRows)}}}
	}
	var out []evaluation.School
	seen := map[string]int{}
	for n, row := range rows[1:] {
		line := n + 2
		cell := func(c column) string {
			if i, ok := at[c.Header]; ok && i < len(row) {
				return strings.TrimSpace(row[i])
			}
			return ""
		}
		empty := true
		for _, c := range l.columns {
			if cell(c) != "" {
				empty = false
			}
		}
		if empty {
			continue
		}
		rowProbs := 0
		s := readRow(l.columns, cell, func(c column, msg string) {
			probs = append(probs, CellError{Row: line, Column: letter(at[c.Header]), Header: c.Header, Message: msg})
			rowProbs++
		})
		if rowProbs == 0 {
			for _, p := range l.check(&s) {
				if p.Header != "" {
					p.Column = letter(at[p.Header])
				}
				p.Row = line
				probs = append(probs, p)
			}
		}
		if s.Name != "" {
			if first, dup := seen[s.Name]; dup {
				probs = append(probs, CellError{Row: line, Column: letter(at["学校名称"]), Header: "学校名称", Message: fmt.Sprintf("与第 %d 行重名", first)})
			} else {
				seen[s.Name] = line
			}
		}
		if len(probs) >= maxProblems {
			break
		}
		out = append(out, s)
	}
	if len(probs) > 0 {
		return nil, &ImportError{Problems: probs}
	}
	if len(out) == 0 {
		return nil, &ImportError{Problems: []CellError{{Row: 2, Message: "没有学校数据，请从第 2 行起每校填写一行"}}}
	}
	return out, nil
}

// readRow reads one school from its cells, telling bad about every cell
// that cannot be read.
func readRow(cols []column, cell func(column) string, bad func(column, string)) evaluation.School {
	var s evaluation.School
	v := reflect.ValueOf(&s).Elem()
	for _, c := range cols {
		raw := cell(c)
		fv := v.FieldByName(c.Field)
		switch c.Kind {
		case text:
			switch {
			case raw == "":
				bad(c, "不能为空")
			case !utf8.ValidString(raw) || strings.ContainsFunc(raw, unicode.IsControl):
				bad(c, "含有无法识别的字符，请重新输入")
			}
			fv.SetString(raw)
		case schoolType:
			t, ok := typeByName[raw]
			if !ok {
				bad(c, fmt.Sprintf("“%s”不是有效的学校类型，应为：%s", raw, c.Hint))
			}
			fv.SetString(string(t))
		case locale:
			l, ok := localeByName[raw]
			if !ok {
				bad(c, fmt.Sprintf("“%s”无效，应为城区、镇区或乡村", raw))
			}
			fv.SetString(string(l))
		case public, yesNo:
			yes, no := "是", "否"
			if c.Kind == public {
				yes, no = "公办", "民办"
			}
			if raw != yes && raw != no {
				bad(c, fmt.Sprintf("“%s”无效，应为%s或%s", raw, yes, no))
			}
			fv.SetBool(raw == yes)
		case integer:
			if raw == "" {
				s.Blank = append(s.Blank, c.Field) // not entered: 待填报, not 0
				continue
			}
			x, err := strconv.ParseFloat(raw, 64)
			if err != nil || x < 0 || x != math.Trunc(x) || x > 1e7 {
				bad(c, fmt.Sprintf("“%s”应为不小于 0 的整数", raw))
				continue
			}
			fv.SetInt(int64(x))
		case decimal:
			if raw == "" {
				s.Blank = append(s.Blank, c.Field)
				continue
			}
			x, err := strconv.ParseFloat(raw, 64)
			if err != nil || x < 0 || math.IsInf(x, 0) || x > 1e12 {
				bad(c, fmt.Sprintf("“%s”应为不小于 0 的数", raw))
				continue
			}
			fv.SetFloat(x)
		}
	}
	return s
}

// consistency finds figures that cannot all be true of one school.
func consistency(s *evaluation.School) []CellError {
	var out []CellError
	add := func(h, f string, a ...any) { out = append(out, CellError{Header: h, Message: fmt.Sprintf(f, a...)}) }
	cs := county.School{Name: s.Name, Type: s.Type, Locale: s.Locale, EnrolPrimary: int32(s.EnrolPrimary), EnrolJunior: int32(s.EnrolJunior)}
	if err := cs.Validate(); err != nil {
		add("", "%s", err.Error())
		return out
	}
	if s.Compulsory() == 0 {
		add("小学在校生数", "小学和初中在校生数不能都为 0")
	}
	if s.EnrolSenior > 0 && s.Type != county.CompleteMiddle && s.Type != county.TwelveYear {
		add("高中在校生数", "%s没有高中学段，应为 0", s.Type.Name())
	}
	for _, l := range evaluation.Levels {
		name := l.Name()
		enrol, classes, largest, teachers := s.EnrolPrimary, s.ClassesPrimary, s.LargestClassPrimary, s.TeachersPrimary
		type part struct {
			header string
			n      int
		}
		parts := []part{{"专科及以上学历教师数", s.QualifiedPrimary}, {"县级以上骨干教师数", s.KeyPrimary}, {"体育艺术专任教师数", s.PEArtsPrimary}}
		if l == evaluation.Junior {
			enrol, classes, largest, teachers = s.EnrolJunior, s.ClassesJunior, s.LargestClassJunior, s.TeachersJunior
			parts = []part{{"本科及以上学历教师数", s.QualifiedJunior}, {"县级以上骨干教师数", s.KeyJunior}, {"体育艺术专任教师数", s.PEArtsJunior}}
		}
		switch {
		case enrol > 0 && classes == 0:
			add(name+"班级数", "有%s在校生，班级数不能为 0", name)
		case enrol == 0 && classes > 0:
			add(name+"班级数", "没有%s在校生，班级数应为 0", name)
		case classes > enrol:
			add(name+"班级数", "班级数 %d 多于在校生数 %d", classes, enrol)
		}
		if largest > enrol {
			add(name+"最大班额", "最大班额 %d 大于%s在校生数 %d", largest, name, enrol)
		} else if classes > 0 && largest*classes < enrol {
			add(name+"最大班额", "最大班额 %d × 班级数 %d 小于在校生数 %d，请核对", largest, classes, enrol)
		}
		for _, p := range parts {
			if p.n > teachers {
				add(name+p.header, "%d 人，多于%s专任教师数 %d 人", p.n, name, teachers)
			}
		}
	}
	if bands := s.ClassesTo45 + s.Classes46To55 + s.Classes56To65 + s.Classes66Up; bands > 0 && bands != s.ClassesPrimary+s.ClassesJunior {
		add("45人及以下班级数", "按班额分段的班级数合计 %d，与小学、初中班级数合计 %d 不符", bands, s.ClassesPrimary+s.ClassesJunior)
	}
	largest := max(s.LargestClassPrimary, s.LargestClassJunior) // 0: not entered
	if s.Classes66Up > 0 && largest > 0 && largest < 66 {
		add("66人及以上班级数", "有 66 人及以上的班级，最大班额却不到 66 人，请核对")
	} else if s.Classes56To65 > 0 && largest > 0 && largest < 56 {
		add("56至65人班级数", "有 56 人及以上的班级，最大班额却不到 56 人，请核对")
	}
	if s.Certified > s.Teachers() {
		add("持有教师资格证专任教师数", "%d 人，多于小学、初中专任教师合计 %d 人", s.Certified, s.Teachers())
	}
	if s.MusicRooms > 0 && s.MusicRoomMinArea == 0 {
		add("最小音乐教室面积", "有音乐专用教室时须填写面积")
	}
	if s.ArtRooms > 0 && s.ArtRoomMinArea == 0 {
		add("最小美术教室面积", "有美术专用教室时须填写面积")
	}
	if s.TrainingFunds > s.OperatingFunds && s.OperatingFunds > 0 {
		add("教师培训经费", "大于年度公用经费，请核对")
	}
	return out
}

// cellValue is a school's value in column c, as written to a workbook.
func cellValue(s *evaluation.School, c column) any {
	fv := reflect.ValueOf(s).Elem().FieldByName(c.Field)
	switch c.Kind {
	case schoolType:
		return county.SchoolType(fv.String()).Name()
	case locale:
		return localeNames[sampling.Locale(fv.String())]
	case public:
		if fv.Bool() {
			return "公办"
		}
		return "民办"
	case yesNo:
		if fv.Bool() {
			return "是"
		}
		return "否"
	case integer, decimal:
		if slices.Contains(s.Blank, c.Field) {
			return "" // left blank, written back blank
		}
		if c.Kind == integer {
			return fv.Int()
		}
		return fv.Float()
	}
	return fv.String()
}

// Schools writes the school workbook: the header row, one row per school
// (none for the template), drop-down lists for the coded columns and a
// sheet that explains every column.
func Schools(w io.Writer, schools []evaluation.School) error {
	return statsLayout.workbook(w, schools)
}

func (l layout) workbook(w io.Writer, schools []evaluation.School) error {
	columns, SheetName := l.columns, l.sheet
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", SheetName); err != nil {
		return err
	}
	head, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "center"}})
	for i, c := range columns {
		ref, _ := excelize.CoordinatesToCellName(i+1, 1)
		if err := f.SetCellValue(SheetName, ref, c.Header); err != nil {
			return err
		}
	}
	last := letter(len(columns) - 1)
	_ = f.SetCellStyle(SheetName, "A1", last+"1", head)
	_ = f.SetColWidth(SheetName, "A", "A", 24)
	_ = f.SetColWidth(SheetName, "B", last, 14)
	_ = f.SetRowHeight(SheetName, 1, 42)
	_ = f.SetPanes(SheetName, &excelize.Panes{Freeze: true, Split: false, XSplit: 1, YSplit: 1, TopLeftCell: "B2", ActivePane: "bottomRight"})
	for r, s := range schools {
		row := make([]any, len(columns))
		for i, c := range columns {
			row[i] = cellValue(&s, c)
		}
		ref, _ := excelize.CoordinatesToCellName(1, r+2)
		if err := f.SetSheetRow(SheetName, ref, &row); err != nil {
			return err
		}
	}
	lists := map[kind][]string{
		schoolType: func() []string {
			var n []string
			for _, t := range county.SchoolTypes {
				n = append(n, t.Name())
			}
			return n
		}(),
		locale: {"城区", "镇区", "乡村"}, public: {"公办", "民办"}, yesNo: {"是", "否"},
	}
	for i, c := range columns {
		if l, ok := lists[c.Kind]; ok {
			dv := excelize.NewDataValidation(true)
			dv.Sqref = fmt.Sprintf("%s2:%s%d", letter(i), letter(i), MaxRows+1)
			if err := dv.SetDropList(l); err != nil {
				return err
			}
			dv.SetError(excelize.DataValidationErrorStyleStop, "请从列表中选择", c.Hint)
			if err := f.AddDataValidation(SheetName, dv); err != nil {
				return err
			}
		}
	}
	const notes = "填表说明"
	if _, err := f.NewSheet(notes); err != nil {
		return err
	}
	_ = f.SetSheetRow(notes, "A1", &[]any{"列", "列标题", "填写要求"})
	_ = f.SetCellStyle(notes, "A1", "C1", head)
	for i, c := range columns {
		_ = f.SetSheetRow(notes, fmt.Sprintf("A%d", i+2), &[]any{letter(i), c.Header, c.Hint})
	}
	n := len(columns) + 3
	_ = f.SetCellValue(notes, fmt.Sprintf("A%d", n), l.note)
	_ = f.SetColWidth(notes, "B", "B", 28)
	_ = f.SetColWidth(notes, "C", "C", 60)
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// IsImportError reports whether err lists a workbook's problems.
func IsImportError(err error) (*ImportError, bool) {
	var ie *ImportError
	ok := errors.As(err, &ie)
	return ie, ok
}
