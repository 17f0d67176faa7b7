package server

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"renke/assessment"
	"renke/audit"
	"renke/county"
	"renke/database"
	"renke/evaluation"
	"renke/intake"
	"renke/sampling"
	"renke/staff"
	"renke/static"
	"renke/statistics"
	"renke/survey"
	"renke/wechat"
)

// Server holds what the handlers need.
type Server struct {
	cfg         Config
	pool        *pgxpool.Pool
	units       *county.Store
	surveys     *survey.Store
	staff       *staff.Store
	evaluations *statistics.Evaluations
	assessments *assessment.Store
	audit       *audit.Store
	actions     map[string]string // staff actions by "METHOD path"
	visits      visitCache
	sessions    *sessions.CookieStore
	views       *template.Template
	desk        *intake.Desk   // the respondents' intake: tokens, budgets, work
	wechat      *wechat.Client // nil: no WeChat service account configured
	now         func() time.Time
}

// MaxBody is the largest request body accepted. A full questionnaire with
// a 2,000-character suggestion is well under 16 KB.
const MaxBody = "64K"

// MaxUpload is the largest upload: a school workbook.
const MaxUpload = "9M"

// MaxEvidenceBody is the largest evidence upload read: a file a little
// over the 20 MB limit is read and refused with its size named.
const MaxEvidenceBody = "32M"

// New builds the HTTP handler of the service.
func New(cfg Config, pool *pgxpool.Pool) (*echo.Echo, error) {
	views, err := parseViews()
	if err != nil {
		return nil, err
	}
	profiles, err := evaluation.LoadProfiles(cfg.ProfilesDir)
	if err != nil {
		return nil, fmt.Errorf("PROFILES_DIR: %w", err)
	}
	s := &Server{
		cfg: cfg, pool: pool,
		units: county.NewStore(pool), surveys: survey.NewStore(pool), staff: staff.NewStore(pool).WithPolicy(cfg.policy()),
		audit: audit.NewStore(pool),
		views: views,
		desk:  intake.NewDesk(derive(cfg.SessionKey, "form-token"), cfg.SubmitRate),
		now:   time.Now,
	}
	if cfg.WeChatAppID != "" {
		s.wechat = &wechat.Client{AppID: cfg.WeChatAppID, Secret: cfg.WeChatSecret,
			AuthorizeURL: cmp.Or(cfg.WeChatAuthorizeURL, wechat.DefaultAuthorizeURL), TokenURL: cmp.Or(cfg.WeChatTokenURL, wechat.DefaultTokenURL)}
	}
	if cfg.LogKey != "" {
		k, err := cfg.ParseLogKey()
		if err != nil {
			return nil, err
		}
		s.surveys.UseLogKey(k)
	}
	s.surveys.UseWeChat(s.wechat != nil)
	if err := s.surveys.UseWitnesses(cfg.WitnessKeys); err != nil {
		return nil, fmt.Errorf("WITNESS_KEYS: %w", err)
	}
	if err := s.audit.UseLogKey(s.surveys.LogKey(), cfg.WitnessKeys); err != nil {
		return nil, fmt.Errorf("WITNESS_KEYS: %w", err)
	}
	s.evaluations = &statistics.Evaluations{Stats: statistics.NewStore(pool), Surveys: s.surveys, Profiles: profiles}
	s.assessments = assessment.NewStore(pool, s.evaluations)
	s.surveys.OnChange(s.visits.forgetCampaign)
	s.units.OnChange(s.visits.forgetUnit)
	s.sessions = sessions.NewCookieStore(derive(cfg.SessionKey, "cookie-hash"), derive(cfg.SessionKey, "cookie-block")[:32])
	s.sessions.Options = &sessions.Options{Path: "/", MaxAge: 8 * 3600, HttpOnly: true,
		Secure: cfg.Secure(), SameSite: http.SameSiteLaxMode}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.errorHandler
	if len(cfg.TrustedProxies) > 0 {
		opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
		for _, n := range cfg.TrustedProxies {
			opts = append(opts, echo.TrustIPRange(n))
		}
		e.IPExtractor = echo.ExtractIPFromXFFHeader(opts...)
	} else {
		e.IPExtractor = echo.ExtractIPDirect() // a client's own X-Forwarded-For is never believed
	}
	e.Use(middleware.Recover())
	e.Use(middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogMethod: true, LogURIPath: true, LogStatus: true, LogLatency: true, LogError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			// The path only: no client address, no query string.
			attrs := []any{"method", v.Method, "path", v.URIPath, "status", v.Status, "ms", v.Latency.Milliseconds()}
			if v.Error != nil && v.Status >= 500 {
				attrs = append(attrs, "error", v.Error.Error())
			}
			slog.Info("request", attrs...)
			return nil
		},
	}))
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection: "0", ContentTypeNosniff: "nosniff", XFrameOptions: "DENY",
		ReferrerPolicy: "no-referrer",
		ContentSecurityPolicy: "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
			"frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
	}))
	// Workbook uploads may be larger than forms; both limits apply before
	// any middleware reads the body (the CSRF check parses the form).
	upload := func(c echo.Context) bool { return strings.HasSuffix(c.Path(), "/import") }
	evidence := func(c echo.Context) bool {
		return strings.HasSuffix(c.Path(), "/evidence") && c.Request().Method == http.MethodPost
	}
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: MaxBody,
		Skipper: func(c echo.Context) bool { return upload(c) || evidence(c) }}))
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: MaxUpload,
		Skipper: func(c echo.Context) bool { return !upload(c) }}))
	// An evidence file of up to 20 MB reaches the store, which refuses one
	// over the limit by name; a body far over it is cut off here.
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: MaxEvidenceBody,
		Skipper: func(c echo.Context) bool { return !evidence(c) }}))
	gzip, err := compress()
	if err != nil {
		return nil, err
	}
	e.Use(gzip)
	// A handler that panics answers 500 with the Chinese error page: the
	// panic is turned into an error here, inside the compression, so the
	// answer goes out through a writer still in working order. The log
	// line names the path and the panic, never the client.
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true,
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			slog.Error("handler panic", "path", c.Request().URL.Path, "error", err.Error(), "stack", string(stack))
			return err
		}}))
	s.routes(e)
	s.actions = actionNames(e)
	return e, nil
}

