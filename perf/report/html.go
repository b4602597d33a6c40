package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"path/filepath"
	"strings"
	"time"
)

// WriteHTML writes the SLI report as one self-contained HTML page: inline
// CSS and SVG, no scripts, no network. base may be nil.
func WriteHTML(w io.Writer, m *Model, base *Model) error {
	s := m.SLI
	ts := m.series()
	data := map[string]any{
		"Title":       filepath.Base(m.Summary.Script),
		"Verdict":     strings.TrimLeft(verdictText(m), "✅❌ "),
		"Passed":      m.Summary.Passed(),
		"Generated":   m.Summary.Store.Start().UTC().Format(time.RFC3339),
		"Duration":    formatMillis(float64(m.Duration.Milliseconds())),
		"SLI":         s,
		"RPS":         formatRPS(s.RPS),
		"Avail":       formatPct(s.Availability),
		"ErrRate":     formatPct(s.ErrorRate),
		"P50":         formatMillis(s.P50),
		"P90":         formatMillis(s.P90),
		"P95":         formatMillis(s.P95),
		"P99":         formatMillis(s.P99),
		"Checks":      formatPct(s.ChecksRate),
		"Segment":     m.Summary.Segment,
		"Interrupted": m.Summary.InterruptReason,
		"Errors":      m.Summary.Errors,
		"Latency": template.HTML(lineChart("Latency percentiles (ms)", ts.t, []line{
			{"p50", "#2b8a3e", ts.p50}, {"p90", "#1971c2", ts.p90}, {"p95", "#e67700", ts.p95}, {"p99", "#c92a2a", ts.p99},
		})),
		"Throughput": template.HTML(lineChart("Throughput (per second)", ts.t, []line{
			{"requests/s", "#1971c2", ts.rps}, {"failed/s", "#c92a2a", ts.errs}, {"VUs", "#868e96", ts.v},
		})),
		"Statuses": template.HTML(barChart("Responses by status", m.statuses())),
	}
	var ths []map[string]any
	for _, v := range m.Summary.Verdicts {
		ths = append(ths, map[string]any{"Key": v.Key, "Source": v.Source, "Value": thresholdValue(m, v.Key, v.Source, v.Value), "Passed": v.Passed})
	}
	data["Thresholds"] = ths
	if base != nil {
		var ds []map[string]any
		for _, d := range Compare(m, base) {
			ds = append(ds, map[string]any{"Name": d.Name, "Before": d.Before, "After": d.After, "Change": formatChange(d.Change), "Regression": d.Regression})
		}
		data["Deltas"] = ds
	}
	var metricsRows []map[string]any
	for _, mm := range m.Metrics {
		var b strings.Builder
		for i, st := range orderedKeys(m, mm) {
			if i > 0 {
				b.WriteString("  ")
			}
			val := mm.Values[st]
			txt := formatValue(val, mm.Contains)
			if mm.Type.String() == "rate" && st == "rate" {
				txt = formatPct(val)
			} else if st == "count" || st == "passes" || st == "fails" {
				txt = formatNumber(val)
			} else if st == "rate" {
				txt = formatRate(val) + "/s"
			}
			fmt.Fprintf(&b, "%s=%s", st, txt)
		}
		metricsRows = append(metricsRows, map[string]any{"Name": mm.Name, "Values": b.String()})
	}
	data["Metrics"] = metricsRows
	return htmlTmpl.Execute(w, data)
}

func orderedKeys(m *Model, mm *Metric) []string {
	switch mm.Type.String() {
	case "counter":
		return []string{"count", "rate"}
	case "gauge":
		return []string{"value", "min", "max"}
	case "rate":
		return []string{"rate", "passes", "fails"}
	}
	return m.TrendStats
}

type line struct {
	name, color string
	y           []float64
}

const (
	chartW, chartH         = 720, 260
	padL, padR, padT, padB = 56, 16, 28, 40
)

// niceMax rounds v up to 1, 2 or 5 times a power of ten.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, f := range []float64{1, 2, 5, 10} {
		if f*p >= v {
			return f * p
		}
	}
	return 10 * p
}

