package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	qrcode "github.com/skip2/go-qrcode"

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
	blank    renderedOnce[sampling.Category, *gzipSlot] // the empty form, split where its token goes
	done     renderedOnce[bool, slottedPage]            // the receipt page, admitted or not, cut where the receipt goes
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
// open campaign are frozen. A staff change in this process clears it; the
// campaign's status is checked again under its lock when a response is
// stored, so a form shown seconds after closing is still refused.
type visitCache struct {
	mu      sync.Mutex
	entries map[string]cachedVisit
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

func (vc *visitCache) clear() {
	vc.mu.Lock()
	vc.entries = nil
	vc.mu.Unlock()
}

func (s *Server) loadVisit(ctx context.Context, code string) (*visit, error) {
	if v := s.visits.get(code, time.Now()); v != nil {
		return v, nil
	}
	v, err := s.readVisit(ctx, code)
	if err == nil && v.campaign.Status == survey.Open {
		s.visits.put(code, v, time.Now())
	}
	return v, err
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
	return v, nil
}

// categories are those this link serves, in the national order.
func (v *visit) categories() []sampling.Category { return linkCategories(v.forms, v.link) }

// linkCategories are the respondent categories a link's forms serve.
func linkCategories(forms []survey.Form, link survey.Link) []sampling.Category {
	var out []sampling.Category
	for _, c := range sampling.Categories {
		if link.Kind != nil && survey.KindFor(c) != *link.Kind {
			continue
		}
		if formFor(forms, c) != nil {
			out = append(out, c)
		}
	}
	// A student link from a school with no grade 3 and up serves no one, but
	// the form still explains itself rather than failing.
	return out
}

// audience is the line on a poster that says who the link is for.
func audience(forms []survey.Form, link survey.Link) string {
	var names []string
	for _, cat := range linkCategories(forms, link) {
		names = append(names, cat.Name())
	}
	return "调查对象：" + strings.Join(names, "、")
}

func (v *visit) form(c sampling.Category) *survey.Form { return formFor(v.forms, c) }

func formFor(forms []survey.Form, c sampling.Category) *survey.Form {
	for i := range forms {
		if forms[i].Kind == survey.KindFor(c) && forms[i].Serves(c) {
			return &forms[i]
		}
	}
	return nil
}

type page struct {
	Title      string
	UnitName   string
	SchoolName string
}

func (v *visit) page() page {
	p := page{Title: v.unit.Name + "社会认可度调查", UnitName: v.unit.Name}
	if v.school != nil {
		p.SchoolName = v.school.Name
	}
	return p
}

type noticePage struct {
	Title, UnitName, SchoolName, Message string
}

type choice struct{ Code, Name string }

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
	PowBits      int // proof of work the submit must carry; 0 for none
}

type donePage struct {
	page
	Admitted        bool
	Code, Pos, Hash string
}

// The slots of a receipt page. What fills them is safe in any context of
// the page: a receipt code is letters and digits, a position digits, a
// hash prefix hexadecimal.
const (
	codeSlot = "CODE-SLOT-5d2e8b"
	posSlot  = "POS-SLOT-5d2e8b"
	hashSlot = "HASH-SLOT-5d2e8b"
)

