package sandbox

import (
	"runtime"
	"testing"
)

func TestNodesRaiseGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	procs.Lock()
	savedBase, savedNodes := procs.base, procs.nodes
	procs.base, procs.nodes = 0, 0
	procs.Unlock()
	defer func() {
		procs.Lock()
		procs.base, procs.nodes = savedBase, savedNodes
		procs.Unlock()
	}()

	t.Setenv("GOMAXPROCS", "")
	runtime.GOMAXPROCS(3)
	nodeStarted()
	if got := runtime.GOMAXPROCS(0); got != 3 {
		t.Fatalf("GOMAXPROCS with 1 node on a base of 3 = %d, want 3", got)
	}
	nodeStarted()
	if got := runtime.GOMAXPROCS(0); got != 4 {
		t.Fatalf("GOMAXPROCS with 2 nodes on a base of 3 = %d, want 4", got)
	}
	// It stops at twice the base, and stopping nodes does not shrink it.
	for range 8 {
		nodeStarted()
	}
	if got := runtime.GOMAXPROCS(0); got != 6 {
		t.Fatalf("GOMAXPROCS with 10 nodes on a base of 3 = %d, want 6", got)
	}
	for range 9 {
		nodeStopped()
	}
	nodeStarted()
	if got := runtime.GOMAXPROCS(0); got != 6 {
		t.Fatalf("GOMAXPROCS after stops and a restart = %d, want 6", got)
	}

	// An explicit GOMAXPROCS in the environment is the user's choice.
	t.Setenv("GOMAXPROCS", "2")
	runtime.GOMAXPROCS(2)
	nodeStarted()
	if got := runtime.GOMAXPROCS(0); got != 2 {
		t.Fatalf("GOMAXPROCS=2 in the environment, after a node start = %d, want 2", got)
	}
}

func TestOneNodeProcessRunsOnOneP(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	procs.Lock()
	savedBase, savedNodes := procs.base, procs.nodes
	procs.base, procs.nodes = 0, 0
	procs.Unlock()
	reset := func() {
		procs.Lock()
		procs.base, procs.nodes = 0, 0
		procs.Unlock()
	}
	defer func() {
		procs.Lock()
		procs.base, procs.nodes = savedBase, savedNodes
		procs.Unlock()
	}()

	t.Setenv("GOMAXPROCS", "")
	runtime.GOMAXPROCS(3)
	oneNodeProcess()
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Fatalf("GOMAXPROCS of a one-node process on a base of 3 = %d, want 1", got)
	}
	// Its node's start keeps it there.
	nodeStarted()
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Fatalf("GOMAXPROCS after the node started = %d, want 1", got)
	}

	// An explicit GOMAXPROCS in the environment is the user's choice.
	reset()
	t.Setenv("GOMAXPROCS", "2")
	runtime.GOMAXPROCS(2)
	oneNodeProcess()
	nodeStarted()
	if got := runtime.GOMAXPROCS(0); got != 2 {
		t.Fatalf("GOMAXPROCS=2 in the environment, in a one-node process = %d, want 2", got)
	}
}
