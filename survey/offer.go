package survey

import (
	"slices"

	"renke/county"
	"renke/sampling"
)

// What a link offers a respondent. The form shows these choices and
// Questionnaire.Check enforces the same rules on submit, so a choice the
// form offers is never refused, and one it does not offer is never taken.

// FormFor is the questionnaire among forms that category c answers, or nil.
func FormFor(forms []Form, c sampling.Category) *Form {
	for i := range forms {
		if forms[i].Kind == KindFor(c) && forms[i].Serves(c) {
			return &forms[i]
		}
	}
	return nil
}

// LinkCategories are the respondent categories a link serves, in the
// national order: those of its questionnaire (all, for a link without
// one) that a form serves.
func LinkCategories(forms []Form, link Link) []sampling.Category {
	var out []sampling.Category
	for _, c := range sampling.Categories {
		if link.Kind != nil && KindFor(c) != *link.Kind {
			continue
		}
		if FormFor(forms, c) != nil {
			out = append(out, c)
		}
	}
	return out
}

// GradeBandsFor are the grade bands a respondent of category c may name:
// none for the categories without one; for students grade 3 and up
// (学生卷 is for grade 3 and up); at a known school, only the bands it
// teaches.
func GradeBandsFor(c sampling.Category, school *county.School) []sampling.GradeBand {
	if !NeedsGradeBand(c) {
		return nil
	}
	var out []sampling.GradeBand
	for _, b := range sampling.GradeBands {
		if c == sampling.Student && b == sampling.Grades12 {
			continue
		}
		if school == nil || school.Teaches(b) {
			out = append(out, b)
		}
	}
	return out
}

// SchoolsFor are the schools a respondent of category c may name: none
// for the categories that name where they live instead; for students,
// the schools with a grade they may answer for.
func SchoolsFor(c sampling.Category, schools []county.School) []county.School {
	if !NeedsSchool(c) {
		return nil
	}
	var out []county.School
	for i := range schools {
		if c != sampling.Student || len(GradeBandsFor(c, &schools[i])) > 0 {
			out = append(out, schools[i])
		}
	}
	return out
}

// offersBand reports whether band is one GradeBandsFor offers.
func offersBand(c sampling.Category, school *county.School, band sampling.GradeBand) bool {
	return slices.Contains(GradeBandsFor(c, school), band)
}
