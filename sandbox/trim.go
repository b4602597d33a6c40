package sandbox

import (
	"context"
	"runtime"
	"runtime/debug"
	"time"
)

// ReleaseStartupPages shrinks a process that hosts sandbox nodes once its
// start-up is over: it returns freed heap to the OS and unmaps the pages
// of the gocli executable the process touched so far (see
// releaseExecutablePages), first right away, for what package
// initialisation touched, then after settle, for what start-up touched
// (the first election, connections, lease checks). It returns when both
// are done or ctx ends. Only resident memory changes: a page the node uses
// again comes back from the page cache.
func ReleaseStartupPages(ctx context.Context, settle time.Duration) {
	release := func() {
		runtime.GC()
		debug.FreeOSMemory()
		// Best effort: failing leaves the process larger, nothing else.
		_, _ = releaseExecutablePages()
	}
	release()
	t := time.NewTimer(settle)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
		release()
	}
}
