// Package division names China's administrative divisions (行政区划) by
// their codes (GB/T 2260, six digits: two for the province, two for the
// city, two for the county). The list is embedded and dated: the National
// Bureau of Statistics' 统计用区划代码 as of 2023-06-30, which are the GB/T
// 2260 codes plus the functional zones (codes 71–79 under a city, such as
// 湘潭九华示范区) that some provinces evaluate as units of their own.
// generate.sh rebuilds divisions.tsv from the pinned npm package.
package division

import (
	_ "embed"
	"strings"
)

// Edition says which list this is, for people.
const Edition = "国家统计局 2023 年统计用区划代码（截至 2023-06-30）"

//go:embed divisions.tsv
var table string

// names maps a province's two digits, a city's four and a county's six to
// the division's own name (湘潭市, 雨湖区).
var names = func() map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(table, "\n") {
		code, name, ok := strings.Cut(line, "\t")
		if ok && !strings.HasPrefix(code, "#") {
			m[code] = name
		}
	}
	return m
}()

// short is a code without its trailing pairs of zeros, as the table keys
// it: 430000 is 43, 430300 is 4303, 430302 stays.
func short(code string) string {
	if len(code) != 6 {
		return code
	}
	switch {
	case strings.HasSuffix(code, "0000"):
		return code[:2]
	case strings.HasSuffix(code, "00"):
		return code[:4]
	}
	return code
}

// Name is the division's own name: 湖南省 for 43 or 430000, 湘潭市 for 4303
// or 430300, 雨湖区 for 430302. A city that is only a grouping of the
// province's districts or counties (市辖区, 县, 省直辖县级行政区划) is named
// with its province: 北京市 for 1101, 重庆市县 for 5002, 湖北省直辖县级行政区划
// for 4290. ok is false for a code not on the list.
func Name(code string) (name string, ok bool) {
	code = short(code)
	name, ok = names[code]
	if !ok || len(code) != 4 {
		return name, ok
	}
	province := names[code[:2]]
	switch name {
	case "市辖区":
		return province, true
	case "县", "省直辖县级行政区划", "自治区直辖县级行政区划":
		return province + name, true
	}
	return name, true
}

// County reports whether code is a county-level division on the list (six
// digits not ending in 00).
func County(code string) bool {
	if len(code) != 6 || strings.HasSuffix(code, "00") {
		return false
	}
	_, ok := names[code]
	return ok
}

// Region reports whether a region prefix (two digits for a province, four
// for a city) is on the list.
func Region(prefix string) bool {
	if len(prefix) != 2 && len(prefix) != 4 {
		return false
	}
	_, ok := names[prefix]
	return ok
}
