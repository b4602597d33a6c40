package sandbox

import (
	"os"
	"runtime"
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
// 4 and 11-17 ms at 12 (docs/sandbox.md). A process with one node (a
// --processes child) runs on one P instead (oneNodeProcess): on 2 CPUs an
// extra P there only added thread switches, and a second one as well.
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

// oneNodeProcess gives a process that will run a single node (a
// --processes child) one P, unless GOMAXPROCS is set in the environment.
// Such a node's work is a chain of hand-offs between goroutines (gRPC's
// reader, handler and writer, the raft loop, the peer transport), each of
// which, with a second P idle, wakes a thread to run the next goroutine
// that then finds nothing left to do and sleeps again: with two Ps a
// 3-node cluster's processes made twice etcd's futex calls per
// linearizable read. With one P the goroutine that becomes runnable waits
// for the P its waker is about to release, and the blocking system calls
// that do hold it (the persister's fdatasync) are handed off by the
// runtime's monitor within tens of microseconds (docs/sandbox.md).
func oneNodeProcess() {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	procs.Lock()
	defer procs.Unlock()
	if procs.base == 0 {
		runtime.GOMAXPROCS(1)
	}
}