var cssVersion = func() string {
	h := sha256.New()
	_ = fs.WalkDir(static.Assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := static.Assets.ReadFile(p)
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:10]
}()

func parseViews() (*template.Template, error) {
	return template.New("").Funcs(template.FuncMap{
		"cssVersion": func() string { return cssVersion },
		// pair hands a sub-template the page (P) and one of its rows (F).
		"pair": func(p, f any) map[string]any { return map[string]any{"P": p, "F": f} },
		// consoleCSS is the console's style sheet, for a page printed into
		// a package and read offline (consolePage.Standalone).
		"consoleCSS": func() template.CSS {
			b, _ := static.Assets.ReadFile("assets/console.css")
			return template.CSS(b)
		},
		"inc":        func(i int) int { return i + 1 },
		"next":       func(i int64) int64 { return i + 1 },
		"num":        evaluation.Num,
		"pct":        func(x float64) string { return evaluation.Num(x*100) + "%" },
		"division":   county.DivisionCode,
		"regionName": county.RegionName,
		"points": func(x float64) string { // a share difference in percentage points, signed
			if x >= 0 {
				return "+" + strconv.FormatFloat(x*100, 'f', 1, 64)
			}
			return "−" + strconv.FormatFloat(-x*100, 'f', 1, 64)
		},
		"cv":      func(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) },
		"money":   money,
		"deref":   func(p *float64) float64 { return *p },
		"minutes": func(d time.Duration) int { return int(d / time.Minute) },
		"cst": func(t time.Time) string {
			if t.IsZero() {
				return "尚无" // never a date of year 0001
			}
			return t.In(survey.Beijing).Format("2006-01-02 15:04:05")
		},
		"action": actionName,
		"kinds":  func() map[string]string { return county.UnitKinds },
		"bp":     func(bp int) string { return strconv.FormatFloat(float64(bp)/100, 'f', -1, 64) },
		// qcell is a quota cell with whether the campaign started, for the
		// "qc" template: 已纳入 / 配额, and the places taken where they differ.
		"qcell": func(c sampling.QuotaCount, started bool) map[string]any {
			return map[string]any{"Started": started, "Target": c.Target, "Admitted": c.Admitted, "Counted": c.Counted}
		},
		"share": func(n, of int) string {
			if of == 0 {
				return "—"
			}
			return evaluation.Num(float64(n)*100/float64(of)) + "%"
		},
		"locales": func() []sampling.Locale { return sampling.Locales },
		"has":     func(list []int64, id int64) bool { return slices.Contains(list, id) },
		"meter":   meter,
		"ratio":   ratioOf,
		"add":     func(a, b int64) int64 { return a + b },
		"addInt":  func(a, b int) int { return a + b },
		"pages": func(n int) []int { // 1..n, for a pager
			out := make([]int, n)
			for i := range out {
				out[i] = i + 1
			}
			return out
		},
		"thousands": thousands,
		"sources": func(title, second string, rows []survey.SourceProgress) map[string]any {
			withheld := len(rows) > 0 && rows[0].Withheld // a blind survey's (盲评): no flagged column
			return map[string]any{"Title": title, "Second": second, "Rows": rows, "Withheld": withheld}
		},
		"categoryName": func(c string) string { return sampling.Category(c).Name() },
		"outcome":      outcome,
		"countOf":      func(m map[survey.ResponseStatus]int64, st string) int64 { return m[survey.ResponseStatus(st)] },
		"mul100":       func(x float64) float64 { return x * 100 },
		"permille":     permille,
		"localInput": func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return t.In(survey.Beijing).Format("2006-01-02T15:04")
		},
	}).ParseFS(static.Templates, "templates/*.html")
}

