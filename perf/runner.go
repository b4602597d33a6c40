package perf

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gocli/gocli/perf/executor"
	"github.com/gocli/gocli/perf/js"
	"github.com/gocli/gocli/perf/metrics"
)

// Progress is a snapshot of a running test for the live progress line.
type Progress struct {
	Elapsed    time.Duration
	Planned    time.Duration // schedule length, without graceful stops
	VUs        int64
	VUsMax     int64
	Iterations int64
	Requests   int64
	Failed     int64
	Errors     int64
	Dropped    int64
	// RPS is the request rate since the previous snapshot.
	RPS float64
}

// Runner runs one load test. Zero values mean the script's options.
type Runner struct {
	// Script is the path of the JavaScript file.
	Script string
	// Env becomes __ENV (with BASE_URL and TARGET for named targets).
	Env map[string]string
	// Overrides are command-line load settings.
	Overrides Overrides
	// Segment runs only a slice of the load.
	Segment Segment
	// InsecureSkipVerify and Headers come from the target configuration.
	InsecureSkipVerify bool
	Headers            map[string]string
	// Log receives console output and iteration errors (from VU goroutines).
	Log func(js.LogEntry)
	// OnProgress is called every ProgressInterval (default 1s) from the
	// runner's own goroutine while the test runs.
	OnProgress       func(Progress)
	ProgressInterval time.Duration
	// OnStart is called once the VUs are initialized, with the scenarios
	// that will run.
	OnStart func([]executor.Config)
	// GCPercent, when above zero, is the garbage collector's setting
	// (as GOGC) while the run lasts; the previous one is restored after.
	// The process-wide setting is the caller's to decide: a command
	// running one test sets it, a program running several side by side
	// leaves it at zero.
	GCPercent int
}

// DefaultGCPercent is the garbage collector setting `gocli perf run` uses
// unless GOGC is set. A VU's iteration allocates a few kilobytes and keeps
// little, so with Go's default of 100 a 64-VU run collected about seven
// times a second for a live heap of 6 MB; at 400 it collects a quarter as
// often, saving about 3% of the CPU time per request, and the heap grows
// to five times the live one instead of twice: with 1000 VUs looping on
// a GET, 0.18 MB of peak RSS per VU instead of 0.13 (idle VUs: no
// change). A script that keeps much per VU can set GOGC=100.
const DefaultGCPercent = 400

// ScriptError is returned for problems the user must fix in the script.
type ScriptError = js.ScriptError

// ConfigError is an invalid option, threshold or scenario.
type ConfigError struct{ Err error }

// Error returns the underlying error's message.
func (e *ConfigError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }

// pool lends initialized VUs to the executors.
type pool struct {
	mu      sync.Mutex
	idle    []*vuHandle
	all     []*vuHandle
	create  func(ctx context.Context, id int) (*js.VU, error)
	setup   json.RawMessage
	created atomic.Int64
}

type vuHandle struct {
	vu    *js.VU
	iters map[string]*int64 // per scenario, for __ITER
	// scenario and iter are the last scenario run and its counter: a VU
	// usually stays in one, and two map operations per iteration showed
	// in profiles.
	scenario string
	iter     *int64
}

// RunIteration runs one iteration with the VU's own __ITER for the scenario.
func (h *vuHandle) RunIteration(ctx context.Context, scenario, exec string) error {
	if h.iter == nil || scenario != h.scenario {
		p := h.iters[scenario]
		if p == nil {
			p = new(int64)
			h.iters[scenario] = p
		}
		h.scenario, h.iter = scenario, p
	}
	n := *h.iter
	*h.iter = n + 1
	return h.vu.RunIteration(ctx, js.Iteration{Scenario: scenario, Exec: exec, Iter: n})
}

func (p *pool) Get() (executor.VU, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle) == 0 {
		return nil, false
	}
	h := p.idle[len(p.idle)-1]
	p.idle = p.idle[:len(p.idle)-1]
	return h, true
}

func (p *pool) New(ctx context.Context) (executor.VU, error) {
	id := int(p.created.Add(1))
	vu, err := p.create(ctx, id)
	if err != nil {
		p.created.Add(-1)
		return nil, err
	}
	if err := vu.SetSetupData(p.setup); err != nil {
		return nil, err
	}
	h := &vuHandle{vu: vu, iters: map[string]*int64{}}
	p.mu.Lock()
	p.all = append(p.all, h)
	p.mu.Unlock()
	return h, nil
}

