package sandbox

import (
	"os"
	"runtime"
	"strconv"
	"sync"
)

// Each node's persister makes a blocking fdatasync for every batch it
// writes, and a goroutine in a system call keeps its P (the runtime's
// right to run Go code) until the call returns or the runtime's monitor
// takes the P back, which can take milliseconds on an otherwise quiet
// process. With GOMAXPROCS at the CPU count, a few nodes syncing at once
// leave the other nodes' loops and the transport runnable but not running:
// on a 2-CPU machine a 10-node in-process cluster took its put p99 from
// about 8 ms to 30-40 ms that way (BenchmarkRate10Nodes in sandbox/bench).
// So a process running several nodes gets one extra P per node after the
// first, up to twice the CPU count: enough for the few nodes that sync at
// the same moment, while more Ps only mean more runnable threads crowding
// out the cluster's clients. With the bench client in its own process, a
// 10-node cluster on 2 CPUs had a put p99 of 17-19 ms at 2 Ps, 9-12 ms at
// 4 and 11-17 ms at 12 (docs/sandbox-performance.md). A --processes child runs one
// node in a process of its own: see childProcs.
var procs struct {
	sync.Mutex
	base  int // GOMAXPROCS before any node started
	nodes int // node servers running in this process
}

// nodeStarted grows GOMAXPROCS to the CPU default plus one per running
// node after the first, at most twice the default. An explicit GOMAXPROCS in the
// environment is left alone, and GOMAXPROCS never shrinks when nodes stop:
// resizing stops the world, and the extra Ps cost nothing while idle.
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
	if want := procs.base + min(procs.nodes-1, procs.base); runtime.GOMAXPROCS(0) < want {
		runtime.GOMAXPROCS(want)
	}
}

func nodeStopped() {
	procs.Lock()
	procs.nodes--
	procs.Unlock()
}

// childProcs is the GOMAXPROCS of a --processes child: its share of the
// processors, procs split among the cluster's nodes, at least one. The
// node processes share the machine; with every one of them at the CPU
// count, each message a node hands from one goroutine to another woke a
// second thread (the runtime starts one whenever a P is idle), and half
// the futex calls of a leader serving linearizable reads were those
// wake-ups and the threads going back to sleep. On 2 CPUs a 3-node
// cluster at one P per node spent 10-34% less server CPU per
// linearizable read, and its futex calls per read fell from 0.69-1.31 to
// 0.01, in seven alternating pairs (docs/sandbox-performance.md).
func childProcs(procs, nodes int) int {
	return max(1, procs/max(nodes, 1))
}

// childEnv is the environment of a --processes child: the parent's, with
// GOMAXPROCS set by childProcs unless the user set it.
func childEnv(nodes int) []string {
	env := os.Environ()
	if os.Getenv("GOMAXPROCS") != "" {
		return env
	}
	return append(env, "GOMAXPROCS="+strconv.Itoa(childProcs(runtime.GOMAXPROCS(0), nodes)))
}
