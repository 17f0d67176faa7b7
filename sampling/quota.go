// Package sampling knows the sample design of the social-recognition survey
// (社会认可度调查): how large the sample is, how it is allocated to respondent
// categories and locales, and how a response is admitted into a quota cell.
// It knows nothing about HTTP.
package sampling

import (
	"errors"
	"fmt"
	"sort"
)

// Category is one of the seven respondent categories of the national survey.
type Category string

const (
	Student   Category = "student"   // 学生 (grade 3 and up)
	Parent    Category = "parent"    // 家长
	Teacher   Category = "teacher"   // 教师
	Principal Category = "principal" // 校长
	NPCDeputy Category = "npc"       // 人大代表
	CPPCC     Category = "cppcc"     // 政协委员
	Resident  Category = "resident"  // 其他群众
)

// Categories lists all seven categories, parents first, then the others in
// the order in which they receive the remainder of an uneven split.
var Categories = []Category{Parent, Student, Teacher, Resident, Principal, NPCDeputy, CPPCC}

// OtherCategories are the six non-parent categories in remainder order.
//
// When the non-parent part of the sample does not divide by six, the extra
// places go to students, teachers and other residents first: a county has
// thousands of each, while principals, NPC deputies and CPPCC members are
// small closed groups (often only a few hundred people) whose cells are the
// hardest to fill. Giving them the remainder would make full completion less
// likely without making the sample any more balanced.
var OtherCategories = Categories[1:]

var categoryNames = map[Category]string{
	Student: "学生", Parent: "家长", Teacher: "教师", Principal: "校长",
	NPCDeputy: "人大代表", CPPCC: "政协委员", Resident: "其他群众",
}

// Name is the category's Chinese name.
func (c Category) Name() string { return categoryNames[c] }

// Valid reports whether c is one of the seven categories.
func (c Category) Valid() bool { _, ok := categoryNames[c]; return ok }

// Locale is where a respondent lives or studies: 乡村, 镇区 or 城区.
type Locale string

const (
	Rural Locale = "rural" // 乡村
	Town  Locale = "town"  // 镇区
	Urban Locale = "urban" // 城区
)

// Locales lists the three locales from urban to rural.
var Locales = []Locale{Urban, Town, Rural}

var localeNames = map[Locale]string{Rural: "乡村", Town: "镇区", Urban: "城区"}

// Name is the locale's Chinese name.
func (l Locale) Name() string { return localeNames[l] }

// Valid reports whether l is one of the three locales.
func (l Locale) Valid() bool { _, ok := localeNames[l]; return ok }

// Shares is the resident population's split across locales, in basis points
// (1/10,000); the three add up to 10,000.
type Shares struct {
	Urban int `json:"urban"`
	Town  int `json:"town"`
	Rural int `json:"rural"`
}

// Of returns the share of locale l.
func (s Shares) Of(l Locale) int {
	switch l {
	case Urban:
		return s.Urban
	case Town:
		return s.Town
	default:
		return s.Rural
	}
}

// Validate checks that the shares are non-negative and add up to 100%.
func (s Shares) Validate() error {
	if s.Urban < 0 || s.Town < 0 || s.Rural < 0 {
		return errors.New("城区、镇区、乡村人口占比不能为负数")
	}
	if s.Urban+s.Town+s.Rural != 10000 {
		return fmt.Errorf("城区、镇区、乡村人口占比之和须为 100%%（现为 %.2f%%）", float64(s.Urban+s.Town+s.Rural)/100)
	}
	return nil
}

// Design is the sampling parameters of a campaign.
type Design struct {
	Population int64  // 常住人口, resident population of the evaluated unit
	RatePPM    int    // sampling rate in parts per million; 1500 is 1.5‰
	MinSample  int    // optional minimum sample (the 2012 rules used 600); 0 is off
	Shares     Shares // locale shares of the resident population
}

// DefaultRatePPM is the national rate of 1.5‰ of the resident population.
const DefaultRatePPM = 1500

// SampleSize is N = ⌈population × rate⌉, raised to the minimum sample when one
// is set. Integer arithmetic keeps 800,000 × 1.5‰ exactly 1,200.
func SampleSize(population int64, ratePPM, minSample int) int {
	if population <= 0 || ratePPM <= 0 {
		return max(minSample, 0)
	}
	n := int((population*int64(ratePPM) + 999_999) / 1_000_000)
	return max(n, minSample)
}

