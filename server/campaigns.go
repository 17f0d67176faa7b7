package server

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"renke/county"
	"renke/refusal"
	"renke/sampling"
	"renke/staff"
	"renke/survey"
	"renke/workbook"
)

// Campaigns: /console/campaigns/:campaign…, /console/units/:unit/campaigns
// and /api/v1/…/campaigns….

// campaign is the campaign of the request's :campaign, in the caller's
// scope, to read its answers or change it: 403 (survey.ErrBlind) for the
// assessed unit's staff when the survey is blind. Every campaign route
// takes it unless it is one of progressRoutes.
func (s *Server) campaign(c echo.Context) (survey.Campaign, error) {
	id, err := idParam(c, "campaign")
	if err != nil {
		return survey.Campaign{}, err
	}
	cp, err := s.surveys.CampaignAnswers(c.Request().Context(), scope(c), id)
	return cp, storeError(err)
}

// campaignProgress is the campaign of the request's :campaign for one of
// progressRoutes: what a blind survey shows the assessed unit's staff.
func (s *Server) campaignProgress(c echo.Context) (survey.Campaign, error) {
	if !progressRoutes[c.Request().Method+" "+c.Path()] {
		return s.campaign(c)
	}
	id, err := idParam(c, "campaign")
	if err != nil {
		return survey.Campaign{}, err
	}
	cp, err := s.surveys.Campaign(c.Request().Context(), scope(c), id)
	return cp, storeError(err)
}

// progressRoutes are the campaign routes a blind survey (盲评) still
// answers for the assessed unit's staff: the survey's settings and
// progress (counts against the quota, by school, link and cell), its
// questionnaires and its posters, nothing of its answers and no change.
// A route not listed here answers them 403 (TestBlindSurvey walks them
// all).
var progressRoutes = map[string]bool{
	"GET /console/campaigns/:campaign":                              true,
	"GET /console/campaigns/:campaign/progress":                     true,
	"GET /console/campaigns/:campaign/progress.xlsx":                true,
	"GET /console/campaigns/:campaign/questionnaires/:kind":         true,
	"GET /console/campaigns/:campaign/questionnaires/:kind/preview": true,
	"GET /console/campaigns/:campaign/posters":                      true,
	"GET /console/campaigns/:campaign/qr.zip":                       true,
	"GET /api/v1/campaigns/:campaign":                               true,
	"GET /api/v1/campaigns/:campaign/allocation":                    true,
	"GET /api/v1/campaigns/:campaign/questionnaires":                true,
	"GET /api/v1/campaigns/:campaign/links":                         true,
	"GET /api/v1/campaigns/:campaign/progress":                      true,
}

// campaignView is what the campaign pages share: the campaign, its unit
// and forms; the pages that list links, and the quota, load them too.
type campaignView struct {
	consolePage
	Campaign survey.Campaign
	Unit     county.Unit
	Schools  []county.School
	Forms    []survey.Form
	Links    []linkRow
	Progress survey.Progress
	Quota    sampling.QuotaTable
	Error    string
	Notice   string
	Problems []workbook.CellError
	Methods  []survey.Method
	WeChat   bool // the deployment has a WeChat service account
	// Blind: the survey is blind to the viewer, who sees its progress
	// only; Organiser names who runs it.
	Blind     bool
	Organiser string
}

func (s *Server) campaignView(c echo.Context, title string) (*campaignView, error) {
	cp, err := s.campaignProgress(c)
	if err != nil {
		return nil, err
	}
	ctx := c.Request().Context()
	v := &campaignView{Campaign: cp, Methods: survey.Methods, WeChat: s.wechat != nil, Blind: cp.BlindTo(scope(c))}
	if v.Unit, err = s.units.Unit(ctx, county.Everything, cp.UnitID); err != nil { // cp was reached in scope
		return nil, err
	}
	v.consolePage = s.consolePage(c, v.Unit.Name+" "+title)
	if v.Blind {
		v.Organiser = county.Bureau(v.Unit, cp.Organiser)
	}
	if v.Forms, err = s.surveys.Forms(ctx, cp.ID); err != nil {
		return nil, err
	}
	return v, nil
}

// withProgress adds the sample against its quota.
func (s *Server) withProgress(c echo.Context, v *campaignView) error {
	var err error
	if v.Progress, err = s.surveys.Progress(c.Request().Context(), v.Campaign); err != nil {
		return storeError(err)
	}
	v.Quota = v.Progress.Table()
	return nil
}

// campaignPage is the campaign page's view: everything.
func (s *Server) campaignPage(c echo.Context) (*campaignView, error) {
	v, err := s.campaignView(c, "调查设置")
	if err != nil {
		return nil, err
	}
	if err := s.withLinks(c, v); err != nil {
		return nil, err
	}
	return v, s.withProgress(c, v)
}

