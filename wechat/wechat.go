// Package wechat signs a respondent in with WeChat's silent web
// authorisation for service accounts (网页授权, scope snsapi_base): the
// browser is sent to WeChat's authorize address, comes back with a code,
// and the server exchanges the code, once, for the user's openid. Nothing
// else about the user is asked or kept.
package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// WeChat's published endpoints; a deployment may point elsewhere (a test
// server, a proxy).
const (
	DefaultAuthorizeURL = "https://open.weixin.qq.com/connect/oauth2/authorize"
	DefaultTokenURL     = "https://api.weixin.qq.com/sns/oauth2/access_token"
)

// Client is a service account's OAuth client.
type Client struct {
	AppID, Secret          string
	AuthorizeURL, TokenURL string
	HTTP                   *http.Client
}

// InWeChat reports whether a User-Agent is WeChat's built-in browser.
func InWeChat(userAgent string) bool { return strings.Contains(userAgent, "MicroMessenger") }

// Authorize is where to send the browser: WeChat asks nothing of the user
// (snsapi_base) and sends it back to redirect with a code and state.
func (c *Client) Authorize(redirect, state string) string {
	q := url.Values{"appid": {c.AppID}, "redirect_uri": {redirect}, "response_type": {"code"},
		"scope": {"snsapi_base"}, "state": {state}}
	return c.AuthorizeURL + "?" + q.Encode() + "#wechat_redirect"
}

// Error is an error WeChat answered with.
type Error struct {
	Code int    `json:"errcode"`
	Msg  string `json:"errmsg"`
}

func (e *Error) Error() string { return fmt.Sprintf("wechat: %d %s", e.Code, e.Msg) }

// Codes WeChat answers an exchange with.
const (
	InvalidCode   = 40029 // invalid code
	CodeUsed      = 40163 // code been used
	InvalidAppID  = 40013 // invalid appid
	InvalidSecret = 40125 // invalid appsecret
)

// Message is a WeChat error in words for the respondent.
func Message(err error) string {
	var we *Error
	if errors.As(err, &we) {
		switch we.Code {
		case InvalidCode, CodeUsed:
			return "微信授权已失效（授权码只能使用一次）。请返回，重新扫描二维码或重新打开链接。"
		case InvalidAppID, InvalidSecret:
			return "本调查的微信公众号配置有误，暂时无法验证身份，请联系主办单位。"
		}
	}
	return "暂时无法通过微信验证身份，请稍后重新打开链接。"
}

// OpenID exchanges a code, once, for the user's openid.
func (c *Client) OpenID(ctx context.Context, code string) (string, error) {
	q := url.Values{"appid": {c.AppID}, "secret": {c.Secret}, "code": {code}, "grant_type": {"authorization_code"}}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.TokenURL+"?"+q.Encode(), nil)
	if err != nil {
		return "", err
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Error
		OpenID string `json:"openid"`
		Scope  string `json:"scope"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", fmt.Errorf("wechat: %w", err)
	}
	if out.Code != 0 {
		return "", &out.Error
	}
	if out.OpenID == "" {
		return "", errors.New("wechat: no openid in the answer")
	}
	return out.OpenID, nil
}
