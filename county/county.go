// Package county knows the evaluated unit (评价单位: a county, district or
// town) and its schools.
package county

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"renke/division"
	"renke/sampling"
)

// Unit is an evaluated unit.
type Unit struct {
	ID               int64           `json:"id"`
	Code             string          `json:"code"` // e.g. the administrative division code
	Name             string          `json:"name"`
	Kind             string          `json:"kind"`       // county, district, city or town
	Population       int64           `json:"population"` // 常住人口
	PopulationSource string          `json:"population_source"`
	PopulationYear   *int32          `json:"population_year"`
	Shares           sampling.Shares `json:"shares"` // basis points by locale
	// CodeReason (代码说明) is why a six-digit code not on the division list
	// is used (a county set up after the list's date); empty otherwise.
	CodeReason string `json:"code_reason,omitempty"`
}

// WideName is what a link for the whole unit is called: 全县通用,
// 全区通用, 全市通用 or 全镇通用.
func (u Unit) WideName() string {
	short := map[string]string{"county": "县", "district": "区", "city": "市", "town": "镇"}[u.Kind]
	if short == "" {
		short = "县"
	}
	return "全" + short + "通用"
}

// UnitKinds names the kinds of unit in Chinese.
var UnitKinds = map[string]string{"county": "县", "district": "区", "city": "县级市", "town": "镇区"}

var codePattern = regexp.MustCompile(`^[0-9A-Za-z_-]{1,32}$`)

// Validate checks a unit before it is saved; messages are for staff.
//
// A six-digit code is a division code and must be a county-level one on
// the embedded list (division.Edition), unless a reason is given; other
// codes (letters, other lengths) are the deployment's own and stand
// outside every region.
func (u *Unit) Validate() error {
	u.Code, u.Name, u.CodeReason = strings.TrimSpace(u.Code), strings.TrimSpace(u.Name), strings.TrimSpace(u.CodeReason)
	if division.County(u.Code) || !sixDigits(u.Code) {
		u.CodeReason = ""
	}
	switch {
	case !codePattern.MatchString(u.Code):
		return errors.New("单位代码须为 1 至 32 位字母、数字、下划线或连字符")
	case sixDigits(u.Code) && !division.County(u.Code) && u.CodeReason == "":
		return fmt.Errorf("单位代码 %s 不是%s中的县级行政区划代码；如确需使用（如新设立的县级单位），请填写代码说明", u.Code, division.Edition)
	case utf8.RuneCountInString(u.CodeReason) > 200:
		return errors.New("代码说明不超过 200 字")
	case u.Name == "" || utf8.RuneCountInString(u.Name) > 100:
		return errors.New("单位名称不能为空，且不超过 100 字")
	case UnitKinds[u.Kind] == "":
		return errors.New("单位类型须为 county、district、city 或 town")
	case u.Population <= 0:
		return errors.New("常住人口须为正整数")
	case u.PopulationYear != nil && (*u.PopulationYear < 1950 || *u.PopulationYear > 2100):
		return errors.New("人口数据年份无效")
	case utf8.RuneCountInString(u.PopulationSource) > 200:
		return errors.New("人口数据来源不超过 200 字")
	}
	return u.Shares.Validate()
}

// SchoolType is a school's level and type.
type SchoolType string

const (
	Primary        SchoolType = "primary"         // 小学
	Junior         SchoolType = "junior"          // 初中
	NineYear       SchoolType = "nine_year"       // 九年一贯制学校
	TwelveYear     SchoolType = "twelve_year"     // 十二年一贯制学校
	CompleteMiddle SchoolType = "complete_middle" // 完全中学
	Special        SchoolType = "special"         // 特殊教育学校
	TeachingPoint  SchoolType = "teaching_point"  // 教学点
)

var schoolTypeNames = map[SchoolType]string{
	Primary: "小学", Junior: "初中", NineYear: "九年一贯制学校", TwelveYear: "十二年一贯制学校",
	CompleteMiddle: "完全中学", Special: "特殊教育学校", TeachingPoint: "教学点",
}

// SchoolTypes lists every type.
var SchoolTypes = []SchoolType{Primary, Junior, NineYear, TwelveYear, CompleteMiddle, Special, TeachingPoint}

// Name is the type's Chinese name.
func (t SchoolType) Name() string { return schoolTypeNames[t] }

// HasPrimary reports whether the type teaches grades 1–6.
func (t SchoolType) HasPrimary() bool {
	return t == Primary || t == NineYear || t == TwelveYear || t == Special || t == TeachingPoint
}

// HasJunior reports whether the type teaches grades 7–9.
func (t SchoolType) HasJunior() bool {
	return t == Junior || t == NineYear || t == TwelveYear || t == CompleteMiddle || t == Special
}

// School is one school of a unit.
type School struct {
	ID           int64           `json:"id"`
	UnitID       int64           `json:"unit_id"`
	Name         string          `json:"name"`
	Type         SchoolType      `json:"type"`
	Locale       sampling.Locale `json:"locale"`
	Public       bool            `json:"public"`
	EnrolPrimary int32           `json:"enrol_primary"`
	EnrolJunior  int32           `json:"enrol_junior"`
}

