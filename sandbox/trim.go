package sandbox

import (
	"runtime"
	"runtime/debug"
	"time"
)

// ReleaseStartupPages shrinks a process that hosts sandbox nodes once its
// start-up is over: it returns freed heap to the OS and unmaps the pages
// of the gocli executable the process touched so far (see
// releaseExecutablePages), first right away, for what package
// initialisation touched, then after settle, for what start-up touched
// (the first election, connections, lease checks). Both happen on a
// goroutine of its own; stop skips what has not happened yet and returns
// once that goroutine has ended. Only resident memory changes: a page the
// node uses again comes back from the page cache.
func ReleaseStartupPages(settle time.Duration) (stop func()) {
	release := func() {
		runtime.GC()
		debug.FreeOSMemory()
		// Best effort: failing leaves the process larger, nothing else.
		_, _ = releaseExecutablePages()
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		release()
		t := time.NewTimer(settle)
		defer t.Stop()
		select {
		case <-quit:
		case <-t.C:
			release()
		}
	}()
	return func() { close(quit); <-done }
}
