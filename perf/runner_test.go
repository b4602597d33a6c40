package perf

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gocli/gocli/perf/executor"
	"github.com/gocli/gocli/perf/js"
	"github.com/gocli/gocli/perf/metrics"
)

// shop is a small JSON API for the test scripts.
type shop struct {
	*httptest.Server
	logouts atomic.Int64
}

func newShop(t *testing.T) *shop {
	t.Helper()
	s := &shop{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /products", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"products":[{"id":1},{"id":2}]}`))
	})
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(400)
			return
		}
		w.WriteHeader(201)
	})
	mux.HandleFunc("GET /flaky", func(w http.ResponseWriter, r *http.Request) {
		i, _ := strconv.Atoi(r.URL.Query().Get("i"))
		if i%2 == 1 {
			w.WriteHeader(500)
		}
	})
	mux.HandleFunc("GET /fail", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) })
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.Form.Get("user") != "u" {
			w.WriteHeader(401)
			return
		}
		w.Write([]byte(`{"token":"t0k"}`))
	})
	mux.HandleFunc("DELETE /login", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer t0k" {
			s.logouts.Add(1)
		}
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer t0k" {
			w.WriteHeader(401)
		}
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

type logs struct {
	mu      sync.Mutex
	entries []js.LogEntry
}

func (l *logs) add(e js.LogEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, e)
}

func (l *logs) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, e := range l.entries {
		b.WriteString(e.Level + " " + e.Msg + "\n")
	}
	return b.String()
}

func run(t *testing.T, script string, mod func(*Runner)) (*Summary, *logs, error) {
	t.Helper()
	srv := newShop(t)
	l := &logs{}
	r := Runner{Script: "testdata/" + script, Env: map[string]string{"BASE_URL": srv.URL}, Log: l.add}
	if mod != nil {
		mod(&r)
	}
	sum, err := r.Run(context.Background())
	return sum, l, err
}

func total(s *Summary, name string, sel map[string]string) *metrics.Sink {
	_, k, _ := s.Store.Query(name, sel)
	return k
}