// Teaches reports whether the school has the grades of band b.
func (s *School) Teaches(b sampling.GradeBand) bool {
	if b.Primary() {
		return s.Type.HasPrimary()
	}
	return s.Type.HasJunior()
}

// Validate checks a school before it is saved; messages are for staff.
func (s *School) Validate() error {
	s.Name = strings.TrimSpace(s.Name)
	switch {
	case s.Name == "" || utf8.RuneCountInString(s.Name) > 100:
		return errors.New("学校名称不能为空，且不超过 100 字")
	case strings.ContainsFunc(s.Name, func(r rune) bool { return !unicode.IsGraphic(r) }):
		// Control and unassigned characters cannot be shown, nor written
		// to a workbook (XML has no U+FFFF).
		return errors.New("学校名称含有无法显示的字符，请删除后重新填写")
	case s.Type.Name() == "":
		return fmt.Errorf("学校类型 %q 无效", s.Type)
	case !s.Locale.Valid():
		return fmt.Errorf("城乡类别 %q 无效，须为 urban、town 或 rural", s.Locale)
	case s.EnrolPrimary < 0 || s.EnrolJunior < 0:
		return errors.New("在校生数不能为负数")
	case s.EnrolPrimary > 0 && !s.Type.HasPrimary():
		return fmt.Errorf("%s没有小学学段，小学在校生数应为 0", s.Type.Name())
	case s.EnrolJunior > 0 && !s.Type.HasJunior():
		return fmt.Errorf("%s没有初中学段，初中在校生数应为 0", s.Type.Name())
	}
	return nil
}

// A region (地区) is a province, a city or a county by its administrative
// division code (GB/T 2260, six digits): the first two digits name the
// province, the first four the city, so a region's units are those whose
// code starts with its prefix.

// RegionPrefix reads a region code: two digits (a province), four (a
// city), or six ending in 0000 or 00, which name the same; 000000 is the
// whole country. The answer is the prefix its units' codes start with.
func RegionPrefix(code string) (string, bool) {
	code = strings.TrimSpace(code)
	for _, r := range code {
		if r < '0' || r > '9' {
			return "", false
		}
	}
	switch {
	case code == "000000": // the whole country: every unit
		return "", true
	case len(code) == 2 || len(code) == 4:
		return code, true
	case len(code) == 6 && strings.HasSuffix(code, "0000"):
		return code[:2], true
	case len(code) == 6 && strings.HasSuffix(code, "00"):
		return code[:4], true
	}
	return "", false
}

// InRegion reports whether a unit's code is under a region prefix; the
// whole country ("") holds the units whose codes are division codes (all
// digits), not those with codes of their own such as "demo".
func InRegion(code, prefix string) bool {
	if prefix == "" {
		return code != "" && strings.Trim(code, "0123456789") == ""
	}
	return strings.HasPrefix(code, prefix)
}

// RegionName names a region prefix for people: 全国 for the whole country,
// else the division's name and its six-digit code, 湘潭市 (430300), or 地区
// and the code for a prefix not on the division list.
func RegionName(prefix string) string {
	if prefix == "" {
		return "全国"
	}
	if name, ok := division.Name(prefix); ok {
		return name + " (" + DivisionCode(prefix) + ")"
	}
	return "地区 " + DivisionCode(prefix)
}

// Bureau names the education department of a unit or region, as the
// organiser (主办) of a survey: the unit's own 教育局 when region is "";
// else the region's by its six-digit code: 教育部 for 000000, a
// province's 教育厅 (湖南省教育厅), a city's 教育局 (湘潭市教育局). A region
// code not on the division list is named by its code.
func Bureau(u Unit, region string) string {
	if region == "" {
		return u.Name + "教育局"
	}
	prefix, ok := RegionPrefix(region)
	if !ok {
		return u.Name + "教育局"
	}
	name, known := division.Name(prefix)
	switch {
	case prefix == "":
		return "教育部"
	case !known:
		return "地区 " + region + " 教育行政部门"
	case len(prefix) == 2:
		return name + "教育厅"
	}
	return name + "教育局"
}

// DivisionCode is the six-digit code of a region prefix: 43 is 430000,
// 4303 is 430300.
func DivisionCode(prefix string) string {
	if len(prefix) >= 6 {
		return prefix
	}
	return prefix + strings.Repeat("0", 6-len(prefix))
}

// sixDigits reports whether code is six digits, as a division code is.
func sixDigits(code string) bool {
	return len(code) == 6 && strings.Trim(code, "0123456789") == ""
}

// CountyLevel reports whether code is a county-level division code: six
// digits not ending in 00 (a code ending in 00 names a city or province).
func CountyLevel(code string) bool {
	if len(code) != 6 || strings.HasSuffix(code, "00") {
		return false
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Cities is the cities (four-digit prefixes of six-digit division codes)
// with at least min of the units, in code order.
func Cities(units []Unit, min int) []string {
	n := map[string]int{}
	for _, u := range units {
		if len(u.Code) != 6 {
			continue
		}
		if city, ok := RegionPrefix(u.Code[:4]); ok {
			n[city]++
		}
	}
	var out []string
	for city, k := range n {
		if k >= min {
			out = append(out, city)
		}
	}
	slices.Sort(out)
	return out
}
