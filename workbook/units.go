package workbook

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"renke/county"
	"renke/division"
	"renke/sampling"
)

// UnitSheet is the sheet of the region's unit list (评价单位名单): one row
// per county or district, with its resident population and how that
// population splits across urban, town and rural areas, from which each
// unit's quota is drawn.
const UnitSheet = "评价单位名单"

// unitColumns are the unit list's columns: header and hint. The last,
// 代码说明, may be missing from a list made before it.
var unitColumns = []struct{ Header, Hint string }{
	{"行政区划代码", "6 位县级行政区划代码（GB/T 2260），如 430302；须属于导入的地区，且在" + division.Edition + "中"},
	{"单位名称", "如 雨湖区，不超过 100 字"},
	{"单位类型", "县、区、县级市（自治县、旗、自治旗、特区、林区按县，市辖区按区）"},
	{"常住人口", "人，正整数，如 812345"},
	{"城区人口占比（%）", "百分数，最多两位小数，三项之和为 100"},
	{"镇区人口占比（%）", "百分数，最多两位小数"},
	{"乡村人口占比（%）", "百分数，最多两位小数"},
	{"人口数据来源", "选填，如 第七次全国人口普查公报"},
	{"人口数据年份", "选填，如 2020"},
	{"代码说明", "代码不在行政区划代码表中时必填（如新设立的县级单位），说明代码的来源，不超过 200 字；否则留空"},
}

// unitCodeReason is the one column a unit list may lack.
const unitCodeReason = "代码说明"

// unitKindByName reads 单位类型, with the names other lists use for the
// same kinds: autonomous counties, banners, special and forest districts
// are county-level like a county.
var unitKindByName = map[string]string{"县": "county", "区": "district", "县级市": "city", "市": "city",
	"自治县": "county", "旗": "county", "自治旗": "county", "特区": "county", "林区": "county", "市辖区": "district"}

// UnitHeaders lists the unit list's column headers in order.
func UnitHeaders() []string {
	out := make([]string, len(unitColumns))
	for i, c := range unitColumns {
		out[i] = c.Header
	}
	return out
}

// MaxUnits bounds a unit list: China has about 2,900 county-level units.
const MaxUnits = 3500

// ParseUnits reads a region's unit list. Every unit must be a county-level
// division under the region prefix; every problem is reported by row and
// column in Chinese, and if there is any, no unit is returned.
func ParseUnits(r io.Reader, prefix string) ([]county.Unit, error) {
	rows, err := readSheet(r, UnitSheet)
	if err != nil {
		return nil, err
	}
	return parseUnitRows(rows, prefix)
}

func parseUnitRows(rows [][]string, prefix string) ([]county.Unit, error) {
	at, err := headed(rows, slices.DeleteFunc(UnitHeaders(), func(h string) bool { return h == unitCodeReason }))
	if err != nil {
		return nil, err
	}
	var probs []CellError
	if len(rows)-1 > MaxUnits {
		return nil, &ImportError{Problems: []CellError{{Row: MaxUnits + 2, Message: fmt.Sprintf("最多 %d 个评价单位", MaxUnits)}}}
	}
	var out []county.Unit
	seen := map[string]int{}
	for n, row := range rows[1:] {
		line := n + 2
		cell := func(h string) string {
			if i, ok := at[h]; ok && i < len(row) {
				return strings.TrimSpace(row[i])
			}
			return ""
		}
		empty := true
		for _, c := range unitColumns {
			empty = empty && cell(c.Header) == ""
		}
		if empty {
			continue
		}
		bad := func(h, msg string) {
			probs = append(probs, CellError{Row: line, Column: letter(at[h]), Header: h, Message: msg})
		}
		before := len(probs)
		u := readUnit(cell, bad, prefix)
		if len(probs) == before {
			if err := u.Validate(); err != nil {
				probs = append(probs, CellError{Row: line, Message: err.Error()})
			}
		}
		if u.Code != "" {
			if first, dup := seen[u.Code]; dup {
				bad("行政区划代码", fmt.Sprintf("与第 %d 行重复", first))
			} else {
				seen[u.Code] = line
			}
		}
		if len(probs) >= maxProblems {
			break
		}
		out = append(out, u)
	}
	if len(probs) > 0 {
		return nil, &ImportError{Problems: probs}
	}
	if len(out) == 0 {
		return nil, &ImportError{Problems: []CellError{{Row: 2, Message: "没有评价单位，请从第 2 行起每个县（区）填写一行"}}}
	}
	return out, nil
}

