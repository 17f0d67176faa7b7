// Package evaluation computes the quality-balanced indicator evaluation
// (县域义务教育优质均衡发展督导评估) of a county from its school statistics,
// its county-level findings and its survey result, and says what to fix.
//
// The rules of a province are data: a Profile read from a JSON file. The
// engine is pure: no HTTP, no SQL, no clock.
package evaluation

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"renke/county"
	"renke/sampling"
)

// Level is a school stage of compulsory education.
type Level string

const (
	Primary Level = "primary" // 小学
	Junior  Level = "junior"  // 初中
)

// Levels lists the compulsory stages.
var Levels = []Level{Primary, Junior}

// Name is the level's Chinese name.
func (l Level) Name() string {
	if l == Primary {
		return "小学"
	}
	return "初中"
}

// Resource names one of the seven resource-allocation indicators.
type Resource string

const (
	QualifiedTeachers Resource = "qualified_teachers" // 每百名学生拥有高于规定学历教师数
	KeyTeachers       Resource = "key_teachers"       // 每百名学生拥有县级以上骨干教师数
	PEArtsTeachers    Resource = "pe_arts_teachers"   // 每百名学生拥有体育、艺术专任教师数
	TeachingArea      Resource = "teaching_area"      // 生均教学及辅助用房面积
	SportsArea        Resource = "sports_area"        // 生均体育运动场馆面积
	EquipmentValue    Resource = "equipment_value"    // 生均教学仪器设备值
	MultimediaRooms   Resource = "multimedia_rooms"   // 每百名学生拥有网络多媒体教室数
)

// Resources lists the seven indicators in the order of the national method.
var Resources = []Resource{QualifiedTeachers, KeyTeachers, PEArtsTeachers, TeachingArea, SportsArea, EquipmentValue, MultimediaRooms}

// per100 reports whether the indicator counts per 100 students (else per student).
func (r Resource) per100() bool {
	return r == QualifiedTeachers || r == KeyTeachers || r == PEArtsTeachers || r == MultimediaRooms
}

// physical reports whether the resource belongs to the whole school and is
// split between the stages of a combined school (teachers are counted in
// the stage they teach).
func (r Resource) physical() bool {
	return r == TeachingArea || r == SportsArea || r == EquipmentValue || r == MultimediaRooms
}

// Standard is one resource indicator's standard in a profile.
type Standard struct {
	Resource Resource `json:"resource"`
	No       string   `json:"no"`
	Name     string   `json:"name"`
	Unit     string   `json:"unit"`     // of the indicator: 人, 平方米, 元, 间
	Primary  float64  `json:"primary"`  // the standard for primary
	Junior   float64  `json:"junior"`   // and for junior
	Action   string   `json:"action"`   // what to add: 高于规定学历教师
	Quantity string   `json:"quantity"` // the unit of what to add: 人, 平方米, 元, 间
	UnitCost float64  `json:"unit_cost"`
}

// For is the standard at level l.
func (s Standard) For(l Level) float64 {
	if l == Primary {
		return s.Primary
	}
	return s.Junior
}

// ResourceRules are the resource-allocation rules of a profile.
type ResourceRules struct {
	Standards []Standard `json:"standards"`
	// MinMet of the seven must meet their standard in every school, and
	// each of the others must reach RemainderFloor of its standard.
	MinMet         int                 `json:"min_met"`
	RemainderFloor float64             `json:"remainder_floor"`
	CVLimit        map[Level]float64   `json:"cv_limit"`
	ExcludeTypes   []county.SchoolType `json:"exclude_types"`
	// Teaching points (教学点) below this enrolment are left out.
	TeachingPointMin int `json:"teaching_point_min"`
	// Split gives the weights by which a combined school's physical
	// resources are divided between its stages (primary, junior, senior).
	Split map[county.SchoolType]map[string]float64 `json:"split"`
}

