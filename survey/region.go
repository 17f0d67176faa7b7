package survey

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"renke/county"
	"renke/dbq"
	"renke/refusal"
	"renke/sampling"

	"golang.org/x/sync/errgroup"
)

// A region's units: see county.RegionPrefix.

// UnitRow is one unit of a region as its dashboard shows it: its newest
// campaign and how far that campaign has come.
type UnitRow struct {
	Unit           county.Unit          `json:"unit"`
	Campaign       *Campaign            `json:"campaign"` // nil: no survey yet
	SampleSize     int64                `json:"sample_size"`
	Counted        int64                `json:"counted"` // admitted responses
	ParentShare    float64              `json:"parent_share"`
	ParentFloorMet bool                 `json:"parent_floor_met"`
	Locales        []sampling.LocaleGap `json:"locales"`    // the admitted mix against the population's, urban to rural
	LocaleGap      sampling.LocaleGap   `json:"locale_gap"` // the widest of them
	Flagged        int64                `json:"flagged"`
	Pending        int64                `json:"pending"`     // flagged, not yet reviewed
	LastAt         *time.Time           `json:"last_at"`     // nil: no answer yet
	Respondents    int64                `json:"respondents"` // people behind the rate: the n of its interval
	Answers        int64                `json:"answers"`     // rated answers behind the rate
	Result         MethodResult         `json:"result"`      // recognition by the campaign's method, with its 95% interval
	Margin         Margin               `json:"margin"`
	// Provisional: the sample has not reached its design or the parents'
	// floor; Shortfall says by how much.
	Provisional bool   `json:"provisional"`
	Shortfall   string `json:"shortfall,omitempty"`
	// Withheld: the campaign is blind to the viewer (盲评): the row
	// shows its progress, and no rate, flags or review queue.
	Withheld bool `json:"withheld,omitempty"`
}

// LocaleBalanced reports whether the admitted mix matches the
// population's to a tenth of a percentage point (how the gap is shown).
func (r UnitRow) LocaleBalanced() bool {
	d := r.LocaleGap.Deviation
	return d > -0.0005 && d < 0.0005
}

// Behind reports whether a unit is behind: no answers yet, or its whole
// 95% interval below the line; never a row withheld from the viewer.
func (r UnitRow) Behind() bool { return !r.Withheld && (r.Respondents == 0 || r.Margin == Below) }