func num(v float64) string {
	if v >= 100 || v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	if v >= 10 {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// lineChart draws series over time as an inline SVG.
func lineChart(title string, t []float64, lines []line) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" width="100%%" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, chartW, chartH, template.HTMLEscapeString(title))
	fmt.Fprintf(&b, `<text x="%d" y="18" class="ct">%s</text>`, padL, template.HTMLEscapeString(title))
	if len(t) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="ax">no data</text></svg>`, chartW/2-20, chartH/2)
		return b.String()
	}
	ymax := 0.0
	for _, l := range lines {
		for _, v := range l.y {
			ymax = math.Max(ymax, v)
		}
	}
	ymax = niceMax(ymax)
	tmax := math.Max(t[len(t)-1], 1)
	pw, ph := float64(chartW-padL-padR), float64(chartH-padT-padB)
	x := func(v float64) float64 { return float64(padL) + v/tmax*pw }
	y := func(v float64) float64 { return float64(padT) + ph - v/ymax*ph }
	for i := 0; i <= 4; i++ {
		v := ymax * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="grid"/><text x="%d" y="%.1f" class="ax" text-anchor="end">%s</text>`,
			padL, chartW-padR, y(v), y(v), padL-6, y(v)+4, num(v))
	}
	for i := 0; i <= 4; i++ {
		v := tmax * float64(i) / 4
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="ax" text-anchor="middle">%ss</text>`, x(v), chartH-padB+16, num(v))
	}
	for li, l := range lines {
		var pts strings.Builder
		for i, v := range l.y {
			fmt.Fprintf(&pts, "%.1f,%.1f ", x(t[i]), y(v))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.8" points="%s"><title>%s</title></polyline>`, l.color, strings.TrimSpace(pts.String()), l.name)
		lx := padL + li*110
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="4" fill="%s"/><text x="%d" y="%d" class="ax">%s</text>`, lx, chartH-12, l.color, lx+16, chartH-7, l.name)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// barChart draws the number of responses per status code.
func barChart(title string, counts []statusCount) string {
	var b strings.Builder
	h := 60 + 26*len(counts)
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" width="100%%" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, chartW, h, template.HTMLEscapeString(title))
	fmt.Fprintf(&b, `<text x="%d" y="18" class="ct">%s</text>`, padL, template.HTMLEscapeString(title))
	var maxN int64 = 1
	for _, c := range counts {
		maxN = max(maxN, c.Count)
	}
	for i, c := range counts {
		yy := 34 + i*26
		wd := float64(chartW-padL-padR-140) * float64(c.Count) / float64(maxN)
		color := "#2b8a3e"
		switch {
		case c.Status == "0" || strings.HasPrefix(c.Status, "5"):
			color = "#c92a2a"
		case strings.HasPrefix(c.Status, "4"):
			color = "#e67700"
		case strings.HasPrefix(c.Status, "3"):
			color = "#1971c2"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="ax" text-anchor="end">%s</text><rect x="%d" y="%d" width="%.1f" height="18" fill="%s"/><text x="%.1f" y="%d" class="ax">%d</text>`,
			padL+60, yy+13, template.HTMLEscapeString(statusLabel(c.Status)), padL+66, yy, math.Max(wd, 1), color, float64(padL+70)+wd, yy+13, c.Count)
	}
	if len(counts) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="40" class="ax">no HTTP requests</text>`, padL)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

var htmlTmpl = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SLI report: {{.Title}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:980px;padding:24px;color:#212529;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dee2e6;padding-bottom:4px}
.sub{color:#868e96;margin-bottom:16px}
.verdict{display:inline-block;padding:4px 10px;border-radius:4px;font-weight:600}
.pass{background:#d3f9d8;color:#2b8a3e}.fail{background:#ffe3e3;color:#c92a2a}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin:16px 0}
.card{border:1px solid #dee2e6;border-radius:6px;padding:10px}.card b{display:block;font-size:20px}.card span{color:#868e96;font-size:12px}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #f1f3f5;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f8f9fa}code,td.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}
svg .grid{stroke:#e9ecef}svg .ax{font-size:11px;fill:#495057}svg .ct{font-size:13px;font-weight:600;fill:#212529}
.reg{color:#c92a2a;font-weight:600}
</style></head><body>
<h1>SLI report: {{.Title}}</h1>
<div class="sub">started {{.Generated}} · ran {{.Duration}}{{if .Segment}} · segment {{.Segment}}{{end}}</div>
<div class="verdict {{if .Passed}}pass{{else}}fail{{end}}">{{.Verdict}}</div>
{{if .Interrupted}}<p class="reg">Interrupted: {{.Interrupted}}</p>{{end}}
<div class="cards">
<div class="card"><b>{{.Avail}}</b><span>availability</span></div>
<div class="card"><b>{{.ErrRate}}</b><span>error rate</span></div>
<div class="card"><b>{{.RPS}}</b><span>throughput ({{.SLI.Requests}} requests)</span></div>
<div class="card"><b>{{.P50}}</b><span>p50 latency</span></div>
<div class="card"><b>{{.P90}}</b><span>p90 latency</span></div>
<div class="card"><b>{{.P95}}</b><span>p95 latency</span></div>
<div class="card"><b>{{.P99}}</b><span>p99 latency</span></div>
<div class="card"><b>{{.Checks}}</b><span>checks passed</span></div>
</div>
{{if .Thresholds}}<h2>Thresholds</h2>
<table><tr><th>metric</th><th>threshold</th><th>value</th><th>verdict</th></tr>
{{range .Thresholds}}<tr><td class="mono">{{.Key}}</td><td class="mono">{{.Source}}</td><td>{{.Value}}</td><td>{{if .Passed}}<span class="verdict pass">pass</span>{{else}}<span class="verdict fail">fail</span>{{end}}</td></tr>
{{end}}</table>{{end}}
{{if .Deltas}}<h2>Compared with the baseline</h2>
<table><tr><th>SLI</th><th>baseline</th><th>this run</th><th>change</th><th></th></tr>
{{range .Deltas}}<tr><td>{{.Name}}</td><td>{{.Before}}</td><td>{{.After}}</td><td>{{.Change}}</td><td>{{if .Regression}}<span class="reg">regression</span>{{end}}</td></tr>
{{end}}</table>{{end}}
<h2>Latency over time</h2>
{{.Latency}}
<h2>Throughput over time</h2>
{{.Throughput}}
<h2>Errors by status</h2>
{{.Statuses}}
{{if .Errors}}<h2>Script errors</h2>
<table><tr><th>count</th><th>error</th></tr>{{range .Errors}}<tr><td>{{.Count}}</td><td class="mono">{{.Message}}</td></tr>{{end}}</table>{{end}}
<h2>All metrics</h2>
<table><tr><th>metric</th><th>values</th></tr>
{{range .Metrics}}<tr><td class="mono">{{.Name}}</td><td class="mono">{{.Values}}</td></tr>
{{end}}</table>
</body></html>
`))
