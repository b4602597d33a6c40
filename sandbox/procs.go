package sandbox

import (
	"os"
	"runtime"
	"sync"
)

// Each node's raft loop makes a blocking fdatasync for every batch it
// persists, and a goroutine in a system call keeps its P (the runtime's
// right to run Go code) until the call returns or the runtime's monitor
// takes the P back, which can take milliseconds on an otherwise quiet
// process. With GOMAXPROCS at the CPU count, a few nodes syncing at once
// leave the other nodes' loops and the transport runnable but not running:
// on a 2-CPU machine a 10-node in-process cluster took its put p99 from
// about 8 ms to 30-40 ms that way (BenchmarkRate10Nodes in sandbox/bench).
// So a process running nodes gets one extra P per node, as a thread pool
// sized for blocking I/O would; the CPUs still bound how much runs at once.
var procs struct {
	sync.Mutex
	base  int // GOMAXPROCS before any node started
	nodes int // node servers running in this process
}

// nodeStarted grows GOMAXPROCS to the CPU default plus one per running
// node. An explicit GOMAXPROCS in the environment is left alone, and
// GOMAXPROCS never shrinks when nodes stop: resizing stops the world, and
// the extra Ps cost nothing while idle.
func nodeStarted() {
	procs.Lock()
	defer procs.Unlock()
	if procs.base == 0 {
		procs.base = runtime.GOMAXPROCS(0)
	}
	procs.nodes++
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	if want := procs.base + procs.nodes; runtime.GOMAXPROCS(0) < want {
		runtime.GOMAXPROCS(want)
	}
}

func nodeStopped() {
	procs.Lock()
	procs.nodes--
	procs.Unlock()
}