// Region is every unit in scope under the region prefix, each with its
// newest campaign's progress and recognition, weakest first (units
// without answers last). It reads counts kept by the group commits, a few
// statements for the whole region, not the responses.
func (s *Store) Region(ctx context.Context, scope county.Scope, prefix string) ([]UnitRow, error) {
	units, err := s.regionUnits(ctx, scope, prefix)
	if errors.Is(err, ErrNotFound) {
		return []UnitRow{}, nil
	} else if err != nil {
		return nil, err
	}
	rows := make([]UnitRow, len(units))
	unitIDs := make([]int64, len(units))
	for i, u := range units {
		rows[i], unitIDs[i] = UnitRow{Unit: u}, u.ID
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
	// The tallies are most of the reading; the rest is read beside them.
	var (
		counts  []dbq.RegionResponseCountsRow
		sources []dbq.RegionSourceCountsRow
		tallies [][]dbq.AnswerTotal
		forms   []dbq.Questionnaire
		targets []dbq.RegionQuotaTargetsRow
		people  []dbq.RegionRespondentSumsRow
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { tallies, err = s.regionTallies(gctx, ids); return err })
	g.Go(func() (err error) {
		if counts, err = s.q.RegionResponseCounts(gctx, ids); err != nil {
			return err
		}
		if sources, err = s.q.RegionSourceCounts(gctx, ids); err != nil {
			return err
		}
		if forms, err = s.q.RegionQuestionnaires(gctx, ids); err != nil {
			return err
		}
		if targets, err = s.q.RegionQuotaTargets(gctx, ids); err != nil {
			return err
		}
		people, err = s.q.RegionRespondentSums(gctx, ids)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	type campaignData struct {
		parents, counted int64
		locales          map[sampling.Locale]int
		shares           map[sampling.Category]float64
		total            int64
		counts           []Count
		forms            []Questionnaire
		people           []GroupSums
		src              dbq.RegionSourceCountsRow
	}
	data := map[int64]*campaignData{}
	at := func(id int64) *campaignData {
		if data[id] == nil {
			data[id] = &campaignData{shares: map[sampling.Category]float64{}, locales: map[sampling.Locale]int{}}
		}
		return data[id]
	}
	for _, c := range counts {
		if ResponseStatus(c.Status) == Admitted {
			d := at(c.CampaignID)
			d.counted += c.N
			d.locales[sampling.Locale(c.Locale)] += int(c.N)
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
	for _, chunk := range tallies {
		for _, t := range chunk {
			d := at(t.CampaignID)
			d.counts = append(d.counts, Count{Item: t.Item, Option: t.Option, Category: sampling.Category(t.Category), N: t.N})
		}
	}
	for _, r := range people {
		d := at(r.CampaignID)
		d.people = append(d.people, GroupSums{Dimension: ByCategory, Key: r.Key, Sums: Sums{r.Respondents, r.Answers, r.AnswersSq,
			r.Top2, r.Top2Sq, r.Top2X, r.Top3, r.Top3Sq, r.Top3X, r.Points, r.PointsSq, r.PointsX}})
	}
	// Most campaigns keep the bank's questionnaires as they are: each
	// distinct definition is read once (a national roll-up spent a third of
	// its time reading the same JSON thousands of times).
	read := map[[32]byte]Questionnaire{}
	for _, f := range forms {
		key := sha256.Sum256(f.Definition)
		q, ok := read[key]
		if !ok {
			form, err := formFrom(f)
			if err != nil {
				return nil, fmt.Errorf("campaign %d: questionnaire %d: %w", f.CampaignID, f.ID, err)
			}
			q, read[key] = form.Questionnaire, form.Questionnaire
		}
		at(f.CampaignID).forms = append(at(f.CampaignID).forms, q)
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
		if cp.BlindTo(scope) {
			r.Withheld, r.Flagged, r.Pending = true, 0, 0
		}
		if d.counted > 0 {
			r.ParentShare = float64(d.parents) / float64(d.counted)
			r.ParentFloorMet = sampling.ParentFloorMet(int(d.parents), int(d.counted))
		}
		r.Locales = sampling.LocaleBalance(d.locales, cp.DesignShares(rows[i].Unit))
		r.LocaleGap = sampling.WidestGap(r.Locales)
		if last := d.src.LastAt; last.After(time.Unix(0, 0)) {
			r.LastAt = &last
		}
	}
	// Scoring is the rest of the work, each unit on its own: two at a time.
	sg := errgroup.Group{}
	sg.SetLimit(2)
	for part := range slices.Chunk(rows, 64) {
		sg.Go(func() error {
			for i := range part {
				r := &part[i]
				if r.Campaign == nil {
					continue
				}
				d := data[r.Campaign.ID]
				if r.Withheld {
					d = nil // progress only: never scored for this viewer
				}
				sample := SampleState{Counted: int(r.Counted), ParentFloorMet: r.ParentFloorMet}
				if r.Campaign.SampleSize != nil {
					sample.Designed = *r.Campaign.SampleSize
				}
				r.Provisional, r.Shortfall = !sample.Complete(), sample.Shortfall()
				if d != nil && len(d.counts) > 0 {
					rep := Score(Scoring{Questionnaires: d.forms, QuotaShares: d.shares, Method: r.Campaign.Method, Threshold: r.Campaign.Threshold,
						Sample: sample}, d.counts, d.people)
					r.Respondents, r.Answers, r.Result, r.Margin = rep.Respondents, rep.Answers, rep.Result, rep.Margin
				}
			}
			return nil
		})
	}
	_ = sg.Wait()
	slices.SortStableFunc(rows, func(a, b UnitRow) int {
		switch {
		case (a.Respondents > 0) != (b.Respondents > 0):
			if a.Respondents > 0 {
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

// RegionOutcome is what a region-wide action did to one unit.
type RegionOutcome struct {
	Unit     county.Unit `json:"unit"`
	Campaign *Campaign   `json:"campaign"` // the campaign acted on, when there is one
	Done     bool        `json:"done"`
	Reason   string      `json:"reason,omitempty"` // why not, in words for staff
}

// regionUnits is the units in scope under a region prefix, by code.
func (s *Store) regionUnits(ctx context.Context, scope county.Scope, prefix string) ([]county.Unit, error) {
	units, err := s.units.RegionUnits(ctx, scope, prefix)
	if errors.Is(err, county.ErrNotFound) {
		return nil, ErrNotFound
	}
	return units, err
}

// regionNewest is the units in scope under a region prefix and each one's
// newest campaign, by unit id.
func (s *Store) regionNewest(ctx context.Context, scope county.Scope, prefix string) ([]county.Unit, map[int64]Campaign, error) {
	units, err := s.regionUnits(ctx, scope, prefix)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]int64, len(units))
	for i, u := range units {
		ids[i] = u.ID
	}
	rows, err := s.q.NewestCampaigns(ctx, ids)
	newest := make(map[int64]Campaign, len(rows))
	for _, r := range rows {
		cp := campaignFrom(r)
		newest[cp.UnitID] = cp
	}
	return units, newest, err
}

// UnitCampaign is a unit of a region and its newest campaign (nil: none).
type UnitCampaign struct {
	Unit     county.Unit `json:"unit"`
	Campaign *Campaign   `json:"campaign"`
}

// RegionCampaigns is every unit in scope under the region prefix with its
// newest campaign, by unit code.
func (s *Store) RegionCampaigns(ctx context.Context, scope county.Scope, prefix string) ([]UnitCampaign, error) {
	units, newest, err := s.regionNewest(ctx, scope, prefix)
	if err != nil {
		return nil, err
	}
	out := make([]UnitCampaign, len(units))
	for i, u := range units {
		out[i].Unit = u
		if cp, ok := newest[u.ID]; ok {
			out[i].Campaign = &cp
		}
	}
	return out, nil
}

// CreateRegionCampaigns sets up one survey for every unit of a region from
// one set of settings and one choice of links: each unit that has no
// campaign in draft or open gets its own campaign (its own quota, links,
// posters and log) with the links of the batch. The settings are checked
// once, before anything is made, so bad settings change nothing; a unit
// whose links cannot be made (no schools yet) is named, and its campaign
// left in draft without links.
func (s *Store) CreateRegionCampaigns(ctx context.Context, scope county.Scope, prefix string, in Settings, links LinkBatch) ([]RegionOutcome, error) {
	check := in
	check.Blind = nil // taken by each campaign as it is created
	if err := check.apply(&Campaign{}); err != nil {
		return nil, err
	}
	if len(links.Kinds) == 0 || (!links.Schools && !links.UnitWide) {
		return nil, refusal.Invalidf("请至少选择一种问卷和一种发放范围（各学校或全县通用）")
	}
	units, newest, err := s.regionNewest(ctx, scope, prefix)
	if err != nil {
		return nil, err
	}
	running := map[int64]Campaign{}
	for unit, cp := range newest {
		if cp.Status != Closed {
			running[unit] = cp
		}
	}
	var out []RegionOutcome
	for _, u := range units {
		o := RegionOutcome{Unit: u}
		if cp, ok := running[u.ID]; ok {
			o.Campaign, o.Reason = &cp, fmt.Sprintf("已有%s的调查“%s”", cp.Status.Name(), cp.Title)
			out = append(out, o)
			continue
		}
		cp, err := s.createCampaign(ctx, u.ID, in, county.DivisionCode(prefix))
		if err != nil {
			return out, err
		}
		o.Campaign = &cp
		b := links
		if b.Schools {
			if schools, err := s.units.Schools(ctx, u.ID); err != nil {
				return out, err
			} else if len(schools) == 0 {
				b.Schools = false
				o.Reason = "还没有学校名单，只建了全县通用链接；导入学校后可在调查页面补建各校链接"
			}
		}
		if b.Schools || b.UnitWide {
			if _, err := s.CreateLinks(ctx, cp.ID, b); err != nil {
				return out, err
			}
		} else {
			o.Reason = "还没有学校名单，未建链接；导入学校后在调查页面建立链接"
		}
		o.Done = true
		out = append(out, o)
	}
	return out, nil
}

// OpenRegion opens every unit's newest campaign of a region that is in
// draft; a unit whose campaign cannot open (no links, an invalid design)
// is named with the reason and the others open.
func (s *Store) OpenRegion(ctx context.Context, scope county.Scope, prefix, username string) ([]RegionOutcome, error) {
	return s.regionEach(ctx, scope, prefix, Draft, func(cp Campaign) (Campaign, error) { return s.Open(ctx, cp.ID, username) })
}

// CloseRegion closes every unit's newest campaign of a region that is
// open, each sealing its own log, recorded as the user's action.
func (s *Store) CloseRegion(ctx context.Context, scope county.Scope, prefix, username string) ([]RegionOutcome, error) {
	return s.regionEach(ctx, scope, prefix, Open, func(cp Campaign) (Campaign, error) { return s.Close(ctx, cp.ID, username) })
}

func (s *Store) regionEach(ctx context.Context, scope county.Scope, prefix string, from Status, act func(Campaign) (Campaign, error)) ([]RegionOutcome, error) {
	units, byUnit, err := s.regionNewest(ctx, scope, prefix)
	if err != nil {
		return nil, err
	}
	var out []RegionOutcome
	for _, u := range units {
		o := RegionOutcome{Unit: u}
		cp, ok := byUnit[u.ID]
		switch {
		case !ok:
			o.Reason = "尚未建立调查"
		case cp.Status != from:
			o.Campaign, o.Reason = &cp, fmt.Sprintf("调查“%s”%s", cp.Title, cp.Status.Name())
		default:
			done, err := act(cp)
			o.Campaign = &cp
			if err == nil {
				o.Campaign, o.Done = &done, true
			} else if msg, ok := refusalText(err); ok {
				o.Reason = msg
			} else {
				return out, err
			}
		}
		out = append(out, o)
	}
	return out, nil
}

// refusalText is the message of an error a person can act on.
func refusalText(err error) (string, bool) {
	if r, ok := refusal.As(err); ok {
		return r.Msg, true
	}
	return "", false
}

// regionChunk is how many campaigns' tallies one statement reads.
const regionChunk = 200

// regionTallies reads the campaigns' tallies in chunks, two at a time: a
// national roll-up reads a million rows, and one statement spent most of
// its time growing one slice of them on one core.
func (s *Store) regionTallies(ctx context.Context, ids []int64) ([][]dbq.AnswerTotal, error) {
	chunks := make([][]dbq.AnswerTotal, (len(ids)+regionChunk-1)/regionChunk)
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(2)
	for i := range chunks {
		part := ids[i*regionChunk : min(len(ids), (i+1)*regionChunk)]
		g.Go(func() error {
			rows, err := s.q.RegionTallies(ctx, part)
			chunks[i] = rows
			return err
		})
	}
	return chunks, g.Wait()
}

// RegionSummary is one sub-region of a region's units (a province of the
// country): how many units it has, how many have a survey and answers,
// how many are behind (no answers, or the whole interval below the line),
// and its counted responses against its units' sample sizes.
type RegionSummary struct {
	Prefix     string `json:"prefix"`
	Units      int    `json:"units"`
	Surveyed   int    `json:"surveyed"`
	Answered   int    `json:"answered"`
	Behind     int    `json:"behind"`
	Counted    int64  `json:"counted"`
	SampleSize int64  `json:"sample_size"`
}

// Summarise groups a region's rows by the first digits of their unit
// codes (2: provinces, 4: cities), in code order.
func Summarise(rows []UnitRow, digits int) []RegionSummary {
	by := map[string]*RegionSummary{}
	var order []string
	for _, r := range rows {
		p := r.Unit.Code[:min(digits, len(r.Unit.Code))]
		s := by[p]
		if s == nil {
			s = &RegionSummary{Prefix: p}
			by[p] = s
			order = append(order, p)
		}
		s.Units++
		if r.Campaign != nil {
			s.Surveyed++
		}
		if r.Respondents > 0 {
			s.Answered++
		}
		if r.Behind() {
			s.Behind++
		}
		s.Counted += r.Counted
		s.SampleSize += r.SampleSize
	}
	slices.Sort(order)
	out := make([]RegionSummary, len(order))
	for i, p := range order {
		out[i] = *by[p]
	}
	return out
}
