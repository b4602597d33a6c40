package sandbox_test

import (
	"context"
	"errors"
	"os/exec"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gocli/gocli/sandbox"
	"github.com/gocli/gocli/sandbox/sandboxtest"
)

// portTaken is a node command that fails as a child does when its port is
// taken (exit code 3).
func portTaken(string) *exec.Cmd { return exec.Command("sh", "-c", "exit 3") }

// TestStartRetriesPickedPorts: a new cluster on free ports that loses one
// to another process before binding it starts again on fresh ports; a
// cluster on ports the user chose does not.
func TestStartRetriesPickedPorts(t *testing.T) {
	var calls atomic.Int32
	opts := sandbox.Options{Dir: t.TempDir(), Nodes: 3, Tick: 50 * time.Millisecond, Processes: true,
		NodeCommand: func(spec string) *exec.Cmd {
			if calls.Add(1) == 2 { // the second node of the first attempt
				return portTaken(spec)
			}
			return sandboxtest.NodeCommand(spec)
		}}
	c, err := sandbox.Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("start after a lost port: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if n := calls.Load(); n != 5 {
		t.Fatalf("node command ran %d times, want 2 (first attempt) + 3", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := c.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := sandboxtest.Client(t, c).Put(ctx, "k", "v"); err != nil {
		t.Fatalf("put after the retried start: %v", err)
	}

	calls.Store(0)
	fixed := sandbox.Options{Dir: t.TempDir(), Nodes: 3, Port: 42379, Processes: true,
		NodeCommand: func(spec string) *exec.Cmd { calls.Add(1); return portTaken(spec) }}
	if _, err := sandbox.Start(context.Background(), fixed); !errors.Is(err, sandbox.ErrPortInUse) || calls.Load() != 1 {
		t.Fatalf("chosen port in use: %v after %d node starts, want ErrPortInUse after 1", err, calls.Load())
	}
}