func TestRunChecksGroupsCustomMetrics(t *testing.T) {
	sum, l, err := run(t, "checks.js", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Passed() {
		t.Fatalf("thresholds failed: %+v\n%s", sum.FailedThresholds(), l.text())
	}
	if len(sum.Verdicts) != 6 {
		t.Fatalf("want 6 verdicts, got %+v", sum.Verdicts)
	}
	if got := total(sum, "http_reqs", nil).Sum; got != 20 {
		t.Errorf("http_reqs = %v, want 20", got)
	}
	if got := total(sum, "checks", map[string]string{"group": "::browse"}); got.Count != 20 || got.Trues != 20 {
		t.Errorf("browse checks %+v", got)
	}
	if got := total(sum, "http_reqs", map[string]string{"group": "::order", "name": "create-order", "status": "201", "method": "POST"}).Sum; got != 10 {
		t.Errorf("tagged order requests = %v, want 10", got)
	}
	// The phases come from httptrace and add up to the duration.
	w, d := total(sum, "http_req_waiting", nil), total(sum, "http_req_duration", nil)
	snd, rcv := total(sum, "http_req_sending", nil), total(sum, "http_req_receiving", nil)
	if w.Max <= 0 || d.Sum < w.Sum || d.Sum-(w.Sum+snd.Sum+rcv.Sum) > 1e-6*d.Sum+1e-9 {
		t.Errorf("phases: waiting %+v sending %+v receiving %+v duration %+v", w, snd, rcv, d)
	}
	if c := total(sum, "http_req_connecting", nil); c.Max <= 0 || c.Count != 20 {
		t.Errorf("connecting never measured: %+v", c)
	}
	if got := total(sum, "order_time", nil); got.Count != 10 {
		t.Errorf("order_time samples = %d", got.Count)
	}
	if sum.Interrupted {
		t.Errorf("interrupted: %s", sum.InterruptReason)
	}
}

func TestRunFailingThresholds(t *testing.T) {
	sum, _, err := run(t, "failing.js", nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Passed() {
		t.Fatal("thresholds passed, want failure")
	}
	failed := sum.FailedThresholds()
	if len(failed) != 2 {
		t.Fatalf("failed %+v", failed)
	}
	if got := total(sum, "http_req_failed", nil).RateValue(); got != 0.5 {
		t.Errorf("http_req_failed rate = %v, want 0.5", got)
	}
}

func TestRunAllExecutors(t *testing.T) {
	sum, l, err := run(t, "scenarios.js", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Passed() {
		t.Fatalf("thresholds failed: %+v\n%s", sum.FailedThresholds(), l.text())
	}
	for _, sc := range []string{"constant", "ramping", "pervu", "shared", "rate", "ramprate"} {
		if got := total(sum, "iterations", map[string]string{"scenario": sc}).Sum; got == 0 {
			t.Errorf("scenario %s ran no iteration", sc)
		}
	}
	// 50/s over 400ms schedules 20 iterations; a few may be dropped on a
	// busy machine, none may be invented.
	rate := total(sum, "iterations", map[string]string{"scenario": "rate"}).Sum
	dropped := total(sum, "dropped_iterations", map[string]string{"scenario": "rate"}).Sum
	if rate+dropped != 20 {
		t.Errorf("constant-arrival-rate: %v started + %v dropped, want 20", rate, dropped)
	}
	// 0→100/s over 400ms schedules 20 iterations.
	rr := total(sum, "iterations", map[string]string{"scenario": "ramprate"}).Sum
	rd := total(sum, "dropped_iterations", map[string]string{"scenario": "ramprate"}).Sum
	if rr+rd != 20 {
		t.Errorf("ramping-arrival-rate: %v started + %v dropped, want 20", rr, rd)
	}
}

func TestRunStages(t *testing.T) {
	sum, _, err := run(t, "stages.js", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Passed() {
		t.Fatalf("thresholds failed: %+v", sum.FailedThresholds())
	}
	if got := total(sum, "vus", nil).Max; got > 4 {
		t.Errorf("vus max %v > 4", got)
	}
}

func TestRunOverridesReplaceScenarios(t *testing.T) {
	sum, _, err := run(t, "segments.js", func(r *Runner) { r.Overrides = Overrides{VUs: 2, Iterations: 5} })
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Scenarios) != 1 || sum.Scenarios[0].Executor != "shared-iterations" {
		t.Fatalf("scenarios %+v", sum.Scenarios)
	}
	if got := total(sum, "iterations", nil).Sum; got != 5 {
		t.Fatalf("iterations %v, want 5", got)
	}
}

func TestRunAbortOnFail(t *testing.T) {
	done := make(chan struct{})
	var sum *Summary
	var err error
	go func() {
		defer close(done)
		sum, _, err = run(t, "abort.js", func(r *Runner) { r.ProgressInterval = 50 * time.Millisecond })
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("abortOnFail did not stop the run")
	}
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Interrupted || !strings.Contains(sum.InterruptReason, "abortOnFail") || sum.Passed() {
		t.Fatalf("interrupted=%v reason=%q passed=%v", sum.Interrupted, sum.InterruptReason, sum.Passed())
	}
}

func TestRunGracefulStop(t *testing.T) {
	srv := newShop(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	progress := make(chan Progress, 100)
	r := Runner{
		Script: "testdata/long.js", Env: map[string]string{"BASE_URL": srv.URL},
		ProgressInterval: 20 * time.Millisecond,
		OnProgress: func(p Progress) {
			select {
			case progress <- p:
			default:
			}
		},
	}
	type result struct {
		s   *Summary
		err error
	}
	res := make(chan result, 1)
	go func() {
		s, err := r.Run(ctx)
		res <- result{s, err}
	}()
	// Wait until requests are flowing, then stop.
	deadline := time.After(30 * time.Second)
	for waiting := true; waiting; {
		select {
		case p := <-progress:
			if p.Requests > 0 {
				if p.VUs != 2 || p.Planned != time.Hour {
					t.Errorf("progress %+v", p)
				}
				waiting = false
			}
		case <-deadline:
			t.Fatal("no progress")
		}
	}
	cancel()
	select {
	case rr := <-res:
		if rr.err != nil {
			t.Fatal(rr.err)
		}
		if !rr.s.Interrupted || rr.s.InterruptReason != "stopped by the user" {
			t.Fatalf("interrupted=%v %q", rr.s.Interrupted, rr.s.InterruptReason)
		}
		if total(rr.s, "http_reqs", nil).Sum == 0 {
			t.Fatal("summary lost the requests made before the stop")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop")
	}
}

func TestRunSetupTeardown(t *testing.T) {
	srv := newShop(t)
	sum, err := Runner{Script: "testdata/setup.js", Env: map[string]string{"BASE_URL": srv.URL}}.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Passed() {
		t.Fatalf("setup data not passed to VUs: %+v", sum.FailedThresholds())
	}
	if srv.logouts.Load() != 1 {
		t.Fatalf("teardown ran %d times with the token, want 1", srv.logouts.Load())
	}
}

func TestRunBadScripts(t *testing.T) {
	tests := []struct {
		script string
		want   string
		config bool
	}{
		{"syntax.js", "testdata/syntax.js:3:28: SyntaxError: Unexpected token ;", false},
		{"unknown_module.js", `unsupported module "k6/ws"`, false},
		{"unknown_option.js", "options not supported by gocli: hosts", true},
		{"missing.js", "no such file", false},
	}
	for _, tt := range tests {
		t.Run(tt.script, func(t *testing.T) {
			_, _, err := run(t, tt.script, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			var ce *ConfigError
			if errors.As(err, &ce) != tt.config {
				t.Fatalf("ConfigError = %v, want %v", !tt.config, tt.config)
			}
		})
	}
}

func TestRunExceptionInVU(t *testing.T) {
	sum, l, err := run(t, "exception.js", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := total(sum, "script_errors", nil).Sum; got != 3 {
		t.Errorf("script_errors = %v, want 3", got)
	}
	if got := total(sum, "http_reqs", nil).Sum; got != 6 {
		t.Errorf("http_reqs = %v, want 6: the run must go on after an exception", got)
	}
	if len(sum.Errors) != 1 || sum.Errors[0].Count != 3 || !strings.Contains(sum.Errors[0].Message, "testdata/exception.js:9:") {
		t.Errorf("errors %+v", sum.Errors)
	}
	if !strings.Contains(l.text(), "TypeError") {
		t.Errorf("exception not logged:\n%s", l.text())
	}
}

// Running the segments 1/3, 2/3 and 3/3 and merging them gives the same
// counts as a single run.
func TestSegmentsMergeLikeSingleRun(t *testing.T) {
	whole, _, err := run(t, "segments.js", nil)
	if err != nil {
		t.Fatal(err)
	}
	var parts []*Summary
	for i := 1; i <= 3; i++ {
		s, _, err := run(t, "segments.js", func(r *Runner) { r.Segment = Segment{i, 3} })
		if err != nil {
			t.Fatal(err)
		}
		if s.Passed() {
			t.Errorf("segment %d passed count==61 alone", i)
		}
		// Round-trip through the summary-export form, as perf merge does.
		b, err := json.Marshal(map[string]any{"gocli": s.Result()})
		if err != nil {
			t.Fatal(err)
		}
		back, err := ReadResults(strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, back...)
	}
	merged, err := Merge(parts...)
	if err != nil {
		t.Fatal(err)
	}
	if !whole.Passed() || !merged.Passed() {
		t.Fatalf("whole passed=%v merged passed=%v: %+v", whole.Passed(), merged.Passed(), merged.Verdicts)
	}
	for _, sel := range []map[string]string{nil, {"scenario": "shared"}, {"scenario": "pervu"}} {
		for _, m := range []string{"http_reqs", "iterations", "checks"} {
			a, b := total(whole, m, sel), total(merged, m, sel)
			if a.Count != b.Count || a.Sum != b.Sum {
				t.Errorf("%s %v: whole %+v merged %+v", m, sel, a, b)
			}
		}
	}
	if a, b := total(whole, "vus_max", nil).Max, total(merged, "vus_max", nil).Max; a != 7 || b != 7 {
		t.Errorf("vus_max: whole %v merged %v, want 7", a, b)
	}
	if _, err := Merge(parts[0], parts[0]); err == nil {
		t.Error("merging a segment twice was accepted")
	}
}

func TestSegmentShares(t *testing.T) {
	for _, total := range []int{0, 1, 7, 41, 100} {
		for n := 1; n <= 5; n++ {
			sum := 0
			for i := 1; i <= n; i++ {
				sum += Segment{i, n}.share(total)
			}
			if sum != total {
				t.Errorf("shares of %d in %d segments add up to %d", total, n, sum)
			}
		}
	}
	if _, err := ParseSegment("3/2"); err == nil {
		t.Error("3/2 accepted")
	}
}

// __ITER counts each scenario's iterations of a VU on their own.
func TestVUHandleIterPerScenario(t *testing.T) {
	prg, err := js.Compile("iter.js", []byte(`
import { Counter } from 'k6/metrics';
const iter = new Counter('iter');
export default function () { iter.add(1, { i: String(__ITER) }); }
`))
	if err != nil {
		t.Fatal(err)
	}
	reg := metrics.NewRegistry()
	store := metrics.NewStore(reg, time.Now())
	vu, err := js.NewVU(prg, &js.Env{Registry: reg, Store: store}, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(vu.Close)
	h := &vuHandle{vu: vu, iters: map[string]*int64{}}
	for _, sc := range []string{"a", "a", "b", "a", "b", "c"} {
		if err := h.RunIteration(context.Background(), sc, ""); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]map[string]float64{"a": {"0": 1, "1": 1, "2": 1}, "b": {"0": 1, "1": 1}, "c": {"0": 1}}
	for sc, iters := range want {
		for i, n := range iters {
			_, k, _ := store.Query("iter", map[string]string{"scenario": sc, "i": i})
			if k.Sum != n {
				t.Errorf("scenario %s, __ITER %s: %v iterations, want %v", sc, i, k.Sum, n)
			}
		}
		_, k, _ := store.Query("iter", map[string]string{"scenario": sc})
		if k.Sum != float64(len(iters)) {
			t.Errorf("scenario %s: %v iterations, want %v", sc, k.Sum, len(iters))
		}
	}
}

// Runner.GCPercent holds while the run lasts and the previous setting
// comes back after it.
func TestRunnerGCPercent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	t.Cleanup(srv.Close)
	prev := debug.SetGCPercent(150)
	t.Cleanup(func() { debug.SetGCPercent(prev) })
	gogc := func() uint64 {
		s := []rtmetrics.Sample{{Name: "/gc/gogc:percent"}}
		rtmetrics.Read(s)
		return s[0].Value.Uint64()
	}
	var during uint64
	_, err := Runner{
		Script:    "testdata/trivial.js",
		Env:       map[string]string{"BASE_URL": srv.URL},
		Overrides: Overrides{VUs: 1, Iterations: 1},
		GCPercent: 400,
		OnStart:   func([]executor.Config) { during = gogc() },
	}.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if during != 400 {
		t.Errorf("GOGC during the run = %d, want 400", during)
	}
	if after := gogc(); after != 150 {
		t.Errorf("GOGC after the run = %d, want 150 (restored)", after)
	}
}
