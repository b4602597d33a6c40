package sandbox_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/gocli/gocli/sandbox"
	"github.com/gocli/gocli/sandbox/sandboxtest"
)

func TestMain(m *testing.M) {
	sandboxtest.RunNodeIfChild()
	os.Exit(m.Run())
}

// TestStatusDetail checks the per-node detail (WAL size, snapshot index,
// the leader's match/next, RSS) in both execution modes.
func TestStatusDetail(t *testing.T) {
	for _, processes := range []bool{false, true} {
		t.Run(fmt.Sprintf("processes=%v", processes), func(t *testing.T) {
			opts := sandbox.Options{Processes: processes}
			if processes {
				opts.NodeCommand = sandboxtest.NodeCommand
				opts.Tick = 50 * time.Millisecond
			}
			c := sandboxtest.NewCluster(t, 3, opts)
			cli := sandboxtest.Client(t, c)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var last int64
			for i := range 20 {
				r, err := cli.Put(ctx, fmt.Sprintf("k%d", i), "v")
				if err != nil {
					t.Fatal(err)
				}
				last = r.Header.Revision
			}
			// Followers learn the commit index with the next message: poll
			// until every node has applied the last write.
			var st sandbox.Status
			for {
				st = c.Status(ctx)
				caughtUp := st.Leader != 0
				for _, n := range st.Nodes {
					caughtUp = caughtUp && n.Match >= n.Applied && n.Applied >= uint64(last) && n.Lag == 0
				}
				if caughtUp {
					break
				}
				select {
				case <-ctx.Done():
					t.Fatalf("nodes did not catch up: %+v", st.Nodes)
				case <-time.After(20 * time.Millisecond):
				}
			}
			for _, n := range st.Nodes {
				if n.WALSize <= 0 {
					t.Errorf("node %d: WAL size %d", n.ID, n.WALSize)
				}
				if n.Next != n.Match+1 && n.ID != st.Leader {
					t.Errorf("node %d: match %d next %d: a caught-up follower's next is match+1", n.ID, n.Match, n.Next)
				}
				if n.Replication != "replicate" {
					t.Errorf("node %d: replication state %q, want replicate", n.ID, n.Replication)
				}
				if runtime.GOOS == "linux" && processes && (n.RSS <= 0 || n.AnonRSS <= 0 || n.AnonRSS > n.RSS) {
					t.Errorf("node %d: RSS %d, anonymous %d", n.ID, n.RSS, n.AnonRSS)
				}
				if !processes && n.RSS != 0 {
					t.Errorf("node %d: in-process node reports its own RSS %d", n.ID, n.RSS)
				}
			}
			if runtime.GOOS == "linux" && !processes && (st.ProcessRSS <= 0 || st.ProcessAnonRSS <= 0 || st.ProcessAnonRSS > st.ProcessRSS) {
				t.Errorf("in-process cluster: process RSS %d, anonymous %d", st.ProcessRSS, st.ProcessAnonRSS)
			}
			if processes && st.ProcessRSS != 0 {
				t.Errorf("--processes cluster: process RSS %d, want per node", st.ProcessRSS)
			}
			// A killed node keeps its row but has nothing to report.
			follower := st.Nodes[0].ID
			if follower == st.Leader {
				follower = st.Nodes[1].ID
			}
			if err := c.Kill(follower); err != nil {
				t.Fatal(err)
			}
			for _, n := range c.Status(ctx).Nodes {
				if n.ID == follower && (n.Health != "down" || n.RSS != 0 || n.WALSize != 0) {
					t.Errorf("killed node %d: %+v", n.ID, n)
				}
			}
		})
	}
}
