package server

import (
	"archive/zip"
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	qrcode "github.com/skip2/go-qrcode"

	"renke/county"
	"renke/sampling"
	"renke/statistics"
	"renke/survey"
)

// campaignView is what the campaign pages share: the campaign, its unit
// and forms; the pages that list links, and the quota, load them too.
type campaignView struct {
	consolePage
	Campaign survey.Campaign
	Unit     county.Unit
	Schools  []county.School
	Forms    []survey.Form
	Links    []linkRow
	Quota    quotaTable
	Counts   map[survey.ResponseStatus]int64
	Error    string
	Notice   string
	Problems []statistics.CellError
	Methods  []survey.Method
}

type linkRow struct {
	survey.Link
	School   string
	Audience string
	URL      string
}

func (s *Server) campaignView(c echo.Context, title string) (*campaignView, error) {
	cp, err := s.campaign(c)
	if err != nil {
		return nil, err
	}
	ctx := c.Request().Context()
	v := &campaignView{Campaign: cp, Methods: survey.Methods}
	if v.Unit, err = s.units.Unit(ctx, county.Everything, cp.UnitID); err != nil { // cp was reached in scope
		return nil, err
	}
	v.consolePage = s.consolePage(c, v.Unit.Name+" "+title)
	if v.Forms, err = s.surveys.Forms(ctx, cp.ID); err != nil {
		return nil, err
	}
	return v, nil
}

// withLinks adds the unit's schools and the campaign's links.
func (s *Server) withLinks(c echo.Context, v *campaignView) error {
	ctx := c.Request().Context()
	var err error
	if v.Schools, err = s.units.Schools(ctx, v.Campaign.UnitID); err != nil {
		return err
	}
	links, err := s.surveys.Links(ctx, v.Campaign.ID)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for _, sc := range v.Schools {
		names[sc.ID] = sc.Name
	}
	for _, l := range links {
		r := linkRow{Link: l, Audience: audience(v.Forms, l), URL: s.formURL(c, l.Code), School: "全县通用"}
		if l.SchoolID != nil {
			r.School = names[*l.SchoolID]
		}
		v.Links = append(v.Links, r)
	}
	return nil
}

// withProgress adds the quota with what has been admitted, and the counts
// by status.
func (s *Server) withProgress(c echo.Context, v *campaignView) (Progress, error) {
	p, err := s.progressOf(c, v.Campaign)
	if err != nil {
		return p, err
	}
	v.Quota, v.Counts = newQuotaTable(p.SampleSize, p.Cells), p.Responses
	return p, nil
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
	_, err = s.withProgress(c, v)
	return v, err
}

func (s *Server) showCampaign(c echo.Context) error {
	v, err := s.campaignPage(c)
	if err != nil {
		return err
	}
	v.Notice = c.QueryParam("ok")
	return s.render(c, http.StatusOK, "campaign.html", v)
}

// localTime reads a datetime-local field as Beijing time, in RFC 3339.
func localTime(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	t, err := time.ParseInLocation("2006-01-02T15:04", raw, chinaTime)
	if err != nil {
		return raw // apply reports it
	}
	return t.Format(time.RFC3339)
}

// saveCampaign saves the settings form. A draft may change everything;
// once open only the title, schedule and scoring.
func (s *Server) saveCampaign(c echo.Context) error {
	v, err := s.campaignPage(c)
	if err != nil {
		return err
	}
	title, opens, closes := strings.TrimSpace(c.FormValue("title")), localTime(c.FormValue("opens_at")), localTime(c.FormValue("closes_at"))
	method := survey.Method(c.FormValue("scoring_method"))
	in := campaignInput{Title: &title, OpensAt: &opens, ClosesAt: &closes, Method: &method}
	fail := func(msg string) error {
		v.Error = msg
		return s.render(c, http.StatusUnprocessableEntity, "campaign.html", v)
	}
	th, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(c.FormValue("threshold")), "%"), 64)
	if err != nil {
		return fail("达标线须为百分数，如 85")
	}
	th /= 100
	in.Threshold = &th
	minFill, err := strconv.Atoi(strings.TrimSpace(c.FormValue("min_fill_seconds")))
	if err != nil {
		return fail("最短填写时间须为整数秒，如 20")
	}
	pow, err := strconv.Atoi(strings.TrimSpace(c.FormValue("pow_bits")))
	if err != nil {
		return fail("提交验证强度须为整数，不要求时填 0")
	}
	in.MinFill, in.PowBits = &minFill, &pow
	if v.Campaign.Status == survey.Draft {
		rate, err := strconv.ParseFloat(strings.TrimSpace(c.FormValue("rate")), 64)
		if err != nil || rate <= 0 {
			return fail("抽样比例须为正数（千分数），如 1.5")
		}
		ppm := int(rate*1000 + 0.5)
		min, err := strconv.Atoi(strings.TrimSpace(c.FormValue("min_sample")))
		if err != nil {
			return fail("最低样本量须为整数，不设下限时填 0")
		}
		policy := sampling.Policy(c.FormValue("quota_policy"))
		in.RatePPM, in.MinSample, in.Policy = &ppm, &min, &policy
	}
	cp := v.Campaign
	if err := in.apply(&cp); err != nil {
		return fail(err.Error())
	}
	if _, err := s.surveys.UpdateCampaign(c.Request().Context(), cp); err != nil {
		return storeError(err)
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/console/campaigns/%d?ok=%s", cp.ID, "设置已保存"))
}

