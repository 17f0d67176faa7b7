// Package survey knows the questionnaires of the social-recognition survey,
// the responses to them and how they are scored.
package survey

import (
	"embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"renke/sampling"
)

// Kind names one of the three national questionnaires.
type Kind string

const (
	SocialForm  Kind = "social"  // 社会卷: parents, NPC deputies, CPPCC members, other residents
	StaffForm   Kind = "staff"   // 校长教师卷: principals and teachers
	StudentForm Kind = "student" // 学生卷: students of grade 3 and up
)

// Kinds lists the questionnaires in the order they are shown.
var Kinds = []Kind{SocialForm, StaffForm, StudentForm}

var kindNames = map[Kind]string{SocialForm: "社会问卷", StaffForm: "校长教师问卷", StudentForm: "学生问卷"}

// Name is the questionnaire kind's Chinese name.
func (k Kind) Name() string { return kindNames[k] }

// Valid reports whether k is a known questionnaire.
func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }

// KindFor is the questionnaire a category answers.
func KindFor(c sampling.Category) Kind {
	switch c {
	case sampling.Teacher, sampling.Principal:
		return StaffForm
	case sampling.Student:
		return StudentForm
	default:
		return SocialForm
	}
}

// Area is a content area of the national method; every item belongs to one.
type Area string

const (
	Equity     Area = "equity"     // 落实教育公平政策
	Sharing    Area = "sharing"    // 推动优质资源共享
	Conduct    Area = "conduct"    // 规范办学行为
	WellRound  Area = "wellround"  // 实施素质教育
	Assessment Area = "assessment" // 考试评价制度改革
	Quality    Area = "quality"    // 提高教育质量
	Workload   Area = "workload"   // 减轻过重课业负担
)

// Areas lists the content areas in the order of the national method.
var Areas = []Area{Equity, Sharing, Conduct, WellRound, Assessment, Quality, Workload}

var areaNames = map[Area]string{
	Equity: "落实教育公平政策", Sharing: "推动优质资源共享", Conduct: "规范办学行为",
	WellRound: "实施素质教育", Assessment: "考试评价制度改革", Quality: "提高教育质量",
	Workload: "减轻过重课业负担",
}

// Name is the area's Chinese name.
func (a Area) Name() string { return areaNames[a] }

// Option is one answer on a questionnaire's scale.
type Option struct {
	Value    string  `json:"value"`
	Label    string  `json:"label"`
	Rank     int     `json:"rank,omitempty"`      // 1 is the most satisfied; 0 for "don't know"
	Points   float64 `json:"points"`              // for the weighted-points method
	DontKnow bool    `json:"dont_know,omitempty"` // 不了解: left out of every rate
}

// Item is one rated question.
type Item struct {
	ID   string `json:"id"`
	Area Area   `json:"area"`
	Text string `json:"text"`
}

// Suggestion is the optional free-text box at the end of a questionnaire.
type Suggestion struct {
	Enabled bool   `json:"enabled"`
	Prompt  string `json:"prompt,omitempty"`
	MaxLen  int    `json:"max_len"` // in characters
}

// Questionnaire is one questionnaire as asked. It is data: a campaign keeps
// its own copy, which can be edited while the campaign is a draft and is
// frozen when the campaign opens.
type Questionnaire struct {
	Kind       Kind                `json:"kind"`
	Title      string              `json:"title"`
	Intro      string              `json:"intro"`
	Categories []sampling.Category `json:"categories"`
	Scale      []Option            `json:"scale"`
	Items      []Item              `json:"items"`
	Suggestion Suggestion          `json:"suggestion"`
}

// answerSeparators may not appear in item and option codes: a response
// stores its answers as 'item=option' pairs, and they travel to the
// database joined by commas.
const answerSeparators = ",="

// MaxSuggestionLen is the longest free-text suggestion any questionnaire may allow.
const MaxSuggestionLen = 2000

