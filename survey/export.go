package survey

import (
	"context"
	_ "embed"
	"strconv"
	"strings"
	"time"

	"renke/sampling"
)

//go:embed export.sql
var exportSQL string

// Row is one response as the exports show it.
type Row struct {
	Receipt     string
	SubmittedAt time.Time
	Kind        Kind
	Category    sampling.Category
	Locale      sampling.Locale
	GradeBand   sampling.GradeBand
	School      string
	Status      ResponseStatus
	FillMS      int32
	Suggestion  string
	Answers     map[string]string // item → option value
	Flags       []string          // why it was flagged for review
	Decision    string            // the latest review decision: valid, invalid or ""
	Reason      string            // and its reason
}

// EachResponse calls fn with every response of a campaign, in submission
// order, one at a time: the rows are never all in memory.
func (s *Store) EachResponse(ctx context.Context, campaignID int64, fn func(*Row) error) error {
	rows, err := s.pool.Query(ctx, exportSQL, campaignID)
	if err != nil {
		return err
	}
	defer rows.Close()
	var r Row
	var items, options []string
	r.Answers = map[string]string{}
	for rows.Next() {
		if err := rows.Scan(&r.Receipt, &r.SubmittedAt, &r.Kind, &r.Category, &r.Locale, &r.GradeBand,
			&r.School, &r.Status, &r.FillMS, &r.Suggestion, &items, &options, &r.Flags, &r.Decision, &r.Reason); err != nil {
			return err
		}
		clear(r.Answers)
		for i, it := range items {
			r.Answers[it] = options[i]
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// The submission time's column in a response table, in Beijing time, and
// the fill time's, in seconds: the workbook writes both as numbers.
const (
	SubmittedHeader = "提交时间"
	SubmittedLayout = "2006-01-02 15:04:05"
	FillHeader      = "填写用时（秒）"
)

// ResponseTable lays responses out as rows of text, answers as their
// labels: fixed columns first, then one column per item of the campaign's
// questionnaires in their order, then the suggestion.
type ResponseTable struct {
	Header []string
	column map[string]int             // item id → column
	labels map[Kind]map[string]string // option value → label, per questionnaire
}

// NewResponseTable makes the table for a campaign's forms.
func NewResponseTable(forms []Form) *ResponseTable {
	t := &ResponseTable{
		Header: []string{"序号", "回执码", SubmittedHeader, "问卷", "身份", "城乡", "年级段", "学校", "状态", FillHeader,
			"系统标记", "审核决定", "审核理由"},
		column: map[string]int{}, labels: map[Kind]map[string]string{},
	}
	for _, f := range forms {
		labels := map[string]string{}
		for _, o := range f.Scale {
			labels[o.Value] = o.Label
		}
		t.labels[f.Kind] = labels
		for _, it := range f.Items {
			if _, ok := t.column[it.ID]; !ok {
				t.column[it.ID] = len(t.Header)
				t.Header = append(t.Header, it.ID+" "+it.Text)
			}
		}
	}
	t.Header = append(t.Header, "意见建议")
	return t
}

// Record fills out (reused between rows) with response n's cells.
func (t *ResponseTable) Record(n int, r *Row, out []string) []string {
	out = out[:0]
	band := ""
	if r.GradeBand != "" {
		band = r.GradeBand.Name()
	}
	out = append(out, strconv.Itoa(n), r.Receipt, r.SubmittedAt.In(Beijing).Format(SubmittedLayout),
		r.Kind.Name(), r.Category.Name(), r.Locale.Name(), band, r.School, r.Status.Name(),
		strconv.FormatFloat(float64(r.FillMS)/1000, 'f', 1, 64), flagList(r.Flags), decisionName[r.Decision], r.Reason)
	for len(out) < len(t.Header) {
		out = append(out, "")
	}
	for item, opt := range r.Answers {
		if i, ok := t.column[item]; ok {
			if l, ok := t.labels[r.Kind][opt]; ok {
				opt = l
			}
			out[i] = opt
		}
	}
	out[len(out)-1] = r.Suggestion
	return out
}

var decisionName = map[string]string{"valid": "有效", "invalid": "无效", "": ""}

// flagList is a response's flags in words, joined by "；".
func flagList(flags []string) string {
	names := make([]string, len(flags))
	for i, f := range flags {
		names[i] = Flag(f).Name()
		if names[i] == "" {
			names[i] = f
		}
	}
	return strings.Join(names, "；")
}