func (s *Server) openCampaignForm(c echo.Context) error {
	v, err := s.campaignPage(c)
	if err != nil {
		return err
	}
	if v.Campaign.Status != survey.Draft {
		return storeError(survey.ErrNotDraft)
	}
	if len(v.Links) == 0 {
		v.Error = "请先生成问卷链接（二维码），再开始调查"
		return s.render(c, http.StatusConflict, "campaign.html", v)
	}
	a, _, err := s.allocationOf(c, v.Campaign)
	if err != nil {
		return err
	}
	if _, err := s.surveys.Open(c.Request().Context(), v.Campaign.ID, a); err != nil {
		return storeError(err)
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/console/campaigns/%d?ok=%s", v.Campaign.ID, "调查已开始，配额已锁定"))
}

func (s *Server) closeCampaignForm(c echo.Context) error {
	cp, err := s.campaign(c)
	if err != nil {
		return err
	}
	if _, err := s.surveys.Close(c.Request().Context(), cp.ID); err != nil {
		return storeError(err)
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/console/campaigns/%d?ok=%s", cp.ID, "调查已结束，问卷不再接收答卷"))
}

// createLinks makes the links a campaign needs in bulk: for every school,
// and/or one county-wide, for each questionnaire chosen ("any" lets the
// respondent pick). Links that exist already are kept, not repeated.
func (s *Server) createLinks(c echo.Context) error {
	v, err := s.campaignPage(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	var kinds []*survey.Kind
	for _, raw := range form["kind"] {
		if raw == "any" {
			kinds = append(kinds, nil)
			continue
		}
		k := survey.Kind(raw)
		if !k.Valid() {
			return echo.NewHTTPError(http.StatusUnprocessableEntity, "问卷类型无效")
		}
		kinds = append(kinds, &k)
	}
	var places []*int64
	for _, raw := range form["scope"] {
		switch raw {
		case "schools":
			for i := range v.Schools {
				places = append(places, &v.Schools[i].ID)
			}
		case "county":
			places = append(places, nil)
		}
	}
	if len(kinds) == 0 || len(places) == 0 {
		v.Error = "请至少选择一种问卷和一种发放范围（各学校或全县通用）"
		if len(places) == 0 && slices.Contains(form["scope"], "schools") {
			v.Error = "还没有学校，请先在单位页面导入学校名单"
		}
		return s.render(c, http.StatusUnprocessableEntity, "campaign.html", v)
	}
	key := func(school *int64, kind *survey.Kind) string {
		return fmt.Sprint(deref64(school), "/", derefKind(kind))
	}
	have := map[string]bool{}
	for _, l := range v.Links {
		have[key(l.SchoolID, l.Kind)] = true
	}
	made := 0
	for _, place := range places {
		for _, kind := range kinds {
			if have[key(place, kind)] {
				continue
			}
			if _, err := s.surveys.CreateLink(c.Request().Context(), survey.Link{CampaignID: v.Campaign.ID, SchoolID: place, Kind: kind}); err != nil {
				return err
			}
			have[key(place, kind)] = true
			made++
		}
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/console/campaigns/%d?ok=%s#links", v.Campaign.ID, fmt.Sprintf("新生成 %d 个链接", made)))
}

func deref64(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func derefKind(k *survey.Kind) survey.Kind {
	if k == nil {
		return ""
	}
	return *k
}

// posters is the print sheet: one A4 poster per link.
func (s *Server) posters(c echo.Context) error {
	v, err := s.campaignView(c, "调查二维码海报")
	if err != nil {
		return err
	}
	if err := s.withLinks(c, v); err != nil {
		return err
	}
	p := posterPage{Title: v.Title, Sheet: true, Back: fmt.Sprintf("/console/campaigns/%d#links", v.Campaign.ID)}
	for _, l := range v.Links {
		school := l.School
		if l.SchoolID == nil {
			school = ""
		}
		p.Posters = append(p.Posters, poster{UnitName: v.Unit.Name, SchoolName: school, Audience: l.Audience, Code: l.Code, URL: l.URL})
	}
	return s.render(c, http.StatusOK, "poster.html", p)
}

// qrZip is every link's QR code as a PNG, named by school and
// questionnaire, with a CSV list of the links, in one ZIP.
func (s *Server) qrZip(c echo.Context) error {
	v, err := s.campaignView(c, "调查二维码")
	if err != nil {
		return err
	}
	if err := s.withLinks(c, v); err != nil {
		return err
	}
	download(c, v.Unit.Name+"-"+v.Campaign.Title+"-二维码.zip")
	c.Response().Header().Set(echo.HeaderContentType, "application/zip")
	c.Response().WriteHeader(http.StatusOK)
	z := zip.NewWriter(c.Response())
	list, err := z.Create("链接清单.csv")
	if err != nil {
		return err
	}
	_, _ = list.Write([]byte("\uFEFF"))
	w := csv.NewWriter(list)
	_ = w.Write([]string{"文件", "学校", "调查对象", "链接"})
	used := map[string]int{}
	var files []struct {
		name string
		row  linkRow
	}
	for _, l := range v.Links {
		name := strings.NewReplacer("/", "-", "\\", "-", ":", "-").Replace(l.School + "-" + kindName(l.Kind))
		used[name]++
		if used[name] > 1 {
			name += "-" + strconv.Itoa(used[name])
		}
		name += ".png"
		_ = w.Write([]string{name, l.School, strings.TrimPrefix(l.Audience, "调查对象："), l.URL})
		files = append(files, struct {
			name string
			row  linkRow
		}{name, l})
	}
	w.Flush()
	for _, f := range files {
		png, err := qrcode.Encode(f.row.URL, qrcode.Medium, 1024)
		if err != nil {
			return err
		}
		out, err := z.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Store, Modified: f.row.CreatedAt})
		if err != nil {
			return err
		}
		if _, err := out.Write(png); err != nil {
			return err
		}
	}
	return z.Close()
}

// kindName names a link's questionnaire.
func kindName(k *survey.Kind) string {
	if k == nil {
		return "不限身份"
	}
	return k.Name()
}
