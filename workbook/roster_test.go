package workbook

import (
	"bytes"
	"strings"
	"testing"
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
