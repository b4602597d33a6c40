package perf

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gocli/gocli/perf/executor"
	"github.com/gocli/gocli/perf/metrics"
)

// Options are the script's exported options that gocli understands.
type Options struct {
	VUs                   *int                       `json:"vus"`
	Duration              string                     `json:"duration"`
	Iterations            *int                       `json:"iterations"`
	Stages                []StageJSON                `json:"stages"`
	Scenarios             map[string]ScenarioJSON    `json:"scenarios"`
	Thresholds            map[string]json.RawMessage `json:"thresholds"`
	MaxRedirects          *int                       `json:"maxRedirects"`
	InsecureSkipTLSVerify bool                       `json:"insecureSkipTLSVerify"`
	DiscardResponseBodies bool                       `json:"discardResponseBodies"`
	UserAgent             string                     `json:"userAgent"`
	Batch                 int                        `json:"batch"`
	BatchPerHost          int                        `json:"batchPerHost"`
	Tags                  map[string]string          `json:"tags"`
	SetupTimeout          string                     `json:"setupTimeout"`
	TeardownTimeout       string                     `json:"teardownTimeout"`
	SummaryTrendStats     []string                   `json:"summaryTrendStats"`
	HTTPDebug             string                     `json:"httpDebug"`
	NoConnectionReuse     bool                       `json:"noConnectionReuse"`
	Ext                   json.RawMessage            `json:"ext"`
	Cloud                 json.RawMessage            `json:"cloud"`
}

// StageJSON is one element of options.stages.
type StageJSON struct {
	Duration string  `json:"duration"`
	Target   float64 `json:"target"`
}

// ScenarioJSON is one element of options.scenarios.
type ScenarioJSON struct {
	Executor         string            `json:"executor"`
	Exec             string            `json:"exec"`
	StartTime        string            `json:"startTime"`
	GracefulStop     string            `json:"gracefulStop"`
	VUs              int               `json:"vus"`
	Iterations       int               `json:"iterations"`
	Duration         string            `json:"duration"`
	MaxDuration      string            `json:"maxDuration"`
	StartVUs         int               `json:"startVUs"`
	Stages           []StageJSON       `json:"stages"`
	GracefulRampDown string            `json:"gracefulRampDown"`
	Rate             float64           `json:"rate"`
	StartRate        float64           `json:"startRate"`
	TimeUnit         string            `json:"timeUnit"`
	PreAllocatedVUs  int               `json:"preAllocatedVUs"`
	MaxVUs           int               `json:"maxVUs"`
	Tags             map[string]string `json:"tags"`
	Env              map[string]string `json:"env"`
}

// ParseOptions decodes exported options. An option gocli does not know is
// an error naming it rather than something silently ignored.
func ParseOptions(raw json.RawMessage) (*Options, error) {
	o := &Options{}
	if len(raw) == 0 || string(raw) == "null" {
		return o, nil
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return nil, fmt.Errorf("options must be an object: %w", err)
	}
	known := map[string]bool{}
	for _, k := range jsonFields(Options{}) {
		known[k] = true
	}
	var unknown []string
	for k := range keys {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("options not supported by gocli: %s", strings.Join(unknown, ", "))
	}
	if err := json.Unmarshal(raw, o); err != nil {
		return nil, fmt.Errorf("options: %w", err)
	}
	if o.HTTPDebug != "" || o.NoConnectionReuse {
		return nil, fmt.Errorf("options not supported by gocli: httpDebug, noConnectionReuse")
	}
	for name, sc := range o.Scenarios {
		if len(sc.Env) > 0 {
			return nil, fmt.Errorf("scenario %q: env is not supported by gocli; use __ENV with -e", name)
		}
	}
	return o, nil
}

func jsonFields(v any) []string {
	b, _ := json.Marshal(v)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func dur(field, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := metrics.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", field, err)
	}
	return d, nil
}

func stages(field string, in []StageJSON) ([]executor.Stage, error) {
	out := make([]executor.Stage, len(in))
	for i, s := range in {
		d, err := dur(fmt.Sprintf("%s[%d].duration", field, i), s.Duration)
		if err != nil {
			return nil, err
		}
		out[i] = executor.Stage{Duration: d, Target: s.Target}
	}
	return out, nil
}

// Overrides are command-line settings; they win over the script's options
// and, like k6's, replace its scenarios when they change the load shape.
type Overrides struct {
	VUs        int
	Duration   time.Duration
	Iterations int
	Stages     []executor.Stage
}

func (ov Overrides) shapes() bool {
	return ov.Duration > 0 || ov.Iterations > 0 || len(ov.Stages) > 0
}