// Limit is the coefficient-of-variation limit at level l.
func (rr ResourceRules) Limit(l Level) float64 { return rr.CVLimit[l] }

// Rule names a check the engine knows how to make.
type Rule string

const (
	RuleResource      Rule = "resource"       // a resource indicator: every school, county value, CV
	RuleJudgement     Rule = "judgement"      // met or not, entered with an evidence note
	RuleAtLeast       Rule = "at_least"       // a county figure ≥ min
	RuleBelow         Rule = "below"          // a county figure < max
	RuleRatio         Rule = "ratio"          // county figure num ÷ den ≥ min
	RuleSpecialRooms  Rule = "special_rooms"  // music and art rooms per 12 classes, with their areas
	RuleSchoolSize    Rule = "school_size"    // compulsory-stage enrolment per school
	RuleClassSize     Rule = "class_size"     // the largest class per stage
	RuleSmallFunding  Rule = "small_funding"  // small village schools funded as if they had 100 students
	RuleSpecialFunds  Rule = "special_funds"  // special-education funds per student
	RuleCertificates  Rule = "certificates"   // teachers holding a certificate
	RuleTrainingFunds Rule = "training_funds" // training funds as a share of operating funds, per school
	RuleRecognition   Rule = "recognition"    // the survey's recognition rate
	RuleStaffing      Rule = "staffing"       // pupils per full-time teacher, per level and locale
	RuleSurveyDesign  Rule = "survey_design"  // the linked survey's sample against the profile's survey rules
)

var rules = []Rule{RuleResource, RuleJudgement, RuleAtLeast, RuleBelow, RuleRatio, RuleSpecialRooms,
	RuleSchoolSize, RuleClassSize, RuleSmallFunding, RuleSpecialFunds, RuleCertificates, RuleTrainingFunds,
	RuleRecognition, RuleStaffing, RuleSurveyDesign}

// Check is one condition of a hard indicator.
type Check struct {
	Rule  Rule   `json:"rule"`
	Label string `json:"label"`
	// Key is the resource of a resource check, the judgement's key, or the
	// county figure compared by at_least and below.
	Key string `json:"key,omitempty"`
	// Num and Den are the county figures of a ratio check.
	Num string `json:"num,omitempty"`
	Den string `json:"den,omitempty"`
	// Params are the rule's numbers: min, max, primary, junior, combined, …
	Params map[string]float64 `json:"params,omitempty"`
	// ExcludeTypes are school types a per-school check leaves out.
	ExcludeTypes []county.SchoolType `json:"exclude_types,omitempty"`
	// LocaleParams override Params for the schools of a locale, where a
	// rule's number differs between urban, town and rural schools.
	LocaleParams map[sampling.Locale]map[string]float64 `json:"locale_params,omitempty"`
	// ID names the check for a variant (Variant.Checks).
	ID string `json:"id,omitempty"`
	// Note is why the check reads the source as it does, and what its
	// scope is, with the source's place: the report shows it beside the
	// check (e.g. "教学点计入小学，见说明4").
	Note string `json:"note,omitempty"`
}

// param is the check's number for a school's locale.
func (c Check) param(name string, l sampling.Locale) float64 {
	if v, ok := c.LocaleParams[l][name]; ok {
		return v
	}
	return c.Params[name]
}

// Item is one scored point of a soft (B) indicator.
type Item struct {
	No     string  `json:"no"`
	Name   string  `json:"name"`
	Points float64 `json:"points"`
	// SurveyAreas, when set, make the item's score come from the survey:
	// by Conversion, from the recognition rate of these content areas.
	SurveyAreas []string `json:"survey_areas,omitempty"`
	// Conversion turns the survey's rate into points: "proportional"
	// (the default: points × rate, exact) or "threshold" (all the points
	// at a rate of at least Threshold, none below).
	Conversion string  `json:"conversion,omitempty"`
	Threshold  float64 `json:"threshold,omitempty"`
	// Series, when set, make the item's score come from figures the
	// county enters year by year (Profile.Series), once any year is
	// entered: all the points when none of them falls from one year to
	// the next over its years (只增不减), none when one does; 待填报 until
	// every year is entered. Before any is, a score entered by hand counts.
	Series []string `json:"series,omitempty"`
}

