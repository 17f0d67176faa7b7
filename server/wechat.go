package server

// WeChat sign-in for campaigns that require it: /s/:code (the way out to
// WeChat) and /s/:code/wx (the way back).

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/labstack/echo/v4"

	"renke/intake"
	"renke/sampling"
	"renke/survey"
	"renke/wechat"
)

// wechatSignIn sends a respondent in WeChat's browser to WeChat's silent
// authorisation, and tells one in any other browser to open the link in
// WeChat. No cookie rides on the redirect (iOS WeChat may drop it): the
// way back carries the state in its address.
func (s *Server) wechatSignIn(c echo.Context, v *visit, cat sampling.Category) error {
	url := s.formURL(c, v.link.Code)
	if !wechat.InWeChat(c.Request().UserAgent()) {
		return s.notice(c, v, http.StatusOK, "本次调查仅限在微信中填写，每个微信号填写一次。请用微信扫描学校发布的二维码，或在微信中打开此链接："+url)
	}
	if s.wechat == nil {
		return s.notice(c, v, http.StatusServiceUnavailable, "本次调查需要通过微信验证身份，但服务器尚未配置微信公众号，请联系主办单位。")
	}
	back := url + "/wx?c=" + string(cat)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Redirect(http.StatusFound, s.wechat.Authorize(back, s.desk.TripState(v.link.Code, string(cat), s.now())))
}

// wechatReturn is GET /s/:code/wx?c=…&code=…&state=…: the code is
// exchanged, once, for the user's openid; only its keyed hash under the
// campaign's key is kept. A user who answered before gets their receipt;
// anyone else the form, its token carrying the hash.
func (s *Server) wechatReturn(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := s.loadVisit(ctx, c.Param("code"))
	if err != nil {
		return err
	}
	if v.campaign.Refusal(s.now()) != "" {
		return s.refusal(c, v)
	}
	cat := sampling.Category(c.QueryParam("c"))
	if !v.campaign.WeChatOnly || s.wechat == nil || !slices.Contains(v.categories(), cat) {
		return c.Redirect(http.StatusSeeOther, "/s/"+url.PathEscape(v.link.Code))
	}
	if !s.desk.TripStateOK(c.QueryParam("state"), v.link.Code, string(cat), s.now()) {
		return s.notice(c, v, http.StatusBadRequest, "微信授权已过期，请返回重新打开链接或重新扫描二维码。")
	}
	code := c.QueryParam("code")
	if code == "" {
		return s.notice(c, v, http.StatusBadRequest, "没有收到微信的授权，请在微信中重新打开链接。")
	}
	openid, err := s.wechat.OpenID(ctx, code)
	if err != nil {
		return s.notice(c, v, http.StatusBadGateway, wechat.Message(err))
	}
	if v.key == nil {
		return survey.ErrUnavailable
	}
	user := intake.WeChatUser(v.key, openid)
	if rc, ok, err := s.surveys.WeChatReceipt(ctx, v.campaign.ID, user[:]); err != nil {
		return err
	} else if ok {
		return s.showReceipt(c, v, rc) // one response per WeChat user
	}
	dev, isNew := s.ensureDevice(c)
	p, err := s.formPage(ctx, v, cat)
	if err != nil {
		return err
	}
	p.Token = s.desk.Serve(&v.campaign, v.link.ID, intake.Visitor{IP: c.RealIP(), Device: dev, NewDevice: isNew, WeChat: user}, s.now())
	p.PowBits = v.campaign.PowBits
	return s.render(c, http.StatusOK, "form.html", p)
}
