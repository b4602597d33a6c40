package metrics

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode"
)

// Type is the kind of aggregation a metric uses.
type Type int

// The four metric types of k6 scripts.
const (
	Counter Type = iota
	Gauge
	Rate
	Trend
)

// String returns the lower-case name of the type as k6 prints it.
func (t Type) String() string {
	switch t {
	case Counter:
		return "counter"
	case Gauge:
		return "gauge"
	case Rate:
		return "rate"
	case Trend:
		return "trend"
	}
	return fmt.Sprintf("type(%d)", int(t))
}

// ParseType is the inverse of Type.String.
func ParseType(s string) (Type, error) {
	switch s {
	case "counter":
		return Counter, nil
	case "gauge":
		return Gauge, nil
	case "rate":
		return Rate, nil
	case "trend":
		return Trend, nil
	}
	return 0, fmt.Errorf("unknown metric type %q", s)
}

// Contains says what unit the values of a metric are in, which decides how
// they are printed.
type Contains int

// Value kinds.
const (
	Default Contains = iota
	Time             // milliseconds
	Data             // bytes
)

// String returns the k6 name of the value kind.
func (c Contains) String() string {
	switch c {
	case Time:
		return "time"
	case Data:
		return "data"
	}
	return "default"
}

func parseContains(s string) Contains {
	switch s {
	case "time":
		return Time
	case "data":
		return Data
	}
	return Default
}

// Metric is a named measurement. Metrics are created once and shared by all
// virtual users through a Registry.
type Metric struct {
	Name     string
	Type     Type
	Contains Contains
}

// Names of the metrics the engine itself emits.
const (
	HTTPReqs              = "http_reqs"
	HTTPReqDuration       = "http_req_duration"
	HTTPReqBlocked        = "http_req_blocked"
	HTTPReqConnecting     = "http_req_connecting"
	HTTPReqTLSHandshaking = "http_req_tls_handshaking"
	HTTPReqSending        = "http_req_sending"
	HTTPReqWaiting        = "http_req_waiting"
	HTTPReqReceiving      = "http_req_receiving"
	HTTPReqFailed         = "http_req_failed"
	Iterations            = "iterations"
	IterationDuration     = "iteration_duration"
	DroppedIterations     = "dropped_iterations"
	VUs                   = "vus"
	VUsMax                = "vus_max"
	DataSent              = "data_sent"
	DataReceived          = "data_received"
	Checks                = "checks"
	GroupDuration         = "group_duration"
	ScriptErrors          = "script_errors"
)

// validName reports whether name is a valid metric name: 1-128 letters,
// digits and a few punctuation characters. A loop rather than a regexp:
// the equivalent bounded Unicode class compiles to megabytes at start-up.
func validName(name string) bool {
	n := 0
	for _, r := range name {
		n++
		if n > 128 || !(unicode.IsLetter(r) || unicode.IsNumber(r) || strings.ContainsRune("._ !?/&#()<>%-", r)) {
			return false
		}
	}
	return n > 0
}

// Registry holds the metric definitions of one test run.
type Registry struct {
	mu      sync.RWMutex
	metrics map[string]*Metric
}

// NewRegistry returns a registry with the built-in metrics defined.
func NewRegistry() *Registry {
	r := &Registry{metrics: make(map[string]*Metric)}
	for _, m := range []Metric{
		{HTTPReqs, Counter, Default},
		{HTTPReqDuration, Trend, Time},
		{HTTPReqBlocked, Trend, Time},
		{HTTPReqConnecting, Trend, Time},
		{HTTPReqTLSHandshaking, Trend, Time},
		{HTTPReqSending, Trend, Time},
		{HTTPReqWaiting, Trend, Time},
		{HTTPReqReceiving, Trend, Time},
		{HTTPReqFailed, Rate, Default},
		{Iterations, Counter, Default},
		{IterationDuration, Trend, Time},
		{DroppedIterations, Counter, Default},
		{VUs, Gauge, Default},
		{VUsMax, Gauge, Default},
		{DataSent, Counter, Data},
		{DataReceived, Counter, Data},
		{Checks, Rate, Default},
		{GroupDuration, Trend, Time},
		{ScriptErrors, Counter, Default},
	} {
		m := m
		r.metrics[m.Name] = &m
	}
	return r
}

// New defines a metric, or returns the existing one when a metric of that
// name and type exists already (every VU runs the init code that defines
// custom metrics).
func (r *Registry) New(name string, typ Type, contains Contains) (*Metric, error) {
	if !validName(name) {
		return nil, fmt.Errorf("invalid metric name %q: use 1-128 letters, digits, '_', '.', '-' or spaces", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if m, ok := r.metrics[name]; ok {
		if m.Type != typ || m.Contains != contains {
			return nil, fmt.Errorf("metric %q is already defined as a %s", name, m.Type)
		}
		return m, nil
	}
	m := &Metric{Name: name, Type: typ, Contains: contains}
	r.metrics[name] = m
	return m, nil
}

// Get returns the metric with the given name.
func (r *Registry) Get(name string) (*Metric, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	m, ok := r.metrics[name]
	return m, ok
}

// All returns the defined metrics sorted by name.
func (r *Registry) All() []*Metric {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]*Metric, 0, len(r.metrics))
	for _, m := range r.metrics {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Tag is one key/value pair attached to a sample.
type Tag struct {
	Key, Value string
}

// TagSet is an immutable, sorted set of tags. Its Key is a canonical string
// that identifies the series a sample belongs to.
type TagSet struct {
	tags []Tag
	key  string
}

// NewTagSet builds a tag set from a map; empty values are dropped.
func NewTagSet(m map[string]string) *TagSet {
	tags := make([]Tag, 0, len(m))
	for k, v := range m {
		if v == "" {
			continue
		}
		tags = append(tags, Tag{k, v})
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
	var b strings.Builder
	for _, t := range tags {
		b.WriteString(t.Key)
		b.WriteByte('=')
		b.WriteString(t.Value)
		b.WriteByte(0)
	}
	return &TagSet{tags: tags, key: b.String()}
}

// Key returns the canonical identity of the set.
func (s *TagSet) Key() string {
	if s == nil {
		return ""
	}
	return s.key
}

// Get returns the value of a tag.
func (s *TagSet) Get(key string) (string, bool) {
	if s == nil {
		return "", false
	}
	for _, t := range s.tags {
		if t.Key == key {
			return t.Value, true
		}
	}
	return "", false
}

// Map returns the tags as a new map.
func (s *TagSet) Map() map[string]string {
	m := make(map[string]string)
	if s == nil {
		return m
	}
	for _, t := range s.tags {
		m[t.Key] = t.Value
	}
	return m
}

// Matches reports whether every tag of sel is present in s with the same value.
func (s *TagSet) Matches(sel map[string]string) bool {
	for k, v := range sel {
		got, ok := s.Get(k)
		if !ok || got != v {
			return false
		}
	}
	return true
}

// Sample is one measured value.
type Sample struct {
	Metric *Metric
	Tags   *TagSet
	Value  float64
}
