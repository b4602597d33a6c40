// Package sandboxtest starts sandbox clusters for tests: fast ticks,
// state in t.TempDir, stopped when the test ends.
package sandboxtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gocli/gocli/sandbox"
)

// NewCluster starts an n-node in-process cluster with a 20ms tick and
// waits for its leader. opts, when given, overrides the defaults (Dir and
// Nodes are always set here).
func NewCluster(t testing.TB, n int, opts ...sandbox.Options) *sandbox.Cluster {
	t.Helper()
	var o sandbox.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	ownDir := o.Dir == ""
	o.Nodes = n
	// The nodes raise GOMAXPROCS (sandbox/procs.go); give the testing
	// package back its value once the cluster is gone (cleanups run last
	// in, first out).
	procs := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(procs) })
	if o.Tick == 0 {
		o.Tick = 20 * time.Millisecond
	}
	if o.Name == "" {
		o.Name = "test"
	}
	// Free ports are picked before they are bound, so a test package running
	// in parallel can take one in between: such a start is retried on fresh
	// ports (and a fresh folder) rather than failing the test.
	var c *sandbox.Cluster
	var err error
	for attempt := 0; ; attempt++ {
		if ownDir {
			o.Dir = t.TempDir()
		}
		c, err = sandbox.Start(context.Background(), o)
		if err == nil || !errors.Is(err, sandbox.ErrPortInUse) || attempt == 4 {
			break
		}
	}
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Logf("close sandbox: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := c.WaitLeader(ctx); err != nil {
		t.Fatalf("sandbox: %v", err)
	}
	return c
}

// Client returns a clientv3 client on every node of c, closed when the
// test ends.
func Client(t testing.TB, c *sandbox.Cluster) *clientv3.Client {
	t.Helper()
	spec := c.Spec()
	cli, err := clientv3.New(clientv3.Config{Endpoints: spec.Endpoints(), DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("clientv3: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// nodeSpecEnv tells a re-executed test binary to run one sandbox node.
const nodeSpecEnv = "GOCLI_SANDBOXTEST_NODE_SPEC"

// RunNodeIfChild runs a sandbox node and exits when the test binary was
// started as a --processes child by NodeCommand. Call it first in
// TestMain.
func RunNodeIfChild() {
	spec := os.Getenv(nodeSpecEnv)
	if spec == "" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	code, err := sandbox.RunNode(ctx, spec, sandbox.NodeOptions{})
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sandbox node:", err)
	}
	os.Exit(code)
}

// NodeCommand runs each node of a --processes cluster as this test
// binary (see RunNodeIfChild), so tests need no gocli build.
func NodeCommand(specPath string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), nodeSpecEnv+"="+specPath)
	return cmd
}
