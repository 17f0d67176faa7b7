package workbook

import (
	"bytes"
	"strings"
	"testing"

	"renke/county"
	"renke/sampling"
)

func unitRows(rows ...[]string) [][]string { return append([][]string{UnitHeaders()}, rows...) }

// Each row's problems are named by row and column; a good list reads its
// shares in percent (or as fractions, when the cells are formatted as
// percentages) into basis points.
func TestParseUnitRows(t *testing.T) {
	good := []string{"430302", "雨湖区", "区", "412,345", "70", "20.5", "9.5", "第七次全国人口普查", "2020"}
	for _, tt := range []struct {
		name  string
		rows  [][]string
		want  []string // each problem, as CellError.Error()
		check func(t *testing.T, u []county.Unit)
	}{
		{name: "good", rows: unitRows(good, nil, []string{"430381", "湘乡市", "县级市", "787216", "0.3512", "0.2", "0.4488"},
			[]string{"430390", "某自治县", "自治县", "1", "0", "0", "100%", "", "", "2026 年新设立，代码见批复"}),
			check: func(t *testing.T, u []county.Unit) {
				// 70% 20.5% 9.5% → 7000, 2050, 950 basis points; the
				// fractions 0.3512, 0.2, 0.4488 add up to 1 → 3512, 2000, 4488.
				if len(u) != 3 || u[2].Kind != "county" || u[2].CodeReason != "2026 年新设立，代码见批复" || u[0].CodeReason != "" || u[2].Shares.Rural != 10000 || u[0].Shares != (sampling.Shares{Urban: 7000, Town: 2050, Rural: 950}) || u[0].Population != 412345 ||
					u[0].Kind != "district" || *u[0].PopulationYear != 2020 ||
					u[1].Shares != (sampling.Shares{Urban: 3512, Town: 2000, Rural: 4488}) || u[1].Kind != "city" || u[1].PopulationYear != nil {
					t.Errorf("%+v", u)
				}
			}},
		{name: "another city", rows: unitRows([]string{"430102", "芙蓉区", "区", "600000", "100", "0", "0"}),
			want: []string{"第 2 行 A 列（行政区划代码）：430102 不属于湘潭市 (430300)"}},
		// 430399 is no county on the division list: refused without a reason.
		{name: "unlisted code", rows: unitRows([]string{"430399", "某新区", "区", "600000", "100", "0", "0"}),
			want: []string{"第 2 行：单位代码 430399 不是国家统计局 2023 年统计用区划代码（截至 2023-06-30）中的县级行政区划代码；如确需使用（如新设立的县级单位），请填写代码说明"}},
		// A list made before 代码说明 was a column still reads.
		{name: "older list", rows: [][]string{UnitHeaders()[:9], good}, check: func(t *testing.T, u []county.Unit) {
			if len(u) != 1 || u[0].Code != "430302" {
				t.Errorf("%+v", u)
			}
		}},
		{name: "a city's own code", rows: unitRows([]string{"430300", "湘潭市", "区", "600000", "100", "0", "0"}),
			want: []string{"第 2 行 A 列（行政区划代码）：“430300”不是县级行政区划代码：须为 6 位数字，且后两位不为 00"}},
		{name: "cells", rows: unitRows([]string{"430302", "", "乡", "-5", "50", "x", "50", "", "1900"}),
			want: []string{"第 2 行 B 列（单位名称）：不能为空", "第 2 行 C 列（单位类型）：“乡”无效，须为 县、区 或 县级市",
				"第 2 行 D 列（常住人口）：“-5”无效，须为正整数（人）", "第 2 行 I 列（人口数据年份）：“1900”无效，须为 1950 至 2100 之间的年份",
				"第 2 行 F 列（镇区人口占比（%））：“x”无效，须为 0 至 100 之间的百分数"}},
		// 60 + 30 + 5 = 95: the unit's own rule names the sum.
		{name: "shares", rows: unitRows([]string{"430302", "雨湖区", "区", "1000", "60", "30", "5"}),
			want: []string{"第 2 行：城区、镇区、乡村人口占比之和须为 100%（现为 95.00%）"}},
		{name: "three decimals", rows: unitRows([]string{"430302", "雨湖区", "区", "1000", "60.125", "30", "9.875"}),
			want: []string{"第 2 行 E 列（城区人口占比（%））：“60.125”最多保留两位小数", "第 2 行 G 列（乡村人口占比（%））：“9.875”最多保留两位小数"}},
		{name: "duplicate", rows: unitRows(good, good), want: []string{"第 3 行 A 列（行政区划代码）：与第 2 行重复"}},
		{name: "missing column", rows: [][]string{{"行政区划代码", "单位名称"}}, want: []string{
			"第 1 行：缺少列“单位类型”，请使用模板的列标题", "第 1 行：缺少列“常住人口”，请使用模板的列标题",
			"第 1 行：缺少列“城区人口占比（%）”，请使用模板的列标题", "第 1 行：缺少列“镇区人口占比（%）”，请使用模板的列标题",
			"第 1 行：缺少列“乡村人口占比（%）”，请使用模板的列标题", "第 1 行：缺少列“人口数据来源”，请使用模板的列标题",
			"第 1 行：缺少列“人口数据年份”，请使用模板的列标题"}},
		{name: "empty", rows: unitRows(), want: []string{"第 2 行：没有评价单位，请从第 2 行起每个县（区）填写一行"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			units, err := parseUnitRows(tt.rows, "4303")
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, units)
				return
			}
			ie, ok := IsImportError(err)
			if !ok || units != nil {
				t.Fatalf("%v, %v", units, err)
			}
			var got []string
			for _, p := range ie.Problems {
				got = append(got, p.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// The list a city downloads reads back as the same units; the template
// has the headers and nothing else.
func TestUnitsRoundTrip(t *testing.T) {
	year := int32(2020)
	in := []county.Unit{
		{Code: "430302", Name: "雨湖区", Kind: "district", Population: 412345, PopulationSource: "七普", PopulationYear: &year, Shares: sampling.Shares{Urban: 7000, Town: 2050, Rural: 950}},
		{Code: "430321", Name: "湘潭县", Kind: "county", Population: 787216, Shares: sampling.Shares{Urban: 1233, Town: 3300, Rural: 5467}},
	}
	var buf bytes.Buffer
	if err := Units(&buf, in); err != nil {
		t.Fatal(err)
	}
	out, err := ParseUnits(bytes.NewReader(buf.Bytes()), "43")
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].Code != "430302" || out[0].Shares != in[0].Shares || *out[0].PopulationYear != 2020 || out[0].PopulationSource != "七普" ||
		out[1].Shares != in[1].Shares || out[1].Kind != "county" || out[1].Population != 787216 {
		t.Errorf("read back %+v", out)
	}
	buf.Reset()
	if err := Units(&buf, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseUnits(bytes.NewReader(buf.Bytes()), "43"); err == nil || !strings.Contains(err.Error(), "1 处错误") {
		t.Errorf("the empty template: %v", err)
	}
}