// showReceipt renders the page that tells a respondent the answers were
// stored, from the visit's page with slots, rendered once: the template
// took a tenth of the server's time under load.
func (s *Server) showReceipt(c echo.Context, v *visit, rc survey.Receipt) error {
	admitted := rc.Status == survey.Admitted
	page, err := v.done.get(admitted, func() (slottedPage, error) {
		var b strings.Builder
		err := s.views.ExecuteTemplate(&b, "done.html", donePage{page: v.page(), Admitted: admitted,
			Code: codeSlot, Pos: posSlot, Hash: hashSlot})
		return cutAtSlots(b.String(), codeSlot, posSlot, hashSlot), err
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTML(http.StatusOK, page.fill(rc.Code, strconv.FormatInt(rc.Pos, 10), rc.Hash))
}

// slottedPage is a page cut where values go: parts[i] comes before the
// value of slot slots[i], and the last part ends the page.
type slottedPage struct {
	parts []string
	slots []int // index into the slots given to cutAtSlots
}

// cutAtSlots cuts page at every occurrence of the slots.
func cutAtSlots(page string, slots ...string) slottedPage {
	var p slottedPage
	for {
		at, which := len(page), -1
		for i, slot := range slots {
			if j := strings.Index(page, slot); j >= 0 && j < at {
				at, which = j, i
			}
		}
		if which < 0 {
			p.parts = append(p.parts, page)
			return p
		}
		p.parts = append(p.parts, page[:at])
		p.slots = append(p.slots, which)
		page = page[at+len(slots[which]):]
	}
}

// fill puts values, in the order of the slots, into the page.
func (p slottedPage) fill(values ...string) string {
	n := 0
	for _, part := range p.parts {
		n += len(part)
	}
	for _, i := range p.slots {
		n += len(values[i])
	}
	var b strings.Builder
	b.Grow(n)
	for i, slot := range p.slots {
		b.WriteString(p.parts[i])
		b.WriteString(values[slot])
	}
	b.WriteString(p.parts[len(p.parts)-1])
	return b.String()
}

func (s *Server) refusal(c echo.Context, v *visit) error {
	reason := v.campaign.Refusal(s.now())
	if reason == "" {
		return nil
	}
	code := http.StatusForbidden
	if v.campaign.Status == survey.Closed {
		code = http.StatusGone
	}
	return s.notice(c, v, code, reason)
}

// notice renders a message page under the visit's unit and school.
func (s *Server) notice(c echo.Context, v *visit, code int, msg string) error {
	p := v.page()
	return s.render(c, code, "notice.html", noticePage{Title: p.Title, UnitName: p.UnitName, SchoolName: p.SchoolName, Message: msg})
}

// showForm is GET /s/:code: the category choice, or the form of the
// category in ?c=.
func (s *Server) showForm(c echo.Context) error {
	v, err := s.loadVisit(c.Request().Context(), c.Param("code"))
	if err != nil {
		return err
	}
	if v.campaign.Refusal(s.now()) != "" {
		return s.refusal(c, v)
	}
	cats := v.categories()
	cat := sampling.Category(c.QueryParam("c"))
	if len(cats) == 1 {
		cat = cats[0]
	}
	if !slices.Contains(cats, cat) {
		p := choosePage{page: v.page()}
		for _, c := range cats {
			p.Choices = append(p.Choices, choice{Code: string(c), Name: "我是" + c.Name()})
		}
		return s.render(c, http.StatusOK, "choose.html", p)
	}
	s.ensureDevice(c)
	token := newToken(s.formKey, s.now())
	form, err := v.blank.get(cat, func() (*gzipSlot, error) { return s.blankForm(c.Request().Context(), v, cat) })
	if err != nil {
		return err
	}
	return serveBlank(c, form, token)
}

// blankForm renders the empty form of a category for a visit.
func (s *Server) blankForm(ctx context.Context, v *visit, cat sampling.Category) (*gzipSlot, error) {
	p, err := s.formPage(ctx, v, cat)
	if err != nil {
		return nil, err
	}
	p.Token, p.PowBits = tokenSlot, v.campaign.PowBits
	var b strings.Builder
	if err := s.views.ExecuteTemplate(&b, "form.html", p); err != nil {
		return nil, err
	}
	before, after, ok := strings.Cut(b.String(), tokenSlot)
	if !ok || strings.Contains(after, tokenSlot) {
		return nil, errors.New("form.html must carry the token exactly once")
	}
	return newGzipSlot(before, after)
}

// serve sends the blank form with its token, compressed when the client
// accepts gzip.
func serveBlank(c echo.Context, f *gzipSlot, token string) error {
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store") // compress adds Vary: Accept-Encoding
	if !strings.Contains(c.Request().Header.Get(echo.HeaderAcceptEncoding), "gzip") {
		return c.HTML(http.StatusOK, f.before+token+string(f.after))
	}
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	h.Set(echo.HeaderContentEncoding, "gzip")
	c.Response().WriteHeader(http.StatusOK)
	return f.writeTo(c.Response(), token)
}

func (s *Server) formPage(ctx context.Context, v *visit, cat sampling.Category) (formPage, error) {
	p := formPage{page: v.page(), Code: v.link.Code, Category: cat, CategoryName: cat.Name(),
		Form: v.form(cat), Answers: map[string]string{}, Problems: survey.Problems{}}
	if survey.NeedsSchool(cat) && v.school == nil {
		p.AskSchool = true
		all, err := s.units.Schools(ctx, v.unit.ID)
		if err != nil {
			return p, err
		}
		for _, sc := range all {
			if cat != sampling.Student || sc.Teaches(sampling.Grades34) || sc.Teaches(sampling.Grades79) {
				p.Schools = append(p.Schools, sc)
			}
		}
	}
	if survey.NeedsGradeBand(cat) {
		for _, b := range sampling.GradeBands {
			if cat == sampling.Student && b == sampling.Grades12 {
				continue
			}
			if v.school == nil || v.school.Teaches(b) {
				p.Bands = append(p.Bands, b)
			}
		}
	}
	if !survey.NeedsSchool(cat) {
		p.AskLocale, p.Locales = true, sampling.Locales
	}
	return p, nil
}

func badForm(msg string) error { return echo.NewHTTPError(http.StatusBadRequest, msg) }

// answerForm is a respondent's POST as sent, checked for shape only.
type answerForm struct {
	Token, Category, Band, Locale, Suggestion, Pow string
	School                                         int64 // 0 when none was chosen
	Answers                                        map[string]string
}

// maxAnswerFields bounds the answers a form may carry; a questionnaire has
// at most 60 items.
const maxAnswerFields = 100

// readAnswerForm reads the fields of a submitted form. Its errors are
// messages for the respondent.
func readAnswerForm(form url.Values) (answerForm, error) {
	for k, vals := range form {
		for _, val := range vals {
			if !utf8.ValidString(k) || !utf8.ValidString(val) {
				return answerForm{}, badForm("提交的内容包含无法识别的字符，请检查意见建议中的文字后重新提交。")
			}
		}
	}
	f := answerForm{Token: form.Get("token"), Category: form.Get("category"), Band: form.Get("band"),
		Locale: form.Get("locale"), Suggestion: strings.TrimSpace(form.Get("suggestion")), Pow: form.Get("pow"),
		Answers: map[string]string{}}
	if id, err := strconv.ParseInt(form.Get("school"), 10, 64); err == nil && id > 0 {
		f.School = id
	}
	for k, vals := range form {
		if item, ok := strings.CutPrefix(k, "a_"); ok && len(vals) > 0 {
			if len(f.Answers) == maxAnswerFields {
				return answerForm{}, badForm("提交的题目数量异常，请刷新页面后重新填写。")
			}
			f.Answers[item] = vals[0]
		}
	}
	return f, nil
}

// submitForm is POST /s/:code.
func (s *Server) submitForm(c echo.Context) error {
	ctx := c.Request().Context()
	req := c.Request()
	if !strings.HasPrefix(req.Header.Get(echo.HeaderContentType), echo.MIMEApplicationForm) {
		return badForm("提交格式不正确，请返回问卷页面重新提交。")
	}
	if err := req.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		}
		return badForm("提交的内容无法识别，请返回问卷页面重新提交。")
	}
	in, err := readAnswerForm(req.PostForm)
	if err != nil {
		return err
	}
	sid, rendered, ok := readToken(s.formKey, in.Token)
	if !ok {
		return badForm("问卷页面已失效，请重新扫描二维码或刷新页面后填写。")
	}
	v, err := s.loadVisit(ctx, c.Param("code"))
	if err != nil {
		return err
	}
	if v.campaign.Refusal(s.now()) != "" {
		return s.refusal(c, v)
	}
	cat := sampling.Category(in.Category)
	if !slices.Contains(v.categories(), cat) {
		return badForm("请先选择您的身份，再填写问卷。")
	}
	sub := survey.Submission{
		Category: cat, GradeBand: sampling.GradeBand(in.Band), Locale: sampling.Locale(in.Locale),
		Answers: in.Answers, Suggestion: in.Suggestion, School: v.school,
	}
	if sub.School == nil && survey.NeedsSchool(cat) && in.School != 0 {
		if sc, err := s.units.School(ctx, v.unit.ID, in.School); err == nil {
			sub.School = &sc
		} else if !errors.Is(err, county.ErrNotFound) {
			return err
		}
	}
	f := v.form(cat)
	again := func(code int, problems survey.Problems, pow int) error {
		p, err := s.formPage(ctx, v, cat)
		if err != nil {
			return err
		}
		p.Token, p.Problems, p.Answers, p.Suggestion = in.Token, problems, sub.Answers, sub.Suggestion
		p.Band, p.Locale, p.PowBits = string(sub.GradeBand), string(sub.Locale), pow
		if sub.School != nil {
			p.SchoolID = sub.School.ID
		}
		return s.render(c, code, "form.html", p)
	}
	if problems := f.Check(&sub); len(problems) > 0 {
		return again(http.StatusUnprocessableEntity, problems, v.campaign.PowBits)
	}
	// Proof of work: always when the campaign asks for it, and past the
	// client's rate limit; a proof of the higher level skips the limit.
	work := powBits(in.Token, in.Pow)
	switch {
	case work < v.campaign.PowBits:
		return again(http.StatusUnprocessableEntity, survey.Problems{"form": "请点击“提交问卷”，页面将自动完成安全验证。"}, v.campaign.PowBits)
	case work < max(v.campaign.PowBits, limitedPowBits) && s.overLimit(c):
		return again(http.StatusTooManyRequests, survey.Problems{"form": "您所在的网络提交较多。请再次点击“提交问卷”，页面将自动完成几秒钟的安全验证。"},
			max(v.campaign.PowBits, limitedPowBits))
	}
	now := s.now()
	rc, err := s.surveys.Submit(ctx, survey.Envelope{
		CampaignID: v.campaign.ID, FormID: f.ID, LinkID: v.link.ID, SubmissionID: sid,
		IPHash: hashIP(s.ipKey, c.RealIP()), UAFamily: uaFamily(req.UserAgent()), FillTime: max(now.Sub(rendered), 0),
		DeviceHash: s.device(c), Signature: f.Signature(sub.Answers),
	}, sub, now)
	var closed *survey.ClosedError
	switch {
	case errors.As(err, &closed):
		return s.notice(c, v, http.StatusGone, closed.Reason)
	case errors.Is(err, survey.ErrIDConflict):
		return badForm("问卷页面已失效，请重新扫描二维码后填写。")
	case err != nil:
		return err
	}
	return s.showReceipt(c, v, rc)
}

