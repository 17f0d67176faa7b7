package workbook

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseRows feeds arbitrary cell grids (rows by newline, cells by tab)
// under the template's header row: parsing never panics, and whatever it
// accepts is consistent and survives a round trip through a workbook.
func FuzzParseRows(f *testing.F) {
	f.Add("甲小学\t小学\t城区\t公办\t否\t500\t0\t0\t12\t0\t45\t0\t30\t21\t5\t5\t0\t0\t0\t0\t30\t2250\t3750\t1000000\t12\t1\t96\t1\t90\t400000\t20000")
	f.Add("乙中学\t初中\t镇区\t民办\t是\t0\t480\t0\t0\t10\t0\t50\t0\t0\t0\t0\t40\t26\t5\t5\t40\t2800.5\t5000\t1.2e6\t12\t1\t100\t1\t95\t5e5\t25000")
	f.Add("丙\t九年一贯制学校\t乡村\t公办\t否\t-1\tx\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t")
	f.Add("\n\n\t\t\n丁\t教学点\t农村")
	f.Fuzz(func(t *testing.T, grid string) {
		rows := [][]string{Headers()}
		for _, line := range strings.Split(grid, "\n") {
			rows = append(rows, strings.Split(line, "\t"))
		}
		schools, err := parseRows(rows)
		if err != nil {
			if _, ok := IsImportError(err); !ok {
				t.Fatalf("not an import error: %v", err)
			}
			return
		}
		for i := range schools {
			if p := consistency(&schools[i]); len(p) > 0 {
				t.Fatalf("accepted an inconsistent school: %v", p)
			}
		}
		var buf bytes.Buffer
		if err := Schools(&buf, schools); err != nil {
			t.Fatal(err)
		}
		back, err := ParseSchools(&buf)
		if err != nil || !reflect.DeepEqual(back, schools) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
