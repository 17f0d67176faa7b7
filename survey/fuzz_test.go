package survey

import (
	"strings"
	"testing"
	"unicode/utf8"

	"renke/county"
	"renke/sampling"
)

// FuzzCheck feeds arbitrary submissions to the social questionnaire's
// check: it never panics, and whatever it accepts is complete — a served
// category, a locale, every item answered with an option of the scale, no
// unknown item, a suggestion within its limit.
func FuzzCheck(f *testing.F) {
	f.Add("parent", "3-4", true, "", "S01=A;S02=B;S03=C;S04=D;S05=X;S06=A;S07=A;S08=A;S09=A;S10=A;S11=A;S12=A", "好")
	f.Add("resident", "", false, "rural", "S01=A", "")
	f.Add("student", "1-2", true, "", "P01=Z;;=;S01", strings.Repeat("长", 600))
	f.Add("npc", "7-9", false, "moon", "S01=A;S01=B", "\xff")
	q := Bank()[0]
	school := county.School{Name: "甲小学", Type: county.Primary, Locale: sampling.Town, EnrolPrimary: 300}
	f.Fuzz(func(t *testing.T, category, band string, withSchool bool, locale, answers, suggestion string) {
		s := Submission{Category: sampling.Category(category), GradeBand: sampling.GradeBand(band),
			Locale: sampling.Locale(locale), Answers: map[string]string{}, Suggestion: suggestion}
		if withSchool {
			s.School = &school
		}
		for _, kv := range strings.Split(answers, ";") {
			k, v, _ := strings.Cut(kv, "=")
			s.Answers[k] = v
		}
		if len(q.Check(&s)) > 0 {
			return
		}
		if !q.Serves(s.Category) || !s.Locale.Valid() {
			t.Fatalf("accepted category %q locale %q", s.Category, s.Locale)
		}
		if NeedsSchool(s.Category) && s.School == nil {
			t.Fatal("accepted a school category without a school")
		}
		if NeedsGradeBand(s.Category) && !s.GradeBand.Valid() {
			t.Fatalf("accepted band %q", s.GradeBand)
		}
		if len(s.Answers) != len(q.Items) {
			t.Fatalf("accepted %d answers for %d items", len(s.Answers), len(q.Items))
		}
		for _, it := range q.Items {
			if _, ok := q.Option(s.Answers[it.ID]); !ok {
				t.Fatalf("accepted %q for %s", s.Answers[it.ID], it.ID)
			}
		}
		if utf8.RuneCountInString(s.Suggestion) > q.Suggestion.MaxLen {
			t.Fatal("accepted a suggestion over its limit")
		}
	})
}
