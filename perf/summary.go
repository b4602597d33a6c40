package perf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/gocli/gocli/perf/metrics"
)

// Summary is the result of a run (or of merged segment runs).
type Summary struct {
	Script          string
	Segment         string
	Interrupted     bool
	InterruptReason string
	Store           *metrics.Store
	// Thresholds are the script's threshold options, kept so that merged
	// results are evaluated again exactly.
	Thresholds map[string]json.RawMessage
	Verdicts   []metrics.Verdict
	Scenarios  []ScenarioInfo
	Errors     []ErrorCount
	TrendStats []string
}

// ScenarioInfo describes a scenario that ran.
type ScenarioInfo struct {
	Name         string        `json:"name"`
	Executor     string        `json:"executor"`
	VUs          int           `json:"vus"`
	MaxVUs       int           `json:"maxVUs"`
	Length       time.Duration `json:"length"`
	GracefulStop time.Duration `json:"gracefulStop"`
}

// ErrorCount is one distinct iteration error and how often it happened.
type ErrorCount struct {
	Message string `json:"message"`
	Count   int    `json:"count"`
}

// Passed reports whether every threshold passed.
func (s *Summary) Passed() bool {
	for _, v := range s.Verdicts {
		if !v.Passed {
			return false
		}
	}
	return true
}

// FailedThresholds returns the verdicts that failed.
func (s *Summary) FailedThresholds() []metrics.Verdict {
	var out []metrics.Verdict
	for _, v := range s.Verdicts {
		if !v.Passed {
			out = append(out, v)
		}
	}
	return out
}

// Duration is the length of the run.
func (s *Summary) Duration() time.Duration { return s.Store.Duration() }

// Result is the mergeable form of a Summary, stored under the "gocli" key
// of the summary-export JSON.
type Result struct {
	Version         int                        `json:"version"`
	Script          string                     `json:"script"`
	Segment         string                     `json:"segment,omitempty"`
	Interrupted     bool                       `json:"interrupted,omitempty"`
	InterruptReason string                     `json:"interruptReason,omitempty"`
	Thresholds      map[string]json.RawMessage `json:"thresholds,omitempty"`
	Scenarios       []ScenarioInfo             `json:"scenarios,omitempty"`
	Errors          []ErrorCount               `json:"errors,omitempty"`
	TrendStats      []string                   `json:"summaryTrendStats,omitempty"`
	Store           *metrics.Store             `json:"data"`
}

// Result returns the mergeable form of the summary.
func (s *Summary) Result() *Result {
	return &Result{
		Version: 1, Script: s.Script, Segment: s.Segment, Interrupted: s.Interrupted, InterruptReason: s.InterruptReason,
		Thresholds: s.Thresholds, Scenarios: s.Scenarios, Errors: s.Errors, TrendStats: s.TrendStats, Store: s.Store,
	}
}

// ReadResults decodes one or more summary-export documents and returns
// their results. Documents may be concatenated and mixed with log lines, as
// `kubectl logs` prints the pods of a Job: each document starts at a line
// that begins with '{'; anything between documents is skipped.
func ReadResults(r io.Reader) ([]*Summary, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	var out []*Summary
	for off := 0; off < len(data); {
		start := docStart(data, off)
		if start < 0 {
			break
		}
		dec := json.NewDecoder(bytes.NewReader(data[start:]))
		var doc struct {
			Gocli *Result `json:"gocli"`
		}
		if err := dec.Decode(&doc); err != nil {
			line := 1 + bytes.Count(data[:start], []byte("\n"))
			return nil, fmt.Errorf("result %d (line %d): %w", len(out)+1, line, err)
		}
		off = start + int(dec.InputOffset())
		if doc.Gocli == nil || doc.Gocli.Store == nil {
			return nil, fmt.Errorf("result %d has no \"gocli\" data: write it with gocli perf run --summary-export", len(out)+1)
		}
		g := doc.Gocli
		s := &Summary{Script: g.Script, Segment: g.Segment, Interrupted: g.Interrupted, InterruptReason: g.InterruptReason,
			Store: g.Store, Thresholds: g.Thresholds, Scenarios: g.Scenarios, Errors: g.Errors, TrendStats: g.TrendStats}
		if err := s.Evaluate(); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, errors.New("no results found")
	}
	return out, nil
}

// docStart returns the offset of the next line at or after off that begins
// with '{', or -1.
func docStart(data []byte, off int) int {
	for off < len(data) {
		if data[off] == '{' && (off == 0 || data[off-1] == '\n') {
			return off
		}
		nl := bytes.IndexByte(data[off:], '\n')
		if nl < 0 {
			return -1
		}
		off += nl + 1
	}
	return -1
}

// Evaluate recomputes the threshold verdicts from the store.
func (s *Summary) Evaluate() error {
	ths, err := metrics.ParseThresholds(s.Thresholds)
	if err != nil {
		return err
	}
	v, err := metrics.Evaluate(s.Store, ths)
	if err != nil {
		return err
	}
	s.Verdicts = v
	return nil
}

// Merge combines the results of execution segments into the result of the
// whole test: histograms and counters merge exactly, thresholds are
// evaluated on the merged data.
func Merge(parts ...*Summary) (*Summary, error) {
	if len(parts) == 0 {
		return nil, errors.New("nothing to merge")
	}
	first := parts[0]
	out := &Summary{
		Script:     first.Script,
		Thresholds: first.Thresholds,
		TrendStats: first.TrendStats,
		Store:      metrics.NewStore(metrics.NewRegistry(), first.Store.Start()),
	}
	seen := map[string]bool{}
	errCounts := map[string]int{}
	scen := map[string]*ScenarioInfo{}
	var names []string
	for _, p := range parts {
		if p.Segment != "" {
			if seen[p.Segment] {
				return nil, fmt.Errorf("segment %s appears twice", p.Segment)
			}
			seen[p.Segment] = true
		}
		if string(mustJSON(p.Thresholds)) != string(mustJSON(first.Thresholds)) {
			return nil, fmt.Errorf("results have different thresholds: are they segments of the same script?")
		}
		if err := out.Store.Merge(p.Store); err != nil {
			return nil, err
		}
		if p.Interrupted {
			out.Interrupted = true
			out.InterruptReason = p.InterruptReason
		}
		for _, e := range p.Errors {
			errCounts[e.Message] += e.Count
		}
		for _, sc := range p.Scenarios {
			if x, ok := scen[sc.Name]; ok {
				x.VUs += sc.VUs
				x.MaxVUs += sc.MaxVUs
			} else {
				c := sc
				scen[sc.Name] = &c
				names = append(names, sc.Name)
			}
		}
	}
	sort.Strings(names)
	for _, n := range names {
		out.Scenarios = append(out.Scenarios, *scen[n])
	}
	for m, n := range errCounts {
		out.Errors = append(out.Errors, ErrorCount{m, n})
	}
	sort.Slice(out.Errors, func(i, j int) bool { return out.Errors[i].Count > out.Errors[j].Count })
	if err := out.Evaluate(); err != nil {
		return nil, err
	}
	return out, nil
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
