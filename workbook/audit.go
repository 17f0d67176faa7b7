package workbook

import (
	"bytes"
	"encoding/base64"
	"io"
	"strings"

	"renke/audit"
)

// AuditLog writes audit entries, one a row: when (Beijing time), who,
// from where, on which unit, what, in detail, and the HTTP status of the
// outcome; then what proves the row is in the signed audit log: its leaf,
// the leaf's canonical form and its inclusion proof against the
// checkpoint on the second sheet, so that anyone can check a row without
// the server.
func AuditLog(w io.Writer, p audit.Proven) error {
	b := newBook()
	defer b.f.Close()
	add, err := b.sheet("操作日志", []any{"编号", "时间", "账号", "来源地址", "评价单位", "操作", "详情", "结果（HTTP 状态）",
		"叶子序号", "叶子内容（规范形式）", "包含证明（base64，以空格分隔）"}, 10, 20, 16, 18, 16, 22, 60, 10, 10, 40, 40)
	if err != nil {
		return err
	}
	for _, e := range p.Entries {
		var failed []int
		if e.Status >= 400 {
			failed = []int{7}
		}
		row := []any{e.ID, wallTime(e.At), e.Username, e.Client, e.UnitName, e.Action, e.Detail, e.Status, "未入日志", "", ""}
		if e.LeafIndex != nil {
			row[8], row[9], row[10] = *e.LeafIndex, string(e.Canonical()), "未附（可用 GET /log/audit/proof/inclusion 取得）"
		}
		if proof, ok := p.Proofs[e.ID]; ok {
			hashes := make([]string, len(proof))
			for i, h := range proof {
				hashes[i] = base64.StdEncoding.EncodeToString(h)
			}
			row[10] = strings.Join(hashes, " ")
		}
		add(row, failed...)
	}
	cp, err := b.sheet("检查点", []any{"项目", "内容"}, 24, 100)
	if err != nil {
		return err
	}
	if p.Checkpoint.Size == 0 {
		cp([]any{"检查点", "审计日志还没有签名的检查点（记录在产生约两分钟后入日志）。"})
	} else {
		origin, _, _ := strings.Cut(p.Checkpoint.Note, "\n")
		cp([]any{"日志", origin})
		cp([]any{"叶子数", p.Checkpoint.Size})
		cp([]any{"根（base64）", base64.StdEncoding.EncodeToString(p.Checkpoint.Root)})
		cp([]any{"签名时间", wallTime(p.Checkpoint.SignedAt)})
		cp([]any{"签名的检查点", p.Checkpoint.Note})
	}
	cp([]any{"如何核验", "每行的叶子哈希为 SHA-256(0x00 ‖ 叶子内容的 UTF-8 字节)；按 RFC 6962 用包含证明从叶子算到根，应等于本页的根。" +
		"检查点用本系统 GET /log/key 给出的公钥（及见证方的公钥）按 signed note 格式核验；renke verify-audit 可核验整个日志。" +
		"序号不连续处是日志自身的计时记录或筛选之外的记录。"})
	var buf bytes.Buffer
	if _, err := b.f.WriteTo(&buf); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}
