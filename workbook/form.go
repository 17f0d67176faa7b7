package workbook

import (
	"strconv"
	"strings"

	"renke/county"
	"renke/evaluation"
)

// Field is one school figure as the console's form shows it: the same
// columns, headers and checks as the workbook.
type Field struct {
	Name    string   // the form field
	Header  string   // the workbook header, shown as the label
	Hint    string   // what to enter
	Value   string   // the current value
	Choices []string // the values of a coded column
	Numeric bool
}

func choices(k kind) []string {
	switch k {
	case schoolType:
		var n []string
		for _, t := range county.SchoolTypes {
			n = append(n, t.Name())
		}
		return n
	case locale:
		return []string{"城区", "镇区", "乡村"}
	case public:
		return []string{"公办", "民办"}
	case yesNo:
		return []string{"是", "否"}
	}
	return nil
}

func fieldName(c column) string { return "f_" + c.Field }

// Form lists a school's fields with their values; s nil gives a blank form.
func Form(s *evaluation.School) []Field {
	out := make([]Field, len(columns))
	for i, c := range columns {
		f := Field{Name: fieldName(c), Header: c.Header, Hint: c.Hint, Choices: choices(c.Kind), Numeric: c.Kind == integer || c.Kind == decimal}
		if s != nil {
			switch v := cellValue(s, c).(type) {
			case int64:
				f.Value = strconv.FormatInt(v, 10)
			case float64:
				f.Value = strconv.FormatFloat(v, 'f', -1, 64)
			case string:
				f.Value = v
			}
		}
		out[i] = f
	}
	return out
}

// FromForm reads a school from form values with the workbook's checks.
// Problems carry the header of their field, no row.
func FromForm(get func(name string) string) (evaluation.School, []CellError) {
	var probs []CellError
	s := readRow(columns, func(c column) string { return strings.TrimSpace(get(fieldName(c))) }, func(c column, msg string) {
		probs = append(probs, CellError{Header: c.Header, Message: msg})
	})
	if len(probs) == 0 {
		probs = consistency(&s)
	}
	return s, probs
}
