package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/gocli/gocli/perf/metrics"
)

// TextOptions tune the end-of-test summary.
type TextOptions struct {
	// Color adds ANSI colours (green passes, red failures).
	Color bool
}

type painter struct{ on bool }

func (p painter) paint(code, s string) string {
	if !p.on {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}
func (p painter) green(s string) string { return p.paint("32", s) }
func (p painter) red(s string) string   { return p.paint("31", s) }
func (p painter) gray(s string) string  { return p.paint("90", s) }
func (p painter) cyan(s string) string  { return p.paint("36", s) }

// WriteText writes the end-of-test summary in k6's layout: the checks by
// group, then one line per metric with threshold marks.
func WriteText(w io.Writer, m *Model, opts TextOptions) error {
	p := painter{opts.Color}
	var b strings.Builder
	b.WriteString("\n")
	writeGroup(&b, p, m.Root, 5)

	lines := make([][2]string, 0, len(m.Metrics))
	width := 0
	for _, mm := range m.Metrics {
		name := mm.Name
		if mm.Selector != nil {
			name = "  " + selectorText(mm.Selector)
		}
		if len(name) > width {
			width = len(name)
		}
	}
	width += 3
	cols := columnWidths(m)
	for _, mm := range m.Metrics {
		name := mm.Name
		if mm.Selector != nil {
			name = "  " + selectorText(mm.Selector)
		}
		mark := "  "
		if len(mm.Thresholds) > 0 {
			mark = p.green("✓") + " "
			for _, v := range mm.Thresholds {
				if !v.Passed {
					mark = p.red("✗") + " "
				}
			}
		}
		dots := strings.Repeat(".", width-len([]rune(name)))
		lines = append(lines, [2]string{"   " + mark + name + p.gray(dots) + ": ", valuesText(p, m, mm, cols)})
	}
	for _, l := range lines {
		b.WriteString(strings.TrimRight(l[0]+l[1], " "))
		b.WriteString("\n")
	}
	b.WriteString("\n")
	b.WriteString(statusLine(m))
	b.WriteString("\n")
	if errs := m.Summary.Errors; len(errs) > 0 {
		b.WriteString("\n     script errors:\n")
		for i, e := range errs {
			if i == 10 {
				fmt.Fprintf(&b, "       … %d more distinct errors\n", len(errs)-10)
				break
			}
			fmt.Fprintf(&b, "       %s %s\n", p.red(fmt.Sprintf("%dx", e.Count)), e.Message)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func selectorText(sel map[string]string) string {
	keys := make([]string, 0, len(sel))
	for k := range sel {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ":" + sel[k]
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

func writeGroup(b *strings.Builder, p painter, g *Group, indent int) {
	pad := strings.Repeat(" ", indent)
	for _, c := range g.Checks {
		if c.Fails == 0 {
			fmt.Fprintf(b, "%s%s %s\n", pad, p.green("✓"), c.Name)
			continue
		}
		fmt.Fprintf(b, "%s%s %s\n", pad, p.red("✗"), c.Name)
		total := c.Passes + c.Fails
		fmt.Fprintf(b, "%s %s  %d%% — %s %d / %s %d\n", pad, p.gray("↳"), c.Passes*100/total, p.green("✓"), c.Passes, p.red("✗"), c.Fails)
	}
	if len(g.Checks) > 0 {
		b.WriteString("\n")
	}
	for _, sub := range g.Groups {
		fmt.Fprintf(b, "%s█ %s\n\n", pad, sub.Name)
		writeGroup(b, p, sub, indent+2)
	}
}

// columnWidths aligns trend stats across metrics, as k6 does.
func columnWidths(m *Model) map[string]int {
	w := map[string]int{}
	for _, mm := range m.Metrics {
		for k, v := range mm.Values {
			var s string
			switch mm.Type {
			case metrics.Trend:
				s = formatValue(v, mm.Contains)
			default:
				s = formatValue(v, mm.Contains)
			}
			key := mm.Type.String() + "/" + k
			if len(s) > w[key] {
				w[key] = len(s)
			}
		}
	}
	return w
}

func padRight(s string, n int) string {
	if l := len([]rune(s)); l < n {
		return s + strings.Repeat(" ", n-l)
	}
	return s
}

func valuesText(p painter, m *Model, mm *Metric, cols map[string]int) string {
	v := mm.Values
	switch mm.Type {
	case metrics.Counter:
		count := formatValue(v["count"], mm.Contains)
		rate := formatRate(v["rate"])
		if mm.Contains == metrics.Data {
			rate = formatBytes(v["rate"])
		}
		return padRight(count, cols["counter/count"]) + " " + p.cyan(rate+"/s")
	case metrics.Gauge:
		return padRight(formatNumber(v["value"]), cols["gauge/value"]) + " " + p.cyan("min="+formatNumber(v["min"])) + " " + p.cyan("max="+formatNumber(v["max"]))
	case metrics.Rate:
		pct := round(v["rate"]*100, 2) + "%"
		return padRight(pct, 7) + " " + p.green("✓ "+padRight(formatNumber(v["passes"]), 8)) + " " + p.red("✗ "+formatNumber(v["fails"]))
	case metrics.Trend:
		parts := make([]string, len(m.TrendStats))
		for i, st := range m.TrendStats {
			val := formatValue(v[st], mm.Contains)
			if st == "count" {
				val = formatNumber(v[st])
			}
			parts[i] = padRight(st+"="+p.cyan(val), len(st)+1+cols["trend/"+st]+len(p.cyan("")))
		}
		return strings.Join(parts, " ")
	}
	return ""
}

func statusLine(m *Model) string {
	s := m.SLI
	line := fmt.Sprintf("     running (%s), %d complete iterations", formatMillis(float64(m.Duration.Milliseconds())), s.Iterations)
	if s.Dropped > 0 {
		line += fmt.Sprintf(", %d dropped", s.Dropped)
	}
	if s.ScriptErrors > 0 {
		line += fmt.Sprintf(", %d with script errors", s.ScriptErrors)
	}
	if seg := m.Summary.Segment; seg != "" {
		line += ", segment " + seg
	}
	if m.Summary.Interrupted {
		line += "\n     interrupted: " + m.Summary.InterruptReason
	}
	return line + "\n"
}
