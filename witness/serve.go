package witness

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"log/slog"
	"net/http"
	"time"
)

// Handler serves what the witness holds:
//
//	GET /             a page: each log's checkpoint, and alarms in red
//	GET /checkpoints  JSON: every cosigned checkpoint held (what peers compare)
//	GET /key          the witness's verifier key
//	GET /healthz      200 "ok", or 503 while any alarm stands (a load
//	                  balancer or a monitor sees the witness as down)
func (w *Witness) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /checkpoints", func(rw http.ResponseWriter, r *http.Request) {
		held, err := w.HeldAll()
		if err != nil {
			http.Error(rw, err.Error(), http.StatusInternalServerError)
			return
		}
		if held == nil {
			held = []Held{}
		}
		writeJSON(rw, held)
	})
	mux.HandleFunc("GET /key", func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = rw.Write([]byte(w.VerifierKey() + "\n"))
	})
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, r *http.Request) {
		alarms, err := w.Alarms()
		switch {
		case err != nil:
			http.Error(rw, err.Error(), http.StatusInternalServerError)
		case len(alarms) > 0:
			http.Error(rw, "ALARM: "+alarms[len(alarms)-1].Error(), http.StatusServiceUnavailable)
		default:
			_, _ = rw.Write([]byte("ok"))
		}
	})
	mux.HandleFunc("GET /{$}", func(rw http.ResponseWriter, r *http.Request) {
		held, _ := w.HeldAll()
		alarms, _ := w.Alarms()
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		status := http.StatusOK
		if len(alarms) > 0 {
			status = http.StatusServiceUnavailable
		}
		rw.WriteHeader(status)
		_ = page.Execute(rw, struct {
			Name, Key string
			Held      []Held
			Alarms    []Alarm
		}{w.Name(), w.VerifierKey(), held, alarms})
	})
	return mux
}

func writeJSON(rw http.ResponseWriter, v any) {
	rw.Header().Set("Content-Type", "application/json")
	_ = jsonEncoder(rw).Encode(v)
}

var page = template.Must(template.New("witness").Funcs(template.FuncMap{
	"hex": func(b []byte) string { return hex.EncodeToString(b) },
	"cst": func(t time.Time) string { return t.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04:05") },
}).Parse(`<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>样本日志见证 · {{.Name}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem}table{border-collapse:collapse;width:100%}
td,th{border:1px solid #ccc;padding:.3rem;text-align:left;vertical-align:top}code{word-break:break-all}.alarm{background:#fdd;border:2px solid #c00;padding:.5rem;margin:.5rem 0}
.ok{background:#dfd;padding:.5rem}</style></head><body>
<h1>样本日志见证：{{.Name}}</h1>
<p>见证方公钥：<code>{{.Key}}</code></p>
{{if .Alarms}}<h2 style="color:#c00">发现 {{len .Alarms}} 处问题（不一致、更换密钥或来源、长时间无法访问）</h2>
{{range .Alarms}}<div class="alarm" data-origin="{{.Origin}}"><b>{{.Log}}</b>（{{.Origin}}），{{cst .At}}：{{.Text}}
<details><summary>证据（签名检查点）</summary>{{range .Evidence}}<pre>{{.}}</pre>{{end}}</details></div>{{end}}
{{else}}<p class="ok">所见证的日志均前后一致。</p>{{end}}
<h2>持有的检查点</h2>
<table><tr><th>日志</th><th>条数</th><th>根值</th><th>联署时间</th></tr>
{{range .Held}}<tr><td>{{.Log}}<br><small>{{.Origin}}</small></td><td>{{.Size}}</td><td><code>{{hex .Root}}</code></td><td>{{cst .At}}</td></tr>{{end}}
</table></body></html>`))

// Run polls every interval until ctx ends, serving on addr meanwhile
// (none when addr is empty).
func (w *Witness) Run(ctx context.Context, addr string, every time.Duration) error {
	if addr != "" {
		srv := &http.Server{Addr: addr, Handler: w.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
				slog.Error("witness server stopped", "error", err)
			}
		}()
		defer srv.Close()
		slog.Info("witness serving", "addr", addr)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		w.Poll(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func jsonEncoder(rw http.ResponseWriter) *json.Encoder {
	e := json.NewEncoder(rw)
	e.SetIndent("", "  ")
	return e
}
