package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/gocli/gocli/perf/metrics"
)

// Delta compares one SLI with a baseline run.
type Delta struct {
	Name       string  `json:"name"`
	Before     string  `json:"before"`
	After      string  `json:"after"`
	Change     float64 `json:"change"` // relative change, e.g. 0.12 for +12%
	Regression bool    `json:"regression"`
}

// RegressionTolerance is the relative worsening of latency or throughput
// (10%) beyond which a delta is flagged as a regression.
const RegressionTolerance = 0.10

// Compare returns the SLI deltas of m against base.
func Compare(m, base *Model) []Delta {
	a, b := m.SLI, base.SLI
	rel := func(after, before float64) float64 {
		if before == 0 {
			if after == 0 {
				return 0
			}
			return math.Inf(1)
		}
		return (after - before) / before
	}
	var out []Delta
	lat := func(name string, after, before float64) {
		c := rel(after, before)
		out = append(out, Delta{name, formatMillis(before), formatMillis(after), c, c > RegressionTolerance})
	}
	c := rel(a.RPS, b.RPS)
	out = append(out, Delta{"throughput", formatRPS(b.RPS), formatRPS(a.RPS), c, c < -RegressionTolerance})
	// Error rates regress when they grow by more than a tenth of a
	// percentage point: relative change alone would flag 0.001% → 0.002%.
	c = rel(a.ErrorRate, b.ErrorRate)
	out = append(out, Delta{"error rate", formatPct(b.ErrorRate), formatPct(a.ErrorRate), c, a.ErrorRate-b.ErrorRate > 0.001})
	c = rel(a.Availability, b.Availability)
	out = append(out, Delta{"availability", formatPct(b.Availability), formatPct(a.Availability), c, b.Availability-a.Availability > 0.001})
	lat("p50", a.P50, b.P50)
	lat("p90", a.P90, b.P90)
	lat("p95", a.P95, b.P95)
	lat("p99", a.P99, b.P99)
	c = rel(a.ChecksRate, b.ChecksRate)
	out = append(out, Delta{"checks", formatPct(b.ChecksRate), formatPct(a.ChecksRate), c, b.ChecksRate-a.ChecksRate > 0.001})
	return out
}

func formatPct(v float64) string { return strconv.FormatFloat(v*100, 'f', 2, 64) + "%" }

func formatRPS(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "/s" }

func formatChange(c float64) string {
	switch {
	case math.IsInf(c, 1):
		return "new"
	case c == 0:
		return "±0%"
	}
	return fmt.Sprintf("%+.1f%%", c*100)
}

// series is the time series the reports plot, at most maxPoints long.
type series struct {
	step                             int // seconds per point
	t                                []float64
	rps, errs, p50, p90, p95, p99, v []float64
}

const maxPoints = 240

func (m *Model) series() series {
	bs := m.Buckets
	step := 1
	for len(bs)/step > maxPoints {
		step *= 2
	}
	bs = metrics.Coarsen(bs, step)
	s := series{step: step}
	total := m.Duration.Seconds()
	for _, b := range bs {
		s.t = append(s.t, float64(b.Second))
		d := float64(step)
		// The last bucket is usually a partial one: rate it over the time
		// it covers, or it shows a false drop at the end.
		if rest := total - float64(b.Second); rest > 0 && rest < d {
			d = math.Max(rest, 0.1)
		}
		s.rps = append(s.rps, float64(b.Requests)/d)
		s.errs = append(s.errs, float64(b.Failed)/d)
		s.p50 = append(s.p50, b.DurationPercentile(50))
		s.p90 = append(s.p90, b.DurationPercentile(90))
		s.p95 = append(s.p95, b.DurationPercentile(95))
		s.p99 = append(s.p99, b.DurationPercentile(99))
		s.v = append(s.v, float64(b.VUs))
	}
	return s
}

// statusCount is the number of requests with one status code.
type statusCount struct {
	Status string
	Count  int64
}

func (m *Model) statuses() []statusCount {
	counts := map[string]int64{}
	for _, ser := range m.Summary.Store.Series() {
		if ser.Metric.Name != metrics.HTTPReqs {
			continue
		}
		st, _ := ser.Tags.Get("status")
		if st == "" {
			st = "0"
		}
		counts[st] += int64(ser.Sink.Sum)
	}
	out := make([]statusCount, 0, len(counts))
	for s, n := range counts {
		out = append(out, statusCount{s, n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Status < out[j].Status })
	return out
}

func statusLabel(s string) string {
	if s == "0" {
		return "0 (no response)"
	}
	return s
}