func (s *Server) formURL(c echo.Context, code string) string {
	base := s.cfg.BaseURL
	if base == "" {
		base = c.Scheme() + "://" + c.Request().Host
	}
	return base + "/s/" + code
}

// qrCode is GET /s/:code/qr.png?size=N: the QR code of the form's address.
func (s *Server) qrCode(c echo.Context) error {
	size := 512
	if q := c.QueryParam("size"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 128 || n > 2048 {
			return echo.NewHTTPError(http.StatusBadRequest, "二维码尺寸 size 须为 128 至 2048 之间的整数（像素）。")
		}
		size = n
	}
	link, err := s.surveys.LinkByCode(c.Request().Context(), c.Param("code"))
	if errors.Is(err, survey.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound)
	} else if err != nil {
		return err
	}
	png, err := qrcode.Encode(s.formURL(c, link.Code), qrcode.Medium, size)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	return c.Blob(http.StatusOK, "image/png", png)
}

type posterPage struct {
	Title   string
	Posters []poster
	Sheet   bool // a print sheet of many posters, with a toolbar
	Back    string
}

type poster struct {
	UnitName, SchoolName, Audience, Code, URL string
}

// poster is GET /s/:code/poster: a printable A4 poster for the link.
func (s *Server) poster(c echo.Context) error {
	v, err := s.loadVisit(c.Request().Context(), c.Param("code"))
	if err != nil {
		return err
	}
	p := poster{UnitName: v.unit.Name, Code: v.link.Code, URL: s.formURL(c, v.link.Code), Audience: audience(v.forms, v.link)}
	if v.school != nil {
		p.SchoolName = v.school.Name
	}
	return s.render(c, http.StatusOK, "poster.html", posterPage{Title: v.unit.Name + " 调查二维码 " + p.SchoolName, Posters: []poster{p}})
}

