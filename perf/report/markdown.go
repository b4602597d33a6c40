package report

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

// WriteMarkdown writes the SLI report as Markdown (for a CI job summary or
// a pull request comment). base may be nil.
func WriteMarkdown(w io.Writer, m *Model, base *Model) error {
	var b strings.Builder
	s := m.SLI
	fmt.Fprintf(&b, "# SLI report: %s\n\n", mdEscape(filepath.Base(m.Summary.Script)))
	b.WriteString("| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| Result | %s |\n", verdictText(m))
	fmt.Fprintf(&b, "| Duration | %s |\n", formatMillis(float64(m.Duration.Milliseconds())))
	fmt.Fprintf(&b, "| Requests | %d (%s) |\n", s.Requests, formatRPS(s.RPS))
	fmt.Fprintf(&b, "| Availability | %s |\n", formatPct(s.Availability))
	fmt.Fprintf(&b, "| Error rate | %s |\n", formatPct(s.ErrorRate))
	fmt.Fprintf(&b, "| Latency p50 / p90 / p95 / p99 | %s / %s / %s / %s |\n", formatMillis(s.P50), formatMillis(s.P90), formatMillis(s.P95), formatMillis(s.P99))
	fmt.Fprintf(&b, "| Latency avg / max | %s / %s |\n", formatMillis(s.Avg), formatMillis(s.Max))
	fmt.Fprintf(&b, "| Checks passed | %s |\n", formatPct(s.ChecksRate))
	fmt.Fprintf(&b, "| Iterations | %d (dropped %d, script errors %d) |\n", s.Iterations, s.Dropped, s.ScriptErrors)
	if seg := m.Summary.Segment; seg != "" {
		fmt.Fprintf(&b, "| Segment | %s |\n", seg)
	}
	if m.Summary.Interrupted {
		fmt.Fprintf(&b, "| Interrupted | %s |\n", mdEscape(m.Summary.InterruptReason))
	}
	if len(m.Summary.Verdicts) > 0 {
		b.WriteString("\n## Thresholds\n\n| metric | threshold | value | verdict |\n|---|---|---|---|\n")
		for _, v := range m.Summary.Verdicts {
			mark := "✅ pass"
			if !v.Passed {
				mark = "❌ fail"
			}
			fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s |\n", mdEscape(v.Key), mdEscape(v.Source), thresholdValue(m, v.Key, v.Source, v.Value), mark)
		}
	}
	if base != nil {
		b.WriteString("\n## Compared with the baseline\n\n| SLI | baseline | this run | change | |\n|---|---|---|---|---|\n")
		for _, d := range Compare(m, base) {
			flag := ""
			if d.Regression {
				flag = "⚠️ regression"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", d.Name, d.Before, d.After, formatChange(d.Change), flag)
		}
	}
	if st := m.statuses(); len(st) > 0 {
		b.WriteString("\n## Responses by status\n\n| status | requests | share |\n|---|---|---|\n")
		for _, c := range st {
			fmt.Fprintf(&b, "| %s | %d | %s |\n", statusLabel(c.Status), c.Count, formatPct(float64(c.Count)/float64(max(s.Requests, 1))))
		}
	}
	ts := m.series()
	if len(ts.t) > 0 {
		// Markdown gets at most about 30 rows.
		stride := max(1, (len(ts.t)+29)/30)
		fmt.Fprintf(&b, "\n## Over time (every %ds)\n\n| t | req/s | failed/s | p50 | p95 | p99 | VUs |\n|---|---|---|---|---|---|---|\n", ts.step*stride)
		for i := 0; i < len(ts.t); i += stride {
			fmt.Fprintf(&b, "| %ds | %.1f | %.1f | %s | %s | %s | %.0f |\n", int(ts.t[i]), ts.rps[i], ts.errs[i], formatMillis(ts.p50[i]), formatMillis(ts.p95[i]), formatMillis(ts.p99[i]), ts.v[i])
		}
	}
	if errs := m.Summary.Errors; len(errs) > 0 {
		b.WriteString("\n## Script errors\n\n| count | error |\n|---|---|\n")
		for _, e := range errs {
			fmt.Fprintf(&b, "| %d | `%s` |\n", e.Count, mdEscape(e.Message))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func verdictText(m *Model) string {
	failed := len(m.Summary.FailedThresholds())
	switch {
	case len(m.Summary.Verdicts) == 0:
		return "no thresholds defined"
	case failed == 0:
		return fmt.Sprintf("✅ all %d thresholds passed", len(m.Summary.Verdicts))
	}
	return fmt.Sprintf("❌ %d of %d thresholds failed", failed, len(m.Summary.Verdicts))
}

// thresholdValue formats a threshold's measured value in the metric's unit.
func thresholdValue(m *Model, key, src string, v float64) string {
	for _, mm := range m.Metrics {
		if mm.Name == key {
			if strings.HasPrefix(src, "rate") && mm.Type.String() == "rate" {
				return formatPct(v)
			}
			if strings.HasPrefix(src, "count") || strings.HasPrefix(src, "rate") {
				return formatNumber(v)
			}
			return formatValue(v, mm.Contains)
		}
	}
	return formatNumber(v)
}
