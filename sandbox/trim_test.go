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
