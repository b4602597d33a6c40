// Package executor schedules iterations the way k6's executors do:
// constant-vus, ramping-vus, per-vu-iterations, shared-iterations,
// constant-arrival-rate and ramping-arrival-rate.
//
// An executor borrows VUs from a Pool, runs iterations on them from its own
// goroutines, and returns when its scenario is over or its context ends.
// Every goroutine it starts has exited when Run returns.
package executor

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// VU runs iterations of a scenario. One goroutine uses a VU at a time.
type VU interface {
	RunIteration(ctx context.Context, scenario, exec string) error
}

// Pool lends VUs to executors.
type Pool interface {
	// Get returns an idle VU, or false when none is idle.
	Get() (VU, bool)
	// New initializes one more VU (arrival-rate executors grow up to maxVUs).
	New(ctx context.Context) (VU, error)
	// Put gives a VU back.
	Put(VU)
}

// Env is what an executor reports to.
type Env struct {
	Pool Pool
	// Dropped records iterations an arrival-rate executor could not start.
	Dropped func(n int)
	// IterationError receives errors from iterations (script exceptions);
	// they do not stop the scenario.
	IterationError func(error)
	// Active counts the VUs running an iteration loop right now.
	Active *atomic.Int64
}

// Stage is one step of a ramping executor: reach Target over Duration.
type Stage struct {
	Duration time.Duration
	Target   float64
}

// Config describes one scenario.
type Config struct {
	Name         string
	Executor     string
	Exec         string
	StartTime    time.Duration
	GracefulStop time.Duration

	VUs         int
	Iterations  int
	Duration    time.Duration
	MaxDuration time.Duration

	StartVUs         int
	Stages           []Stage
	GracefulRampDown time.Duration

	Rate            float64
	StartRate       float64
	TimeUnit        time.Duration
	PreAllocatedVUs int
	MaxVUs          int
}

// Executor names.
const (
	ConstantVUs         = "constant-vus"
	RampingVUs          = "ramping-vus"
	PerVUIterations     = "per-vu-iterations"
	SharedIterations    = "shared-iterations"
	ConstantArrivalRate = "constant-arrival-rate"
	RampingArrivalRate  = "ramping-arrival-rate"
)

// Executors lists the supported executor names.
var Executors = []string{ConstantVUs, RampingVUs, PerVUIterations, SharedIterations, ConstantArrivalRate, RampingArrivalRate}

// Validate fills defaults and checks the fields the executor needs.
func (c *Config) Validate() error {
	if c.GracefulStop == 0 {
		c.GracefulStop = 30 * time.Second
	}
	if c.GracefulStop < 0 {
		c.GracefulStop = 0
	}
	if c.TimeUnit == 0 {
		c.TimeUnit = time.Second
	}
	if c.GracefulRampDown == 0 {
		c.GracefulRampDown = 30 * time.Second
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("scenario %q (%s): %s", c.Name, c.Executor, fmt.Sprintf(format, args...))
	}
	switch c.Executor {
	case ConstantVUs:
		if c.VUs <= 0 {
			c.VUs = 1
		}
		if c.Duration <= 0 {
			return bad("duration must be positive")
		}
	case RampingVUs:
		if len(c.Stages) == 0 {
			return bad("stages are required")
		}
	case PerVUIterations, SharedIterations:
		if c.VUs <= 0 {
			c.VUs = 1
		}
		if c.Iterations <= 0 {
			c.Iterations = 1
		}
		if c.MaxDuration <= 0 {
			c.MaxDuration = 10 * time.Minute
		}
		if c.Executor == SharedIterations && c.VUs > c.Iterations {
			c.VUs = c.Iterations
		}
	case ConstantArrivalRate:
		if c.Rate <= 0 {
			return bad("rate must be positive")
		}
		if c.Duration <= 0 {
			return bad("duration must be positive")
		}
		if c.PreAllocatedVUs <= 0 {
			return bad("preAllocatedVUs must be positive")
		}
	case RampingArrivalRate:
		if len(c.Stages) == 0 {
			return bad("stages are required")
		}
		if c.PreAllocatedVUs <= 0 {
			return bad("preAllocatedVUs must be positive")
		}
	default:
		return fmt.Errorf("scenario %q: unknown executor %q (supported: constant-vus, ramping-vus, per-vu-iterations, shared-iterations, constant-arrival-rate, ramping-arrival-rate)", c.Name, c.Executor)
	}
	if c.MaxVUs < c.PreAllocatedVUs {
		c.MaxVUs = c.PreAllocatedVUs
	}
	return nil
}

// Length is how long the scenario's schedule lasts from its start time,
// without the graceful stop.
func (c *Config) Length() time.Duration {
	switch c.Executor {
	case ConstantVUs, ConstantArrivalRate:
		return c.Duration
	case RampingVUs, RampingArrivalRate:
		var d time.Duration
		for _, s := range c.Stages {
			d += s.Duration
		}
		return d
	default:
		return c.MaxDuration
	}
}