func (p *pool) Put(v executor.VU) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.idle = append(p.idle, v.(*vuHandle))
}

func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, h := range p.all {
		h.vu.Close()
	}
}

// prefill initializes n VUs before the test starts, on all cores.
func (p *pool) prefill(ctx context.Context, n int) error {
	jobs := make(chan struct{})
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				v, err := p.New(ctx)
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					continue
				}
				p.Put(v)
			}
		}()
	}
	for i := 0; i < n; i++ {
		select {
		case jobs <- struct{}{}:
		case err := <-errs:
			close(jobs)
			wg.Wait()
			return err
		case <-ctx.Done():
			close(jobs)
			wg.Wait()
			return ctx.Err()
		}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// Run runs the test. It returns a Summary whenever the test ran, even when
// ctx was cancelled (Summary.Interrupted); errors are for scripts and
// options that could not run.
func (r Runner) Run(ctx context.Context) (*Summary, error) {
	if r.GCPercent > 0 {
		defer debug.SetGCPercent(debug.SetGCPercent(r.GCPercent))
	}
	prg, err := js.CompileFile(r.Script)
	if err != nil {
		return nil, err
	}
	reg := metrics.NewRegistry()
	store := metrics.NewStore(reg, time.Now())
	env := &js.Env{Registry: reg, Store: store, Vars: r.Env, Log: newWarnLimiter(r.Log)}
	if env.Vars == nil {
		env.Vars = map[string]string{}
	}
	// VU 0 evaluates the init context once to read the options; it then
	// runs setup() and teardown().
	vu0, err := js.NewVU(prg, env, 0)
	if err != nil {
		return nil, err
	}
	raw, err := vu0.Options()
	if err != nil {
		return nil, err
	}
	opts, err := ParseOptions(raw)
	if err != nil {
		return nil, &ConfigError{err}
	}
	ths, err := metrics.ParseThresholds(opts.Thresholds)
	if err != nil {
		return nil, &ConfigError{err}
	}
	for _, mt := range ths {
		if _, ok := reg.Get(mt.Metric); !ok {
			return nil, &ConfigError{fmt.Errorf("threshold on %q: no such metric (custom metrics must be created in the init context)", mt.Key)}
		}
	}
	all, err := opts.ScenarioConfigs(r.Overrides)
	if err != nil {
		return nil, &ConfigError{err}
	}
	var scenarios []executor.Config
	for _, c := range all {
		if err := c.Validate(); err != nil {
			return nil, &ConfigError{err}
		}
		if !vu0.Has(c.Exec) {
			return nil, &ConfigError{fmt.Errorf("scenario %q: the script exports no function %q", c.Name, c.Exec)}
		}
		if c, ok := r.Segment.Apply(c); ok {
			scenarios = append(scenarios, c)
		}
	}
	env.HTTP = js.HTTPOptions{
		InsecureSkipVerify: r.InsecureSkipVerify || opts.InsecureSkipTLSVerify,
		Headers:            r.Headers,
		MaxRedirects:       10,
		DiscardBodies:      opts.DiscardResponseBodies,
		UserAgent:          opts.UserAgent,
		Batch:              opts.Batch,
	}
	if opts.MaxRedirects != nil {
		env.HTTP.MaxRedirects = *opts.MaxRedirects
	}
	env.Tags = opts.Tags
	vu0.Close()
	// Setup and teardown get a fresh VU with the HTTP options applied.
	vu0, err = js.NewVU(prg, env, 0)
	if err != nil {
		return nil, err
	}
	defer vu0.Close()

	sum := &Summary{
		Script:     r.Script,
		Segment:    r.Segment.String(),
		Store:      store,
		Thresholds: opts.Thresholds,
		TrendStats: opts.SummaryTrendStats,
	}
	for _, c := range scenarios {
		sum.Scenarios = append(sum.Scenarios, ScenarioInfo{Name: c.Name, Executor: c.Executor, VUs: c.MaxVUsNeeded(), MaxVUs: max(c.MaxVUs, c.MaxVUsNeeded()), Length: c.Length(), GracefulStop: c.GracefulStop})
	}
	errLog := newErrorLog(r.Log)
	p := &pool{create: func(_ context.Context, id int) (*js.VU, error) { return js.NewVU(prg, env, id) }}
	defer p.close()

	runCtx, cancelRun := context.WithCancelCause(ctx)
	defer cancelRun(nil)

	setupTimeout, _ := dur("setupTimeout", opts.SetupTimeout)
	if setupTimeout <= 0 {
		setupTimeout = 60 * time.Second
	}
	if vu0.Has("setup") {
		sctx, cancel := context.WithTimeout(runCtx, setupTimeout)
		data, err := vu0.Call(sctx, "setup", nil)
		cancel()
		if err != nil {
			if errors.Is(err, js.ErrInterrupted) && ctx.Err() != nil {
				sum.Interrupted, sum.InterruptReason = true, "stopped during setup()"
				return r.finish(sum, ths, store)
			}
			return nil, fmt.Errorf("setup(): %w", err)
		}
		p.setup = data
	}

	need := 0
	var planned time.Duration
	for _, c := range scenarios {
		need += c.MaxVUsNeeded()
		planned = max(planned, c.StartTime+c.Length())
	}
	if err := p.prefill(runCtx, need); err != nil {
		if ctx.Err() != nil {
			sum.Interrupted, sum.InterruptReason = true, "stopped while initializing VUs"
			return r.finish(sum, ths, store)
		}
		return nil, err
	}
	if r.OnStart != nil {
		r.OnStart(scenarios)
	}

	var active atomic.Int64
	var droppedMetric, vusMetric, vusMaxMetric *metrics.Metric
	droppedMetric, _ = reg.Get(metrics.DroppedIterations)
	vusMetric, _ = reg.Get(metrics.VUs)
	vusMaxMetric, _ = reg.Get(metrics.VUsMax)
	start := time.Now()
	store.Add(start, metrics.Sample{Metric: vusMaxMetric, Value: float64(p.created.Load())})

	var wg sync.WaitGroup
	for _, c := range scenarios {
		scTags := metrics.NewTagSet(map[string]string{"scenario": c.Name})
		xenv := executor.Env{
			Pool: p,
			Dropped: func(n int) {
				store.Add(time.Now(), metrics.Sample{Metric: droppedMetric, Tags: scTags, Value: float64(n)})
			},
			IterationError: errLog.add,
			Active:         &active,
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := executor.Run(runCtx, c, xenv); err != nil {
				errLog.add(err)
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()

	interval := r.ProgressInterval
	if interval <= 0 {
		interval = time.Second
	}
	// VU gauges and abortOnFail are sampled often; progress is reported
	// every interval.
	sample := min(interval, 100*time.Millisecond)
	tick := time.NewTicker(sample)
	defer tick.Stop()
	var lastReqs int64
	lastTick := start
	var abortReason string
	var sinceAbortCheck time.Duration
loop:
	for {
		select {
		case <-done:
			break loop
		case now := <-tick.C:
			store.Add(now,
				metrics.Sample{Metric: vusMetric, Value: float64(active.Load())},
				metrics.Sample{Metric: vusMaxMetric, Value: float64(p.created.Load())})
			if sinceAbortCheck += sample; sinceAbortCheck >= time.Second || interval < time.Second {
				sinceAbortCheck = 0
				if reason := r.checkAbort(store, ths, now.Sub(start)); reason != "" && abortReason == "" {
					abortReason = reason
					cancelRun(errors.New(reason))
				}
			}
			if r.OnProgress != nil && now.Sub(lastTick) >= interval-sample/2 {
				pr := progressOf(store, now.Sub(start), planned)
				pr.VUs, pr.VUsMax = active.Load(), p.created.Load()
				pr.RPS = float64(pr.Requests-lastReqs) / now.Sub(lastTick).Seconds()
				lastReqs, lastTick = pr.Requests, now
				r.OnProgress(pr)
			}
		}
	}
	end := time.Now()
	store.Add(end, metrics.Sample{Metric: vusMaxMetric, Value: float64(p.created.Load())})
	store.SetEnd(end)
	switch {
	case abortReason != "":
		sum.Interrupted, sum.InterruptReason = true, abortReason
	case ctx.Err() != nil:
		sum.Interrupted, sum.InterruptReason = true, "stopped by the user"
	}
	if vu0.Has("teardown") {
		// Teardown runs even after an interruption, with its own time limit.
		tdTimeout, _ := dur("teardownTimeout", opts.TeardownTimeout)
		if tdTimeout <= 0 {
			tdTimeout = 60 * time.Second
		}
		tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tdTimeout)
		if _, err := vu0.Call(tctx, "teardown", p.setup); err != nil {
			errLog.add(fmt.Errorf("teardown(): %w", err))
		}
		cancel()
	}
	sum.Errors = errLog.list()
	return r.finish(sum, ths, store)
}

func (r Runner) finish(sum *Summary, ths []*metrics.MetricThresholds, store *metrics.Store) (*Summary, error) {
	if store.Duration() <= 0 {
		store.SetEnd(time.Now())
	}
	v, err := metrics.Evaluate(store, ths)
	if err != nil {
		return nil, &ConfigError{err}
	}
	sum.Verdicts = v
	return sum, nil
}

// checkAbort evaluates thresholds with abortOnFail and returns why the run
// must stop, or "".
func (r Runner) checkAbort(store *metrics.Store, ths []*metrics.MetricThresholds, elapsed time.Duration) string {
	var abort []*metrics.MetricThresholds
	for _, mt := range ths {
		var ts []*metrics.Threshold
		for _, t := range mt.Thresholds {
			if t.AbortOnFail && elapsed >= t.DelayAbortEval {
				ts = append(ts, t)
			}
		}
		if len(ts) > 0 {
			abort = append(abort, &metrics.MetricThresholds{Key: mt.Key, Metric: mt.Metric, Selector: mt.Selector, Thresholds: ts})
		}
	}
	if len(abort) == 0 {
		return ""
	}
	vs, err := metrics.Evaluate(store, abort)
	if err != nil {
		return ""
	}
	for _, v := range vs {
		if !v.Passed {
			return fmt.Sprintf("threshold %s %q failed with abortOnFail", v.Key, v.Source)
		}
	}
	return ""
}

func progressOf(s *metrics.Store, elapsed, planned time.Duration) Progress {
	return Progress{
		Elapsed:    elapsed,
		Planned:    planned,
		Iterations: int64(s.Total(metrics.Iterations)),
		Requests:   int64(s.Total(metrics.HTTPReqs)),
		Failed:     int64(s.Total(metrics.HTTPReqFailed)),
		Errors:     int64(s.Total(metrics.ScriptErrors)),
		Dropped:    int64(s.Total(metrics.DroppedIterations)),
	}
}

// errorLog counts iteration errors by message and logs the first few of
// each, so a failing script does not flood the terminal.
type errorLog struct {
	mu     sync.Mutex
	counts map[string]int
	order  []string
	log    func(js.LogEntry)
}

const logPerMessage = 3

func newErrorLog(log func(js.LogEntry)) *errorLog {
	return &errorLog{counts: map[string]int{}, log: log}
}

func (l *errorLog) add(err error) {
	msg := err.Error()
	l.mu.Lock()
	l.counts[msg]++
	n := l.counts[msg]
	if n == 1 {
		l.order = append(l.order, msg)
	}
	l.mu.Unlock()
	if l.log != nil && n <= logPerMessage {
		suffix := ""
		if n == logPerMessage {
			suffix = " (further occurrences are counted, not logged)"
		}
		l.log(js.LogEntry{Level: "error", Msg: msg + suffix})
	}
}

func (l *errorLog) list() []ErrorCount {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]ErrorCount, 0, len(l.order))
	for _, m := range l.order {
		out = append(out, ErrorCount{Message: m, Count: l.counts[m]})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out
}

// newWarnLimiter passes console output through but logs each distinct
// engine warning (such as a failed request) only a few times: a target that
// is down would otherwise print one line per request.
func newWarnLimiter(log func(js.LogEntry)) func(js.LogEntry) {
	if log == nil {
		return nil
	}
	var mu sync.Mutex
	seen := map[string]int{}
	return func(e js.LogEntry) {
		if e.Level != "warn" {
			log(e)
			return
		}
		mu.Lock()
		seen[e.Msg]++
		n := seen[e.Msg]
		mu.Unlock()
		switch {
		case n < logPerMessage:
			log(e)
		case n == logPerMessage:
			e.Msg += " (further occurrences are not logged)"
			log(e)
		}
	}
}
