package workbook

import (
	"bytes"
	"fmt"
	"renke/county"
	"renke/sampling"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// FuzzParseRoster feeds arbitrary CSV bytes under the roster's header:
// parsing never panics, every refusal is an import error naming what to
// fix, and whatever it accepts is valid, uniquely named and survives a
// round trip through the roster workbook.
func FuzzParseRoster(f *testing.F) {
	f.Add([]byte("甲小学,小学,城区,公办,500,0\n乙中学,初中,镇区,民办,0,480\n"))
	f.Add([]byte("丙,九年一贯制学校,乡村,公办,-1,x\n\"未闭合,小学"))
	f.Add([]byte("\xef\xbb\xbf丁,教学点,农村,公办,30,0\n"))
	f.Add([]byte("\xd2\xd2\xd0\xa1\xd1\xa7,\xd0\xa1\xd1\xa7,\xb3\xc7\xc7\xf8,\xb9\xab\xb0\xec,100,0\n")) // GBK
	head := []byte(strings.Join(RosterHeaders(), ",") + "\n")
	f.Fuzz(func(t *testing.T, body []byte) {
		schools, err := ParseRoster(bytes.NewReader(append(append([]byte{}, head...), body...)), true)
		if err != nil {
			ie, ok := IsImportError(err)
			if !ok || len(ie.Problems) == 0 || ie.Problems[0].Message == "" {
				t.Fatalf("refusal without a message: %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for i := range schools {
			if err := schools[i].Validate(); err != nil {
				t.Fatalf("accepted an invalid school %+v: %v", schools[i], err)
			}
			if seen[schools[i].Name] {
				t.Fatalf("accepted %q twice", schools[i].Name)
			}
			seen[schools[i].Name] = true
		}
		var buf bytes.Buffer
		if err := Roster(&buf, schools); err != nil {
			t.Fatal(err)
		}
		back, err := ParseRoster(&buf, false)
		if err != nil || len(back) != len(schools) {
			t.Fatalf("round trip: %d of %d (%v)", len(back), len(schools), err)
		}
		for i := range back {
			if back[i] != schools[i] {
				t.Fatalf("round trip changed %+v into %+v", schools[i], back[i])
			}
		}
	})
}

// A region's rosters in one workbook: two units may each have a 第一中学;
// a unit's own duplicate, an unknown or missing code and a bad cell are
// each named by the workbook's row; the written rosters read back.
func TestParseRegionRoster(t *testing.T) {
	head := append([]string{RegionCodeHeader, RegionUnitHeader}, RosterHeaders()...)
	known := func(code string) bool { return code == "430302" || code == "430321" }
	sheet := func(rows ...[]string) []byte {
		f := excelize.NewFile()
		defer f.Close()
		for i, r := range append([][]string{head}, rows...) {
			row := make([]any, len(r))
			for j, c := range r {
				row[j] = c
			}
			_ = f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &row)
		}
		var buf bytes.Buffer
		_, _ = f.WriteTo(&buf)
		return buf.Bytes()
	}
	good := sheet(
		[]string{"430302", "雨湖区", "第一中学", "初中", "城区", "公办", "0", "900"},
		[]string{"430321", "湘潭县", "第一中学", "初中", "乡村", "公办", "0", "700"},
		[]string{"430302", "雨湖区", "雨湖一小", "小学", "城区", "公办", "1200", "0"},
	)
	got, err := ParseRegionRoster(bytes.NewReader(good), known)
	if err != nil || len(got["430302"]) != 2 || len(got["430321"]) != 1 || got["430321"][0].Locale != sampling.Rural || got["430302"][1].EnrolPrimary != 1200 {
		t.Fatalf("%+v %v", got, err)
	}
	bad := sheet(
		[]string{"430302", "雨湖区", "第一中学", "初中", "城区", "公办", "0", "900"},
		[]string{"430321", "湘潭县", "第一中学", "初中", "乡村", "公办", "0", "700"},
		[]string{"430302", "雨湖区", "第一中学", "初中", "城区", "公办", "0", "800"},
		[]string{"430399", "某县", "某小学", "小学", "城区", "公办", "100", "0"},
		[]string{"", "", "无县小学", "小学", "城区", "公办", "100", "0"},
		[]string{"430321", "湘潭县", "湘潭县二小", "大学", "乡村", "公办", "100", "0"},
	)
	_, err = ParseRegionRoster(bytes.NewReader(bad), known)
	ie, ok := IsImportError(err)
	if !ok {
		t.Fatalf("%v", err)
	}
	var msgs []string
	for _, p := range ie.Problems {
		msgs = append(msgs, p.Error())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{
		"第 4 行 C 列（学校名称）：与第 2 行（同一单位）重名",
		"第 5 行 A 列（行政区划代码）：430399 不是本地区已有的评价单位",
		"第 6 行 A 列（行政区划代码）：不能为空",
		"第 7 行 D 列（学校类型）",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("problems lack %q:\n%s", want, all)
		}
	}
	if len(ie.Problems) != 4 {
		t.Errorf("%d problems:\n%s", len(ie.Problems), all)
	}
	// Written and read back.
	units := []county.Unit{{ID: 1, Code: "430302", Name: "雨湖区"}, {ID: 2, Code: "430321", Name: "湘潭县"}}
	var buf bytes.Buffer
	if err := RegionRoster(&buf, units, map[int64][]county.School{1: got["430302"], 2: got["430321"]}); err != nil {
		t.Fatal(err)
	}
	back, err := ParseRegionRoster(bytes.NewReader(buf.Bytes()), known)
	if err != nil || len(back["430302"]) != 2 || back["430302"][0].Name != "第一中学" || back["430321"][0].EnrolJunior != 700 {
		t.Errorf("read back %+v %v", back, err)
	}
	// Its instructions describe its own columns: each letter names the
	// column whose header the instructions give.
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	header, _ := f.GetRows(RosterSheet)
	notes, _ := f.GetRows("填表说明")
	described := 0
	for _, row := range notes[1:] {
		if len(row) < 2 || row[1] == "" {
			continue
		}
		n, err := excelize.ColumnNameToNumber(row[0])
		if err != nil || n > len(header[0]) || header[0][n-1] != row[1] {
			t.Errorf("instructions: column %s is %q, the sheet has %q there", row[0], row[1], header[0][min(max(n, 1), len(header[0]))-1])
		}
		described++
	}
	if described != len(header[0]) {
		t.Errorf("the instructions describe %d of %d columns", described, len(header[0]))
	}
}
