package metrics

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Threshold is one pass/fail criterion on a metric, such as "p(95)<500".
type Threshold struct {
	Source         string        `json:"threshold"`
	AbortOnFail    bool          `json:"abortOnFail,omitempty"`
	DelayAbortEval time.Duration `json:"-"`

	agg   string
	pct   float64
	op    string
	value float64
}

var thresholdRE = regexp.MustCompile(`^\s*(count|rate|value|avg|min|max|med|p\(\s*([0-9]+(?:\.[0-9]+)?)\s*\))\s*(<=|>=|===|==|!=|<|>)\s*(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)\s*$`)

// ParseThreshold parses a threshold expression.
func ParseThreshold(src string) (*Threshold, error) {
	m := thresholdRE.FindStringSubmatch(src)
	if m == nil {
		return nil, fmt.Errorf("invalid threshold %q: want AGGREGATION OPERATOR NUMBER, e.g. \"p(95)<500\" or \"rate<0.01\"", src)
	}
	t := &Threshold{Source: src, agg: m[1], op: m[3]}
	if strings.HasPrefix(m[1], "p(") {
		t.agg = "p"
		t.pct, _ = strconv.ParseFloat(m[2], 64)
		if t.pct < 0 || t.pct > 100 {
			return nil, fmt.Errorf("invalid threshold %q: percentile must be between 0 and 100", src)
		}
	}
	t.value, _ = strconv.ParseFloat(m[4], 64)
	return t, nil
}

// validFor reports whether the aggregation exists for the metric type.
func (t *Threshold) validFor(typ Type) error {
	ok := map[Type][]string{
		Counter: {"count", "rate"},
		Gauge:   {"value"},
		Rate:    {"rate"},
		Trend:   {"avg", "min", "max", "med", "p"},
	}[typ]
	for _, a := range ok {
		if a == t.agg {
			return nil
		}
	}
	return fmt.Errorf("threshold %q: %s metrics support %s", t.Source, typ, strings.Join(ok, ", "))
}

// Aggregate returns the value the threshold compares: an aggregation of sink
// over a run of the given length.
func (t *Threshold) Aggregate(typ Type, s *Sink, d time.Duration) float64 {
	switch t.agg {
	case "count":
		return s.Sum
	case "rate":
		if typ == Counter {
			if d <= 0 {
				return 0
			}
			return s.Sum / d.Seconds()
		}
		return s.RateValue()
	case "value":
		return s.Last
	case "avg":
		return s.Avg()
	case "min":
		return s.Min
	case "max":
		return s.Max
	case "med":
		return s.Percentile(50)
	case "p":
		return s.Percentile(t.pct)
	}
	return 0
}

// Pass compares an aggregated value with the threshold.
func (t *Threshold) Pass(v float64) bool {
	switch t.op {
	case "<":
		return v < t.value
	case "<=":
		return v <= t.value
	case ">":
		return v > t.value
	case ">=":
		return v >= t.value
	case "==", "===":
		return v == t.value
	case "!=":
		return v != t.value
	}
	return false
}

// MetricThresholds are the thresholds on one metric or sub-metric.
type MetricThresholds struct {
	// Key is the name as written in the options, e.g.
	// "http_req_duration{status:200}".
	Key        string
	Metric     string
	Selector   map[string]string
	Thresholds []*Threshold
}

// ParseMetricKey splits "name{tag:value,...}" into the name and selector.
func ParseMetricKey(key string) (string, map[string]string, error) {
	key = strings.TrimSpace(key)
	open := strings.IndexByte(key, '{')
	if open < 0 {
		return key, nil, nil
	}
	if !strings.HasSuffix(key, "}") {
		return "", nil, fmt.Errorf("invalid sub-metric %q: missing closing '}'", key)
	}
	name := strings.TrimSpace(key[:open])
	body := key[open+1 : len(key)-1]
	sel := map[string]string{}
	for _, part := range strings.Split(body, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, ":")
		if !ok {
			return "", nil, fmt.Errorf("invalid sub-metric %q: want {tag:value}", key)
		}
		v = strings.Trim(strings.TrimSpace(v), `"'`)
		sel[strings.TrimSpace(k)] = v
	}
	if len(sel) == 0 {
		return "", nil, fmt.Errorf("invalid sub-metric %q: no tags", key)
	}
	return name, sel, nil
}

// ParseThresholds parses the thresholds option of a script: a map from a
// metric key to an array of expressions or {threshold, abortOnFail,
// delayAbortEval} objects.
func ParseThresholds(raw map[string]json.RawMessage) ([]*MetricThresholds, error) {
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []*MetricThresholds
	for _, key := range keys {
		name, sel, err := ParseMetricKey(key)
		if err != nil {
			return nil, err
		}
		mt := &MetricThresholds{Key: key, Metric: name, Selector: sel}
		var items []json.RawMessage
		if err := json.Unmarshal(raw[key], &items); err != nil {
			// A single string is accepted as a one-element array.
			var one string
			if err2 := json.Unmarshal(raw[key], &one); err2 != nil {
				return nil, fmt.Errorf("thresholds for %s: want an array of expressions", key)
			}
			items = []json.RawMessage{json.RawMessage(strconv.Quote(one))}
		}
		for _, it := range items {
			var src string
			var obj struct {
				Threshold      string `json:"threshold"`
				AbortOnFail    bool   `json:"abortOnFail"`
				DelayAbortEval string `json:"delayAbortEval"`
			}
			if err := json.Unmarshal(it, &src); err != nil {
				if err := json.Unmarshal(it, &obj); err != nil {
					return nil, fmt.Errorf("thresholds for %s: want a string or {threshold, abortOnFail}", key)
				}
				src = obj.Threshold
			}
			t, err := ParseThreshold(src)
			if err != nil {
				return nil, fmt.Errorf("thresholds for %s: %w", key, err)
			}
			t.AbortOnFail = obj.AbortOnFail
			if obj.DelayAbortEval != "" {
				d, err := ParseDuration(obj.DelayAbortEval)
				if err != nil {
					return nil, fmt.Errorf("thresholds for %s: delayAbortEval: %w", key, err)
				}
				t.DelayAbortEval = d
			}
			mt.Thresholds = append(mt.Thresholds, t)
		}
		out = append(out, mt)
	}
	return out, nil
}

// Verdict is the outcome of one threshold.
type Verdict struct {
	Key    string  `json:"metric"`
	Source string  `json:"threshold"`
	Value  float64 `json:"value"`
	Passed bool    `json:"passed"`
	Abort  bool    `json:"abortOnFail,omitempty"`
}

// Evaluate checks every threshold against the store. A threshold on a metric
// the script never defined is an error, as in k6.
func Evaluate(s *Store, ths []*MetricThresholds) ([]Verdict, error) {
	var out []Verdict
	d := s.Duration()
	for _, mt := range ths {
		m, sink, ok := s.Query(mt.Metric, mt.Selector)
		if !ok {
			return nil, fmt.Errorf("threshold on unknown metric %q", mt.Metric)
		}
		for _, t := range mt.Thresholds {
			if err := t.validFor(m.Type); err != nil {
				return nil, err
			}
			v := t.Aggregate(m.Type, sink, d)
			out = append(out, Verdict{Key: mt.Key, Source: t.Source, Value: v, Passed: t.Pass(v), Abort: t.AbortOnFail})
		}
	}
	return out, nil
}

// ParseDuration parses a k6 duration: Go syntax ("1m30s"), with "d" for days,
// or a bare number of milliseconds.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Duration(f * float64(time.Millisecond)), nil
	}
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	return days + d, nil
}