// RegistrationField is one field of the registration form.
type RegistrationField struct {
	Key   string `json:"key"`
	Label string `json:"label"`
}

// RegistrationFields are the profile's fields of the registration form.
func (p *Profile) RegistrationFields() []RegistrationField {
	if len(p.Registration) > 0 {
		return p.Registration
	}
	return []RegistrationField{{Key: "contact", Label: "联系人"}, {Key: "phone", Label: "联系电话"}}
}

// SeriesInput is a county figure entered for each of several years, up
// to the year evaluated (e.g. five years of general public budget
// education spending).
type SeriesInput struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Unit  string `json:"unit"`
	Years int    `json:"years"`
}

// SeriesYears are the years of a series for the school year evaluated:
// the Years calendar years up to it, oldest first.
func (s SeriesInput) SeriesYears(year int) []int {
	out := make([]int, s.Years)
	for i := range out {
		out[i] = year - s.Years + 1 + i
	}
	return out
}

// SeriesInput is the profile's series with the key.
func (p *Profile) SeriesInput(key string) (SeriesInput, bool) {
	for _, s := range p.Series {
		if s.Key == key {
			return s, true
		}
	}
	return SeriesInput{}, false
}

// surveyPoints is the item's points for a recognition rate.
func (it Item) surveyPoints(rate float64) float64 {
	if it.Conversion == "threshold" {
		if atLeast(rate, it.Threshold) {
			return it.Points
		}
		return 0
	}
	return it.Points * rate
}

// Indicator is one indicator of a profile: hard (A) with checks that must
// all hold, or soft (B) with items scored in points.
type Indicator struct {
	No        string  `json:"no"`
	Dimension string  `json:"dimension"`
	Name      string  `json:"name"`
	Class     string  `json:"class"` // A or B
	Checks    []Check `json:"checks,omitempty"`
	Items     []Item  `json:"items,omitempty"`
}

// Points is the sum of a soft indicator's item points.
func (in Indicator) Points() float64 {
	var p float64
	for _, it := range in.Items {
		p += it.Points
	}
	return p
}

// Input is a county-level figure the bureau enters.
type Input struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Unit  string `json:"unit"`
	// Default is the figure the profile itself fixes, shown to the bureau
	// as the expected entry; never read as the county's entry: a figure not
	// entered is 待填报.
	Default *float64 `json:"default,omitempty"`
	// Min is a floor under the entered figure: what the county enters may
	// be higher, never lower (e.g. the provincial per-pupil norm). Checks
	// of the figure itself read what was entered; rules that compute with
	// it use at least Min.
	Min  *float64 `json:"min,omitempty"`
	Note string   `json:"note,omitempty"`
}

// Grade is a band of the soft-indicator total.
type Grade struct {
	Min  float64 `json:"min"`
	Name string  `json:"name"`
}

// Scoring is how soft indicators are scored.
type Scoring struct {
	Total     float64 `json:"total"`      // all B points together, 100
	ItemFloor float64 `json:"item_floor"` // each B indicator needs this share of its points
	Pass      float64 `json:"pass"`       // the total needed
	Grades    []Grade `json:"grades"`     // highest first
	// GradeNeedsEveryItem: a grade is given only when every soft
	// indicator reaches its ItemFloor ("在单项二级指标得分不低于80%的基础上").
	GradeNeedsEveryItem bool   `json:"grade_needs_every_indicator,omitempty"`
	Note                string `json:"note,omitempty"`
}

// Grade is the band of a total, graded by its lower bound: 85.5 is not 86.
func (s *Scoring) Grade(total float64) string {
	for _, g := range s.Grades {
		if atLeast(total, g.Min) {
			return g.Name
		}
	}
	return ""
}