// MaxVUsNeeded is the number of VUs the scenario may hold at once.
func (c *Config) MaxVUsNeeded() int {
	switch c.Executor {
	case RampingVUs:
		m := c.StartVUs
		for _, s := range c.Stages {
			if int(s.Target) > m {
				m = int(s.Target)
			}
		}
		return m
	case ConstantArrivalRate, RampingArrivalRate:
		return c.PreAllocatedVUs
	default:
		return c.VUs
	}
}

// Run runs the scenario. It returns when the scenario's schedule and its
// graceful stop are over, or at once (interrupting iterations) when ctx ends.
func Run(ctx context.Context, c Config, env Env) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.StartTime > 0 {
		t := time.NewTimer(c.StartTime)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil
		}
	}
	switch c.Executor {
	case ConstantVUs:
		return runLooping(ctx, c, env, func(int) bool { return true }, c.Duration)
	case PerVUIterations:
		return runLooping(ctx, c, env, func(n int) bool { return n < c.Iterations }, c.MaxDuration)
	case SharedIterations:
		var next atomic.Int64
		return runLooping(ctx, c, env, func(int) bool { return next.Add(1) <= int64(c.Iterations) }, c.MaxDuration)
	case RampingVUs:
		return runRampingVUs(ctx, c, env)
	case ConstantArrivalRate:
		c.StartRate = c.Rate
		c.Stages = []Stage{{Duration: c.Duration, Target: c.Rate}}
		return runArrivalRate(ctx, c, env)
	case RampingArrivalRate:
		return runArrivalRate(ctx, c, env)
	}
	return nil
}

// stopper holds the two ends of a scenario: after soft no new iteration
// starts; after hard the running ones are interrupted.
type stopper struct {
	soft, hard           context.Context
	cancelSoft, cancelHd context.CancelFunc
}

func newStopper(ctx context.Context, length, grace time.Duration) *stopper {
	hard, cancelHard := context.WithTimeout(ctx, length+grace)
	soft, cancelSoft := context.WithTimeout(hard, length)
	return &stopper{soft: soft, hard: hard, cancelSoft: cancelSoft, cancelHd: cancelHard}
}

func (s *stopper) close() { s.cancelSoft(); s.cancelHd() }

func acquire(ctx context.Context, env Env) (VU, error) {
	if vu, ok := env.Pool.Get(); ok {
		return vu, nil
	}
	return env.Pool.New(ctx)
}

func report(env Env, err error) {
	if err != nil && env.IterationError != nil {
		env.IterationError(err)
	}
}

// runLooping runs c.VUs loops; each loop runs iterations while more(n)
// says so (n counts the loop's own iterations) and the schedule lasts.
func runLooping(ctx context.Context, c Config, env Env, more func(n int) bool, length time.Duration) error {
	st := newStopper(ctx, length, c.GracefulStop)
	defer st.close()
	var wg sync.WaitGroup
	for i := 0; i < c.VUs; i++ {
		vu, err := acquire(ctx, env)
		if err != nil {
			st.close()
			wg.Wait()
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer env.Pool.Put(vu)
			env.Active.Add(1)
			defer env.Active.Add(-1)
			for n := 0; st.soft.Err() == nil && more(n); n++ {
				err := vu.RunIteration(st.hard, c.Name, c.Exec)
				if st.hard.Err() != nil {
					return
				}
				report(env, err)
			}
		}()
	}
	wg.Wait()
	return nil
}

// vusAt returns the target VU count of a ramping-vus scenario at elapsed.
func vusAt(c Config, elapsed time.Duration) int {
	from := float64(c.StartVUs)
	for _, s := range c.Stages {
		if elapsed < s.Duration {
			frac := float64(elapsed) / float64(s.Duration)
			return int(math.Round(from + (s.Target-from)*frac))
		}
		elapsed -= s.Duration
		from = s.Target
	}
	return int(from)
}

// runRampingVUs keeps vusAt(t) loops running. Loop i runs while i is below
// the target; a loop above it finishes its iteration (or is interrupted
// after gracefulRampDown) and waits for the target to rise again.
func runRampingVUs(ctx context.Context, c Config, env Env) error {
	length := c.Length()
	st := newStopper(ctx, length, c.GracefulStop)
	defer st.close()
	maxVUs := c.MaxVUsNeeded()
	start := time.Now()

	var mu sync.Mutex
	target := vusAt(c, 0)
	changed := make(chan struct{})
	current := func() (int, chan struct{}) {
		mu.Lock()
		defer mu.Unlock()
		return target, changed
	}

	var wg sync.WaitGroup
	for i := 0; i < maxVUs; i++ {
		vu, err := acquire(ctx, env)
		if err != nil {
			st.close()
			wg.Wait()
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer env.Pool.Put(vu)
			active := false
			defer func() {
				if active {
					env.Active.Add(-1)
				}
			}()
			for st.soft.Err() == nil {
				t, ch := current()
				if i >= t {
					if active {
						env.Active.Add(-1)
						active = false
					}
					select {
					case <-ch:
						continue
					case <-st.soft.Done():
						return
					}
				}
				if !active {
					env.Active.Add(1)
					active = true
				}
				// Interrupt this iteration gracefulRampDown after the target
				// drops below this loop.
				itCtx, cancel := context.WithCancel(st.hard)
				watchDone := make(chan struct{})
				go func() {
					defer close(watchDone)
					for {
						t, ch := current()
						if i >= t {
							tm := time.NewTimer(c.GracefulRampDown)
							select {
							case <-tm.C:
								cancel()
							case <-itCtx.Done():
								tm.Stop()
							}
							return
						}
						select {
						case <-ch:
						case <-itCtx.Done():
							return
						}
					}
				}()
				err := vu.RunIteration(itCtx, c.Name, c.Exec)
				interrupted := itCtx.Err() != nil
				cancel()
				<-watchDone
				if st.hard.Err() != nil {
					return
				}
				if !interrupted {
					report(env, err)
				}
			}
		}()
	}
	// The controller updates the target every 100ms, and wakes loops only
	// when it changes.
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
loop:
	for {
		select {
		case <-st.soft.Done():
			break loop
		case <-tick.C:
			t := vusAt(c, time.Since(start))
			mu.Lock()
			if t != target {
				target = t
				close(changed)
				changed = make(chan struct{})
			}
			mu.Unlock()
		}
	}
	wg.Wait()
	return nil
}

