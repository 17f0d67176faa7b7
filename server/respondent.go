package server

// The respondent's form: GET and POST /s/:code.

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"renke/county"
	"renke/intake"
	"renke/sampling"
	"renke/survey"
)

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
	return s.render(c, code, "notice.html", noticePage{page: v.page(), Message: msg})
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
			p.Choices = append(p.Choices, choice{Code: string(c), Name: "我是" + c.Name(), Full: v.full(c)})
		}
		return s.render(c, http.StatusOK, "choose.html", p)
	}
	// Where the link knows the school, a respondent whose group is full
	// learns it now, before answering.
	if v.full(cat) {
		return s.notice(c, v, http.StatusOK, survey.FullMessage(cat, v.school.Locale))
	}
	if v.campaign.WeChatOnly {
		return s.wechatSignIn(c, v, cat)
	}
	dev, isNew := s.ensureDevice(c)
	token := s.desk.Serve(&v.campaign, v.link.ID, intake.Visitor{IP: c.RealIP(), Device: dev, NewDevice: isNew}, s.now())
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
		p.Schools = survey.SchoolsFor(cat, all)
	}
	p.Bands = survey.GradeBandsFor(cat, v.school)
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
	tok, ok := s.desk.Read(in.Token)
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
	token := in.Token
	again := func(code int, problems survey.Problems, pow int) error {
		p, err := s.formPage(ctx, v, cat)
		if err != nil {
			return err
		}
		p.Token, p.Problems, p.Answers, p.Suggestion = token, problems, sub.Answers, sub.Suggestion
		p.Band, p.Locale, p.PowBits = string(sub.GradeBand), string(sub.Locale), pow
		if sub.School != nil {
			p.SchoolID = sub.School.ID
		}
		return s.render(c, code, "form.html", p)
	}
	// The intake decides: another link's or an expired token comes back
	// with a fresh one; a busy source is asked for work; nothing is taken
	// before the answers check out.
	now := s.now()
	problems := f.Check(&sub)
	out := s.desk.Check(&v.campaign, v.link.ID, v.key, intake.Submission{Text: in.Token, Token: tok, Nonce: in.Pow,
		IP: c.RealIP(), Device: device(c), UA: req.UserAgent()}, len(problems) == 0, now)
	switch out.Verdict {
	case intake.Again:
		token = out.Token
		return again(http.StatusConflict, survey.Problems{"form": out.Problem}, out.Work)
	case intake.WeChatOnly:
		return badForm("本次调查须在微信中填写，请在微信中重新打开链接或扫描二维码。")
	case intake.Fix:
		return again(http.StatusUnprocessableEntity, problems, out.Work)
	case intake.Work:
		code := http.StatusUnprocessableEntity
		if out.Busy {
			code = http.StatusTooManyRequests
		}
		return again(code, survey.Problems{"form": out.Problem}, out.Work)
	}
	if v.key == nil {
		return survey.ErrUnavailable // an open campaign always has its key; see readVisit
	}
	cl := out.Client
	rc, err := s.surveys.Submit(ctx, survey.Envelope{
		CampaignID: v.campaign.ID, FormID: f.ID, Form: &f.Questionnaire, LinkID: v.link.ID, SubmissionID: tok.Submission,
		IPHash: cl.IPHash, UAFamily: cl.UAFamily, FillTime: cl.FillTime, DeviceHash: cl.DeviceHash, Signature: f.Signature(sub.Answers),
		NoDevice: cl.NoDevice, NewDevice: cl.NewDevice, FromAddress: cl.FromAddress, ConcentratedSince: cl.ConcentratedSince,
		WeChatHash: cl.WeChatHash,
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
	return receiptRedirect(c, rc)
}