// Dimension is a first-level heading (一级指标).
type Dimension struct {
	Key  string `json:"key"`
	Name string `json:"name"`
}

// Veto is an item that blocks recognition outright (一票否决).
type Veto struct {
	Key  string `json:"key"`
	Name string `json:"name"`
}

// SurveyRules are the survey's own rules in a profile: the sample the
// linked campaign must have drawn (RuleSurveyDesign checks it).
type SurveyRules struct {
	RatePPM     int     `json:"rate_ppm"`     // 1500: 1.5‰ of the resident population, a floor
	MinSample   int     `json:"min_sample"`   // 0: none
	ParentFloor float64 `json:"parent_floor"` // 0.5: parents at least half of the sample
	Note        string  `json:"note,omitempty"`
}

// Variant is another reading of an ambiguous source, offered as its own
// profile: the same rules but for the checks it patches.
type Variant struct {
	ID     string                `json:"id"`
	Name   string                `json:"name"`
	Note   string                `json:"note"`
	Checks map[string]CheckPatch `json:"checks"` // by Check.ID
}

// CheckPatch replaces a check's numbers, and says why.
type CheckPatch struct {
	Label        string                                 `json:"label,omitempty"`
	Params       map[string]float64                     `json:"params,omitempty"`
	LocaleParams map[sampling.Locale]map[string]float64 `json:"locale_params,omitempty"`
	Note         string                                 `json:"note,omitempty"`
}

// Profile is a province's (or the nation's) evaluation rules.
type Profile struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Source  string `json:"source"`
	Reading string `json:"reading,omitempty"` // how this profile reads an ambiguous source
	// Regions are the division code prefixes (43 a province, 4303 a city)
	// whose units are evaluated by this profile unless their findings name
	// another.
	Regions    []string      `json:"regions,omitempty"`
	Dimensions []Dimension   `json:"dimensions"`
	Resources  ResourceRules `json:"resources"`
	Survey     *SurveyRules  `json:"survey,omitempty"`
	Inputs     []Input       `json:"inputs"`
	Series     []SeriesInput `json:"series,omitempty"`
	Indicators []Indicator   `json:"indicators"`
	Scoring    *Scoring      `json:"scoring,omitempty"`
	Vetoes     []Veto        `json:"vetoes"`
	Variants   []Variant     `json:"variants,omitempty"`
	Targets    []Target      `json:"targets,omitempty"` // yearly targets of the county's rounds
	// Registration are the province's own fields of the registration form
	// (申报登记表) the bureau fills in; none: contact name and telephone.
	Registration []RegistrationField `json:"registration,omitempty"`
	CostNote     string              `json:"cost_note"`
}

// variant is the profile read as v.
func (p *Profile) variant(v Variant) (*Profile, error) {
	q := *p
	q.ID, q.Name, q.Reading, q.Variants, q.Regions = v.ID, v.Name, v.Note, nil, nil
	q.Indicators = make([]Indicator, len(p.Indicators))
	used := map[string]bool{}
	for i, ind := range p.Indicators {
		ind.Checks = slices.Clone(ind.Checks)
		for j, c := range ind.Checks {
			patch, ok := v.Checks[c.ID]
			if c.ID == "" || !ok {
				continue
			}
			used[c.ID] = true
			if patch.Label != "" {
				c.Label = patch.Label
			}
			if patch.Params != nil {
				c.Params = patch.Params
			}
			if patch.LocaleParams != nil {
				c.LocaleParams = patch.LocaleParams
			}
			if patch.Note != "" {
				c.Note = patch.Note
			}
			ind.Checks[j] = c
		}
		q.Indicators[i] = ind
	}
	for id := range v.Checks {
		if !used[id] {
			return nil, fmt.Errorf("profile %s: variant %s patches unknown check %q", p.ID, v.ID, id)
		}
	}
	return &q, q.Validate()
}

