package survey

import (
	"fmt"
	"unicode/utf8"

	"renke/county"
	"renke/sampling"
)

// Submission is one respondent's answers as submitted, before it is stored.
type Submission struct {
	Category   sampling.Category
	GradeBand  sampling.GradeBand // parents and students only
	School     *county.School     // preset by the link or chosen; nil when none
	Locale     sampling.Locale    // from the school, or chosen by those without one
	Answers    map[string]string  // item id → option value
	Suggestion string
}

// NeedsSchool reports whether a category names a school: parents, students,
// teachers and principals do; deputies, CPPCC members and residents name
// where they live instead.
func NeedsSchool(c sampling.Category) bool {
	return c == sampling.Parent || c == sampling.Student || c == sampling.Teacher || c == sampling.Principal
}

// NeedsGradeBand reports whether a category names a grade band.
func NeedsGradeBand(c sampling.Category) bool {
	return c == sampling.Parent || c == sampling.Student
}

// Problems maps a form field to what the respondent must fix, in Chinese.
// Answer fields are named "a_" + item id.
type Problems map[string]string

// Check validates a submission against the frozen questionnaire. It fills
// the locale from the school. An empty result means the submission is valid.
func (q *Questionnaire) Check(s *Submission) Problems {
	p := Problems{}
	if !q.Serves(s.Category) {
		p["category"] = "请选择您的身份"
	}
	if NeedsSchool(s.Category) {
		switch {
		case s.School == nil:
			p["school"] = "请选择学校"
		case len(SchoolsFor(s.Category, []county.School{*s.School})) == 0:
			p["school"] = fmt.Sprintf("%s没有三年级及以上的学生，请核对学校", s.School.Name)
		default:
			s.Locale = s.School.Locale
		}
	} else if !s.Locale.Valid() {
		p["locale"] = "请选择您的居住地"
	}
	if NeedsGradeBand(s.Category) {
		switch {
		case !s.GradeBand.Valid():
			p["band"] = "请选择年级段"
		case offersBand(s.Category, s.School, s.GradeBand):
		case s.Category == sampling.Student && s.GradeBand == sampling.Grades12:
			p["band"] = "学生问卷由三年级及以上学生填写"
		default:
			p["band"] = fmt.Sprintf("%s没有%s，请核对年级段或学校", s.School.Name, s.GradeBand.Name())
		}
	} else {
		s.GradeBand = ""
	}
	for id := range s.Answers {
		if _, ok := q.Item(id); !ok {
			p["form"] = "问卷中没有编号为 " + id + " 的题目，请刷新页面后重新填写"
		}
	}
	for _, it := range q.Items {
		v, ok := s.Answers[it.ID]
		switch _, valid := q.Option(v); {
		case !ok || v == "":
			p["a_"+it.ID] = "此题尚未作答，请选择一项"
		case !valid:
			p["a_"+it.ID] = "所选答案无效，请重新选择"
		}
	}
	limit := q.Suggestion.MaxLen
	if !q.Suggestion.Enabled {
		limit = 0
	}
	if n := utf8.RuneCountInString(s.Suggestion); n > limit {
		p["suggestion"] = fmt.Sprintf("意见建议最多 %d 字，现有 %d 字，请删减", limit, n)
	}
	return p
}

// FullMessage tells a respondent that their group's quota is full, in the
// same words wherever they learn it: before answering, or on submitting.
func FullMessage(c sampling.Category, l sampling.Locale) string {
	return "感谢您的关注！本次调查" + l.Name() + c.Name() + "的样本名额已满，您无需再填写问卷。"
}
