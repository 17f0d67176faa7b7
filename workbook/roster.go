package workbook

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"

	"renke/county"
	"renke/evaluation"
)

// RosterSheet is the sheet of the school roster (学校名单) a survey draws
// its schools from: the first columns of the statistics workbook, so a
// bureau can paste either into the other.
const RosterSheet = "学校名单"

var rosterLayout = layout{sheet: RosterSheet, check: rosterCheck,
	columns: func() []column {
		var out []column
		for _, c := range columns {
			if slices.Contains([]string{"学校名称", "学校类型", "城乡类别", "办学性质", "小学在校生数", "初中在校生数"}, c.Header) {
				out = append(out, c)
			}
		}
		return out
	}(),
	note: "每校一行，学校名称不可重复。导入时按名称匹配：已有的学校更新类型、城乡类别和在校生数，新学校自动添加，名单中没有的学校保留不动。任何一行有误时不导入任何数据，并按行、列列出错误。也可另存为 CSV（逗号分隔，UTF-8 或 GBK 编码）后导入。"}

func rosterCheck(s *evaluation.School) []CellError {
	cs := rosterSchool(*s)
	if err := cs.Validate(); err != nil {
		return []CellError{{Message: err.Error()}}
	}
	if s.Compulsory() == 0 {
		return []CellError{{Header: "小学在校生数", Message: "小学和初中在校生数不能都为 0"}}
	}
	return nil
}

func rosterSchool(s evaluation.School) county.School {
	return county.School{Name: s.Name, Type: s.Type, Locale: s.Locale, Public: s.Public,
		EnrolPrimary: int32(s.EnrolPrimary), EnrolJunior: int32(s.EnrolJunior)}
}

// RosterHeaders lists the roster's column headers in order.
func RosterHeaders() []string { return rosterLayout.headers() }

// ParseRoster reads a school roster from an XLSX workbook or, when isCSV,
// a CSV file in UTF-8 (with or without BOM) or GBK, as Excel saves it on
// Chinese Windows. Every problem is reported by row and column in
// Chinese; if there is any, no school is returned.
func ParseRoster(r io.Reader, isCSV bool) ([]county.School, error) {
	var list []evaluation.School
	var err error
	if isCSV {
		list, err = parseCSV(r)
	} else {
		list, err = rosterLayout.parse(r)
	}
	if err != nil {
		return nil, err
	}
	out := make([]county.School, len(list))
	for i, s := range list {
		out[i] = rosterSchool(s)
	}
	return out, nil
}

func parseCSV(r io.Reader) ([]evaluation.School, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\uFEFF")) {
		_, _ = br.Discard(3)
	}
	// Excel on Chinese Windows saves CSV in GBK: decide from the start of
	// the file, as far as it goes (a character may be cut at its end).
	head, _ := br.Peek(64 << 10)
	var src io.Reader = br
	if !validUTF8Prefix(head) {
		src = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
	}
	cr := csv.NewReader(src)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	rows, err := collectRows(func() ([]string, bool, error) {
		row, err := cr.Read()
		if err == io.EOF {
			return nil, false, nil
		}
		if err != nil {
			line := 0
			if pe, ok := err.(*csv.ParseError); ok {
				line = pe.Line
			}
			return nil, false, &ImportError{Problems: []CellError{{Row: line, Message: fmt.Sprintf("CSV 格式有误（%v），请用 Excel 另存为“CSV（逗号分隔）”", err)}}}
		}
		for _, cell := range row {
			if !utf8.ValidString(cell) {
				return nil, false, &ImportError{Problems: []CellError{{Message: "无法识别文件编码，请另存为 UTF-8 编码的 CSV"}}}
			}
		}
		return row, true, nil
	})
	if err != nil {
		return nil, err
	}
	return rosterLayout.parseRows(rows)
}

