package server

// What a link leads to, cached for the respondent pages.

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/sync/singleflight"

	"renke/county"
	"renke/sampling"
	"renke/survey"
)

// visit is everything a link leads to.
type visit struct {
	link     survey.Link
	campaign survey.Campaign
	unit     county.Unit
	school   *county.School // preset by the link
	forms    []survey.Form
	key      []byte                                           // the campaign's hash key; nil unless it is open
	cells    []sampling.CellProgress                          // the quota as read with the visit (at most visitTTL old)
	blank    renderedOnce[sampling.Category, *gzipSlot]       // the empty form, split where its token goes
	done     renderedOnce[survey.ResponseStatus, slottedPage] // the receipt page by status, cut where the receipt goes
}

// renderedOnce keeps pages rendered once per visit, by key. Requests that
// arrive together wait for one rendering; a failed one is tried again by
// the next request.
type renderedOnce[K comparable, P any] struct{ m sync.Map }

type rendering[P any] struct {
	once sync.Once
	page P
	err  error
}

func (r *renderedOnce[K, P]) get(key K, render func() (P, error)) (P, error) {
	e, _ := r.m.LoadOrStore(key, &rendering[P]{})
	entry := e.(*rendering[P])
	entry.once.Do(func() { entry.page, entry.err = render() })
	if entry.err != nil {
		r.m.CompareAndDelete(key, entry)
	}
	return entry.page, entry.err
}

// formPath is where a link's form is shown and submitted.
const formPath = "/s/:code"

// tokenSlot stands in for the token in a blank form.
const tokenSlot = "TOKEN-SLOT-7f3c9a"

// visitCache keeps what a link leads to for a few seconds: a busy evening
// loads the same few links thousands of times a minute, and the forms of an
// open campaign are frozen. A staff action in this process that changes a
// campaign or a unit drops the visits it reaches (survey.Store.OnChange,
// county.Store.OnChange); other servers see the change within visitTTL.
// The campaign's status is checked again under its lock when a response
// is stored, so a form shown seconds after closing is still refused.
type visitCache struct {
	mu      sync.Mutex
	entries map[string]cachedVisit
	// reading is one read of a link's visit at a time: when a visit
	// expires under load, the requests waiting for it share one read
	// (and so one rendering of its blank form) instead of each making
	// their own.
	reading singleflight.Group
}

type cachedVisit struct {
	v  *visit
	at time.Time
}

const visitTTL = 5 * time.Second

func (vc *visitCache) get(code string, now time.Time) *visit {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	if e, ok := vc.entries[code]; ok && now.Sub(e.at) < visitTTL {
		return e.v
	}
	return nil
}

func (vc *visitCache) put(code string, v *visit, now time.Time) {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	if vc.entries == nil || len(vc.entries) > 10_000 {
		vc.entries = map[string]cachedVisit{}
	}
	vc.entries[code] = cachedVisit{v, now}
}

// forget drops the visits that match, when the domain says something
// they hold changed: a campaign (settings, status, questionnaires) or a
// unit (its name, its schools).
func (vc *visitCache) forget(match func(*visit) bool) {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	for code, e := range vc.entries {
		if match(e.v) {
			delete(vc.entries, code)
		}
	}
}

func (vc *visitCache) forgetCampaign(id int64) {
	vc.forget(func(v *visit) bool { return v.campaign.ID == id })
}

func (vc *visitCache) forgetUnit(id int64) {
	vc.forget(func(v *visit) bool { return v.unit.ID == id })
}

func (s *Server) loadVisit(ctx context.Context, code string) (*visit, error) {
	if v := s.visits.get(code, time.Now()); v != nil {
		return v, nil
	}
	r, err, _ := s.visits.reading.Do(code, func() (any, error) {
		if v := s.visits.get(code, time.Now()); v != nil {
			return v, nil // read by the request before
		}
		// The read is shared: one caller's going away must not fail the rest.
		v, err := s.readVisit(context.WithoutCancel(ctx), code)
		if err == nil && v.campaign.Status == survey.Open {
			s.visits.put(code, v, time.Now())
		}
		return v, err
	})
	if err != nil {
		return nil, err
	}
	return r.(*visit), nil
}

