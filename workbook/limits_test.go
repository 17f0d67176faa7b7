package workbook

import (
	"archive/zip"
	"bufio"
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// bigRoster is a roster workbook with n rows of schools after the header,
// written by excelize's stream writer (so making it is cheap too).
func bigRoster(tb testing.TB, n int) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	_ = f.SetSheetName("Sheet1", RosterSheet)
	sw, err := f.NewStreamWriter(RosterSheet)
	if err != nil {
		tb.Fatal(err)
	}
	head := RosterHeaders()
	cells := make([]any, len(head))
	for i, h := range head {
		cells[i] = h
	}
	_ = sw.SetRow("A1", cells)
	row := []any{"学校", "小学", "城区", "公办", 100, 0}
	for i := 0; i < n; i++ {
		ref, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(ref, row[:min(len(row), len(head))]); err != nil {
			tb.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func TestOverLongImportsAreRefused(t *testing.T) {
	for name, wb := range map[string][]byte{"excelize": bigRoster(t, MaxRows+1000), "packed": packedRoster(t, MaxRows+1000)} {
		if _, err := ParseRoster(bytes.NewReader(wb), false); err == nil {
			t.Fatalf("%s: a workbook over the row limit was read", name)
		} else if ie, ok := IsImportError(err); !ok || !strings.Contains(ie.Problems[0].Message, fmt.Sprint(MaxRows)) {
			t.Errorf("%s: refusal: %v", name, err)
		}
	}
	// Under the limit, the packed workbook reads: the test's file is a
	// workbook, not just something refused.
	_, err := ParseRoster(bytes.NewReader(packedRoster(t, 3)), false)
	if ie, ok := IsImportError(err); !ok || len(ie.Problems) != 2 || !strings.Contains(ie.Problems[0].Message, "与第 2 行重名") {
		t.Errorf("three schools of one name: %v", err)
	}
	var csv strings.Builder
	csv.WriteString(strings.Join(RosterHeaders(), ",") + "\n")
	for i := 0; i < MaxRows+1000; i++ {
		fmt.Fprintf(&csv, "学校%d,小学,城区,公办,100,0\n", i)
	}
	if _, err := ParseRoster(strings.NewReader(csv.String()), true); err == nil {
		t.Fatal("a CSV over the row limit was read")
	} else if ie, ok := IsImportError(err); !ok || !strings.Contains(ie.Problems[0].Message, fmt.Sprint(MaxRows)) {
		t.Errorf("CSV refusal: %v", err)
	}
	// A few rows with very many cells stop at the cell limit.
	var wide strings.Builder
	wide.WriteString(strings.Join(RosterHeaders(), ",") + "\n")
	for i := 0; i < 40; i++ {
		wide.WriteString("学校,小学,城区,公办,100,0" + strings.Repeat(",x", 10_000) + "\n")
	}
	if _, err := ParseRoster(strings.NewReader(wide.String()), true); err == nil {
		t.Fatal("a CSV over the cell limit was read")
	} else if ie, ok := IsImportError(err); !ok || !strings.Contains(ie.Problems[0].Message, "单元格过多") {
		t.Errorf("cell refusal: %v", err)
	}
}

// part is one part of a workbook made by hand, written by its function
// (so a huge part costs little memory to make).
type part struct {
	name  string
	write func(w *bufio.Writer)
}

// packedWorkbook writes a roster workbook's zip by hand, as an attacker
// would: the package's own parts (with a shared-strings part among them
// when sst), then the given ones.
func packedWorkbook(tb testing.TB, sst bool, parts ...part) []byte {
	tb.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	sstType, sstRel := "", ""
	if sst {
		sstType = `<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>`
		sstRel = `<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>`
	}
	fixed := func(body string) func(*bufio.Writer) { return func(w *bufio.Writer) { w.WriteString(body) } }
	all := append([]part{
		{"[Content_Types].xml", fixed(`<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` + sstType + `</Types>`)},
		{"_rels/.rels", fixed(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)},
		{"xl/workbook.xml", fixed(`<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="` + RosterSheet + `" sheetId="1" r:id="rId1"/></sheets></workbook>`)},
		{"xl/_rels/workbook.xml.rels", fixed(`<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` + sstRel + `</Relationships>`)},
	}, parts...)
	for _, p := range all {
		w, err := z.Create(p.name)
		if err != nil {
			tb.Fatal(err)
		}
		bw := bufio.NewWriter(w)
		p.write(bw)
		if err := bw.Flush(); err != nil {
			tb.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// inlineCell is a cell holding its own text.
func inlineCell(v string) string { return `<c t="inlineStr"><is><t>` + v + `</t></is></c>` }

// rosterHead is the roster's header row as inline cells.
func rosterHead() string {
	head := ""
	for _, h := range RosterHeaders() {
		head += inlineCell(h)
	}
	return `<row>` + head + `</row>`
}

// packedRoster is a roster workbook of n identical rows written straight
// into its zip: the sheet's XML is tens of megabytes, the upload a few
// hundred kilobytes.
func packedRoster(tb testing.TB, n int) []byte {
	tb.Helper()
	return packedWorkbook(tb, false, part{"xl/worksheets/sheet1.xml", func(w *bufio.Writer) {
		w.WriteString(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + rosterHead())
		row := `<row>` + inlineCell("学校") + inlineCell("小学") + inlineCell("城区") + inlineCell("公办") + inlineCell("100") + inlineCell("0") + `</row>`
		for i := 0; i < n; i++ {
			w.WriteString(row)
		}
		w.WriteString(`</sheetData></worksheet>`)
	}})
}

// BenchmarkMillionRowWorkbook reads a roster that claims a million rows
// (it packs to a few hundred kilobytes, well under the upload limit) and
// reports the peak heap growth while it is refused, in MB.
func BenchmarkMillionRowWorkbook(b *testing.B) {
	wb := packedRoster(b, 1_000_000)
	for b.Loop() {
		b.ReportMetric(float64(len(wb))/1024, "upload-KB")
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapAlloc
		var peak atomic.Uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				if m.HeapAlloc > peak.Load() {
					peak.Store(m.HeapAlloc)
				}
				select {
				case <-stop:
					return
				case <-time.After(2 * time.Millisecond):
				}
			}
		}()
		_, err := ParseRoster(bytes.NewReader(wb), false)
		close(stop)
		wg.Wait()
		if err == nil {
			b.Fatal("a million rows were accepted")
		}
		b.ReportMetric(float64(peak.Load()-min(base, peak.Load()))/(1<<20), "peak-heap-growth-MB")
	}
}

// sharedStringRoster is a roster workbook whose one school's name is a
// shared string of n characters: the header and one row of the six
// roster columns.
func sharedStringRoster(tb testing.TB, n int) []byte {
	tb.Helper()
	return packedWorkbook(tb, true,
		part{"xl/worksheets/sheet1.xml", func(w *bufio.Writer) {
			w.WriteString(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + rosterHead() +
				`<row><c t="s"><v>0</v></c>` + inlineCell("小学") + inlineCell("城区") + inlineCell("公办") + inlineCell("100") + inlineCell("0") + `</row></sheetData></worksheet>`)
		}},
		part{"xl/sharedStrings.xml", func(w *bufio.Writer) {
			w.WriteString(`<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>`)
			piece := strings.Repeat("a", 64<<10)
			for left := n; left > 0; left -= len(piece) {
				w.WriteString(piece[:min(left, len(piece))])
			}
			w.WriteString(`</t></si></sst>`)
		}})
}

// A 200 MB shared string packs into a few hundred kilobytes: it is refused
// from the zip's directory, before it is unpacked, with little memory; a
// cell over Excel's own limit of 32,767 characters is refused by its row
// and column; a name of 100 characters reads (and fails only the
// roster's own rule on names).
func TestHugeSharedStringIsRefused(t *testing.T) {
	huge := sharedStringRoster(t, 200<<20)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ParseRoster(bytes.NewReader(huge), false)
	runtime.ReadMemStats(&after)
	ie, ok := IsImportError(err)
	if !ok || !strings.Contains(ie.Problems[0].Message, "xl/sharedStrings.xml 解压后有 200.0 MB") {
		t.Fatalf("a %d KB workbook holding a 200 MB string: %v", len(huge)/1024, err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 50<<20 {
		t.Errorf("refusing it allocated %d MB", grew>>20)
	}
	t.Logf("a %d KB upload holding a 200 MB shared string: refused, %.1f MB allocated", len(huge)/1024, float64(after.TotalAlloc-before.TotalAlloc)/(1<<20))

	_, err = ParseRoster(bytes.NewReader(sharedStringRoster(t, 40_000)), false)
	if ie, ok := IsImportError(err); !ok || ie.Problems[0].Row != 2 || ie.Problems[0].Column != "A" || !strings.Contains(ie.Problems[0].Message, "超过 Excel 的上限 32767") {
		t.Errorf("a 40,000-character cell: %v", err)
	}
	_, err = ParseRoster(bytes.NewReader(sharedStringRoster(t, 101)), false)
	if ie, ok := IsImportError(err); !ok || strings.Contains(ie.Problems[0].Message, "上限") {
		t.Errorf("a 101-character name: %v", err)
	}
}
