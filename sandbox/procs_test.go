package sandbox

import (
	"os"
	"runtime"
	"strings"
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

// A --processes child gets its share of the processors, at least one,
// unless the user chose GOMAXPROCS.
func TestChildProcs(t *testing.T) {
	for _, c := range []struct{ procs, nodes, want int }{
		{2, 3, 1}, {2, 1, 2}, {8, 3, 2}, {16, 5, 3}, {1, 10, 1}, {4, 0, 4},
	} {
		if got := childProcs(c.procs, c.nodes); got != c.want {
			t.Errorf("childProcs(%d procs, %d nodes) = %d, want %d", c.procs, c.nodes, got, c.want)
		}
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	t.Setenv("GOMAXPROCS", "")
	os.Unsetenv("GOMAXPROCS")
	if env := childEnv(3); env[len(env)-1] != "GOMAXPROCS=1" {
		t.Errorf("child environment ends with %q, want GOMAXPROCS=1", env[len(env)-1])
	}
	t.Setenv("GOMAXPROCS", "7")
	for _, kv := range childEnv(3) {
		if strings.HasPrefix(kv, "GOMAXPROCS=") && kv != "GOMAXPROCS=7" {
			t.Errorf("the user's GOMAXPROCS=7 became %q", kv)
		}
	}
}
