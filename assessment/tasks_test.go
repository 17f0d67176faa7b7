package assessment_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"golang.org/x/mod/sumdb/note"

	"renke/assessment"
)

func TestParseDue(t *testing.T) {
	for _, c := range []struct {
		in, want string // want: the day, "" for a standing task, "error" for a refusal
	}{
		{"2024年底", "2024-12-31"},
		{"2024 年底", "2024-12-31"},
		{"2024年末", "2024-12-31"},
		{"2024年", "2024-12-31"},
		{"２０２６年底", "2026-12-31"}, // full-width digits
		{"2025年6月", "2025-06-30"},
		{"2025年6月底", "2025-06-30"},
		{"2024年2月", "2024-02-29"}, // a leap year's February
		{"2025-02", "2025-02-28"},
		{"2025.9", "2025-09-30"},
		{"2025年上半年", "2025-06-30"},
		{"2025年下半年", "2025-12-31"},
		{"2025年第三季度", "2025-09-30"},
		{"2025年1季度", "2025-03-31"},
		{"2025年6月30日", "2025-06-30"},
		{"2025-06-30", "2025-06-30"},
		{"2025/6/1", "2025-06-01"},
		{"2025年6月30日前", "2025-06-30"},
		{"2025年底前完成", "2025-12-31"},
		{"45838", "2025-06-30"}, // an Excel date cell read raw: 45838 days after 1899-12-30
		{"长期坚持", ""},
		{"持续推进", ""},
		{"常态化", ""},
		{"", "error"},
		{"尽快", "error"},
		{"2025年13月", "error"},
		{"2025年2月30日", "error"},
		{"1999年底", "error"},
	} {
		got, err := assessment.ParseDue(c.in)
		switch {
		case c.want == "error":
			if err == nil {
				t.Errorf("ParseDue(%q) = %v, want a refusal", c.in, got)
			}
		case err != nil:
			t.Errorf("ParseDue(%q): %v", c.in, err)
		case c.want == "" && got != nil:
			t.Errorf("ParseDue(%q) = %v, want no date", c.in, got)
		case c.want != "" && (got == nil || got.Format("2006-01-02") != c.want):
			t.Errorf("ParseDue(%q) = %v, want %s", c.in, got, c.want)
		}
	}
}

func TestTaskStatus(t *testing.T) {
	due := time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
	struck := time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC)
	// 31 December 2025 at 23:30 in Beijing is still the due day; half an
	// hour later (16:00 UTC) it is the next day, and the task overdue.
	lastDay := time.Date(2025, 12, 31, 15, 30, 0, 0, time.UTC)
	nextDay := time.Date(2025, 12, 31, 16, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		t    assessment.Task
		now  time.Time
		want string
	}{
		{assessment.Task{Due: &due}, lastDay, "未开始"},
		{assessment.Task{Due: &due, Progress: assessment.InProgress}, lastDay, "推进中"},
		{assessment.Task{Due: &due, Progress: assessment.Awaiting}, lastDay, "待销号"},
		{assessment.Task{Due: &due, Progress: assessment.InProgress}, nextDay, "逾期"},
		{assessment.Task{Due: &due, StruckAt: &struck}, nextDay, "已销号"},
		{assessment.Task{Progress: assessment.InProgress}, nextDay.AddDate(5, 0, 0), "推进中"}, // standing: never overdue
	} {
		if got := assessment.TaskStatus(c.t, c.now); got != c.want {
			t.Errorf("TaskStatus(%+v, %s) = %s, want %s", c.t, c.now, got, c.want)
		}
	}
}

func TestDepartmentsAndValidate(t *testing.T) {
	if got := assessment.Departments("区发改委、区自然资源局，区住建局; 区财政局、区发改委"); !slices.Equal(got, []string{"区发改委", "区自然资源局", "区住建局", "区财政局"}) {
		t.Errorf("Departments: %v", got)
	}
	task := assessment.Task{Title: " ", Lead: nil, DueText: "尽快", Goal: strings.Repeat("长", assessment.MaxGoal+1)}
	var cols []string
	for _, e := range task.Validate() {
		cols = append(cols, e.Column)
	}
	if !slices.Equal(cols, []string{"主要任务", "完成时间", "工作目标", "责任部门"}) {
		t.Errorf("Validate named %v", cols)
	}
}

func TestSniff(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
		ok   bool
	}{
		{"a.pdf", []byte("%PDF-1.7\n1 0 obj\n%%EOF\n"), true},
		{"a.pdf", []byte("%PDF-1.7\n1 0 obj\n"), false}, // cut short
		{"a.png", pngFile(t), true},
		{"a.jpg", pngFile(t), false}, // a PNG named as a JPEG
		{"a.png", []byte("\x89PNG\r\n\x1a\nbroken"), false},
		{"a.html", []byte("<html><script>alert(1)</script>"), true}, // kept; served only as bytes
		{"a.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), true},
		{"a.html", []byte("MZ\x90\x00 not a page"), false},
		{"a.pdf.html", []byte("%PDF-1.7\n%%EOF"), false},
		{"a.docx", []byte("PK\x03\x04 not a zip"), false},
		{"a.exe", []byte("MZ\x90\x00"), false},
	} {
		_, err := assessment.Sniff(c.name, c.data)
		if (err == nil) != c.ok {
			t.Errorf("Sniff(%s): %v, want ok %v", c.name, err, c.ok)
		}
	}
}