// Validate checks a questionnaire definition; the message is for staff.
func (q *Questionnaire) Validate() error {
	if !q.Kind.Valid() {
		return fmt.Errorf("问卷类型 %q 无效", q.Kind)
	}
	if q.Title == "" || utf8.RuneCountInString(q.Title) > 100 {
		return fmt.Errorf("问卷标题不能为空，且不超过 100 字")
	}
	if len(q.Categories) == 0 {
		return fmt.Errorf("问卷须至少适用于一类调查对象")
	}
	for _, c := range q.Categories {
		if !c.Valid() {
			return fmt.Errorf("调查对象类别 %q 无效", c)
		}
		if KindFor(c) != q.Kind {
			return fmt.Errorf("%s不填写此问卷", c.Name())
		}
	}
	ranks := map[int]bool{}
	values := map[string]bool{}
	dontKnow := 0
	for _, o := range q.Scale {
		if o.Value == "" || o.Label == "" || len(o.Value) > 8 || strings.ContainsAny(o.Value, answerSeparators) {
			return fmt.Errorf("选项须有代码（不超过 8 个字符，不含逗号和等号）和文字")
		}
		if values[o.Value] {
			return fmt.Errorf("选项代码 %q 重复", o.Value)
		}
		values[o.Value] = true
		if o.DontKnow {
			dontKnow++
			continue
		}
		if o.Rank < 1 || ranks[o.Rank] {
			return fmt.Errorf("选项“%s”的等级须为不重复的正整数", o.Label)
		}
		ranks[o.Rank] = true
	}
	if len(ranks) < 2 || len(ranks) > 7 || dontKnow > 1 {
		return fmt.Errorf("量表须有 2 至 7 个满意度等级，至多一个“不了解”选项")
	}
	for r := 1; r <= len(ranks); r++ {
		if !ranks[r] {
			return fmt.Errorf("量表等级须从 1 起连续编号")
		}
	}
	if len(q.Items) == 0 || len(q.Items) > 60 {
		return fmt.Errorf("问卷须有 1 至 60 道题")
	}
	ids := map[string]bool{}
	for _, it := range q.Items {
		if it.ID == "" || len(it.ID) > 16 || ids[it.ID] || strings.ContainsAny(it.ID, answerSeparators) {
			return fmt.Errorf("题目编号 %q 为空、过长、重复或含逗号、等号", it.ID)
		}
		ids[it.ID] = true
		if it.Area.Name() == "" {
			return fmt.Errorf("题目 %s 的内容领域 %q 无效", it.ID, it.Area)
		}
		if it.Text == "" || utf8.RuneCountInString(it.Text) > 300 {
			return fmt.Errorf("题目 %s 的题干不能为空，且不超过 300 字", it.ID)
		}
	}
	if q.Suggestion.MaxLen < 0 || q.Suggestion.MaxLen > MaxSuggestionLen {
		return fmt.Errorf("意见建议字数上限须在 0 至 %d 之间", MaxSuggestionLen)
	}
	return nil
}

// Option returns the scale option with the given value.
func (q *Questionnaire) Option(value string) (Option, bool) {
	for _, o := range q.Scale {
		if o.Value == value {
			return o, true
		}
	}
	return Option{}, false
}

// Item returns the item with the given id.
func (q *Questionnaire) Item(id string) (Item, bool) {
	for _, it := range q.Items {
		if it.ID == id {
			return it, true
		}
	}
	return Item{}, false
}

// Serves reports whether category c answers this questionnaire.
func (q *Questionnaire) Serves(c sampling.Category) bool {
	return slices.Contains(q.Categories, c)
}

//go:embed bank/*.json
var bankFS embed.FS

// Bank returns fresh copies of the three questionnaires of our question
// bank, written in our own words (the national texts are not published).
func Bank() []Questionnaire {
	out := make([]Questionnaire, 0, len(Kinds))
	for _, k := range Kinds {
		raw, err := bankFS.ReadFile("bank/" + string(k) + ".json")
		if err != nil {
			panic(err)
		}
		var q Questionnaire
		if err := json.Unmarshal(raw, &q); err != nil {
			panic(fmt.Sprintf("bank/%s.json: %v", k, err))
		}
		out = append(out, q)
	}
	return out
}
