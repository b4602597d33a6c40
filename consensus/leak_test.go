package consensus_test

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gocli/gocli/consensus/consensustest"
	"github.com/gocli/gocli/consensus/kv"
)

// TestStopReleasesGoroutines checks that every goroutine the engine
// starts — run loops, transports, peers, watchers, lease loops — ends
// when the cluster stops, including with an idle watch consumer.
func TestStopReleasesGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		ctx := ctxT(t, 30*time.Second)
		c := consensustest.NewCluster(t, 3)
		defer c.Close()
		put(t, ctx, c, "a", "1")
		lid, _ := c.WaitLeader(ctx)
		// A watch nobody reads, on a context nobody cancels.
		if _, err := c.Server(lid).Watch(context.Background(), kv.WatchRequest{Key: []byte("a"), StartRevision: 1}); err != nil {
			t.Fatal(err)
		}
		put(t, ctx, c, "a", "2")
		if err := c.Kill(lid); err != nil {
			t.Fatal(err)
		}
		if err := c.Restart(lid); err != nil {
			t.Fatal(err)
		}
		put(t, ctx, c, "a", "3")
	}()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			var ours []string
			for _, g := range strings.Split(string(buf[:n]), "\n\n") {
				if strings.Contains(g, "gocli/consensus") {
					ours = append(ours, g)
				}
			}
			t.Fatalf("%d goroutines before, %d after stop; ours:\n%s", before, runtime.NumGoroutine(), strings.Join(ours, "\n\n"))
		}
		time.Sleep(10 * time.Millisecond) // poll to the deadline
	}
}
