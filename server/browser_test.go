package server

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// browser starts headless Chromium (Debian's chromium) for a test.
func browser(t *testing.T, width, height int) context.Context {
	t.Helper()
	path := ""
	for _, p := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if found, err := exec.LookPath(p); err == nil {
			path = found
			break
		}
	}
	if path == "" {
		t.Fatal("chromium not found: install Debian's chromium (CI does)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Env("TMPDIR="+t.TempDir()), // Chromium's own temporary files go with the test
		chromedp.WindowSize(width, height),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	return ctx
}

func evaluate[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// screenshot saves a full-page screenshot for people to look at.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir(t), name), shot, 0o644); err != nil {
		t.Fatal(err)
	}
}

// screenshotDir is where tests leave screenshots for people to look at.
func screenshotDir(t *testing.T) string {
	dir := filepath.Join("..", "testdata", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestFormOnAPhone answers the demo survey in Chromium at 360 px wide.
func TestFormOnAPhone(t *testing.T) {
	e := newEnv(t)
	code := e.schoolLink()
	ctx := browser(t, 360, 740)

	var mu sync.Mutex
	var requested []string
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		if r, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requested = append(requested, r.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(360, 740, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(e.srv.URL+"/s/"+code),
		chromedp.WaitVisible(chromedp.CSS(`a[href="?c=parent"]`)),
		chromedp.Click(chromedp.CSS(`a[href="?c=parent"]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="a_S01"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	scrollWidth := evaluate[int](t, ctx, `document.documentElement.scrollWidth`)
	tapHeight := evaluate[int](t, ctx, `Math.round(document.querySelector('.opts label').getBoundingClientRect().height)`)
	screenshot(t, ctx, "form-360.png")
	firstScreen, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(screenshotDir(t), "form-360-first-screen.png"), firstScreen, 0o644)
	if scrollWidth > 360 {
		t.Errorf("page is %d px wide at a 360 px viewport: it scrolls sideways", scrollWidth)
	}
	if tapHeight < 44 {
		t.Errorf("answer options are %d px tall; tap targets want at least 44", tapHeight)
	}

	// Answer: grade band, then 比较满意 on every item, and submit.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`input[name="band"][value="5-6"]`)),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelectorAll('fieldset .opts').forEach(o => { const r = o.querySelector('input[value="B"]'); if (r) r.click(); }); true`))
			return err
		}),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.receipt`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	receiptText, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.receipt`)))
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "done-360.png")
	if !regexp.MustCompile(`^[A-Z0-9]{10}$`).MatchString(strings.TrimSpace(receiptText)) {
		t.Errorf("receipt %q", receiptText)
	}
	var stored int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM responses WHERE receipt = $1 AND grade_band = '5-6' AND status = 'admitted'`,
		strings.TrimSpace(receiptText)).Scan(&stored); err != nil || stored != 1 {
		t.Errorf("response behind the receipt: %d (%v)", stored, err)
	}

	mu.Lock()
	defer mu.Unlock()
	for _, u := range requested {
		if !strings.HasPrefix(u, e.srv.URL) && !strings.HasPrefix(u, "data:") {
			t.Errorf("third-party request: %s", u)
		}
	}
}

// TestFormWorksWithoutJavaScript submits the form in Chromium with
// JavaScript disabled.
func TestFormWorksWithoutJavaScript(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t, 360, 740)
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(e.srv.URL + "/s/" + e.link("全县通用链接") + "?c=resident"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="locale"]`)),
		chromedp.Click(chromedp.CSS(`input[name="locale"][value="town"]`)),
	}
	for i := 1; i <= 12; i++ {
		steps = append(steps, chromedp.Click(chromedp.CSS(`input[name="a_S`+twoDigits(i)+`"][value="A"]`)))
	}
	steps = append(steps, chromedp.Click(chromedp.CSS(`button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(`.receipt`)))
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
	receiptText, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.receipt`)))
	if err != nil {
		t.Fatal(err)
	}
	var locale string
	if err := e.pool.QueryRow(context.Background(), `SELECT locale FROM responses WHERE receipt = $1`, strings.TrimSpace(receiptText)).Scan(&locale); err != nil || locale != "town" {
		t.Errorf("stored locale %q (%v)", locale, err)
	}
}

// TestFormPageWeight: the whole form page (HTML, CSS and the script of
// 长辈模式 and 朗读) is at most 30 KB as sent, gzipped from 4 kB up.
func TestFormPageWeight(t *testing.T) {
	e := newEnv(t)
	total := 0
	page := ""
	for _, path := range []string{"/s/" + e.link("全县通用链接") + "?c=parent", "/static/form.css?v=" + cssVersion, "/static/form.js?v=" + cssVersion} {
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		total += len(raw)
		plain := raw
		if resp.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(strings.NewReader(string(raw)))
			if err != nil {
				t.Fatal(err)
			}
			plain, _ = io.ReadAll(zr)
		} else if len(raw) >= 4096 { // smaller ones travel in one round trip anyway
			t.Fatalf("%s (%d bytes) is not gzipped", path, len(raw))
		}
		if page == "" {
			page = string(plain)
		}
	}
	if total > 30*1024 {
		t.Errorf("form page weighs %d bytes gzipped, over 30 KB", total)
	}
	t.Logf("form page: %d bytes gzipped with its CSS", total)
	// Every asset the page names is ours: nothing from another host.
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		if strings.Contains(m[1], "//") {
			t.Errorf("page refers to %s", m[1])
		}
	}
	// Script only adds to the page (TestFormWorksWithoutJavaScript): none
	// inline, and none that holds up its showing.
	for _, m := range regexp.MustCompile(`<script[^>]*>`).FindAllString(page, -1) {
		if !strings.Contains(m, `src="/static/`) || !strings.Contains(m, " defer") {
			t.Errorf("script %s: want our own file, deferred", m)
		}
	}
}

// TestPosterPrints renders a school's poster at A4 size: the QR image loads
// and the page fits one sheet.
func TestPosterPrints(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t, 794, 1123) // A4 at 96 dpi
	err := chromedp.Do(ctx,
		chromedp.Navigate(e.srv.URL+"/s/"+e.schoolLink()+"/poster"),
		chromedp.WaitVisible(chromedp.CSS(`img.qr`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	loaded := evaluate[bool](t, ctx, `(async () => { const i = document.querySelector('img.qr'); await i.decode(); return i.naturalWidth >= 400; })()`)
	clipped := evaluate[int](t, ctx, `(() => { const p = document.querySelector('.poster'); return p.scrollHeight - p.clientHeight; })()`)
	height := evaluate[int](t, ctx, `Math.ceil(document.querySelector('.poster').getBoundingClientRect().height)`)
	screenshot(t, ctx, "poster-a4.png")
	if !loaded {
		t.Error("QR image did not load")
	}
	if height > 1123 || clipped > 0 {
		t.Errorf("poster is %d px tall with %d px cut off; one A4 sheet is 1123", height, clipped)
	}
}
