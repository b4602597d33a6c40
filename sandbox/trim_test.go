package sandbox

import (
	"runtime"
	"testing"
	"time"
)

// After start-up, pages are released again once a collection has run.
func TestGCReleaseFollowsCollections(t *testing.T) {
	calls := make(chan bool, 16)
	r := gcRelease{poll: 5 * time.Millisecond, every: 20 * time.Millisecond}
	stop := r.start(time.Millisecond, func(full bool) { calls <- full })
	defer stop()
	for i := range 2 {
		select {
		case full := <-calls:
			if !full {
				t.Fatalf("release %d was not a full one", i)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("start-up release %d did not happen", i)
		}
	}
	deadline := time.After(10 * time.Second)
	for {
		runtime.GC()
		select {
		case full := <-calls:
			if full {
				t.Fatal("release after a collection was a full one")
			}
			return
		case <-deadline:
			t.Fatal("no release after collections")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// stop ends the goroutine before the settle release.
func TestGCReleaseStop(t *testing.T) {
	calls := make(chan bool, 16)
	r := gcRelease{poll: time.Millisecond, every: time.Millisecond}
	stop := r.start(time.Hour, func(full bool) { calls <- full })
	stop()
	runtime.GC()
	if n := len(calls); n != 1 {
		t.Fatalf("%d releases before and after stop, want the first one only", n)
	}
}