// Standard returns the profile's standard for resource r.
func (p *Profile) Standard(r Resource) Standard {
	for _, s := range p.Resources.Standards {
		if s.Resource == r {
			return s
		}
	}
	return Standard{}
}

// Standards lists the seven standards in the order of Resources.
func (p *Profile) Standards() []Standard {
	out := make([]Standard, len(Resources))
	for i, r := range Resources {
		out[i] = p.Standard(r)
	}
	return out
}

// Input returns the county input with the key, if declared.
func (p *Profile) Input(key string) (Input, bool) {
	i := slices.IndexFunc(p.Inputs, func(in Input) bool { return in.Key == key })
	if i < 0 {
		return Input{}, false
	}
	return p.Inputs[i], true
}

// Judgements lists the judgement checks the bureau enters, in order.
func (p *Profile) Judgements() []Check {
	var out []Check
	for _, in := range p.Indicators {
		for _, c := range in.Checks {
			if c.Rule == RuleJudgement {
				out = append(out, c)
			}
		}
	}
	return out
}

// ScoredItems lists the soft items the bureau scores (not the survey's).
func (p *Profile) ScoredItems() []Item {
	var out []Item
	for _, in := range p.Indicators {
		for _, it := range in.Items {
			if len(it.SurveyAreas) == 0 {
				out = append(out, it)
			}
		}
	}
	return out
}

