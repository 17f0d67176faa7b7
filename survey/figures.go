package survey

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"

	"renke/dbq"
	"renke/sampling"
)

// The figures a report is computed from (the answer tallies, their totals
// and the respondent sums) are kept by the group commits, not recomputed
// for every page. A host holding the database could edit them and leave
// the responses, and so the log, alone. Verify therefore recomputes them
// from the responses in the sample, which the log vouches for, and names
// every kept figure that differs.

// Figure is a problem kind: a kept figure differs from a recount of the
// sample.
const Figure = "figure"

// KeptFigures is what the database keeps of a campaign's figures.
type KeptFigures struct {
	Tallies []dbq.AnswerTally
	Totals  []dbq.AnswerTotal
	Sums    []dbq.RespondentSum
	Sources []dbq.KeptSourceCountsRow
}

// maxFigureProblems bounds the figures named one by one; the rest are
// counted.
const maxFigureProblems = 20

// CheckFigures recomputes a campaign's kept figures from its responses in
// the sample, the questionnaires they answered and the review decisions,
// and names every figure that differs: the tallies and totals the rate is
// computed from, the respondent sums its interval is computed from, and
// the counts by link and school of responses counted, taken out, flagged
// and reviewed (the review queue and the dossier's flag counts).
func CheckFigures(forms []Form, responses []StoredResponse, reviews []StoredReview, kept KeptFigures) []LogProblem {
	byID := map[int64]*Questionnaire{}
	for i := range forms {
		byID[forms[i].ID] = &forms[i].Questionnaire
	}
	type totalKey struct{ item, option, category string }
	wantTallies, wantTotals, wantSums := tallies{}, map[totalKey]int64{}, respondentSums{}
	for i := range responses {
		r := &responses[i]
		if r.Status != Admitted {
			continue
		}
		cat, loc := sampling.Category(r.Category), sampling.Locale(r.Locale)
		wantTallies.add(r.Answers, cat, loc, r.SchoolID, 1)
		for item, option := range r.Answers {
			wantTotals[totalKey{item, option, r.Category}]++
		}
		if f := byID[r.FormID]; f != nil {
			whole, byArea := f.Marks(r.Answers)
			wantSums.add(whole, byArea, cat, loc, r.SchoolID, 1)
		}
	}
	var out []LogProblem
	n := 0
	add := func(f string, a ...any) {
		n++
		if n <= maxFigureProblems {
			out = append(out, LogProblem{Kind: Figure, Text: fmt.Sprintf(f, a...)})
		}
	}
	school := func(id int64) string {
		if id == 0 {
			return "无学校"
		}
		return "学校 #" + strconv.FormatInt(id, 10)
	}
	gotTallies := tallies{}
	for _, t := range kept.Tallies {
		gotTallies[tallyKey{t.Item, t.Option, t.Category, t.Locale, t.SchoolID}] += t.N
	}
	for _, k := range unionKeys(wantTallies, gotTallies, func(a, b tallyKey) int {
		return cmp.Or(cmp.Compare(a.item, b.item), cmp.Compare(a.option, b.option), cmp.Compare(a.category, b.category),
			cmp.Compare(a.locale, b.locale), cmp.Compare(a.school, b.school))
	}) {
		if w, g := wantTallies[k], gotTallies[k]; w != g {
			add("认可度计数表：题目 %s 选项 %s（%s、%s、%s）记为 %d，按样本中的答卷应为 %d", k.item, k.option,
				sampling.Category(k.category).Name(), sampling.Locale(k.locale).Name(), school(k.school), g, w)
		}
	}
	gotTotals := map[totalKey]int64{}
	for _, t := range kept.Totals {
		gotTotals[totalKey{t.Item, t.Option, t.Category}] += t.N
	}
	for _, k := range unionKeys(wantTotals, gotTotals, func(a, b totalKey) int {
		return cmp.Or(cmp.Compare(a.item, b.item), cmp.Compare(a.option, b.option), cmp.Compare(a.category, b.category))
	}) {
		if w, g := wantTotals[k], gotTotals[k]; w != g {
			add("认可度合计表：题目 %s 选项 %s（%s）记为 %d，按样本中的答卷应为 %d", k.item, k.option, sampling.Category(k.category).Name(), g, w)
		}
	}
	gotSums := respondentSums{}
	for _, r := range kept.Sums {
		gotSums[sumsKey{Dimension(r.Dimension), r.Key}] = Sums{r.Respondents, r.Answers, r.AnswersSq, r.Top2, r.Top2Sq, r.Top2X,
			r.Top3, r.Top3Sq, r.Top3X, r.Points, r.PointsSq, r.PointsX}
	}
	for _, k := range unionKeys(wantSums, gotSums, func(a, b sumsKey) int {
		return cmp.Or(cmp.Compare(a.dimension, b.dimension), cmp.Compare(a.key, b.key))
	}) {
		if w, g := wantSums[k], gotSums[k]; w != g {
			add("置信区间所用的受访者合计（%s %s）：记为 %d 人、%d 个有效回答、%d 个满意，按样本中的答卷应为 %d 人、%d 个、%d 个",
				k.dimension, k.key, g.Respondents, g.Answers, g.Top2, w.Respondents, w.Answers, w.Top2)
		}
	}
	type sourceKey struct {
		link, school      int64
		status            ResponseStatus
		flagged, reviewed bool
	}
	reviewed := map[int64]bool{}
	for _, d := range reviews {
		reviewed[d.ResponseID] = true
	}
	wantSources, gotSources := map[sourceKey]int64{}, map[sourceKey]int64{}
	for _, r := range responses {
		if r.Status == Admitted || r.Status == Invalidated || r.Status == Held {
			wantSources[sourceKey{r.LinkID, r.SchoolID, r.Status, r.Flagged, reviewed[r.ID]}]++
		}
	}
	for _, k := range kept.Sources {
		if st := ResponseStatus(k.Status); st == Admitted || st == Invalidated || st == Held {
			gotSources[sourceKey{k.LinkID, k.SchoolID, st, k.Flagged, k.Reviewed}] += k.N
		}
	}
	yes := map[bool]string{true: "是", false: "否"}
	for _, k := range unionKeys(wantSources, gotSources, func(a, b sourceKey) int {
		return cmp.Or(cmp.Compare(a.link, b.link), cmp.Compare(a.school, b.school), cmp.Compare(a.status, b.status),
			cmp.Compare(yes[a.flagged], yes[b.flagged]), cmp.Compare(yes[a.reviewed], yes[b.reviewed]))
	}) {
		if w, g := wantSources[k], gotSources[k]; w != g {
			add("来源计数表：链接 #%d、%s、状态“%s”、被标记：%s、已审核：%s，记为 %d 份，按答卷应为 %d 份", k.link, school(k.school),
				k.status.Name(), yes[k.flagged], yes[k.reviewed], g, w)
		}
	}
	if n > maxFigureProblems {
		out = append(out, LogProblem{Kind: Figure, Text: fmt.Sprintf("另有 %d 处计数与样本中的答卷不符", n-maxFigureProblems)})
	}
	return out
}

// unionKeys is the keys of two maps whose values differ from zero, in the
// order given.
func unionKeys[K comparable, V comparable](a, b map[K]V, order func(x, y K) int) []K {
	var zero V
	seen := map[K]bool{}
	var out []K
	for _, m := range []map[K]V{a, b} {
		for k, v := range m {
			if v != zero && !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	slices.SortFunc(out, order)
	return out
}

// keptFigures reads a campaign's kept figures.
func keptFigures(ctx context.Context, q *dbq.Queries, campaignID int64) (KeptFigures, error) {
	var k KeptFigures
	var err error
	if k.Tallies, err = q.KeptTallies(ctx, campaignID); err != nil {
		return k, err
	}
	if k.Totals, err = q.KeptTotals(ctx, campaignID); err != nil {
		return k, err
	}
	if k.Sums, err = q.KeptRespondentSums(ctx, campaignID); err != nil {
		return k, err
	}
	k.Sources, err = q.KeptSourceCounts(ctx, campaignID)
	return k, err
}