// iterationsBefore returns how many iterations a ramping rate schedule
// starts in [0, t): the integral of the piecewise-linear rate (per second).
func iterationsBefore(c Config, t time.Duration) float64 {
	perSec := float64(time.Second) / float64(c.TimeUnit)
	from := c.StartRate * perSec
	var n float64
	for _, s := range c.Stages {
		to := s.Target * perSec
		d := s.Duration.Seconds()
		if t < s.Duration {
			x := t.Seconds()
			return n + from*x + (to-from)*x*x/(2*d)
		}
		n += (from + to) / 2 * d
		t -= s.Duration
		from = to
	}
	return n
}

// timeOfIteration returns when iteration k (0-based) starts: the time at
// which iterationsBefore reaches k, found by bisection.
func timeOfIteration(c Config, k float64, length time.Duration) (time.Duration, bool) {
	if iterationsBefore(c, length) <= k {
		return 0, false
	}
	lo, hi := time.Duration(0), length
	for hi-lo > time.Microsecond {
		mid := (lo + hi) / 2
		if iterationsBefore(c, mid) > k {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi, true
}

// runArrivalRate starts iterations at the scheduled times regardless of how
// long they take. When no VU is idle and maxVUs is reached, the iteration
// is dropped and counted.
func runArrivalRate(ctx context.Context, c Config, env Env) error {
	length := c.Length()
	idle := make(chan VU, c.MaxVUs)
	total := 0
	for ; total < c.PreAllocatedVUs; total++ {
		vu, err := acquire(ctx, env)
		if err != nil {
			for len(idle) > 0 {
				env.Pool.Put(<-idle)
			}
			return err
		}
		idle <- vu
	}
	// The schedule starts once the pre-allocated VUs are in hand.
	st := newStopper(ctx, length, c.GracefulStop)
	defer st.close()
	var wg sync.WaitGroup
	defer func() {
		wg.Wait()
		close(idle)
		for vu := range idle {
			env.Pool.Put(vu)
		}
	}()
	// New VUs are initialized in the background; iterations due meanwhile
	// are dropped, as in k6.
	var growing atomic.Bool
	grow := func() {
		if total >= c.MaxVUs || growing.Load() {
			return
		}
		growing.Store(true)
		total++
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer growing.Store(false)
			vu, err := env.Pool.New(st.hard)
			if err != nil {
				report(env, fmt.Errorf("initialize VU: %w", err))
				return
			}
			idle <- vu
		}()
	}
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for k := 0; ; k++ {
		due, ok := timeOfIteration(c, float64(k), length)
		if !ok {
			break
		}
		if wait := time.Until(start.Add(due)); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-st.soft.Done():
				dropRest(ctx, c, env, k, length)
				return nil
			}
		} else if st.soft.Err() != nil {
			dropRest(ctx, c, env, k, length)
			return nil
		}
		var vu VU
		select {
		case vu = <-idle:
		default:
		}
		if vu == nil {
			env.Dropped(1)
			grow()
			continue
		}
		wg.Add(1)
		env.Active.Add(1)
		go func() {
			defer wg.Done()
			defer env.Active.Add(-1)
			err := vu.RunIteration(st.hard, c.Name, c.Exec)
			if st.hard.Err() == nil {
				report(env, err)
			}
			idle <- vu
		}()
	}
	// The schedule is over; running iterations finish within the graceful
	// stop (the deferred Wait), once the scenario's duration has passed.
	<-st.soft.Done()
	return nil
}

// dropRest counts the iterations from k on that were due before the
// schedule ended but could not start (the timer woke too late), so that
// started + dropped always equals the schedule. A cancelled run drops
// nothing: it was stopped, not overloaded.
func dropRest(ctx context.Context, c Config, env Env, k int, length time.Duration) {
	if ctx.Err() != nil {
		return
	}
	if n := int(math.Ceil(iterationsBefore(c, length))) - k; n > 0 {
		env.Dropped(n)
	}
}
