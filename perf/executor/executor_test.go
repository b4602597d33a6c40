package executor

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type fakeVU struct {
	pool *fakePool
	id   int
}

func (v *fakeVU) RunIteration(ctx context.Context, scenario, exec string) error {
	// The iteration's own number: reading the counter again later could
	// see another VU's increment.
	n := v.pool.iters.Add(1)
	if d := v.pool.iterTime; d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			v.pool.interrupted.Add(1)
			return ctx.Err()
		}
	}
	if v.pool.failEvery > 0 && n%int64(v.pool.failEvery) == 0 {
		return errors.New("boom")
	}
	return nil
}

type fakePool struct {
	mu          sync.Mutex
	idle        []VU
	created     int
	iterTime    time.Duration
	failEvery   int
	iters       atomic.Int64
	interrupted atomic.Int64
	dropped     atomic.Int64
	errs        atomic.Int64
	active      atomic.Int64
	maxActive   atomic.Int64
}

func (p *fakePool) Get() (VU, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle) == 0 {
		return nil, false
	}
	v := p.idle[len(p.idle)-1]
	p.idle = p.idle[:len(p.idle)-1]
	return v, true
}

func (p *fakePool) New(context.Context) (VU, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.created++
	return &fakeVU{pool: p, id: p.created}, nil
}

func (p *fakePool) Put(v VU) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.idle = append(p.idle, v)
}

func (p *fakePool) env() Env {
	return Env{
		Pool:           p,
		Dropped:        func(n int) { p.dropped.Add(int64(n)) },
		IterationError: func(error) { p.errs.Add(1) },
		Active:         &p.active,
	}
}

func TestIterationExecutors(t *testing.T) {
	tests := []struct {
		cfg  Config
		want int64
	}{
		{Config{Name: "s", Executor: SharedIterations, VUs: 4, Iterations: 103}, 103},
		{Config{Name: "p", Executor: PerVUIterations, VUs: 3, Iterations: 7}, 21},
		{Config{Name: "one", Executor: SharedIterations, VUs: 10, Iterations: 2}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.cfg.Executor, func(t *testing.T) {
			p := &fakePool{failEvery: 5}
			if err := Run(context.Background(), tt.cfg, p.env()); err != nil {
				t.Fatal(err)
			}
			if got := p.iters.Load(); got != tt.want {
				t.Errorf("iterations = %d, want %d", got, tt.want)
			}
			if got := p.errs.Load(); got != tt.want/5 {
				t.Errorf("reported errors = %d, want %d", got, tt.want/5)
			}
			if p.active.Load() != 0 {
				t.Errorf("active VUs left: %d", p.active.Load())
			}
			if len(p.idle) != p.created {
				t.Errorf("VUs not returned: %d idle of %d", len(p.idle), p.created)
			}
		})
	}
}

func TestConstantVUsStopsAndInterrupts(t *testing.T) {
	p := &fakePool{iterTime: time.Hour}
	cfg := Config{Name: "c", Executor: ConstantVUs, VUs: 3, Duration: 50 * time.Millisecond, GracefulStop: -1}
	done := make(chan error, 1)
	go func() { done <- Run(context.Background(), cfg, p.env()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("constant-vus did not stop after its duration")
	}
	if p.iters.Load() != 3 || p.interrupted.Load() != 3 {
		t.Fatalf("iterations %d interrupted %d, want 3 and 3", p.iters.Load(), p.interrupted.Load())
	}
}

func TestCancelStopsAtOnce(t *testing.T) {
	for _, cfg := range []Config{
		{Name: "c", Executor: ConstantVUs, VUs: 2, Duration: time.Hour},
		{Name: "r", Executor: RampingVUs, StartVUs: 2, Stages: []Stage{{time.Hour, 5}}},
		{Name: "a", Executor: ConstantArrivalRate, Rate: 100, Duration: time.Hour, PreAllocatedVUs: 2},
	} {
		t.Run(cfg.Executor, func(t *testing.T) {
			p := &fakePool{iterTime: time.Hour}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- Run(ctx, cfg, p.env()) }()
			deadline := time.Now().Add(10 * time.Second)
			for p.iters.Load() == 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond) // poll to a deadline
			}
			cancel()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("executor ignored cancellation")
			}
			if p.iters.Load() == 0 || p.interrupted.Load() != p.iters.Load() {
				t.Fatalf("iterations %d interrupted %d", p.iters.Load(), p.interrupted.Load())
			}
		})
	}
}

func TestVUsAt(t *testing.T) {
	c := Config{StartVUs: 0, Stages: []Stage{{10 * time.Second, 10}, {10 * time.Second, 10}, {5 * time.Second, 0}}}
	for _, tt := range []struct {
		at   time.Duration
		want int
	}{{0, 0}, {5 * time.Second, 5}, {10 * time.Second, 10}, {15 * time.Second, 10}, {22500 * time.Millisecond, 5}, {time.Minute, 0}} {
		if got := vusAt(c, tt.at); got != tt.want {
			t.Errorf("vusAt(%v) = %d, want %d", tt.at, got, tt.want)
		}
	}
}