// ScenarioConfigs turns options and overrides into executor configurations,
// sorted by name.
func (o *Options) ScenarioConfigs(ov Overrides) ([]executor.Config, error) {
	if len(o.Scenarios) > 0 && !ov.shapes() {
		if ov.VUs > 0 {
			return nil, fmt.Errorf("--vus cannot change a script with scenarios; use --duration, --iterations or --stage to replace them")
		}
		names := make([]string, 0, len(o.Scenarios))
		for n := range o.Scenarios {
			names = append(names, n)
		}
		sort.Strings(names)
		var out []executor.Config
		for _, n := range names {
			c, err := o.Scenarios[n].config(n)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		return out, nil
	}
	vus := 1
	if o.VUs != nil {
		vus = *o.VUs
	}
	if ov.VUs > 0 {
		vus = ov.VUs
	}
	iterations := 0
	if o.Iterations != nil {
		iterations = *o.Iterations
	}
	d, err := dur("duration", o.Duration)
	if err != nil {
		return nil, err
	}
	st, err := stages("stages", o.Stages)
	if err != nil {
		return nil, err
	}
	if ov.shapes() {
		iterations, d, st = ov.Iterations, ov.Duration, ov.Stages
	}
	c := executor.Config{Name: "default", Exec: "default"}
	switch {
	case len(st) > 0:
		c.Executor, c.StartVUs, c.Stages = executor.RampingVUs, vus, st
	case iterations > 0:
		c.Executor, c.VUs, c.Iterations, c.MaxDuration = executor.SharedIterations, vus, iterations, d
	case d > 0:
		c.Executor, c.VUs, c.Duration = executor.ConstantVUs, vus, d
	default:
		// Neither duration nor iterations: one iteration on each VU.
		c.Executor, c.VUs, c.Iterations = executor.PerVUIterations, vus, 1
	}
	return []executor.Config{c}, nil
}

func (s ScenarioJSON) config(name string) (executor.Config, error) {
	c := executor.Config{
		Name: name, Executor: s.Executor, Exec: s.Exec,
		VUs: s.VUs, Iterations: s.Iterations, StartVUs: s.StartVUs,
		Rate: s.Rate, StartRate: s.StartRate, PreAllocatedVUs: s.PreAllocatedVUs, MaxVUs: s.MaxVUs,
	}
	if c.Exec == "" {
		c.Exec = "default"
	}
	if len(s.Tags) > 0 {
		return c, fmt.Errorf("scenario %q: tags are not supported by gocli", name)
	}
	var err error
	for _, f := range []struct {
		name string
		src  string
		dst  *time.Duration
	}{
		{"startTime", s.StartTime, &c.StartTime},
		{"gracefulStop", s.GracefulStop, &c.GracefulStop},
		{"duration", s.Duration, &c.Duration},
		{"maxDuration", s.MaxDuration, &c.MaxDuration},
		{"gracefulRampDown", s.GracefulRampDown, &c.GracefulRampDown},
		{"timeUnit", s.TimeUnit, &c.TimeUnit},
	} {
		if *f.dst, err = dur("scenario "+name+" "+f.name, f.src); err != nil {
			return c, err
		}
	}
	if s.GracefulStop == "0s" || s.GracefulStop == "0" {
		c.GracefulStop = -1
	}
	if c.Stages, err = stages("scenario "+name+" stages", s.Stages); err != nil {
		return c, err
	}
	if err := c.Validate(); err != nil {
		return c, err
	}
	return c, nil
}

// Segment is one slice of the load, like k6's execution segments: Index
// (1-based) of Count equal parts.
type Segment struct {
	Index, Count int
}

// ParseSegment parses "i/N".
func ParseSegment(s string) (Segment, error) {
	var seg Segment
	if _, err := fmt.Sscanf(s, "%d/%d", &seg.Index, &seg.Count); err != nil {
		return seg, fmt.Errorf("invalid segment %q: want i/N, e.g. 2/4", s)
	}
	if seg.Count < 1 || seg.Index < 1 || seg.Index > seg.Count {
		return seg, fmt.Errorf("invalid segment %q: want 1 <= i <= N", s)
	}
	return seg, nil
}

// String returns "i/N", or "" for the whole run.
func (s Segment) String() string {
	if s.Count <= 1 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// share returns this segment's part of an integer total; the parts of all
// segments add up to total exactly.
func (s Segment) share(total int) int {
	if s.Count <= 1 {
		return total
	}
	return total*s.Index/s.Count - total*(s.Index-1)/s.Count
}

// Apply scales a scenario to the segment. ok is false when the segment has
// no part of it.
func (s Segment) Apply(c executor.Config) (executor.Config, bool) {
	if s.Count <= 1 {
		return c, true
	}
	n := float64(s.Count)
	switch c.Executor {
	case executor.ConstantVUs, executor.PerVUIterations:
		c.VUs = s.share(c.VUs)
		return c, c.VUs > 0
	case executor.SharedIterations:
		c.Iterations = s.share(c.Iterations)
		c.VUs = min(s.share(c.VUs), c.Iterations)
		if c.VUs == 0 && c.Iterations > 0 {
			c.VUs = 1
		}
		return c, c.Iterations > 0
	case executor.RampingVUs:
		c.StartVUs = s.share(c.StartVUs)
		st := make([]executor.Stage, len(c.Stages))
		any := c.StartVUs > 0
		for i, x := range c.Stages {
			st[i] = executor.Stage{Duration: x.Duration, Target: float64(s.share(int(x.Target)))}
			any = any || st[i].Target > 0
		}
		c.Stages = st
		return c, any
	case executor.ConstantArrivalRate, executor.RampingArrivalRate:
		c.Rate /= n
		c.StartRate /= n
		st := make([]executor.Stage, len(c.Stages))
		for i, x := range c.Stages {
			st[i] = executor.Stage{Duration: x.Duration, Target: x.Target / n}
		}
		c.Stages = st
		c.PreAllocatedVUs = max(1, s.share(c.PreAllocatedVUs))
		c.MaxVUs = max(c.PreAllocatedVUs, s.share(c.MaxVUs))
		return c, true
	}
	return c, true
}
