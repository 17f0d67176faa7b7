package survey

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"renke/county"
	"renke/dbq"
	"renke/sampling"
)

// A region's units: see county.RegionPrefix.

// UnitRow is one unit of a region as its dashboard shows it: its newest
// campaign and how far that campaign has come.
type UnitRow struct {
	Unit           county.Unit  `json:"unit"`
	Campaign       *Campaign    `json:"campaign"` // nil: no survey yet
	SampleSize     int64        `json:"sample_size"`
	Counted        int64        `json:"counted"` // admitted responses
	ParentShare    float64      `json:"parent_share"`
	ParentFloorMet bool         `json:"parent_floor_met"`
	Flagged        int64        `json:"flagged"`
	Pending        int64        `json:"pending"` // flagged, not yet reviewed
	LastAt         *time.Time   `json:"last_at"` // nil: no answer yet
	Answers        int64        `json:"answers"` // rated answers behind the rate
	Result         MethodResult `json:"result"`  // recognition by the campaign's method, with its 95% interval
	Margin         Margin       `json:"margin"`
}

// Region is every unit in scope under the region prefix, each with its
// newest campaign's progress and recognition, weakest first (units
// without answers last). It reads counts kept by the group commits, a few
// statements for the whole region, not the responses.
func (s *Store) Region(ctx context.Context, scope county.Scope, prefix string) ([]UnitRow, error) {
	units, err := s.units.Units(ctx, scope)
	if err != nil {
		return nil, err
	}
	var rows []UnitRow
	var unitIDs []int64
	for _, u := range units {
		if strings.HasPrefix(u.Code, prefix) {
			rows = append(rows, UnitRow{Unit: u})
			unitIDs = append(unitIDs, u.ID)
		}
	}
	if len(rows) == 0 {
		return rows, nil
	}
	campaigns, err := s.q.NewestCampaigns(ctx, unitIDs)
	if err != nil {
		return nil, err
	}
	byUnit := map[int64]*Campaign{}
	var ids []int64
	for _, c := range campaigns {
		cp := campaignFrom(c)
		byUnit[cp.UnitID] = &cp
		ids = append(ids, cp.ID)
	}
	counts, err := s.q.RegionResponseCounts(ctx, ids)
	if err != nil {
		return nil, err
	}
	sources, err := s.q.RegionSourceCounts(ctx, ids)
	if err != nil {
		return nil, err
	}
	tallies, err := s.q.RegionTallies(ctx, ids)
	if err != nil {
		return nil, err
	}
	forms, err := s.q.RegionQuestionnaires(ctx, ids)
	if err != nil {
		return nil, err
	}
	targets, err := s.q.RegionQuotaTargets(ctx, ids)
	if err != nil {
		return nil, err
	}
	type campaignData struct {
		parents, counted int64
		shares           map[sampling.Category]float64
		total            int64
		counts           []Count
		forms            []Questionnaire
		src              dbq.RegionSourceCountsRow
	}
	data := map[int64]*campaignData{}
	at := func(id int64) *campaignData {
		if data[id] == nil {
			data[id] = &campaignData{shares: map[sampling.Category]float64{}}
		}
		return data[id]
	}
	for _, c := range counts {
		if ResponseStatus(c.Status) == Admitted {
			d := at(c.CampaignID)
			d.counted += c.N
			if sampling.Category(c.Category) == sampling.Parent {
				d.parents += c.N
			}
		}
	}
	for _, t := range targets {
		at(t.CampaignID).total += t.Target
	}
	for _, t := range targets {
		if d := at(t.CampaignID); d.total > 0 {
			d.shares[sampling.Category(t.Category)] = float64(t.Target) / float64(d.total)
		}
	}
	for _, t := range tallies {
		d := at(t.CampaignID)
		d.counts = append(d.counts, Count{Item: t.Item, Option: t.Option, Category: sampling.Category(t.Category), N: t.N})
	}
	for _, f := range forms {
		form, err := formFrom(f)
		if err != nil {
			return nil, fmt.Errorf("campaign %d: questionnaire %d: %w", f.CampaignID, f.ID, err)
		}
		at(f.CampaignID).forms = append(at(f.CampaignID).forms, form.Questionnaire)
	}
	for _, src := range sources {
		at(src.CampaignID).src = src
	}
	for i := range rows {
		cp := byUnit[rows[i].Unit.ID]
		if cp == nil {
			continue
		}
		r, d := &rows[i], at(cp.ID)
		r.Campaign = cp
		if cp.SampleSize != nil {
			r.SampleSize = int64(*cp.SampleSize)
		} else {
			r.SampleSize = d.total
		}
		r.Counted, r.Flagged, r.Pending = d.counted, d.src.Flagged, d.src.Pending
		if d.counted > 0 {
			r.ParentShare = float64(d.parents) / float64(d.counted)
			r.ParentFloorMet = sampling.ParentFloorMet(int(d.parents), int(d.counted))
		}
		if last := d.src.LastAt; last.After(time.Unix(0, 0)) {
			r.LastAt = &last
		}
		if len(d.counts) > 0 {
			rep := Score(Scoring{Questionnaires: d.forms, QuotaShares: d.shares, Method: cp.Method, Threshold: cp.Threshold}, d.counts)
			r.Answers, r.Result, r.Margin = rep.Answers, rep.Result, rep.Margin
		}
	}
	slices.SortStableFunc(rows, func(a, b UnitRow) int {
		switch {
		case (a.Answers > 0) != (b.Answers > 0):
			if a.Answers > 0 {
				return -1
			}
			return 1
		case a.Result.Rate < b.Result.Rate:
			return -1
		case a.Result.Rate > b.Result.Rate:
			return 1
		}
		return strings.Compare(a.Unit.Code, b.Unit.Code)
	})
	return rows, nil
}