func TestIterationSchedule(t *testing.T) {
	// Ramp 0→10/s over 10s then hold 10/s for 10s: 50 + 100 iterations.
	c := Config{TimeUnit: time.Second, StartRate: 0, Stages: []Stage{{10 * time.Second, 10}, {10 * time.Second, 10}}}
	if got := iterationsBefore(c, 20*time.Second); got != 150 {
		t.Fatalf("total = %v, want 150", got)
	}
	at, ok := timeOfIteration(c, 50, 20*time.Second)
	if !ok || at < 10*time.Second || at > 10*time.Second+time.Millisecond {
		t.Fatalf("iteration 50 at %v, want just after 10s", at)
	}
	if _, ok := timeOfIteration(c, 150, 20*time.Second); ok {
		t.Fatal("iteration 150 scheduled past the end")
	}
	// Per-minute time unit.
	c = Config{TimeUnit: time.Minute, StartRate: 60, Stages: []Stage{{time.Second, 60}}}
	if got := iterationsBefore(c, time.Second); got != 1 {
		t.Fatalf("60/min over 1s = %v, want 1", got)
	}
}

func TestRampingVUs(t *testing.T) {
	p := &fakePool{iterTime: 5 * time.Millisecond}
	var maxActive atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if a := p.active.Load(); a > maxActive.Load() {
				maxActive.Store(a)
			}
			time.Sleep(time.Millisecond) // sampling, not synchronization
		}
	}()
	cfg := Config{Name: "r", Executor: RampingVUs, StartVUs: 1, Stages: []Stage{{300 * time.Millisecond, 4}, {200 * time.Millisecond, 4}, {200 * time.Millisecond, 0}}}
	if err := Run(context.Background(), cfg, p.env()); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	if maxActive.Load() != 4 {
		t.Fatalf("max active VUs %d, want 4", maxActive.Load())
	}
	if p.active.Load() != 0 {
		t.Fatalf("active VUs left %d", p.active.Load())
	}
}

func TestArrivalRateDropsWhenVUsRunOut(t *testing.T) {
	p := &fakePool{iterTime: time.Hour}
	cfg := Config{Name: "a", Executor: ConstantArrivalRate, Rate: 200, Duration: 250 * time.Millisecond, PreAllocatedVUs: 2, MaxVUs: 3, GracefulStop: -1}
	if err := Run(context.Background(), cfg, p.env()); err != nil {
		t.Fatal(err)
	}
	started, dropped := p.iters.Load(), p.dropped.Load()
	if started != 3 {
		t.Errorf("started %d, want 3 (maxVUs)", started)
	}
	if started+dropped != 50 {
		t.Errorf("started %d + dropped %d, want 50 scheduled", started, dropped)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []Config{
		{Name: "x", Executor: "nope"},
		{Name: "x", Executor: ConstantVUs},
		{Name: "x", Executor: ConstantArrivalRate, Duration: time.Second},
		{Name: "x", Executor: RampingVUs},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

// BenchmarkConstantArrivalRateAccuracy runs 1000 iterations/s for 10s and
// reports how far the achieved rate is from the requested one.
func BenchmarkConstantArrivalRateAccuracy(b *testing.B) {
	for i := 0; i < b.N; i++ {
		p := &fakePool{}
		cfg := Config{Name: "a", Executor: ConstantArrivalRate, Rate: 1000, Duration: 10 * time.Second, PreAllocatedVUs: 100}
		start := time.Now()
		var firstHalf int64
		done := make(chan struct{})
		go func() {
			defer close(done)
			t := time.NewTimer(5 * time.Second)
			<-t.C
			firstHalf = p.iters.Load()
		}()
		if err := Run(context.Background(), cfg, p.env()); err != nil {
			b.Fatal(err)
		}
		<-done
		elapsed := time.Since(start)
		got := float64(p.iters.Load()) / cfg.Duration.Seconds()
		b.ReportMetric(got, "iters/s")
		b.ReportMetric(100*(got-cfg.Rate)/cfg.Rate, "rate-error-%")
		b.ReportMetric(float64(firstHalf)/5, "iters/s-first-5s")
		b.ReportMetric(float64(p.dropped.Load()), "dropped")
		// Started plus dropped is what the scheduler asked for.
		b.ReportMetric(100*(float64(p.iters.Load()+p.dropped.Load())/cfg.Duration.Seconds()-cfg.Rate)/cfg.Rate, "schedule-error-%")
		b.ReportMetric(elapsed.Seconds(), "wall-s")
	}
}