func TestPackageVerify(t *testing.T) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "renke.test")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	verifier, _ := note.NewVerifier(vkey)
	files := []assessment.PackFile{{Path: "自评报告.html", Data: []byte("<h1>报告</h1>")}, {Path: "佐证材料/1-方案.pdf", Data: []byte("%PDF-1.4\n%%EOF\n")}}
	manifest := func(header []string, files []assessment.PackFile, withSM3 bool) string {
		text, err := assessment.Manifest(header, files, withSM3)
		if err != nil {
			t.Fatal(err)
		}
		return text
	}
	pack := func(files []assessment.PackFile, s note.Signer, extra ...assessment.PackFile) []byte {
		signed, err := note.Sign(&note.Note{Text: manifest([]string{"单位：430302 雨湖区", "轮次：第 2 轮"}, files, false)}, s)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := assessment.Pack(&b, string(signed), append(slices.Clone(files), extra...), time.Unix(0, 0)); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	check := func(b []byte) (assessment.PackageCheck, error) {
		return assessment.VerifyPackage(bytes.NewReader(b), int64(len(b)), verifier)
	}
	pc, err := check(pack(files, signer))
	if err != nil || len(pc.Problems) != 0 || pc.Files != 2 || pc.Header[1] != "轮次：第 2 轮" {
		t.Fatalf("a fresh package: %+v %v", pc, err)
	}
	// One byte of a file changed (the manifest still lists the original).
	changed := slices.Clone(files)
	changed[1].Data = []byte("%PDF-1.4\n%%EOF\n!")
	signed, _ := note.Sign(&note.Note{Text: manifest(nil, files, false)}, signer)
	var b bytes.Buffer
	_ = assessment.Pack(&b, string(signed), changed, time.Unix(0, 0))
	if pc, _ := check(b.Bytes()); len(pc.Problems) != 1 || !strings.Contains(pc.Problems[0], "佐证材料/1-方案.pdf") || !strings.Contains(pc.Problems[0], "修改") {
		t.Errorf("a changed file: %v", pc.Problems)
	}
	// A file removed, and one added.
	b.Reset()
	_ = assessment.Pack(&b, string(signed), files[:1], time.Unix(0, 0))
	if pc, _ := check(b.Bytes()); len(pc.Problems) != 1 || !strings.Contains(pc.Problems[0], "缺少文件“佐证材料/1-方案.pdf”") {
		t.Errorf("a missing file: %v", pc.Problems)
	}
	if pc, _ := check(pack(files, signer, assessment.PackFile{Path: "补充.txt", Data: []byte("x")})); len(pc.Problems) != 1 || !strings.Contains(pc.Problems[0], "多出文件“补充.txt”") {
		t.Errorf("an extra file: %v", pc.Problems)
	}
	// A 国密 deployment's manifest lists each file's SM3 too: checked, and a
	// file whose SM3 the manifest contradicts is named.
	withSM3 := func(text string) []byte {
		signed, _ := note.Sign(&note.Note{Text: text}, signer)
		var b bytes.Buffer
		_ = assessment.Pack(&b, string(signed), files, time.Unix(0, 0))
		return b.Bytes()
	}
	text := manifest(nil, files, true)
	if pc, err := check(withSM3(text)); err != nil || !pc.SM3 || len(pc.Problems) != 0 || pc.Files != 2 {
		t.Errorf("a package with SM3: %+v %v", pc, err)
	}
	sm3PDF := hex.EncodeToString(func() []byte { s := sm3.Sum(files[1].Data); return s[:] }())
	if !strings.Contains(text, sm3PDF+"  佐证材料/1-方案.pdf") {
		t.Fatalf("the manifest lacks the file's SM3 %s:\n%s", sm3PDF, text)
	}
	forged := strings.Replace(text, sm3PDF, strings.Repeat("0", 64), 1)
	if pc, _ := check(withSM3(forged)); len(pc.Problems) != 1 || !strings.Contains(pc.Problems[0], "佐证材料/1-方案.pdf") || !strings.Contains(pc.Problems[0], "SM3") {
		t.Errorf("a wrong SM3: %v", pc.Problems)
	}
	// Re-signed with another key: refused.
	other, _, _ := note.GenerateKey(rand.Reader, "renke.test")
	os, _ := note.NewSigner(other)
	if _, err := check(pack(files, os)); err == nil {
		t.Error("a manifest signed by another key passed")
	}
}