// validUTF8Prefix reports whether b is UTF-8 but for a character cut at
// its end.
func validUTF8Prefix(b []byte) bool {
	for i := 0; i < 3 && len(b) > 0 && !utf8.Valid(b); i++ {
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}

// Roster writes the roster workbook: the template when schools is
// empty, otherwise the unit's schools.
func Roster(w io.Writer, schools []county.School) error {
	list := make([]evaluation.School, len(schools))
	for i, s := range schools {
		list[i] = evaluation.School{Name: s.Name, Type: s.Type, Locale: s.Locale, Public: s.Public,
			EnrolPrimary: int(s.EnrolPrimary), EnrolJunior: int(s.EnrolJunior)}
	}
	return rosterLayout.workbook(w, list)
}

// RegionCodeHeader and RegionUnitHeader are the two columns a region's
// roster adds before the school's: the unit's division code, which the
// import reads, and its name, for the reader (the import ignores it).
const (
	RegionCodeHeader = "行政区划代码"
	RegionUnitHeader = "单位名称"
)

var sameNameLine = regexp.MustCompile(`与第 (\d+) 行重名`)

// ParseRegionRoster reads the school rosters of a region's units from one
// workbook: the roster's columns with the unit's division code in front.
// Each code must be one of the region's units (known); each unit's
// schools are checked as its own roster is, with names unique within the
// unit. Every problem is reported by the workbook's row and column; if
// there is any, nothing is returned. The answer is each code's schools.
func ParseRegionRoster(r io.Reader, known func(code string) bool) (map[string][]county.School, error) {
	rows, err := readSheet(r, RosterSheet)
	if err != nil {
		return nil, err
	}
	at, err := headed(rows, append([]string{RegionCodeHeader}, rosterLayout.headers()...))
	if err != nil {
		return nil, err
	}
	var probs []CellError
	if len(rows)-1 > MaxRows {
		return nil, &ImportError{Problems: []CellError{{Row: MaxRows + 2, Message: fmt.Sprintf("最多 %d 所学校", MaxRows)}}}
	}
	// Rows by unit, each with its line in the workbook.
	type group struct {
		rows  [][]string
		lines []int
	}
	groups := map[string]*group{}
	var order []string
	codeCol := at[RegionCodeHeader]
	for n, row := range rows[1:] {
		line := n + 2
		code := ""
		if codeCol < len(row) {
			code = strings.TrimSpace(row[codeCol])
		}
		empty := true
		for _, c := range rosterLayout.columns {
			if i := at[c.Header]; i < len(row) && strings.TrimSpace(row[i]) != "" {
				empty = false
			}
		}
		switch {
		case empty:
			continue
		case code == "":
			probs = append(probs, CellError{Row: line, Column: letter(codeCol), Header: RegionCodeHeader, Message: "不能为空：请填写学校所属县（区）的行政区划代码"})
			continue
		case !known(code):
			probs = append(probs, CellError{Row: line, Column: letter(codeCol), Header: RegionCodeHeader,
				Message: fmt.Sprintf("%s 不是本地区已有的评价单位，请先导入评价单位名单", code)})
			continue
		}
		g := groups[code]
		if g == nil {
			g = &group{rows: [][]string{rows[0]}}
			groups[code] = g
			order = append(order, code)
		}
		g.rows, g.lines = append(g.rows, row), append(g.lines, line)
	}
	out := map[string][]county.School{}
	for _, code := range order {
		g := groups[code]
		list, err := rosterLayout.parseRows(g.rows)
		if ie, ok := IsImportError(err); ok {
			for _, p := range ie.Problems {
				if p.Row >= 2 && p.Row-2 < len(g.lines) {
					p.Row = g.lines[p.Row-2]
				}
				// "与第 N 行重名" names a line of the unit's rows: name the workbook's.
				p.Message = sameNameLine.ReplaceAllStringFunc(p.Message, func(m string) string {
					n, _ := strconv.Atoi(sameNameLine.FindStringSubmatch(m)[1])
					if n >= 2 && n-2 < len(g.lines) {
						n = g.lines[n-2]
					}
					return fmt.Sprintf("与第 %d 行（同一单位）重名", n)
				})
				probs = append(probs, p)
			}
			continue
		} else if err != nil {
			return nil, err
		}
		for _, s := range list {
			out[code] = append(out[code], rosterSchool(s))
		}
	}
	if len(probs) > 0 {
		return nil, &ImportError{Problems: probs}
	}
	if len(out) == 0 {
		return nil, &ImportError{Problems: []CellError{{Row: 2, Message: "没有学校数据，请从第 2 行起每校填写一行"}}}
	}
	return out, nil
}

// RegionRoster writes the rosters of a region's units as one workbook:
// the roster with each school's unit code and name in front; the template
// (headers only) when no unit has schools.
func RegionRoster(w io.Writer, units []county.Unit, schools map[int64][]county.School) error {
	var list []evaluation.School
	var codes [][2]string
	for _, u := range units {
		for _, s := range schools[u.ID] {
			list = append(list, evaluation.School{Name: s.Name, Type: s.Type, Locale: s.Locale, Public: s.Public,
				EnrolPrimary: int(s.EnrolPrimary), EnrolJunior: int(s.EnrolJunior)})
			codes = append(codes, [2]string{u.Code, u.Name})
		}
	}
	var buf bytes.Buffer
	if err := rosterLayout.workbook(&buf, list); err != nil {
		return err
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.InsertCols(RosterSheet, "A", 2); err != nil {
		return err
	}
	text, _ := f.NewStyle(&excelize.Style{NumFmt: 49}) // codes stay text
	_ = f.SetColStyle(RosterSheet, "A", text)
	_ = f.SetColWidth(RosterSheet, "A", "B", 14)
	_ = f.SetSheetRow(RosterSheet, "A1", &[]any{RegionCodeHeader, RegionUnitHeader})
	if head, err := f.GetCellStyle(RosterSheet, "C1"); err == nil {
		_ = f.SetCellStyle(RosterSheet, "A1", "B1", head)
	}
	for i, c := range codes {
		_ = f.SetSheetRow(RosterSheet, fmt.Sprintf("A%d", i+2), &[]any{c[0], c[1]})
	}
	// The instructions describe this workbook's columns: the two in front,
	// and the roster's moved two to the right.
	const notes = "填表说明"
	rows, err := f.GetRows(notes)
	if err != nil {
		return err
	}
	for i := 1; i < len(rows); i++ {
		if len(rows[i]) > 1 && rows[i][1] != "" {
			if n, err := excelize.ColumnNameToNumber(rows[i][0]); err == nil {
				moved, _ := excelize.ColumnNumberToName(n + 2)
				_ = f.SetCellValue(notes, fmt.Sprintf("A%d", i+1), moved)
			}
		}
	}
	if err := f.InsertRows(notes, 2, 2); err != nil {
		return err
	}
	_ = f.SetSheetRow(notes, "A2", &[]any{"A", RegionCodeHeader, "学校所属评价单位（县、区）的 6 位行政区划代码，如 430321；须是本地区的评价单位，导入时按此代码归属"})
	_ = f.SetSheetRow(notes, "A3", &[]any{"B", RegionUnitHeader, "所属评价单位的名称，仅供核对，导入时以行政区划代码为准"})
	return f.Write(w)
}