// Validate checks a profile's consistency, so that a mistaken file is
// refused when it is loaded rather than misjudging a county.
func (p *Profile) Validate() error {
	if p.ID == "" || p.Name == "" {
		return errors.New("profile needs an id and a name")
	}
	for _, r := range p.Regions {
		if (len(r) != 2 && len(r) != 4) || strings.Trim(r, "0123456789") != "" {
			return fmt.Errorf("profile %s: region %q is not a province's 2 or a city's 4 digits", p.ID, r)
		}
	}
	for _, r := range Resources {
		s := p.Standard(r)
		if s.Resource == "" || s.Primary <= 0 || s.Junior <= 0 {
			return fmt.Errorf("profile %s: resource %s needs positive standards", p.ID, r)
		}
	}
	rr := p.Resources
	if rr.MinMet < 1 || rr.MinMet > len(Resources) || rr.RemainderFloor <= 0 || rr.RemainderFloor > 1 {
		return fmt.Errorf("profile %s: min_met or remainder_floor out of range", p.ID)
	}
	if rr.CVLimit[Primary] <= 0 || rr.CVLimit[Junior] <= 0 {
		return fmt.Errorf("profile %s: cv_limit needs primary and junior", p.ID)
	}
	dims := map[string]bool{}
	for _, d := range p.Dimensions {
		dims[d.Key] = true
	}
	nos, keys := map[string]bool{}, map[string]bool{}
	var bTotal float64
	for _, in := range p.Indicators {
		if nos[in.No] {
			return fmt.Errorf("profile %s: indicator %s twice", p.ID, in.No)
		}
		nos[in.No] = true
		if !dims[in.Dimension] {
			return fmt.Errorf("profile %s: indicator %s has unknown dimension %q", p.ID, in.No, in.Dimension)
		}
		switch in.Class {
		case "A":
			if len(in.Checks) == 0 || len(in.Items) > 0 {
				return fmt.Errorf("profile %s: hard indicator %s needs checks and no items", p.ID, in.No)
			}
		case "B":
			if p.Scoring == nil || len(in.Items) == 0 || len(in.Checks) > 0 {
				return fmt.Errorf("profile %s: soft indicator %s needs scoring and items", p.ID, in.No)
			}
			bTotal += in.Points()
		default:
			return fmt.Errorf("profile %s: indicator %s class %q is not A or B", p.ID, in.No, in.Class)
		}
		for _, c := range in.Checks {
			if err := p.validateCheck(c, keys); err != nil {
				return fmt.Errorf("profile %s: indicator %s: %w", p.ID, in.No, err)
			}
		}
		for _, it := range in.Items {
			if it.Points <= 0 || keys["item:"+it.No] {
				return fmt.Errorf("profile %s: item %s needs positive points and a unique number", p.ID, it.No)
			}
			for _, k := range it.Series {
				if s, ok := p.SeriesInput(k); !ok || s.Years < 2 || s.Years > 10 || len(it.SurveyAreas) > 0 {
					return fmt.Errorf("profile %s: item %s: series %q unknown, of fewer than 2 or more than 10 years, or with survey areas", p.ID, it.No, k)
				}
			}
			keys["item:"+it.No] = true
		}
	}
	years := map[int]bool{}
	for _, t := range p.Targets {
		if t.Year < 2000 || t.Year > 2100 || years[t.Year] {
			return fmt.Errorf("profile %s: target year %d out of range or twice", p.ID, t.Year)
		}
		years[t.Year] = true
		if t.SchoolsShare != nil && (*t.SchoolsShare < 0 || *t.SchoolsShare > 1) {
			return fmt.Errorf("profile %s: target %d: schools_share must be within 0 and 1", p.ID, t.Year)
		}
		for _, n := range []*int{t.LargeClasses, t.HugeClasses, t.LargeSchools} {
			if n != nil && *n < 0 {
				return fmt.Errorf("profile %s: target %d: a count must not be negative", p.ID, t.Year)
			}
		}
	}
	if p.Scoring != nil {
		s := p.Scoring
		if math.Abs(bTotal-s.Total) > 1e-9 {
			return fmt.Errorf("profile %s: soft points add up to %g, not %g", p.ID, bTotal, s.Total)
		}
		if !sort.SliceIsSorted(s.Grades, func(i, j int) bool { return s.Grades[i].Min > s.Grades[j].Min }) || len(s.Grades) == 0 {
			return fmt.Errorf("profile %s: grades must run from the highest", p.ID)
		}
	}
	if sr := p.Survey; sr != nil && (sr.RatePPM <= 0 || sr.MinSample < 0 || sr.ParentFloor <= 0 || sr.ParentFloor > 1) {
		return fmt.Errorf("profile %s: survey rules need a positive rate_ppm and a parent_floor in (0, 1]", p.ID)
	}
	for _, in := range p.Inputs {
		if in.Min != nil && in.Default != nil && *in.Default < *in.Min {
			return fmt.Errorf("profile %s: input %s defaults below its min", p.ID, in.Key)
		}
	}
	for _, ind := range p.Indicators {
		for _, it := range ind.Items {
			switch {
			case it.Conversion != "" && len(it.SurveyAreas) == 0:
				return fmt.Errorf("profile %s: item %s converts a survey rate but names no survey areas", p.ID, it.No)
			case it.Conversion != "" && it.Conversion != "proportional" && it.Conversion != "threshold":
				return fmt.Errorf("profile %s: item %s: conversion %q is not proportional or threshold", p.ID, it.No, it.Conversion)
			case it.Conversion == "threshold" && (it.Threshold <= 0 || it.Threshold > 1):
				return fmt.Errorf("profile %s: item %s: a threshold conversion needs a threshold in (0, 1]", p.ID, it.No)
			}
		}
	}
	for _, v := range p.Vetoes {
		if v.Key == "" || keys["veto:"+v.Key] {
			return fmt.Errorf("profile %s: veto %q needs a unique key", p.ID, v.Key)
		}
		keys["veto:"+v.Key] = true
	}
	return nil
}

