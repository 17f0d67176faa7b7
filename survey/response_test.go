package survey

import (
	"testing"
	"time"

	"renke/county"
	"renke/sampling"
)

func TestCheck(t *testing.T) {
	social, student := Bank()[0], Bank()[2]
	primary := &county.School{ID: 1, Name: "一小", Type: county.Primary, Locale: sampling.Town}
	junior := &county.School{ID: 2, Name: "一中", Type: county.Junior, Locale: sampling.Rural}
	all := func(q Questionnaire, opt string) map[string]string {
		m := map[string]string{}
		for _, it := range q.Items {
			m[it.ID] = opt
		}
		return m
	}
	with := func(m map[string]string, k, v string) map[string]string {
		out := map[string]string{}
		for a, b := range m {
			out[a] = b
		}
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		q      Questionnaire
		sub    Submission
		fields []string // fields with problems; none means valid
		locale sampling.Locale
	}{
		{"parent, complete", social, Submission{Category: sampling.Parent, GradeBand: "1-2", School: primary, Answers: all(social, "A")}, nil, sampling.Town},
		{"locale follows the school, not the form", social, Submission{Category: sampling.Parent, GradeBand: "7-9", School: junior, Locale: sampling.Urban, Answers: all(social, "X")}, nil, sampling.Rural},
		{"resident names a locale", social, Submission{Category: sampling.Resident, Locale: sampling.Urban, Answers: all(social, "D")}, nil, sampling.Urban},
		{"resident without locale", social, Submission{Category: sampling.Resident, Answers: all(social, "D")}, []string{"locale"}, ""},
		{"parent without school or band", social, Submission{Category: sampling.Parent, Answers: all(social, "A")}, []string{"school", "band"}, ""},
		{"band the school lacks", social, Submission{Category: sampling.Parent, GradeBand: "7-9", School: primary, Answers: all(social, "A")}, []string{"band"}, sampling.Town},
		{"student in grade 1-2", student, Submission{Category: sampling.Student, GradeBand: "1-2", School: primary, Answers: all(student, "A")}, []string{"band"}, sampling.Town},
		{"teacher on the social form", social, Submission{Category: sampling.Teacher, School: primary, Answers: all(social, "A")}, []string{"category"}, sampling.Town},
		{"missing answer", social, Submission{Category: sampling.NPCDeputy, Locale: sampling.Rural, Answers: with(all(social, "A"), "S05", "")}, []string{"a_S05"}, sampling.Rural},
		{"empty answer", social, Submission{Category: sampling.CPPCC, Locale: sampling.Rural, Answers: with(all(social, "A"), "S05", "")}, []string{"a_S05"}, sampling.Rural},
		{"option off the scale", social, Submission{Category: sampling.CPPCC, Locale: sampling.Rural, Answers: with(all(social, "A"), "S01", "E")}, []string{"a_S01"}, sampling.Rural},
		{"item from another questionnaire", social, Submission{Category: sampling.CPPCC, Locale: sampling.Rural, Answers: with(all(social, "A"), "P01", "A")}, []string{"form"}, sampling.Rural},
		{"suggestion at the cap", social, Submission{Category: sampling.Resident, Locale: sampling.Town, Answers: all(social, "B"), Suggestion: string(make([]rune, 500))}, nil, sampling.Town},
		{"suggestion over the cap", social, Submission{Category: sampling.Resident, Locale: sampling.Town, Answers: all(social, "B"), Suggestion: string(make([]rune, 501))}, []string{"suggestion"}, sampling.Town},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sub := tc.sub
			p := tc.q.Check(&sub)
			if len(p) != len(tc.fields) {
				t.Errorf("problems %v, want fields %v", p, tc.fields)
			}
			for _, f := range tc.fields {
				if p[f] == "" {
					t.Errorf("no problem at %s: %v", f, p)
				}
			}
			if sub.Locale != tc.locale {
				t.Errorf("locale %q, want %q", sub.Locale, tc.locale)
			}
		})
	}
}

func TestCampaignRefusal(t *testing.T) {
	c := Campaign{Status: Draft}
	if c.Refusal(zeroTime) == "" {
		t.Error("draft accepts answers")
	}
	c.Status = Closed
	if c.Refusal(zeroTime) == "" {
		t.Error("closed accepts answers")
	}
	c.Status = Open
	if c.Refusal(zeroTime) != "" {
		t.Error("open refuses answers")
	}
	later := zeroTime.Add(1)
	c.ClosesAt = &later
	if c.Refusal(later) == "" {
		t.Error("accepts answers at its closing time")
	}
	c.ClosesAt, c.OpensAt = nil, &later
	if c.Refusal(zeroTime) == "" {
		t.Error("accepts answers before opening")
	}
}

var zeroTime = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

// A receipt code copied with spaces or hyphens, in lower case or full
// width, is the same code.
func TestReceiptCodeAsTyped(t *testing.T) {
	for typed, want := range map[string]string{
		"ABCDEFGH23":       "ABCDEFGH23",
		" abcd-efgh 23 ":   "ABCDEFGH23",
		"ABCD EFGH-23":     "ABCDEFGH23",
		"ＡＢＣＤ－ＥＦＧＨ２３":      "ABCDEFGH23",
		"abcd\u3000efgh23": "ABCDEFGH23",
	} {
		if got := ReceiptCode(typed); got != want {
			t.Errorf("ReceiptCode(%q) = %q, want %q", typed, got, want)
		}
	}
}
