// Package sampling knows the sample design of the social-recognition survey
// (社会认可度调查): how large the sample is, how it is allocated to respondent
// categories and locales, and how a response is admitted into a quota cell.
// It knows nothing about HTTP.
package sampling

import (
	"errors"
	"fmt"
	"slices"
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
// remainder going to the categories in OtherCategories order.
//
// The category × locale table is then rounded as a whole (controlled
// rounding): the locale totals are N's split by the largest-remainder
// method, so each is within one place of N × share, and every cell is its
// exact quota (category places × share) rounded down or up, so within one
// place of it, with each row adding up to its category's places. The
// national notices ask that the whole sample's urban/town/rural mix match
// the population's; rounding each category on its own, with the same
// tie-breaks, can drift the totals by several places (399,999 residents at
// 33.3/33.3/33.4 gave 202/196/202 against 199.8/199.8/200.4).
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
	rows := make([]int, len(Categories))
	for i, c := range Categories {
		rows[i] = a.ByCategory[c]
	}
	table := controlledRounding(rows, LargestRemainder(n, d.Shares), d.Shares)
	for i, c := range Categories {
		for _, l := range Locales {
			a.Cells = append(a.Cells, Cell{Category: c, Locale: l, Target: table[i][l]})
		}
	}
	return a, nil
}

// controlledRounding rounds the table whose row i holds rows[i] places
// split by shares, so that each row adds up to rows[i], each column to
// cols, and each cell is its exact value rounded down or up.
//
// Each row starts from the floors of its cells; its places left over go
// to cells with a fractional part, one each. Of the ways to do that whose
// columns add up to cols, the one chosen has the smallest total rounding
// error Σ|cell − exact|, and among those the one closest, row by row in
// the order of Categories, to each row's own largest-remainder split.
// Such a rounding always exists with three locales: any column total
// within one of its exact value leaves every set of columns within one
// of its exact sum, which the rows' floors and ceilings can always meet.
// With at most three choices per row and seven rows, trying every
// combination is a few thousand steps.
func controlledRounding(rows []int, cols map[Locale]int, s Shares) []map[Locale]int {
	type option struct {
		up   []Locale // cells rounded up
		cost int      // Σ|cell − exact| of the row, in 1/10,000 place
	}
	options := make([][]option, len(rows))
	floors := make([]map[Locale]int, len(rows))
	need := map[Locale]int{}
	for _, l := range Locales {
		need[l] = cols[l]
	}
	for i, total := range rows {
		floors[i] = map[Locale]int{}
		var fractional []Locale // in largest-remainder order
		rem := map[Locale]int{}
		left := total
		for _, l := range Locales {
			exact := total * s.Of(l)
			floors[i][l], rem[l] = exact/10000, exact%10000
			left -= floors[i][l]
			need[l] -= floors[i][l]
			if rem[l] > 0 {
				fractional = append(fractional, l)
			}
		}
		sort.SliceStable(fractional, func(a, b int) bool {
			if rem[fractional[a]] != rem[fractional[b]] {
				return rem[fractional[a]] > rem[fractional[b]]
			}
			return s.Of(fractional[a]) > s.Of(fractional[b])
		})
		// Every way to round up `left` of the fractional cells, in
		// lexicographic order of their places in fractional: the first is
		// the row's own largest-remainder split.
		var pick func(from int, chosen []Locale)
		pick = func(from int, chosen []Locale) {
			if len(chosen) == left {
				o := option{up: slices.Clone(chosen)}
				for _, l := range fractional {
					if slices.Contains(o.up, l) {
						o.cost += 10000 - rem[l]
					} else {
						o.cost += rem[l]
					}
				}
				options[i] = append(options[i], o)
				return
			}
			for j := from; j < len(fractional); j++ {
				pick(j+1, append(chosen, fractional[j]))
			}
		}
		pick(0, nil)
	}
	best, bestCost := []int(nil), -1
	choice := make([]int, len(rows))
	var search func(i, cost int)
	search = func(i, cost int) {
		if bestCost >= 0 && cost >= bestCost {
			return // a later combination must be strictly better
		}
		if i == len(rows) {
			for _, l := range Locales {
				if need[l] != 0 {
					return
				}
			}
			best, bestCost = slices.Clone(choice), cost
			return
		}
		for j, o := range options[i] {
			ok := true
			for _, l := range o.up {
				need[l]--
				ok = ok && need[l] >= 0
			}
			if ok {
				choice[i] = j
				search(i+1, cost+o.cost)
			}
			for _, l := range o.up {
				need[l]++
			}
		}
	}
	search(0, 0)
	out := make([]map[Locale]int, len(rows))
	for i := range rows {
		out[i] = floors[i]
		if best == nil {
			continue // unreachable (see above); the floors keep every rule but the totals
		}
		for _, l := range options[i][best[i]].up {
			out[i][l]++
		}
	}
	if best == nil {
		// Should never happen: fall back to each row's own split.
		for i, total := range rows {
			out[i] = LargestRemainder(total, s)
		}
	}
	return out
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
