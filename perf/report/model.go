// Package report renders perf results: the k6-style end-of-test summary,
// the summary-export JSON (with gocli's mergeable data), and the SLI report
// as Markdown or a self-contained HTML page with inline SVG plots, with
// deltas against a baseline run.
package report

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gocli/gocli/perf"
	"github.com/gocli/gocli/perf/metrics"
)

// DefaultTrendStats are the trend columns k6 prints by default.
var DefaultTrendStats = []string{"avg", "min", "med", "max", "p(90)", "p(95)"}

// Metric is one metric or sub-metric line of the summary.
type Metric struct {
	Name     string // "http_req_duration" or "http_req_duration{status:200}"
	Base     string
	Selector map[string]string
	Type     metrics.Type
	Contains metrics.Contains
	// Values holds the aggregations k6 exports for the type.
	Values map[string]float64
	// Thresholds maps each threshold expression to whether it passed.
	Thresholds []metrics.Verdict
	sink       *metrics.Sink
}

// Check is one named check in a group.
type Check struct {
	Name   string
	Path   string
	Passes int64
	Fails  int64
}

// Group is a node of the group tree; the root has an empty name.
type Group struct {
	Name   string
	Path   string
	Checks []*Check
	Groups []*Group
}

// SLI are the service-level indicators of the report.
type SLI struct {
	Requests     int64   `json:"requests"`
	RPS          float64 `json:"rps"`
	ErrorRate    float64 `json:"errorRate"`
	Availability float64 `json:"availability"`
	P50          float64 `json:"p50"`
	P90          float64 `json:"p90"`
	P95          float64 `json:"p95"`
	P99          float64 `json:"p99"`
	Avg          float64 `json:"avg"`
	Max          float64 `json:"max"`
	ChecksRate   float64 `json:"checksRate"`
	Iterations   int64   `json:"iterations"`
	Dropped      int64   `json:"droppedIterations"`
	ScriptErrors int64   `json:"scriptErrors"`
}

// Model is everything the renderers need, computed once from a Summary.
type Model struct {
	Summary    *perf.Summary
	Duration   time.Duration
	Metrics    []*Metric
	Root       *Group
	SLI        SLI
	Buckets    []metrics.Bucket
	TrendStats []string
}

// Build computes the report model of a summary.
func Build(s *perf.Summary) (*Model, error) {
	m := &Model{Summary: s, Duration: s.Duration(), TrendStats: s.TrendStats, Buckets: s.Store.Buckets()}
	if len(m.TrendStats) == 0 {
		m.TrendStats = DefaultTrendStats
	}
	for _, st := range m.TrendStats {
		if _, err := statName(st); err != nil {
			return nil, err
		}
	}
	byKey := map[string][]metrics.Verdict{}
	for _, v := range s.Verdicts {
		byKey[v.Key] = append(byKey[v.Key], v)
	}
	used := map[string]bool{}
	for _, ser := range s.Store.Series() {
		used[ser.Metric.Name] = true
	}
	// Sub-metrics shown: those with thresholds, plus k6's default
	// http_req_duration{expected_response:true}.
	subs := map[string][]string{}
	for k := range byKey {
		name, sel, err := metrics.ParseMetricKey(k)
		if err == nil && sel != nil {
			subs[name] = append(subs[name], k)
		}
	}
	if used[metrics.HTTPReqDuration] {
		k := "http_req_duration{expected_response:true}"
		if _, ok := byKey[k]; !ok {
			subs[metrics.HTTPReqDuration] = append(subs[metrics.HTTPReqDuration], k)
		}
	}
	for _, def := range s.Store.Registry.All() {
		if !used[def.Name] {
			continue
		}
		m.Metrics = append(m.Metrics, m.metric(def.Name, nil, byKey[def.Name]))
		sort.Strings(subs[def.Name])
		for _, k := range subs[def.Name] {
			_, sel, _ := metrics.ParseMetricKey(k)
			mm := m.metric(def.Name, sel, byKey[k])
			mm.Name = k
			m.Metrics = append(m.Metrics, mm)
		}
	}
	m.Root = buildGroups(s.Store)
	m.SLI = m.sli()
	return m, nil
}

func (m *Model) metric(name string, sel map[string]string, vs []metrics.Verdict) *Metric {
	def, sink, _ := m.Summary.Store.Query(name, sel)
	out := &Metric{Name: name, Base: name, Selector: sel, Type: def.Type, Contains: def.Contains, Thresholds: vs, sink: sink, Values: map[string]float64{}}
	secs := m.Duration.Seconds()
	switch def.Type {
	case metrics.Counter:
		out.Values["count"] = sink.Sum
		if secs > 0 {
			out.Values["rate"] = sink.Sum / secs
		}
	case metrics.Gauge:
		out.Values["value"] = sink.Last
		out.Values["min"] = sink.Min
		out.Values["max"] = sink.Max
	case metrics.Rate:
		out.Values["rate"] = sink.RateValue()
		out.Values["passes"] = float64(sink.Trues)
		out.Values["fails"] = float64(sink.Count - sink.Trues)
	case metrics.Trend:
		for _, st := range m.TrendStats {
			out.Values[st] = trendStat(sink, st)
		}
	}
	return out
}

