package survey

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"renke/dbq"
	"renke/sampling"
)

// The answer tallies (answer_tallies): what a recognition report counts,
// kept up to date by the group commit that admits responses and by the
// review decision that moves one in or out of the sample, so that a report
// reads its cells, not every answer.

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
	keys := make([]tallyKey, 0, len(t))
	for k, n := range t {
		if n != 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b tallyKey) int {
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

// RecountTallies rebuilds a campaign's tallies from its responses, for
// responses loaded around the application (tests, benchmarks, a repair).
func (s *Store) RecountTallies(ctx context.Context, campaignID int64) error {
	err := s.inTx(ctx, func(q *dbq.Queries, _ pgx.Tx) error {
		if err := q.DeleteTallies(ctx, campaignID); err != nil {
			return err
		}
		return q.RecountTallies(ctx, campaignID)
	})
	if err == nil {
		s.changed(campaignID)
	}
	return err
}
