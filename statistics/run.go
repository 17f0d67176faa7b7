package statistics

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"renke/county"
	"renke/dbq"
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
	summary  summary // the region roll-up's rows (Region)
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
	Campaign  *survey.Campaign // the campaign the findings link, else the newest started
	// CampaignChosen: the findings name Campaign; else it is the unit's
	// newest started survey, read by default.
	CampaignChosen bool
	Result         evaluation.Result
	// Viewer is whom the run is evaluated for: a blind survey's result is
	// withheld from a viewer outside the region that organised it
	// (survey.Campaign.BlindTo); the zero Scope organises nothing.
	Viewer county.Scope
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

// ProfileFor is the profile a unit's findings name or, when they name
// none, the one of the unit's region (Profiles.ForUnit).
func (e *Evaluations) ProfileFor(id string, u county.Unit) *evaluation.Profile {
	if id == "" {
		return e.Profiles.ForUnit(u.Code)
	}
	return e.ProfileOf(id)
}

// Load reads a unit's statistics and findings for the year (0: the
// default year), without scoring the survey or evaluating.
func (e *Evaluations) Load(ctx context.Context, viewer county.Scope, u county.Unit, year int, now time.Time) (*Run, error) {
	run := &Run{Unit: u, Viewer: viewer}
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
	run.Profile = e.ProfileFor(run.Findings.Profile, u)
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
	if run.Findings.CampaignID == nil {
		run.Campaign, run.CampaignChosen = newestStarted(run.Campaigns), false
	} else {
		run.CampaignChosen = true
	}
	return run, nil
}

// newestStarted is the unit's newest campaign that has started (open or
// closed), or nil: the survey an evaluation reads when the findings name
// none — a city's survey run for its counties among them.
func newestStarted(cs []survey.Campaign) *survey.Campaign {
	var out *survey.Campaign
	for i := range cs {
		if cs[i].Status != survey.Draft && (out == nil || cs[i].ID > out.ID) {
			out = &cs[i]
		}
	}
	return out
}

// Evaluate scores the linked survey and evaluates a loaded run.
func (e *Evaluations) Evaluate(ctx context.Context, run *Run) error {
	var rec *evaluation.Recognition
	if run.Campaign != nil {
		var err error
		if rec, err = e.recognition(ctx, run.Unit, *run.Campaign, run.Campaign.BlindTo(run.Viewer)); err != nil {
			return err
		}
	}
	run.Result = evaluation.Evaluate(run.Profile, run.Findings.Inputs(run.Schools, rec))
	return nil
}

// recognition is a campaign's survey result as the evaluation reads it;
// withheld (a blind survey, for the assessed unit), its sample's progress
// only.
func (e *Evaluations) recognition(ctx context.Context, u county.Unit, cp survey.Campaign, withheld bool) (*evaluation.Recognition, error) {
	p, err := e.Surveys.Progress(ctx, cp)
	if err != nil {
		return nil, err
	}
	if withheld {
		rec := &evaluation.Recognition{Campaign: cp.Title, RatePPM: cp.RatePPM, SampleSize: p.SampleSize, Admitted: p.Counted,
			Withheld: "由上级组织，不向本单位公开（" + county.Bureau(u, cp.Organiser) + "组织的盲评调查，本单位只能查看进度）"}
		for _, c := range p.ByCategory {
			if c.Category == sampling.Parent {
				rec.Parents = c.Counted
			}
		}
		return rec, nil
	}
	forms, err := e.Surveys.Forms(ctx, cp.ID)
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

// checkOf finds the check with the key in an evaluated run.
func checkOf(run *Run, key string) (*evaluation.CheckResult, bool) {
	for _, ir := range run.Result.Indicators {
		for j := range ir.Results {
			if evaluation.CheckKey(ir.No, j) == key {
				return &ir.Results[j], true
			}
		}
	}
	return nil, false
}

// DeclareNotApplicable records the unit's declaration that a check does
// not apply to it this year, with its reason: only a per-school check
// whose scope is empty by the county's circumstances (no school of the
// kind it looks at). It counts as met once a reviewer accepts it, with
// evidence attached; declaring again clears an acceptance. It returns the
// declaration's id, to attach evidence to.
func (e *Evaluations) DeclareNotApplicable(ctx context.Context, run *Run, key, reason, by string) (int64, error) {
	reason = strings.TrimSpace(reason)
	switch n := utf8.RuneCountInString(reason); {
	case n == 0:
		return 0, refusal.Invalidf("请填写不适用的理由，如：本县没有特殊教育学校，适龄残疾儿童在市特殊教育学校就读")
	case n > MaxNote:
		return 0, refusal.Invalidf("理由不超过 %d 字", MaxNote)
	}
	if err := e.Evaluate(ctx, run); err != nil {
		return 0, err
	}
	cr, ok := checkOf(run, key)
	switch {
	case !ok:
		return 0, refusal.Invalidf("评估标准中没有编号为 %s 的检查项", key)
	case !cr.Empty:
		return 0, refusal.Invalidf("“%s”的核查范围内有学校，须按实际核查，不能申报不适用", cr.Label)
	}
	return e.Stats.q.DeclareNotApplicable(ctx, dbq.DeclareNotApplicableParams{UnitID: run.Unit.ID, Year: int32(run.Year),
		CheckKey: key, Reason: reason, DeclaredBy: by})
}

// AcceptNotApplicable is a reviewer's acceptance of a declaration of
// 不适用, which needs its evidence attached.
func (e *Evaluations) AcceptNotApplicable(ctx context.Context, run *Run, key, by string) error {
	na, ok := run.Findings.NotApplicable[key]
	switch {
	case !ok:
		return refusal.Invalidf("本单位 %d 学年没有申报 %s 不适用", run.Year, key)
	case na.AcceptedBy != "":
		return refusal.Conflictf("该不适用申报已由 %s 认可", na.AcceptedBy)
	case na.Evidence == 0:
		return refusal.Invalidf("该不适用申报尚无佐证材料，不能认可")
	}
	return e.Stats.q.AcceptNotApplicable(ctx, dbq.AcceptNotApplicableParams{ID: na.ID, AcceptedBy: by})
}

// NotApplicableCheck is a check that may be, or is, declared 不适用.
type NotApplicableCheck struct {
	Key         string                    `json:"key"`
	Indicator   string                    `json:"indicator"`
	Label       string                    `json:"label"`
	Status      evaluation.Status         `json:"status"`
	Empty       bool                      `json:"empty"` // nothing in its scope now
	Declaration *evaluation.NotApplicable `json:"declaration,omitempty"`
	Standing    string                    `json:"standing,omitempty"`
}

// NotApplicableChecks lists, of an evaluated run, the checks with an empty
// scope and those declared 不适用, in the order of the profile.
func (run *Run) NotApplicableChecks() []NotApplicableCheck {
	var out []NotApplicableCheck
	for _, ir := range run.Result.Indicators {
		for j, cr := range ir.Results {
			key := evaluation.CheckKey(ir.No, j)
			na, declared := run.Findings.NotApplicable[key]
			if !cr.Empty && !declared {
				continue
			}
			c := NotApplicableCheck{Key: key, Indicator: ir.No, Label: cr.Label, Status: cr.Status, Empty: cr.Empty, Standing: cr.NotApplicable}
			if declared {
				c.Declaration = &na
			}
			out = append(out, c)
		}
	}
	return out
}
