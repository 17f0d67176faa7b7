package workbook

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"

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