// assets serves the embedded files with long caching: their URLs carry
// a version.
func assets() echo.HandlerFunc {
	sub, _ := fs.Sub(static.Assets, "assets")
	files := http.StripPrefix("/static/", http.FileServer(http.FS(sub)))
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		files.ServeHTTP(c.Response(), c.Request())
		return nil
	}
}

// errorHandler answers JSON under /api/ and a Chinese page elsewhere.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, msg := http.StatusInternalServerError, "服务器暂时无法处理您的请求，请稍后再试。"
	if errors.Is(err, survey.ErrUnavailable) || database.Unavailable(err) {
		// Retryable: nothing was stored; the same form token sent again is
		// stored exactly once.
		code, msg = http.StatusServiceUnavailable, "系统暂时繁忙，请稍候几秒后刷新页面。"
		if c.Request().Method == http.MethodPost && strings.HasPrefix(c.Request().URL.Path, "/s/") {
			msg = "系统暂时繁忙，您的答卷尚未保存。请稍候几秒后返回上一页，再次点击“提交问卷”；同一份答卷不会被重复计入。"
		}
		c.Response().Header().Set("Retry-After", "5")
	}
	if errors.Is(err, survey.ErrLogDamaged) {
		// The log was changed behind the application's back: no answer is
		// taken until someone looks (renke verify names what changed).
		code, msg = http.StatusServiceUnavailable, "本调查暂停收集：样本日志校验异常，您的答卷尚未保存。请稍后再试，或联系调查组织单位。"
		slog.Error("sample log damaged; submissions refused", "path", c.Request().URL.Path, "error", err)
	}
	if he, ok := err.(*echo.HTTPError); ok {
		code = he.Code
		m, ok := he.Message.(string)
		switch {
		case ok && m != http.StatusText(code):
			msg = m // our own message
		case code == http.StatusRequestEntityTooLarge:
			msg = "提交的内容过大，请删减意见建议后重试。"
		case code == http.StatusNotFound:
			msg = "页面不存在，请检查链接是否完整。"
		case code == http.StatusMethodNotAllowed:
			msg = "不支持此操作。"
		case code < 500:
			msg = "请求无效。"
		}
	}
	if code >= 500 && code != http.StatusServiceUnavailable {
		slog.Error("request failed", "path", c.Request().URL.Path, "error", err)
	}
	if strings.HasPrefix(c.Request().URL.Path, "/api/") || strings.HasPrefix(c.Request().URL.Path, "/log/") {
		_ = c.JSON(code, map[string]string{"error": msg})
		return
	}
	_ = s.render(c, code, "notice.html", noticePage{page: page{Title: "提示"}, Message: msg})
}

func (s *Server) render(c echo.Context, code int, name string, data any) error {
	var b strings.Builder
	if err := s.views.ExecuteTemplate(&b, name, data); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTML(code, b.String())
}

// money formats yuan for people, always in 元 with thousands separators,
// so a column of costs reads in one unit: 1,234,567 元.
func money(x float64) string { return thousands(int64(math.Round(x))) + " 元" }

func ratioOf(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

func (s *Server) healthz(c echo.Context) error {
	if err := s.pool.Ping(c.Request().Context()); err != nil {
		return c.String(http.StatusServiceUnavailable, "database unavailable")
	}
	return c.String(http.StatusOK, "ok")
}

// readyz is GET /readyz: 200 when this server can store answers, that is
// when its database connection reaches a writable primary; 503 otherwise
// (during a failover, or on a standby), so a proxy sends respondents to a
// server that can take them.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	var writable bool
	if err := s.pool.QueryRow(ctx, `SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off'`).Scan(&writable); err != nil {
		return c.String(http.StatusServiceUnavailable, "database unavailable")
	}
	if !writable {
		return c.String(http.StatusServiceUnavailable, "database read-only")
	}
	return c.String(http.StatusOK, "ready")
}

// outcome says an audited action's result in words.
func outcome(status int) string {
	switch {
	case status < 400:
		return "成功"
	case status == http.StatusUnauthorized:
		return "失败（未登录或密码错误）"
	case status == http.StatusForbidden:
		return "失败（无权限）"
	case status == http.StatusNotFound:
		return "失败（对象不存在）"
	case status == http.StatusTooManyRequests:
		return "失败（登录已暂停）"
	case status < 500:
		return "失败（被拒绝）"
	}
	return "失败（系统错误）"
}

// thousands writes a count with thousands separators: 12,345.
func thousands(n any) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

func permille(ppm int) string { return strconv.FormatFloat(float64(ppm)/1000, 'f', -1, 64) }
