// Package perf implements `gocli perf`: run k6-style load scripts (run, and
// the shorthand `gocli perf --target NAME`), merge segment results, and
// write Kubernetes manifests for distributed runs.
package perf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/gocli/gocli/internal/atomicfile"
	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/iostreams"
	"github.com/gocli/gocli/perf"
	"github.com/gocli/gocli/perf/executor"
	"github.com/gocli/gocli/perf/js"
	"github.com/gocli/gocli/perf/metrics"
	"github.com/gocli/gocli/perf/report"
)

// RunOptions are the inputs of `gocli perf run`.
type RunOptions struct {
	Factory *command.Factory

	Script     string
	Target     string
	URL        string
	VUs        int
	Duration   time.Duration
	Iterations int
	Stages     []string
	Env        []string
	// SystemEnv adds the process environment to __ENV, as k6 does.
	SystemEnv     bool
	SummaryExport string
	Reports       []string
	Baseline      string
	Quiet         bool
	NoSummary     bool
	Segment       string
	SegmentIndex  int
	SegmentCount  int
	// ProgressInterval overrides the progress period (tests).
	ProgressInterval time.Duration
}

// addRunFlags binds the flags shared by `perf run` and the `perf` shorthand.
func addRunFlags(cmd *cobra.Command, o *RunOptions) {
	fl := cmd.Flags()
	fl.StringVar(&o.Target, "target", "", "named target from gocli.yaml (perf.targets): sets __ENV.BASE_URL, __ENV.TARGET and headers")
	fl.StringVar(&o.URL, "url", "", "base URL to test (sets __ENV.BASE_URL); instead of --target")
	fl.IntVarP(&o.VUs, "vus", "u", 0, "number of virtual users")
	fl.DurationVarP(&o.Duration, "duration", "d", 0, "test duration (replaces the script's scenarios)")
	fl.IntVarP(&o.Iterations, "iterations", "i", 0, "total iterations shared by the VUs (replaces the script's scenarios)")
	fl.StringArrayVarP(&o.Stages, "stage", "s", nil, "ramping stage DURATION:TARGET, repeatable (replaces the script's scenarios)")
	fl.StringArrayVarP(&o.Env, "env", "e", nil, "KEY=VALUE added to __ENV, repeatable")
	fl.BoolVar(&o.SystemEnv, "include-system-env-vars", true, "add the process environment to __ENV")
	fl.StringVar(&o.SummaryExport, "summary-export", "", "write the summary JSON (mergeable with perf merge) to FILE, or - for stdout")
	fl.StringArrayVar(&o.Reports, "report", nil, "write an SLI report to FILE.html or FILE.md, repeatable")
	fl.StringVar(&o.Baseline, "baseline", "", "summary JSON of an earlier run: reports show deltas and flag regressions")
	fl.BoolVarP(&o.Quiet, "quiet", "q", false, "no progress output")
	fl.BoolVar(&o.NoSummary, "no-summary", false, "do not print the end-of-test summary")
	fl.StringVar(&o.Segment, "segment", "", "run only segment i/N of the load (e.g. 2/4); merge the results with perf merge")
	fl.IntVar(&o.SegmentIndex, "segment-index", -1, "0-based segment index (a Kubernetes Job's completion index); needs --segment-count")
	fl.IntVar(&o.SegmentCount, "segment-count", 0, "number of segments, with --segment-index")
}

