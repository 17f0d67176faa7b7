package workbook

import (
	"bytes"
	"io"

	"renke/audit"
)

// AuditLog writes audit entries, one a row: when (Beijing time), who,
// from where, on which unit, what, in detail, and the HTTP status of the
// outcome.
func AuditLog(w io.Writer, entries []audit.Entry) error {
	b := newBook()
	defer b.f.Close()
	add, err := b.sheet("操作日志", []any{"编号", "时间", "账号", "来源地址", "评价单位", "操作", "详情", "结果（HTTP 状态）"}, 10, 20, 16, 18, 16, 22, 60, 10)
	if err != nil {
		return err
	}
	for _, e := range entries {
		var failed []int
		if e.Status >= 400 {
			failed = []int{7}
		}
		add([]any{e.ID, wallTime(e.At), e.Username, e.Client, e.UnitName, e.Action, e.Detail, e.Status}, failed...)
	}
	var buf bytes.Buffer
	if _, err := b.f.WriteTo(&buf); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}