func (s *Server) readVisit(ctx context.Context, code string) (*visit, error) {
	if len(code) > 32 {
		return nil, echo.NewHTTPError(http.StatusNotFound, "二维码链接无效，请重新扫描学校发布的二维码。")
	}
	link, err := s.surveys.LinkByCode(ctx, code)
	if errors.Is(err, survey.ErrNotFound) {
		return nil, echo.NewHTTPError(http.StatusNotFound, "二维码链接无效，请重新扫描学校发布的二维码。")
	} else if err != nil {
		return nil, err
	}
	v := &visit{link: link}
	if v.campaign, err = s.surveys.Campaign(ctx, county.Everything, link.CampaignID); err != nil {
		return nil, err
	}
	if v.unit, err = s.units.Unit(ctx, county.Everything, v.campaign.UnitID); err != nil {
		return nil, err
	}
	if link.SchoolID != nil {
		sc, err := s.units.School(ctx, v.unit.ID, *link.SchoolID)
		if err != nil {
			return nil, err
		}
		v.school = &sc
	}
	if v.forms, err = s.surveys.Forms(ctx, v.campaign.ID); err != nil {
		return nil, err
	}
	// The hash key exists while the campaign is open; a closed campaign
	// takes no answers and needs none.
	if v.key, err = s.surveys.HashKey(ctx, v.campaign.ID); err != nil && !errors.Is(err, survey.ErrNotFound) {
		return nil, err
	}
	if v.campaign.Status == survey.Open && v.campaign.Policy == sampling.Cap && v.school != nil {
		if _, v.cells, err = s.surveys.Allocation(ctx, v.campaign); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// full reports whether the quota cell of category c at the link's school
// was full when the visit was read. Only a link with a school knows the
// respondent's locale before the form; the submit decides for the others,
// and for a cell that fills meanwhile.
func (v *visit) full(c sampling.Category) bool {
	if v.school == nil {
		return false
	}
	for _, cell := range v.cells {
		if cell.Category == c && cell.Locale == v.school.Locale {
			return cell.Full()
		}
	}
	return false
}

// categories are those this link serves, in the national order.
func (v *visit) categories() []sampling.Category { return survey.LinkCategories(v.forms, v.link) }

func (v *visit) form(c sampling.Category) *survey.Form { return survey.FormFor(v.forms, c) }

type page struct {
	Title      string
	UnitName   string
	SchoolName string
	Organiser  string // 主办：…, for a survey a city or province set up
}

func (v *visit) page() page {
	p := page{Title: v.unit.Name + "社会认可度调查", UnitName: v.unit.Name}
	if v.campaign.Organiser != "" {
		p.Organiser = organiser(v.unit, v.campaign)
	}
	if v.school != nil {
		p.SchoolName = v.school.Name
	}
	return p
}

type noticePage struct {
	page
	Message string
}

type choice struct {
	Code, Name string
	Full       bool // the group's quota is full: told before answering
}

type choosePage struct {
	page
	Choices []choice
}

type formPage struct {
	page
	Code         string
	Token        string
	Category     sampling.Category
	CategoryName string
	Form         *survey.Form
	AskSchool    bool
	Schools      []county.School
	SchoolID     int64
	Bands        []sampling.GradeBand
	Band         string
	AskLocale    bool
	Locales      []sampling.Locale
	Locale       string
	Answers      map[string]string
	Suggestion   string
	Problems     survey.Problems
	PowBits      int  // proof of work the submit must carry; 0 for none
	Preview      bool // staff's preview: nothing can be submitted
}

// FirstProblem is the id of the first field, in the order of the form,
// that needs the respondent's attention; the error banner links to it.
func (p formPage) FirstProblem() string {
	fields := []string{"school", "band", "locale"}
	if p.Form != nil {
		for _, it := range p.Form.Items {
			fields = append(fields, "a_"+it.ID)
		}
	}
	for _, f := range append(fields, "suggestion") {
		if _, ok := p.Problems[f]; ok {
			return f
		}
	}
	return ""
}

// You is how the form addresses the respondent: 你 to a pupil, 您 to
// everyone else.
func (p formPage) You() string {
	if p.Category == sampling.Student {
		return "你"
	}
	return "您"
}

type donePage struct {
	page
	Status          survey.ResponseStatus
	CampaignID      int64
	Code, Pos, Hash string
	Size, Root      string // the checkpoint it was admitted under
}

// InLog reports whether the response is in the sample log: admitted, or
// held for review.
func (p donePage) InLog() bool { return p.Status == survey.Admitted || p.Status == survey.Held }

// Held reports whether the response waits for a reviewer before it counts.
func (p donePage) Held() bool { return p.Status == survey.Held }
