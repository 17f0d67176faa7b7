package survey

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"renke/dbq"
	"renke/sampling"
)

// The answer tallies (answer_tallies), what a recognition report counts,
// the response counts (response_counts), what progress and the hourly
// chart count, and the source counts (source_counts), what the schools',
// links' and review queue's counts read: kept up to date by the group commit that stores responses
// and by the review decision that moves one in or out of the sample, so
// that a report or a dashboard reads its cells, not every response.

// tallyKey is one cell of the tallies.
type tallyKey struct {
	item, option, category, locale string
	school                         int64
}

// tallies adds up answers by cell before they are written, so that a
// statement touches each cell once.
type tallies map[tallyKey]int64

// add counts a response's answers, sign +1 or −1.
func (t tallies) add(answers map[string]string, category sampling.Category, locale sampling.Locale, school int64, sign int64) {
	for item, option := range answers {
		t[tallyKey{item, option, string(category), string(locale), school}] += sign
	}
}

// params is the statement adding the tallies to a campaign's, in a fixed
// order (so that two writers never wait on each other's rows in turn).
func (t tallies) params(campaignID int64) dbq.AddTalliesParams {
	keys := changedKeys(t, func(n int64) bool { return n != 0 }, func(a, b tallyKey) int {
		return cmp.Or(strings.Compare(a.item, b.item), strings.Compare(a.option, b.option), strings.Compare(a.category, b.category),
			strings.Compare(a.locale, b.locale), cmp.Compare(a.school, b.school))
	})
	p := dbq.AddTalliesParams{CampaignID: campaignID}
	for _, k := range keys {
		p.Items = append(p.Items, k.item)
		p.Options = append(p.Options, k.option)
		p.Categories = append(p.Categories, k.category)
		p.Locales = append(p.Locales, k.locale)
		p.SchoolIds = append(p.SchoolIds, k.school)
		p.Ns = append(p.Ns, t[k])
	}
	return p
}

// changedKeys is the cells of m whose count changed, in the order given:
// each statement writes its rows in one fixed order, so two writers never
// wait on each other's rows in turn.
func changedKeys[K comparable, V any](m map[K]V, changed func(V) bool, order func(a, b K) int) []K {
	keys := make([]K, 0, len(m))
	for k, v := range m {
		if changed(v) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, order)
	return keys
}

// countKey is one cell of the response counts.
type countKey struct {
	hour                                time.Time
	status, category, locale, gradeBand string
}

// responseCounts adds up responses by cell before they are written.
type responseCounts map[countKey]int64

// add counts a response, sign +1 or −1, in the UTC hour it arrived.
func (c responseCounts) add(at time.Time, status ResponseStatus, category sampling.Category, locale sampling.Locale, band sampling.GradeBand, sign int64) {
	c[countKey{at.UTC().Truncate(time.Hour), string(status), string(category), string(locale), string(band)}] += sign
}

// params is the statement adding the counts to a campaign's, in a fixed order.
func (c responseCounts) params(campaignID int64) dbq.AddResponseCountsParams {
	keys := changedKeys(c, func(n int64) bool { return n != 0 }, func(a, b countKey) int {
		return cmp.Or(a.hour.Compare(b.hour), strings.Compare(a.status, b.status), strings.Compare(a.category, b.category),
			strings.Compare(a.locale, b.locale), strings.Compare(a.gradeBand, b.gradeBand))
	})
	p := dbq.AddResponseCountsParams{CampaignID: campaignID}
	for _, k := range keys {
		p.Hours = append(p.Hours, k.hour)
		p.Statuses = append(p.Statuses, k.status)
		p.Categories = append(p.Categories, k.category)
		p.Locales = append(p.Locales, k.locale)
		p.GradeBands = append(p.GradeBands, k.gradeBand)
		p.Ns = append(p.Ns, c[k])
	}
	return p
}

// sourceKey is one cell of the source counts.
type sourceKey struct {
	link, school      int64
	status            string
	flagged, reviewed bool
}

type sourceCount struct {
	n    int64
	last time.Time // the latest arrival among the responses counted
}

// sourceCounts adds up responses by link, school, status, flag and review.
type sourceCounts map[sourceKey]sourceCount

// add counts a response that arrived at at, sign +1 or −1.
func (c sourceCounts) add(link, school int64, status ResponseStatus, flagged, reviewed bool, sign int64, at time.Time) {
	k := sourceKey{link, school, string(status), flagged, reviewed}
	v := c[k]
	v.n += sign
	if at.After(v.last) {
		v.last = at
	}
	c[k] = v
}

// params is the statement adding the counts to a campaign's, in a fixed order.
func (c sourceCounts) params(campaignID int64) dbq.AddSourceCountsParams {
	keys := changedKeys(c, func(v sourceCount) bool { return v.n != 0 }, func(a, b sourceKey) int {
		return cmp.Or(cmp.Compare(a.link, b.link), cmp.Compare(a.school, b.school), strings.Compare(a.status, b.status),
			cmp.Compare(boolInt(a.flagged), boolInt(b.flagged)), cmp.Compare(boolInt(a.reviewed), boolInt(b.reviewed)))
	})
	p := dbq.AddSourceCountsParams{CampaignID: campaignID}
	for _, k := range keys {
		v := c[k]
		p.LinkIds = append(p.LinkIds, k.link)
		p.SchoolIds = append(p.SchoolIds, k.school)
		p.Statuses = append(p.Statuses, k.status)
		p.Flagged = append(p.Flagged, k.flagged)
		p.Reviewed = append(p.Reviewed, k.reviewed)
		p.Ns = append(p.Ns, v.n)
		p.LastAts = append(p.LastAts, v.last)
	}
	return p
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Tally counts a campaign's admitted answers for scoring, from the kept
// tallies: one row per item, option, category, locale and school.
func (s *Store) Tally(ctx context.Context, campaignID int64) ([]Count, error) {
	rows, err := s.q.TallyCells(ctx, campaignID)
	out := make([]Count, 0, len(rows))
	for _, r := range rows {
		out = append(out, Count{Item: r.Item, Option: r.Option, Category: sampling.Category(r.Category),
			Locale: sampling.Locale(r.Locale), School: r.School, N: r.N})
	}
	return out, err
}

// RawTally counts the same from every admitted answer: the check on Tally.
func (s *Store) RawTally(ctx context.Context, campaignID int64) ([]Count, error) {
	rows, err := s.q.TallyAnswers(ctx, campaignID)
	out := make([]Count, 0, len(rows))
	for _, r := range rows {
		out = append(out, Count{Item: r.Item, Option: r.Option, Category: sampling.Category(r.Category),
			Locale: sampling.Locale(r.Locale), School: r.School, N: r.N})
	}
	return out, err
}

// RecountTallies rebuilds a campaign's answer tallies and response counts
// from its responses, for responses loaded around the application (tests,
// benchmarks, a repair).
func (s *Store) RecountTallies(ctx context.Context, campaignID int64) error {
	err := s.inTx(ctx, func(q *dbq.Queries, _ pgx.Tx) error {
		for _, step := range []func(context.Context, int64) error{q.DeleteTallies, q.RecountTallies, q.DeleteResponseCounts,
			q.RecountResponses, q.DeleteSourceCounts, q.RecountSources, q.DeleteRespondentSums, q.RecountRespondentSums} {
			if err := step(ctx, campaignID); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		s.changed(campaignID)
	}
	return err
}