// Validate checks a design before it is used to allocate a quota.
func (d Design) Validate() error {
	if d.Population <= 0 {
		return errors.New("常住人口须为正整数")
	}
	if d.RatePPM <= 0 || d.RatePPM > 1_000_000 {
		return errors.New("抽样比例须大于 0 且不超过 100%")
	}
	if d.MinSample < 0 {
		return errors.New("最低样本量不能为负数")
	}
	return d.Shares.Validate()
}

// Cell is one quota cell: a category in a locale.
type Cell struct {
	Category Category `json:"category"`
	Locale   Locale   `json:"locale"`
	Target   int      `json:"target"`
}

// Allocation is the whole quota of a campaign.
type Allocation struct {
	SampleSize int              `json:"sample_size"`
	ByCategory map[Category]int `json:"by_category"`
	Cells      []Cell           `json:"cells"`
}

// Allocate splits the sample of a design into category × locale cells.
//
// Parents get ⌈N/2⌉ (the 50% floor, rounded up so it always holds); the six
// other categories share the rest as equally as integers allow, the
// remainder going to the categories in OtherCategories order. Each
// category's places are then split across locales in proportion to the
// population shares by the largest-remainder method.
func Allocate(d Design) (Allocation, error) {
	if err := d.Validate(); err != nil {
		return Allocation{}, err
	}
	n := SampleSize(d.Population, d.RatePPM, d.MinSample)
	a := Allocation{SampleSize: n, ByCategory: make(map[Category]int, len(Categories))}
	parents := (n + 1) / 2
	a.ByCategory[Parent] = parents
	rest := n - parents
	base, extra := rest/len(OtherCategories), rest%len(OtherCategories)
	for i, c := range OtherCategories {
		a.ByCategory[c] = base
		if i < extra {
			a.ByCategory[c]++
		}
	}
	for _, c := range Categories {
		split := LargestRemainder(a.ByCategory[c], d.Shares)
		for _, l := range Locales {
			a.Cells = append(a.Cells, Cell{Category: c, Locale: l, Target: split[l]})
		}
	}
	return a, nil
}

// LargestRemainder splits total places across locales in proportion to
// shares (basis points). Each locale first gets the floor of its exact
// quota; the places left over go to the largest fractional remainders, ties
// broken by the larger share and then by the order of Locales.
func LargestRemainder(total int, s Shares) map[Locale]int {
	out := make(map[Locale]int, len(Locales))
	type part struct {
		l         Locale
		remainder int
		share     int
	}
	parts := make([]part, 0, len(Locales))
	given := 0
	for _, l := range Locales {
		exact := total * s.Of(l) // in units of 1/10,000 place
		out[l] = exact / 10000
		given += out[l]
		parts = append(parts, part{l, exact % 10000, s.Of(l)})
	}
	sort.SliceStable(parts, func(i, j int) bool {
		if parts[i].remainder != parts[j].remainder {
			return parts[i].remainder > parts[j].remainder
		}
		return parts[i].share > parts[j].share
	})
	for i := 0; given < total; i++ {
		out[parts[i%len(parts)].l]++
		given++
	}
	return out
}

// Target returns the target of one cell, or 0 when the allocation has none.
func (a Allocation) Target(c Category, l Locale) int {
	for _, cell := range a.Cells {
		if cell.Category == c && cell.Locale == l {
			return cell.Target
		}
	}
	return 0
}

// Place is a cell of the category × locale grid, without its target.
type Place struct {
	Category Category
	Locale   Locale
}

// Grant decides which of a group of responses, in arrival order, take a
// place in their cell: under Cap while the cell has room, under Floor
// always. A response whose cell does not exist gets none. cells holds the
// current counts; Grant returns who got a place and how many places each
// cell gave.
func Grant(cells []CellProgress, wants []Place, p Policy) ([]bool, map[Place]int) {
	room := make(map[Place]int, len(cells))
	for _, c := range cells {
		room[Place{c.Category, c.Locale}] = c.Target - c.Admitted
	}
	got := make([]bool, len(wants))
	given := map[Place]int{}
	for i, w := range wants {
		left, ok := room[w]
		if !ok || (p != Floor && left <= 0) {
			continue
		}
		room[w], got[i] = left-1, true
		given[w]++
	}
	return got, given
}
