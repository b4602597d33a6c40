package sandbox

import (
	"runtime"
	"testing"
	"time"
)

// After start-up, pages are released again once a collection has run.
func TestGCReleaseFollowsCollections(t *testing.T) {
	calls := make(chan struct{}, 16)
	r := gcRelease{poll: 5 * time.Millisecond, every: 20 * time.Millisecond, busy: 1 << 20}
	stop := r.start(time.Millisecond, func() { calls <- struct{}{} })
	defer stop()
	for i := range 2 {
		select {
		case <-calls:
		case <-time.After(10 * time.Second):
			t.Fatalf("start-up release %d did not happen", i)
		}
	}
	deadline := time.After(10 * time.Second)
	for {
		runtime.GC()
		select {
		case <-calls:
			return
		case <-deadline:
			t.Fatal("no release after collections")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// A process that collects more than busy times per period is left alone.
func TestGCReleaseSkipsBusyProcess(t *testing.T) {
	calls := make(chan struct{}, 16)
	r := gcRelease{poll: time.Millisecond, every: 50 * time.Millisecond, busy: 0}
	stop := r.start(0, func() { calls <- struct{}{} })
	for i := range 2 {
		select {
		case <-calls:
		case <-time.After(10 * time.Second):
			t.Fatalf("start-up release %d did not happen", i)
		}
	}
	for range 20 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	if n := len(calls); n != 0 {
		t.Fatalf("%d releases while collecting, want none", n)
	}
}

// stop ends the goroutine before the settle release.
func TestGCReleaseStop(t *testing.T) {
	calls := make(chan struct{}, 16)
	r := gcRelease{poll: time.Millisecond, every: time.Millisecond}
	stop := r.start(time.Hour, func() { calls <- struct{}{} })
	stop()
	runtime.GC()
	if n := len(calls); n != 1 {
		t.Fatalf("%d releases before and after stop, want the first one only", n)
	}
}

// A process that keeps collecting gets no release after the first, however
// long start-up has been over; one that stops collecting gets it a quiet
// spell later.
func TestGCReleaseWaitsForQuiet(t *testing.T) {
	calls := make(chan time.Time, 16)
	r := gcRelease{poll: time.Millisecond, every: time.Millisecond, busy: 1 << 20, quiet: 100 * time.Millisecond}
	stop := r.start(0, func() { calls <- time.Now() })
	defer stop()
	<-calls
	var lastGC time.Time
	for range 40 {
		time.Sleep(10 * time.Millisecond)
		runtime.GC()
		lastGC = time.Now()
	}
	if n := len(calls); n != 0 {
		t.Fatalf("%d releases while collecting every 10ms, want none", n)
	}
	select {
	case at := <-calls:
		// The collection counts as ended before runtime.GC has swept and
		// returned: allow that much.
		if quiet := at.Sub(lastGC); quiet < r.quiet-20*time.Millisecond {
			t.Fatalf("released %v after the last collection, want about %v", quiet, r.quiet)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no release once collections stopped")
	}
}
