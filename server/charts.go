package server

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"

	"renke/evaluation"
	"renke/survey"
)

// The dashboard's charts are SVG drawn here, on the server: they need no
// script, no CDN and no inline style (the CSP forbids both), and they
// print. Every function is pure.

// meter is a small horizontal bar: share filled, with an optional mark
// (e.g. the 50% floor) as a vertical line.
func meter(share, mark float64) template.HTML {
	share = math.Max(0, math.Min(1, share))
	var b strings.Builder
	b.WriteString(`<svg class="meter" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label="`)
	fmt.Fprintf(&b, `%s"><rect width="100" height="10" fill="#e6ebf1"/>`, pctText(share))
	fill := "#2f7d4a"
	if mark > 0 && share < mark {
		fill = "#c77700"
	}
	fmt.Fprintf(&b, `<rect width="%.2f" height="10" fill="%s"/>`, share*100, fill)
	if mark > 0 {
		fmt.Fprintf(&b, `<line x1="%.2f" x2="%.2f" y1="0" y2="10" stroke="#a3151a" stroke-width="1.2"/>`, mark*100, mark*100)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func pctText(x float64) string { return evaluation.Num(x*100) + "%" }

// intervalRow is one line of an interval chart.
type intervalRow struct {
	Label       string
	Respondents int64 // the n of the interval
	Answers     int64
	survey.Interval
}

// intervalChart draws each row's rate as a mark with its 95% interval as
// a bar, against the threshold drawn as a red dashed line, one row per
// group in the order given (the dashboard puts the weakest first). Labels
// and values are HTML text, so they stay readable at any width; each row's
// graphic is a small SVG stretched to the row's width over a common scale.
func intervalChart(rows []intervalRow, threshold float64) template.HTML {
	return intervalChartFrom(rows, threshold, chartFloor(threshold, rows))
}

// chartFloor is the left end of a chart's scale: the lowest interval of
// the rows, or the threshold, down to a tenth. The dashboard passes the
// floor of all its charts to each, so their scales are the same.
func chartFloor(threshold float64, rows ...[]intervalRow) float64 {
	lo := threshold
	for _, rs := range rows {
		for _, r := range rs {
			lo = math.Min(lo, r.Low)
		}
	}
	return math.Max(0, math.Floor(lo*10-0.0001)/10)
}

// intervalChartFrom draws the chart on a scale from lo to 100%.
func intervalChartFrom(rows []intervalRow, threshold, lo float64) template.HTML {
	if len(rows) == 0 {
		return template.HTML(`<p class="muted">还没有答卷。</p>`)
	}
	x := func(v float64) float64 { return (v - lo) / (1 - lo) * 100 }
	var b strings.Builder
	fmt.Fprintf(&b, `<div class="ivchart"><p class="scale"><span>%s</span><span>横轴：%s 至 100%%</span><span>100%%</span></p>`, pctText(lo), pctText(lo))
	for _, r := range rows {
		class := "ok" // the whole interval clears the line
		switch {
		case r.High < threshold:
			class = "bad"
		case r.Low < threshold:
			class = "warn"
		}
		fmt.Fprintf(&b, `<div class="iv %s" title="%s：%s（95%%置信区间 %s–%s；%d 人作答，有效回答 %d 个）"><span class="l">%s <small>n=%s 人</small></span><span class="v">%s <small>%s–%s</small></span>`,
			class, html.EscapeString(r.Label), pctText(r.Rate), pctText(r.Low), pctText(r.High), r.Respondents, r.Answers,
			html.EscapeString(r.Label), thousands(r.Respondents), pctText(r.Rate), pctText(r.Low), pctText(r.High))
		b.WriteString(`<svg viewBox="0 0 100 12" preserveAspectRatio="none" aria-hidden="true">`)
		for t := lo + 0.1; t < 0.9999; t += 0.1 {
			fmt.Fprintf(&b, `<line x1="%.2f" x2="%.2f" y1="0" y2="12" class="grid"/>`, x(t), x(t))
		}
		fmt.Fprintf(&b, `<rect x="%.2f" y="4" width="%.2f" height="4" class="ci"/>`, x(r.Low), math.Max(0.3, x(r.High)-x(r.Low)))
		fmt.Fprintf(&b, `<rect x="%.2f" y="1" width="0.8" height="10" class="pt"/>`, x(r.Rate)-0.4)
		fmt.Fprintf(&b, `<line x1="%.2f" x2="%.2f" y1="0" y2="12" class="line"/></svg></div>`, x(threshold), x(threshold))
	}
	b.WriteString(`</div>`)
	return template.HTML(b.String())
}

// hourChart draws responses per hour as columns: admitted in blue, the
// rest (over quota, invalidated) stacked above in grey.
func hourChart(hours []survey.Hour) template.HTML {
	if len(hours) == 0 {
		return template.HTML(`<p class="muted">还没有答卷。</p>`)
	}
	if len(hours) > 72 {
		hours = hours[len(hours)-72:]
	}
	const w, h, left, bottom = 720.0, 160.0, 36.0, 20.0
	var peak int64 = 1
	for _, hr := range hours {
		peak = max(peak, hr.N[survey.Admitted]+hr.N[survey.OverQuota]+hr.N[survey.Invalidated]+hr.N[survey.Held])
	}
	step := (w - left) / float64(len(hours))
	y := func(n int64) float64 { return (h - bottom) * float64(n) / float64(peak) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="每小时提交量">`, w, h)
	fmt.Fprintf(&b, `<text x="%.0f" y="12" font-size="11" text-anchor="end" fill="#5f6b7a">%d</text><line x1="%.0f" x2="%.0f" y1="%.0f" y2="%.0f" stroke="#c2cbd6"/>`, left-4, peak, left, w, h-bottom, h-bottom)
	for i, hr := range hours {
		ad, rest := hr.N[survey.Admitted], hr.N[survey.OverQuota]+hr.N[survey.Invalidated]+hr.N[survey.Held]
		x0 := left + step*float64(i) + step*0.1
		bw := math.Max(1, step*0.8)
		t := hr.Start.In(survey.Beijing)
		fmt.Fprintf(&b, `<g><title>%s 时：纳入 %d 份，其他 %d 份</title>`, t.Format("1月2日 15"), ad, rest)
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#0b5cad"/>`, x0, h-bottom-y(ad), bw, y(ad))
		if rest > 0 {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#9aa5b1"/>`, x0, h-bottom-y(ad)-y(rest), bw, y(rest))
		}
		b.WriteString(`</g>`)
		if i == 0 || t.Hour() == 0 || i == len(hours)-1 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" font-size="11" fill="#5f6b7a">%s</text>`, x0, h-5, t.Format("1/2 15时"))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