type checkPage struct {
	Title, UnitName, SchoolName string
	Code, Message               string
	Found                       *survey.ReceiptCheck
}

// checkReceipt is GET /check?receipt=…: a respondent finds out whether
// their answer is in the sample and unchanged.
func (s *Server) checkReceipt(c echo.Context) error {
	code := strings.ToUpper(strings.TrimSpace(c.QueryParam("receipt")))
	p := checkPage{Title: "回执查询", Code: code}
	if code == "" {
		return s.render(c, http.StatusOK, "check.html", p)
	}
	notFound := "没有找到回执码 " + code + "。回执码为 10 位大写字母和数字（不含 I、L、O、0、1），请核对后再查。"
	if len(code) > 20 {
		p.Code, p.Message = "", "回执码为 10 位大写字母和数字，请核对后再查。"
		return s.render(c, http.StatusBadRequest, "check.html", p)
	}
	rc, err := s.surveys.CheckReceipt(c.Request().Context(), code)
	if errors.Is(err, survey.ErrNotFound) {
		p.Message = notFound
		return s.render(c, http.StatusNotFound, "check.html", p)
	} else if err != nil {
		return err
	}
	p.Found = &rc
	if camp, err := s.surveys.Campaign(c.Request().Context(), county.Everything, rc.CampaignID); err == nil {
		if u, err := s.units.Unit(c.Request().Context(), county.Everything, camp.UnitID); err == nil {
			p.UnitName = u.Name
		}
	}
	return s.render(c, http.StatusOK, "check.html", p)
}