// readUnit reads one unit from its cells, telling bad about every cell
// that cannot be read.
func readUnit(cell func(string) string, bad func(h, msg string), prefix string) county.Unit {
	u := county.Unit{Code: cell("行政区划代码"), Name: cell("单位名称"), PopulationSource: cell("人口数据来源"), CodeReason: cell(unitCodeReason)}
	switch {
	case !county.CountyLevel(u.Code):
		bad("行政区划代码", fmt.Sprintf("“%s”不是县级行政区划代码：须为 6 位数字，且后两位不为 00", u.Code))
	case !strings.HasPrefix(u.Code, prefix):
		bad("行政区划代码", fmt.Sprintf("%s 不属于%s", u.Code, county.RegionName(prefix)))
	}
	if u.Name == "" {
		bad("单位名称", "不能为空")
	}
	kind := cell("单位类型")
	if u.Kind = unitKindByName[kind]; u.Kind == "" {
		bad("单位类型", fmt.Sprintf("“%s”无效，须为 县、区 或 县级市", kind))
	}
	pop := strings.ReplaceAll(cell("常住人口"), ",", "")
	if p, err := strconv.ParseFloat(pop, 64); err != nil || p <= 0 || p != math.Trunc(p) || p > 1e9 {
		bad("常住人口", fmt.Sprintf("“%s”无效，须为正整数（人）", pop))
	} else {
		u.Population = int64(p)
	}
	if y := cell("人口数据年份"); y != "" {
		if v, err := strconv.Atoi(y); err != nil || v < 1950 || v > 2100 {
			bad("人口数据年份", fmt.Sprintf("“%s”无效，须为 1950 至 2100 之间的年份", y))
		} else {
			v32 := int32(v)
			u.PopulationYear = &v32
		}
	}
	u.Shares = readShares(cell, bad)
	return u
}

// readShares reads the three locale shares in percent, two decimals at
// most, as basis points. A workbook whose cells are formatted as
// percentages holds fractions (0.3512 for 35.12%): when all three are
// fractions adding up to 1, they are read as such.
func readShares(cell func(string) string, bad func(h, msg string)) sampling.Shares {
	heads := []string{"城区人口占比（%）", "镇区人口占比（%）", "乡村人口占比（%）"}
	var x [3]float64
	sum, ok := 0.0, true
	for i, h := range heads {
		raw := strings.TrimSuffix(strings.TrimSpace(cell(h)), "%")
		if raw == "" {
			raw = "0"
		}
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil || v < 0 || v > 100 || math.IsNaN(v) {
			bad(h, fmt.Sprintf("“%s”无效，须为 0 至 100 之间的百分数", cell(h)))
			ok = false
			continue
		}
		x[i], sum = v, sum+v
	}
	if !ok {
		return sampling.Shares{}
	}
	if sum > 0 && math.Abs(sum-1) < 1e-9 {
		for i := range x {
			x[i] *= 100
		}
	}
	var bp [3]int
	for i, h := range heads {
		bp[i] = int(math.Round(x[i] * 100))
		if math.Abs(x[i]*100-float64(bp[i])) > 1e-6 {
			bad(h, fmt.Sprintf("“%s”最多保留两位小数", cell(h)))
		}
	}
	return sampling.Shares{Urban: bp[0], Town: bp[1], Rural: bp[2]}
}

// Units writes the unit list: the template when units is empty, otherwise
// the units, so a city can fill in, correct and import again.
func Units(w io.Writer, units []county.Unit) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", UnitSheet); err != nil {
		return err
	}
	head, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "center"}})
	text, _ := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": codes stay text
	hdr := make([]any, len(unitColumns))
	for i, c := range unitColumns {
		hdr[i] = c.Header
	}
	if err := f.SetSheetRow(UnitSheet, "A1", &hdr); err != nil {
		return err
	}
	last := letter(len(unitColumns) - 1)
	_ = f.SetCellStyle(UnitSheet, "A1", last+"1", head)
	_ = f.SetColStyle(UnitSheet, "A", text)
	_ = f.SetColWidth(UnitSheet, "A", "B", 16)
	_ = f.SetColWidth(UnitSheet, "C", last, 14)
	_ = f.SetColWidth(UnitSheet, "H", "H", 28)
	_ = f.SetColWidth(UnitSheet, last, last, 36)
	_ = f.SetRowHeight(UnitSheet, 1, 32)
	_ = f.SetPanes(UnitSheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	for r, u := range units {
		year := any("")
		if u.PopulationYear != nil {
			year = int(*u.PopulationYear)
		}
		row := []any{u.Code, u.Name, county.UnitKinds[u.Kind], u.Population,
			float64(u.Shares.Urban) / 100, float64(u.Shares.Town) / 100, float64(u.Shares.Rural) / 100, u.PopulationSource, year, u.CodeReason}
		if err := f.SetSheetRow(UnitSheet, fmt.Sprintf("A%d", r+2), &row); err != nil {
			return err
		}
	}
	dv := excelize.NewDataValidation(true)
	dv.Sqref = fmt.Sprintf("C2:C%d", MaxUnits+1)
	if err := dv.SetDropList([]string{"县", "区", "县级市"}); err != nil {
		return err
	}
	if err := f.AddDataValidation(UnitSheet, dv); err != nil {
		return err
	}
	const notes = "填表说明"
	if _, err := f.NewSheet(notes); err != nil {
		return err
	}
	_ = f.SetSheetRow(notes, "A1", &[]any{"列", "列标题", "填写要求"})
	_ = f.SetCellStyle(notes, "A1", "C1", head)
	for i, c := range unitColumns {
		_ = f.SetSheetRow(notes, fmt.Sprintf("A%d", i+2), &[]any{letter(i), c.Header, c.Hint})
	}
	_ = f.SetCellValue(notes, fmt.Sprintf("A%d", len(unitColumns)+3),
		"每个县（市、区）一行，按行政区划代码匹配：已有的单位更新名称、类型、人口和城乡占比，新单位自动添加，名单中没有的单位保留不动。任何一行有误时不导入任何数据，并按行、列列出错误。")
	_ = f.SetColWidth(notes, "B", "B", 22)
	_ = f.SetColWidth(notes, "C", "C", 60)
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}