var pctRE = regexp.MustCompile(`^p\((\d+(?:\.\d+)?)\)$`)

func statName(st string) (float64, error) {
	switch st {
	case "avg", "min", "med", "max", "count":
		return 0, nil
	}
	if m := pctRE.FindStringSubmatch(st); m != nil {
		return strconv.ParseFloat(m[1], 64)
	}
	return 0, fmt.Errorf("summaryTrendStats: unknown stat %q (use avg, min, med, max, count or p(N))", st)
}

func trendStat(s *metrics.Sink, st string) float64 {
	switch st {
	case "avg":
		return s.Avg()
	case "min":
		return s.Min
	case "max":
		return s.Max
	case "med":
		return s.Percentile(50)
	case "count":
		return float64(s.Count)
	}
	p, _ := statName(st)
	return s.Percentile(p)
}

func buildGroups(st *metrics.Store) *Group {
	root := &Group{}
	nodes := map[string]*Group{"": root}
	var get func(path string) *Group
	get = func(path string) *Group {
		if g, ok := nodes[path]; ok {
			return g
		}
		i := strings.LastIndex(path, "::")
		parent := get(path[:i])
		g := &Group{Name: path[i+2:], Path: path}
		parent.Groups = append(parent.Groups, g)
		nodes[path] = g
		return g
	}
	checks := map[string]*Check{}
	series := st.Series()
	sort.SliceStable(series, func(i, j int) bool { return series[i].Seq < series[j].Seq })
	for _, ser := range series {
		if ser.Metric.Name == metrics.GroupDuration {
			if p, ok := ser.Tags.Get("group"); ok {
				get(p)
			}
			continue
		}
		if ser.Metric.Name != metrics.Checks {
			continue
		}
		name, _ := ser.Tags.Get("check")
		path, _ := ser.Tags.Get("group")
		g := get(path)
		key := path + "::" + name
		c := checks[key]
		if c == nil {
			c = &Check{Name: name, Path: key}
			checks[key] = c
			g.Checks = append(g.Checks, c)
		}
		c.Passes += ser.Sink.Trues
		c.Fails += ser.Sink.Count - ser.Sink.Trues
	}
	return root
}

func (m *Model) sli() SLI {
	st := m.Summary.Store
	var s SLI
	_, reqs, _ := st.Query(metrics.HTTPReqs, nil)
	s.Requests = int64(reqs.Sum)
	if secs := m.Duration.Seconds(); secs > 0 {
		s.RPS = reqs.Sum / secs
	}
	_, failed, _ := st.Query(metrics.HTTPReqFailed, nil)
	s.ErrorRate = failed.RateValue()
	s.Availability = 1 - s.ErrorRate
	if s.Requests == 0 {
		s.Availability = 0
	}
	_, d, _ := st.Query(metrics.HTTPReqDuration, nil)
	s.P50, s.P90, s.P95, s.P99 = d.Percentile(50), d.Percentile(90), d.Percentile(95), d.Percentile(99)
	s.Avg, s.Max = d.Avg(), d.Max
	_, c, _ := st.Query(metrics.Checks, nil)
	s.ChecksRate = c.RateValue()
	_, it, _ := st.Query(metrics.Iterations, nil)
	s.Iterations = int64(it.Sum)
	_, dr, _ := st.Query(metrics.DroppedIterations, nil)
	s.Dropped = int64(dr.Sum)
	_, se, _ := st.Query(metrics.ScriptErrors, nil)
	s.ScriptErrors = int64(se.Sum)
	return s
}

// formatValue prints a value the way k6 does for its kind.
func formatValue(v float64, c metrics.Contains) string {
	switch c {
	case metrics.Time:
		return formatMillis(v)
	case metrics.Data:
		return formatBytes(v)
	}
	return formatNumber(v)
}

func formatNumber(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func round(v float64, digits int) string {
	return strconv.FormatFloat(v, 'f', digits, 64)
}

// formatMillis prints milliseconds as k6 does: 150.6µs, 1.02ms, 2.51s, 1m2s.
func formatMillis(ms float64) string {
	switch {
	case ms == 0:
		return "0s"
	case ms < 1:
		return trimZeros(round(ms*1000, 2)) + "µs"
	case ms < 1000:
		return trimZeros(round(ms, 2)) + "ms"
	case ms < 60000:
		return trimZeros(round(ms/1000, 2)) + "s"
	}
	return (time.Duration(ms * float64(time.Millisecond))).Round(time.Millisecond).String()
}

func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func formatBytes(b float64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	i := 0
	for b >= 1000 && i < len(units)-1 {
		b /= 1000
		i++
	}
	if i == 0 {
		return formatNumber(math.Round(b)) + " B"
	}
	return trimZeros(round(b, 1)) + " " + units[i]
}

func formatRate(v float64) string {
	return trimZeros(round(v, 6))
}