func (p *Profile) validateCheck(c Check, keys map[string]bool) error {
	if !slices.Contains(rules, c.Rule) {
		return fmt.Errorf("unknown rule %q", c.Rule)
	}
	if c.Label == "" {
		return errors.New("a check needs a label")
	}
	needInput := func(k string) error {
		if _, ok := p.Input(k); !ok {
			return fmt.Errorf("check %q uses undeclared input %q", c.Label, k)
		}
		return nil
	}
	switch c.Rule {
	case RuleResource:
		if !slices.Contains(Resources, Resource(c.Key)) {
			return fmt.Errorf("unknown resource %q", c.Key)
		}
	case RuleJudgement:
		if c.Key == "" || keys["judgement:"+c.Key] {
			return fmt.Errorf("judgement %q needs a unique key", c.Label)
		}
		keys["judgement:"+c.Key] = true
	case RuleAtLeast, RuleBelow:
		return needInput(c.Key)
	case RuleRatio:
		if err := needInput(c.Num); err != nil {
			return err
		}
		return needInput(c.Den)
	case RuleSmallFunding:
		if err := needInput("funding_norm_primary"); err != nil {
			return err
		}
		return needInput("funding_norm_junior")
	case RuleSurveyDesign:
		if p.Survey == nil {
			return errors.New("a survey_design check needs the profile's survey rules")
		}
	}
	for l := range c.LocaleParams {
		if !l.Valid() {
			return fmt.Errorf("check %q: unknown locale %q", c.Label, l)
		}
	}
	if c.ID != "" {
		if keys["check:"+c.ID] {
			return fmt.Errorf("check id %q twice", c.ID)
		}
		keys["check:"+c.ID] = true
	}
	return nil
}

//go:embed profiles/*.json
var builtin embed.FS

// Parse reads and validates one profile file.
func Parse(b []byte) (*Profile, error) {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	return &p, p.Validate()
}

// Profiles are the known profiles, by id.
type Profiles struct {
	byID  map[string]*Profile
	order []string
}

// LoadProfiles reads the built-in profiles and then every *.json file in
// dir (if dir is not empty), so a province's rules are a file, not code.
func LoadProfiles(dir string) (*Profiles, error) {
	ps := &Profiles{byID: map[string]*Profile{}}
	add := func(fsys fs.FS, pattern string) error {
		names, err := fs.Glob(fsys, pattern)
		if err != nil {
			return err
		}
		sort.Strings(names)
		for _, n := range names {
			b, err := fs.ReadFile(fsys, n)
			if err != nil {
				return err
			}
			p, err := Parse(b)
			if err != nil {
				return fmt.Errorf("%s: %w", n, err)
			}
			all := []*Profile{p}
			for _, v := range p.Variants {
				q, err := p.variant(v)
				if err != nil {
					return fmt.Errorf("%s: %w", n, err)
				}
				all = append(all, q)
			}
			for _, p := range all {
				if _, dup := ps.byID[p.ID]; !dup {
					ps.order = append(ps.order, p.ID)
				}
				ps.byID[p.ID] = p
			}
		}
		return nil
	}
	if err := add(builtin, "profiles/*.json"); err != nil {
		return nil, err
	}
	if dir != "" {
		if err := add(os.DirFS(filepath.Clean(dir)), "*.json"); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

// Get returns the profile with the id.
func (ps *Profiles) Get(id string) (*Profile, bool) {
	p, ok := ps.byID[id]
	return p, ok
}

// ForUnit is the profile a unit is evaluated by when its findings name
// none: the one whose region prefix is the longest to start the unit's
// code (a city's rules over its province's), else the national one.
func (ps *Profiles) ForUnit(code string) *Profile {
	var best *Profile
	longest := 0
	for _, id := range ps.order {
		for _, r := range ps.byID[id].Regions {
			if len(r) > longest && strings.HasPrefix(code, r) && strings.Trim(code, "0123456789") == "" {
				best, longest = ps.byID[id], len(r)
			}
		}
	}
	if best == nil {
		best = ps.byID["national-2017"]
	}
	return best
}

// All lists the profiles, built-in ones first.
func (ps *Profiles) All() []*Profile {
	out := make([]*Profile, len(ps.order))
	for i, id := range ps.order {
		out[i] = ps.byID[id]
	}
	return out
}