// NewCmdRun builds `gocli perf run`.
func NewCmdRun(f *command.Factory, runF func(context.Context, *RunOptions) error) *cobra.Command {
	opts := &RunOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "run SCRIPT.js",
		Short: "Run a k6-style load test script",
		Long: `Run a load test written as a k6 script (ES modules, k6, k6/http, k6/metrics)
on gocli's own engine and print k6's end-of-test summary.

Exit codes: 0 all thresholds passed, 99 a threshold failed, 2 the script or
the flags are wrong, 130 stopped with Ctrl-C (the summary and reports are
still written).`,
		Example: `  gocli perf run load.js --url http://localhost:8080
  gocli perf run load.js --target staging --vus 50 --duration 5m
  gocli perf run load.js --stage 30s:20 --stage 1m:20 --stage 10s:0
  gocli perf run load.js --summary-export out.json --report sli.html --baseline last.json
  gocli perf run load.js --segment 2/4 --summary-export seg2.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Script = args[0]
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runRun(cmd.Context(), opts)
		},
	}
	addRunFlags(cmd, opts)
	return cmd
}

func (o *RunOptions) validate() error {
	if o.Target != "" && o.URL != "" {
		return command.FlagErrorf("--target and --url cannot be used together")
	}
	if o.VUs < 0 || o.Iterations < 0 || o.Duration < 0 {
		return command.FlagErrorf("--vus, --iterations and --duration must not be negative")
	}
	if len(o.Stages) > 0 && (o.Duration > 0 || o.Iterations > 0) {
		return command.FlagErrorf("--stage cannot be combined with --duration or --iterations")
	}
	if _, err := o.stages(); err != nil {
		return err
	}
	if _, err := o.envVars(); err != nil {
		return err
	}
	if _, err := o.segment(); err != nil {
		return err
	}
	for _, r := range o.Reports {
		if _, err := reportKind(r); err != nil {
			return err
		}
	}
	return nil
}

func reportKind(path string) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".html", ".htm":
		return "html", nil
	case ".md", ".markdown":
		return "md", nil
	}
	return "", command.FlagErrorf("--report %s: use a .html or .md file name", path)
}

func (o *RunOptions) stages() ([]executor.Stage, error) {
	var out []executor.Stage
	for _, s := range o.Stages {
		d, t, ok := strings.Cut(s, ":")
		dd, err := metrics.ParseDuration(d)
		n, err2 := strconv.Atoi(t)
		if !ok || err != nil || err2 != nil || n < 0 {
			return nil, command.FlagErrorf("--stage %q: want DURATION:TARGET, e.g. 30s:10", s)
		}
		out = append(out, executor.Stage{Duration: dd, Target: float64(n)})
	}
	return out, nil
}

func (o *RunOptions) envVars() (map[string]string, error) {
	env := map[string]string{}
	if o.SystemEnv {
		for _, kv := range os.Environ() {
			if k, v, ok := strings.Cut(kv, "="); ok {
				env[k] = v
			}
		}
	}
	for _, kv := range o.Env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, command.FlagErrorf("--env %q: want KEY=VALUE", kv)
		}
		env[k] = v
	}
	return env, nil
}

func (o *RunOptions) segment() (perf.Segment, error) {
	switch {
	case o.Segment != "" && (o.SegmentIndex >= 0 || o.SegmentCount > 0):
		return perf.Segment{}, command.FlagErrorf("use either --segment i/N or --segment-index with --segment-count")
	case o.Segment != "":
		s, err := perf.ParseSegment(o.Segment)
		if err != nil {
			return s, command.FlagErrorf("--segment: %v", err)
		}
		return s, nil
	case o.SegmentIndex >= 0 || o.SegmentCount > 0:
		if o.SegmentIndex < 0 || o.SegmentCount < 1 || o.SegmentIndex >= o.SegmentCount {
			return perf.Segment{}, command.FlagErrorf("--segment-index must be in [0, --segment-count)")
		}
		return perf.Segment{Index: o.SegmentIndex + 1, Count: o.SegmentCount}, nil
	}
	return perf.Segment{}, nil
}

// runner turns the options and configuration into a perf.Runner.
func (o *RunOptions) runner() (*perf.Runner, error) {
	env, _ := o.envVars()
	stages, _ := o.stages()
	seg, _ := o.segment()
	r := &perf.Runner{
		Script:    o.Script,
		Env:       env,
		Overrides: perf.Overrides{VUs: o.VUs, Duration: o.Duration, Iterations: o.Iterations, Stages: stages},
		Segment:   seg,
	}
	// GOGC in the environment is the user's choice (see
	// perf.DefaultGCPercent).
	if _, ok := os.LookupEnv("GOGC"); !ok {
		r.GCPercent = perf.DefaultGCPercent
	}
	switch {
	case o.URL != "":
		env["BASE_URL"] = strings.TrimRight(o.URL, "/")
		if _, ok := env["TARGET"]; !ok {
			env["TARGET"] = "url"
		}
	case o.Target != "":
		cfg, err := o.Factory.Config()
		if err != nil {
			return nil, &command.ExitError{Code: command.ExitUsage, Err: err}
		}
		t, ok := cfg.Perf.Targets[o.Target]
		if !ok {
			names := cfg.Perf.TargetNames()
			hint := "add it under perf.targets in gocli.yaml"
			if len(names) > 0 {
				hint = "known targets: " + strings.Join(names, ", ")
			}
			return nil, &command.ExitError{Code: command.ExitUsage, Err: fmt.Errorf("perf: unknown target %q", o.Target), Hint: hint}
		}
		env["BASE_URL"] = strings.TrimRight(t.BaseURL, "/")
		env["TARGET"] = o.Target
		r.Headers = t.ExpandedHeaders()
		r.InsecureSkipVerify = t.InsecureSkipVerify
	}
	return r, nil
}

// logWriter serializes console output from many VUs onto stderr.
type logWriter struct {
	mu sync.Mutex
	w  io.Writer
	cs *iostreams.ColorScheme
}

func (l *logWriter) log(e js.LogEntry) {
	level := strings.ToUpper(e.Level)
	switch e.Level {
	case "error":
		level = l.cs.Red(level)
	case "warn":
		level = l.cs.Yellow(level)
	}
	src := ""
	if e.VU > 0 {
		src = fmt.Sprintf("[vu %d] ", e.VU)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%s %s%s\n", level, src, e.Msg)
}

func runRun(ctx context.Context, o *RunOptions) error {
	r, err := o.runner()
	if err != nil {
		return err
	}
	ios := o.Factory.IO
	lw := &logWriter{w: ios.ErrOut, cs: ios.ColorScheme()}
	r.Log = lw.log
	var prog *progressLine
	if !o.Quiet {
		prog = &progressLine{io: ios, interval: o.ProgressInterval}
		r.OnStart = prog.start
		r.OnProgress = prog.update
		r.ProgressInterval = prog.period()
	}
	// The first Ctrl-C stops the test gracefully; restoring the default
	// signal handling lets a second one end the process at once.
	stopNote := context.AfterFunc(ctx, func() {
		fmt.Fprintln(ios.ErrOut, "stopping: running teardown and writing the summary (Ctrl-C again to quit at once)")
		signal.Reset(os.Interrupt, syscall.SIGTERM)
	})
	defer stopNote()
	sum, err := r.Run(ctx)
	if prog != nil {
		prog.done()
	}
	if err != nil {
		return scriptError(err)
	}
	return finish(ctx, o.Factory, sum, outputs{
		summaryExport: o.SummaryExport, reports: o.Reports, baseline: o.Baseline, noSummary: o.NoSummary,
	})
}

// scriptError maps engine errors to exit code 2 with a hint.
func scriptError(err error) error {
	var se *js.ScriptError
	var ce *perf.ConfigError
	switch {
	case errors.As(err, &se):
		return &command.ExitError{Code: command.ExitUsage, Err: fmt.Errorf("perf: script: %w", err)}
	case errors.As(err, &ce):
		return &command.ExitError{Code: command.ExitUsage, Err: fmt.Errorf("perf: options: %w", err), Hint: "see docs/perf.md for the supported options"}
	case errors.Is(err, os.ErrNotExist):
		return &command.ExitError{Code: command.ExitUsage, Err: fmt.Errorf("perf: %w", err)}
	}
	return fmt.Errorf("perf: %w", err)
}

// outputs says where a finished run's results go.
type outputs struct {
	summaryExport string
	reports       []string
	baseline      string
	noSummary     bool
}

// finish renders a summary (from run or merge) and returns the exit error.
func finish(ctx context.Context, f *command.Factory, sum *perf.Summary, out outputs) error {
	m, err := report.Build(sum)
	if err != nil {
		return &command.ExitError{Code: command.ExitUsage, Err: fmt.Errorf("perf: %w", err)}
	}
	var base *report.Model
	if out.baseline != "" {
		base, err = loadBaseline(out.baseline)
		if err != nil {
			return err
		}
	}
	ios := f.IO
	stdoutTaken := false
	if out.summaryExport != "" {
		if err := writeTo(ios, out.summaryExport, func(w io.Writer) error { return report.WriteJSON(w, m) }); err != nil {
			return err
		}
		stdoutTaken = out.summaryExport == "-"
	}
	for _, path := range out.reports {
		kind, _ := reportKind(path)
		err := writeTo(ios, path, func(w io.Writer) error {
			if kind == "html" {
				return report.WriteHTML(w, m, base)
			}
			return report.WriteMarkdown(w, m, base)
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(ios.ErrOut, "report written to %s\n", path)
	}
	switch {
	case stdoutTaken || out.noSummary:
	case f.JSONOutput():
		if err := report.WriteJSON(ios.Out, m); err != nil {
			return err
		}
	default:
		if err := report.WriteText(ios.Out, m, report.TextOptions{Color: ios.ColorEnabled()}); err != nil {
			return err
		}
	}
	if base != nil {
		for _, d := range report.Compare(m, base) {
			if d.Regression {
				f.Warnf("regression against %s: %s %s → %s", out.baseline, d.Name, d.Before, d.After)
			}
		}
	}
	if failed := sum.FailedThresholds(); len(failed) > 0 {
		names := map[string]bool{}
		var list []string
		for _, v := range failed {
			if !names[v.Key] {
				names[v.Key] = true
				list = append(list, v.Key)
			}
		}
		sort.Strings(list)
		return &command.ExitError{Code: command.ExitThresholds, Err: fmt.Errorf("perf: thresholds on metrics %s have been crossed", strings.Join(list, ", "))}
	}
	if sum.Interrupted && ctx.Err() != nil {
		return &command.ExitError{Code: 130, Err: errors.New("perf: stopped by the user; the summary covers the run until then")}
	}
	return nil
}

func loadBaseline(path string) (*report.Model, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, &command.ExitError{Code: command.ExitUsage, Err: fmt.Errorf("perf: baseline: %w", err)}
	}
	defer fh.Close()
	sums, err := perf.ReadResults(fh)
	if err == nil && len(sums) != 1 {
		err = fmt.Errorf("%d results in the file, want 1 (merge segments first)", len(sums))
	}
	if err != nil {
		return nil, &command.ExitError{Code: command.ExitUsage, Err: fmt.Errorf("perf: baseline %s: %w", path, err)}
	}
	m, err := report.Build(sums[0])
	if err != nil {
		return nil, &command.ExitError{Code: command.ExitUsage, Err: fmt.Errorf("perf: baseline %s: %w", path, err)}
	}
	return m, nil
}

// writeTo writes to a file atomically, or to stdout for "-".
func writeTo(ios *iostreams.IOStreams, path string, write func(io.Writer) error) error {
	if path == "-" {
		return write(ios.Out)
	}
	// Reports are shared as CI artifacts: the usual file mode.
	if err := atomicfile.Write(path, 0o644, write); err != nil {
		return fmt.Errorf("perf: write %s: %w", path, err)
	}
	return nil
}

// progressLine shows the run on stderr through iostreams.Progress: a bar
// of elapsed time on a terminal, periodic lines otherwise.
type progressLine struct {
	io       *iostreams.IOStreams
	interval time.Duration
	mu       sync.Mutex
	p        *iostreams.Progress
	planned  time.Duration
}

func (pl *progressLine) period() time.Duration {
	if pl.interval > 0 {
		return pl.interval
	}
	if pl.io.IsStderrTTY() {
		return 500 * time.Millisecond
	}
	return time.Second
}

func (pl *progressLine) start(scenarios []executor.Config) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	var b strings.Builder
	var planned time.Duration
	vus := 0
	for _, c := range scenarios {
		planned = max(planned, c.StartTime+c.Length())
		vus += c.MaxVUsNeeded()
	}
	fmt.Fprintf(&b, "  scenarios: %d scenario(s), %d max VUs, %s max duration (plus graceful stop):\n", len(scenarios), vus, planned)
	for _, c := range scenarios {
		fmt.Fprintf(&b, "           * %s: %s\n", c.Name, describe(c))
	}
	fmt.Fprint(pl.io.ErrOut, b.String())
	pl.planned = planned
	total := int64(-1)
	timed := false
	for _, c := range scenarios {
		// Iteration-based scenarios end when their iterations are done,
		// usually long before maxDuration: no meaningful total.
		timed = timed || (c.Executor != executor.PerVUIterations && c.Executor != executor.SharedIterations)
	}
	if planned > 0 && timed {
		total = int64(planned.Seconds())
	}
	interval := pl.interval
	if interval <= 0 {
		interval = 10 * time.Second
	}
	pl.p = pl.io.StartProgress("running", total, iostreams.ProgressOptions{Unit: "s", Interval: interval})
}

func describe(c executor.Config) string {
	switch c.Executor {
	case executor.ConstantVUs:
		return fmt.Sprintf("%d looping VUs for %s", c.VUs, c.Duration)
	case executor.RampingVUs:
		return fmt.Sprintf("up to %d looping VUs for %s over %d stages", c.MaxVUsNeeded(), c.Length(), len(c.Stages))
	case executor.PerVUIterations:
		return fmt.Sprintf("%d iterations for each of %d VUs (maxDuration %s)", c.Iterations, c.VUs, c.MaxDuration)
	case executor.SharedIterations:
		return fmt.Sprintf("%d iterations shared among %d VUs (maxDuration %s)", c.Iterations, c.VUs, c.MaxDuration)
	case executor.ConstantArrivalRate:
		return fmt.Sprintf("%g iterations/%s for %s (maxVUs %d)", c.Rate, c.TimeUnit, c.Duration, c.MaxVUs)
	case executor.RampingArrivalRate:
		return fmt.Sprintf("up to %g iterations/%s over %s (maxVUs %d)", maxTarget(c), c.TimeUnit, c.Length(), c.MaxVUs)
	}
	return c.Executor
}

func maxTarget(c executor.Config) float64 {
	m := c.StartRate
	for _, s := range c.Stages {
		m = max(m, s.Target)
	}
	return m
}

func (pl *progressLine) update(p perf.Progress) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.p == nil {
		return
	}
	elapsed := p.Elapsed.Truncate(100 * time.Millisecond).String()
	if p.Planned > 0 && p.Elapsed < p.Planned {
		elapsed += fmt.Sprintf(" (%s left)", (p.Planned - p.Elapsed).Truncate(time.Second))
	}
	desc := fmt.Sprintf("%s, VUs %d/%d, %d iters, %d reqs, %.1f req/s, %d failed",
		elapsed, p.VUs, p.VUsMax, p.Iterations, p.Requests, p.RPS, p.Failed)
	if p.Errors > 0 {
		desc += fmt.Sprintf(", %d script errors", p.Errors)
	}
	if p.Dropped > 0 {
		desc += fmt.Sprintf(", %d dropped", p.Dropped)
	}
	pl.p.Describe(desc)
	pl.p.Set(int64(p.Elapsed.Seconds()))
}

func (pl *progressLine) done() {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.p != nil {
		pl.p.Done()
	}
}
