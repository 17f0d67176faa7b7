package statistics

import (
	"context"
	"time"

	"renke/county"
	"renke/evaluation"
	"renke/refusal"
	"renke/sampling"
	"renke/survey"
)

// Evaluations runs units' indicator evaluations from their stored school
// statistics, county findings and linked survey: the one home of "evaluate
// this unit's year", which the console pages, the result workbook and the
// API all call.
type Evaluations struct {
	Stats    *Store
	Surveys  *survey.Store
	Profiles *evaluation.Profiles
}

// Run is a unit's evaluation for one school year, with what it was made from.
type Run struct {
	Unit      county.Unit
	Year      int
	Years     []int // years with statistics, newest first
	Profile   *evaluation.Profile
	Findings  Findings
	Schools   []evaluation.School
	Campaigns []survey.Campaign
	Campaign  *survey.Campaign // the campaign the findings link, if any
	Result    evaluation.Result
}

// DefaultYear is the school year shown when none is asked for: the newest
// with data, else the current one (a school year starts in September).
func DefaultYear(years []int, now time.Time) int {
	if len(years) > 0 {
		return years[0]
	}
	y := now.Year()
	if now.Month() < 9 {
		y--
	}
	return y
}

// ProfileOf is the profile with the id, or the national one.
func (e *Evaluations) ProfileOf(id string) *evaluation.Profile {
	if p, ok := e.Profiles.Get(id); ok {
		return p
	}
	p, _ := e.Profiles.Get("national-2017")
	return p
}

// Load reads a unit's statistics and findings for the year (0: the
// default year), without scoring the survey or evaluating.
func (e *Evaluations) Load(ctx context.Context, u county.Unit, year int, now time.Time) (*Run, error) {
	run := &Run{Unit: u}
	var err error
	if run.Years, err = e.Stats.Years(ctx, u.ID); err != nil {
		return nil, err
	}
	run.Year = year
	if year == 0 {
		run.Year = DefaultYear(run.Years, now)
	}
	if run.Findings, _, err = e.Stats.Findings(ctx, u.ID, run.Year); err != nil {
		return nil, err
	}
	run.Profile = e.ProfileOf(run.Findings.Profile)
	if run.Schools, err = e.Stats.Schools(ctx, u.ID, run.Year); err != nil {
		return nil, err
	}
	if run.Campaigns, err = e.Surveys.Campaigns(ctx, u.ID); err != nil {
		return nil, err
	}
	for i, cp := range run.Campaigns {
		if run.Findings.CampaignID != nil && cp.ID == *run.Findings.CampaignID {
			run.Campaign = &run.Campaigns[i]
		}
	}
	return run, nil
}

// Evaluate scores the linked survey and evaluates a loaded run.
func (e *Evaluations) Evaluate(ctx context.Context, run *Run) error {
	var rec *evaluation.Recognition
	if run.Campaign != nil {
		var err error
		if rec, err = e.recognition(ctx, *run.Campaign); err != nil {
			return err
		}
	}
	run.Result = evaluation.Evaluate(run.Profile, run.Findings.Inputs(run.Schools, rec))
	return nil
}

// recognition is a campaign's survey result as the evaluation reads it.
func (e *Evaluations) recognition(ctx context.Context, cp survey.Campaign) (*evaluation.Recognition, error) {
	forms, err := e.Surveys.Forms(ctx, cp.ID)
	if err != nil {
		return nil, err
	}
	p, err := e.Surveys.Progress(ctx, cp)
	if err != nil {
		return nil, err
	}
	r, err := e.Surveys.CachedRecognition(ctx, cp, forms, p)
	if err != nil {
		return nil, err
	}
	rec := &evaluation.Recognition{Campaign: cp.Title, Method: r.Result.Name, Rate: r.Result.Rate,
		Low: r.Result.Low, High: r.Result.High, Answers: r.Answers, Respondents: r.Respondents, Complete: !r.Provisional,
		Shortfall: r.Shortfall, ByArea: map[string]evaluation.AreaRate{},
		RatePPM: cp.RatePPM, SampleSize: p.SampleSize, Admitted: p.Counted}
	for _, c := range p.ByCategory {
		if c.Category == sampling.Parent {
			rec.Parents = c.Counted
		}
	}
	for _, g := range r.ByArea {
		rec.ByArea[g.Key] = evaluation.AreaRate{Rate: g.Rate, Answers: g.Answers}
	}
	return rec, nil
}

// SaveFindings saves a unit's county findings for run's year, checked
// against their profile; a linked campaign must be one of the unit's.
func (e *Evaluations) SaveFindings(ctx context.Context, run *Run, f Findings) error {
	if err := f.Validate(e.ProfileOf(f.Profile)); err != nil {
		return refusal.AsInvalid(err)
	}
	if f.CampaignID != nil {
		ok := false
		for _, cp := range run.Campaigns {
			ok = ok || cp.ID == *f.CampaignID
		}
		if !ok {
			return refusal.Invalidf("所选调查不属于本单位")
		}
	}
	f.Year = run.Year
	return e.Stats.SaveFindings(ctx, run.Unit.ID, f)
}