func (s *Server) showCampaign(c echo.Context) error {
	v, err := s.campaignPage(c)
	if err != nil {
		return err
	}
	v.Notice = s.flash(c)
	return s.render(c, http.StatusOK, "campaign.html", v)
}

// campaignRefused shows the campaign page with the refusal of an action,
// or returns the error when it is not a refusal.
func (s *Server) campaignRefused(c echo.Context, err error) error {
	code, msg, ok := refused(err)
	if !ok {
		return storeError(err)
	}
	v, verr := s.campaignPage(c)
	if verr != nil {
		return verr
	}
	v.Error = msg
	return s.render(c, code, "campaign.html", v)
}

func (s *Server) campaignDone(c echo.Context, id int64, msg string) error {
	return s.done(c, fmt.Sprintf("/console/campaigns/%d", id), msg)
}

// localTime reads a datetime-local field as Beijing time, in RFC 3339.
func localTime(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	t, err := time.ParseInLocation("2006-01-02T15:04", raw, survey.Beijing)
	if err != nil {
		return raw // the settings report it
	}
	return t.Format(time.RFC3339)
}

// settingsFromForm reads the settings form: the fields a draft shows, or
// those an open campaign still shows. Its errors are about the form's
// fields; the campaign's own rules are checked by survey.Store.
func settingsFromForm(c echo.Context, draft bool) (survey.Settings, error) {
	title, opens, closes := strings.TrimSpace(c.FormValue("title")), localTime(c.FormValue("opens_at")), localTime(c.FormValue("closes_at"))
	in := survey.Settings{Title: &title, OpensAt: &opens, ClosesAt: &closes}
	// After opening, unit staff see the verdict's settings but cannot send
	// them (the fields are disabled): absent, they stay as they are.
	if raw := c.FormValue("scoring_method"); draft || raw != "" {
		method := survey.Method(raw)
		in.Method = &method
	}
	if raw := strings.TrimSpace(c.FormValue("threshold")); draft || raw != "" {
		th, err := strconv.ParseFloat(strings.TrimSuffix(raw, "%"), 64)
		if err != nil {
			return in, refusal.Invalidf("达标线须为百分数，如 85")
		}
		th /= 100
		in.Threshold = &th
	}
	minFill, err := strconv.Atoi(strings.TrimSpace(c.FormValue("min_fill_seconds")))
	if err != nil {
		return in, refusal.Invalidf("最短填写时间须为整数秒，如 20")
	}
	pow, err := strconv.Atoi(strings.TrimSpace(c.FormValue("pow_bits")))
	if err != nil {
		return in, refusal.Invalidf("提交验证强度须为整数，不要求时填 0")
	}
	in.MinFill, in.PowBits = &minFill, &pow
	wechatOnly := c.FormValue("wechat_only") == "on"
	in.WeChat = &wechatOnly
	if raw := strings.TrimSpace(c.FormValue("token_hours")); raw != "" {
		hours, err := strconv.Atoi(raw)
		if err != nil {
			return in, refusal.Invalidf("问卷页面有效时间须为整数小时，如 36")
		}
		in.Token = &hours
	}
	if reason := strings.TrimSpace(c.FormValue("reason")); reason != "" {
		in.Reason = &reason
	}
	if draft {
		rate, err := strconv.ParseFloat(strings.TrimSpace(c.FormValue("rate")), 64)
		if err != nil || rate <= 0 {
			return in, refusal.Invalidf("抽样比例须为正数（千分数），如 1.5")
		}
		ppm := int(rate*1000 + 0.5)
		min, err := strconv.Atoi(strings.TrimSpace(c.FormValue("min_sample")))
		if err != nil {
			return in, refusal.Invalidf("最低样本量须为整数，不设下限时填 0")
		}
		policy := sampling.Policy(c.FormValue("quota_policy"))
		in.RatePPM, in.MinSample, in.Policy = &ppm, &min, &policy
	}
	return in, nil
}

