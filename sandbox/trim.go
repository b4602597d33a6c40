package sandbox

import (
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// gcRelease says when a process that hosts sandbox nodes gives back the
// pages of the gocli executable it has touched again since the last time.
type gcRelease struct {
	// poll: how often the garbage collector's cycle count is read.
	poll time.Duration
	// every: the least time between two releases.
	every time.Duration
	// busy: more collections than this in one every means the process is
	// serving load: no release then, whose collection and page faults
	// would land in its requests' latency.
	busy uint64
	// quiet: a release waits until no collection has ended for this long.
	// A collection every few seconds means the process is serving load,
	// and a release then holds up every node it hosts: in a process of ten
	// nodes taking 200 puts/s, one took 144-207 ms (37 ms idle), and about
	// 30 puts around it took 8-37 ms instead of 3.
	quiet time.Duration
}

// defaultGCRelease is what node processes use: after a collection, at
// most once a minute. A collection reads the type metadata of every live
// object (package initialisation left objects of thousands of types, all
// over the executable's read-only data), which put 8 MB back into an idle
// node's resident set every two minutes, and leaves the heap at up to
// twice its live size; a release costs the node one more collection and
// the page faults of its working set: a few milliseconds for one idle
// node, 37 ms for a process of ten.
var defaultGCRelease = gcRelease{poll: time.Second, every: time.Minute, busy: 4, quiet: 10 * time.Second}

// ReleaseStartupPages shrinks a process that hosts sandbox nodes once its
// start-up is over, and keeps it small while it runs: it returns freed
// heap to the OS and unmaps the pages of the gocli executable the process
// touched so far (see releaseExecutablePages), first right away, for what
// package initialisation touched, then after settle, for what start-up
// touched (the first election, connections, lease checks); from then on
// it does both again after garbage collections. Each release after the
// first waits for a spell without collections, so that a load test that
// starts with the cluster does not pay for it (see defaultGCRelease).
// All of it happens on a goroutine of its own; stop ends it and returns
// once it has ended. Only resident memory changes: a page the node uses
// again comes back from the page cache.
func ReleaseStartupPages(settle time.Duration) (stop func()) {
	return defaultGCRelease.start(settle, func() {
		// A collection first, so that the pages it reads go too.
		debug.FreeOSMemory()
		// Best effort: failing leaves the process larger, nothing else.
		_, _ = releaseExecutablePages()
	})
}

// start runs release now, then once settle has passed, then each r.every
// at most, when garbage collections other than release's own have ended
// since the last one, but no more than r.busy. Every release after the
// first also waits until no collection has ended for r.quiet.
func (r gcRelease) start(settle time.Duration, release func()) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		release()
		began := time.Now()
		settled := false
		// last and cycles: when the last release ended and the count of
		// collections then; seen and changed: the count at the last poll
		// and when it last moved.
		last, cycles := began, gcCycles()
		seen, changed := cycles, began
		tick := time.NewTicker(r.poll)
		defer tick.Stop()
		for {
			var now time.Time
			select {
			case <-quit:
				return
			case now = <-tick.C:
			}
			if c := gcCycles(); c != seen {
				seen, changed = c, now
			}
			if now.Sub(changed) < r.quiet {
				continue
			}
			switch {
			case !settled:
				if now.Sub(began) < settle {
					continue
				}
				settled = true
			case now.Sub(last) < r.every || seen == cycles:
				continue
			case seen-cycles > r.busy:
				last, cycles = now, seen
				continue
			}
			release()
			last, cycles = time.Now(), gcCycles()
			seen = cycles
		}
	}()
	return func() { close(quit); <-done }
}

// gcCycles is the number of garbage collections the process has completed.
func gcCycles() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