// newCampaign creates a draft campaign with the national defaults and
// goes to its page, where the rest is set.
func (s *Server) newCampaign(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	cp, err := s.surveys.CreateCampaign(c.Request().Context(), u.ID, survey.Titled(strings.TrimSpace(c.FormValue("title"))))
	if err != nil {
		return s.unitRefused(c, u, err)
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/console/campaigns/%d", cp.ID))
}

// saveCampaign saves the settings form.
func (s *Server) saveCampaign(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	in, err := settingsFromForm(c, cp.Status == survey.Draft)
	if err == nil {
		var changes []survey.Change
		_, changes, err = s.surveys.UpdateCampaign(c.Request().Context(), cp.ID, in, actor(c))
		noteChanges(c, settingChanges(changes))
	}
	if err != nil {
		return s.campaignRefused(c, err)
	}
	return s.campaignDone(c, cp.ID, "设置已保存")
}

// openCampaignForm is POST …/open; without confirm=yes it shows what
// opening freezes and asks.
func (s *Server) openCampaignForm(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	if c.FormValue("confirm") != "yes" {
		v, err := s.campaignView(c, "开始调查")
		if err != nil {
			return err
		}
		if err := s.withProgress(c, v); err != nil {
			return s.campaignRefused(c, err)
		}
		return s.render(c, http.StatusOK, "open.html", v)
	}
	if _, err := s.surveys.Open(c.Request().Context(), cp.ID, actor(c).Username); err != nil {
		return s.campaignRefused(c, err)
	}
	return s.campaignDone(c, cp.ID, "调查已开始，配额已锁定")
}

// confirmClose is GET …/close: what closing does, and the button that
// does it. Closing cannot be undone by unit staff: only an admin can
// reopen, with a recorded reason.
func (s *Server) confirmClose(c echo.Context) error {
	v, err := s.campaignView(c, "结束调查")
	if err != nil {
		return err
	}
	if err := s.withProgress(c, v); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "close.html", v)
}

// closeCampaignForm is POST …/close; without confirm=yes it only asks.
func (s *Server) closeCampaignForm(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	if c.FormValue("confirm") != "yes" {
		return s.confirmClose(c)
	}
	acct, _ := c.Get("staff").(staff.Account)
	if _, err := s.surveys.Close(c.Request().Context(), cp.ID, acct.Username); err != nil {
		return s.campaignRefused(c, err)
	}
	return s.campaignDone(c, cp.ID, "调查已结束，问卷不再接收答卷")
}

// reopenCampaignForm is POST …/reopen (admins): a closed campaign takes
// answers again, for the reason given.
func (s *Server) reopenCampaignForm(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	acct, _ := c.Get("staff").(staff.Account)
	if _, err := s.surveys.Reopen(c.Request().Context(), cp.ID, c.FormValue("reason"), acct.Username); err != nil {
		return s.campaignRefused(c, err)
	}
	return s.campaignDone(c, cp.ID, "调查已重新开放，理由已记录并将写入调查材料")
}

func (s *Server) listCampaigns(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	list, err := s.surveys.Campaigns(c.Request().Context(), u.ID)
	return respond(c, http.StatusOK, list, err)
}

func (s *Server) createCampaign(c echo.Context) error {
	u, err := s.unit(c)
	if err != nil {
		return err
	}
	var in survey.Settings
	if err := decode(c, &in); err != nil {
		return err
	}
	cp, err := s.surveys.CreateCampaign(c.Request().Context(), u.ID, in)
	return respond(c, http.StatusCreated, cp, err)
}

func (s *Server) getCampaign(c echo.Context) error {
	cp, err := s.campaignProgress(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, cp)
}

func (s *Server) updateCampaign(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	var in survey.Settings
	if err := decode(c, &in); err != nil {
		return err
	}
	cp, changes, err := s.surveys.UpdateCampaign(c.Request().Context(), cp.ID, in, actor(c))
	noteChanges(c, settingChanges(changes))
	return respond(c, http.StatusOK, cp, err)
}

func (s *Server) openCampaign(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	cp, err = s.surveys.Open(c.Request().Context(), cp.ID, actor(c).Username)
	return respond(c, http.StatusOK, cp, err)
}

func (s *Server) closeCampaign(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	acct, _ := c.Get("staff").(staff.Account)
	cp, err = s.surveys.Close(c.Request().Context(), cp.ID, acct.Username)
	return respond(c, http.StatusOK, cp, err)
}

func (s *Server) reopenCampaign(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	acct, _ := c.Get("staff").(staff.Account)
	cp, err = s.surveys.Reopen(c.Request().Context(), cp.ID, in.Reason, acct.Username)
	return respond(c, http.StatusOK, cp, err)
}

func (s *Server) allocation(c echo.Context) error {
	cp, err := s.campaignProgress(c)
	if err != nil {
		return err
	}
	a, _, err := s.surveys.Allocation(c.Request().Context(), cp)
	return respond(c, http.StatusOK, a, err)
}

func (s *Server) progress(c echo.Context) error {
	cp, err := s.campaignProgress(c)
	if err != nil {
		return err
	}
	p, err := s.surveys.Progress(c.Request().Context(), cp)
	return respond(c, http.StatusOK, p, err)
}

// report is the recognition report, always tallied afresh.
func (s *Server) report(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	forms, err := s.surveys.Forms(ctx, cp.ID)
	if err != nil {
		return err
	}
	p, err := s.surveys.Progress(ctx, cp)
	if err != nil {
		return storeError(err)
	}
	r, err := s.surveys.Recognition(ctx, cp, forms, p)
	return respond(c, http.StatusOK, r, err)
}
