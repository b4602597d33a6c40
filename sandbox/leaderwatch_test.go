package sandbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/gocli/gocli/sandbox"
	"github.com/gocli/gocli/sandbox/sandboxtest"
)

// A --processes cluster learns leader changes from its children by long
// polls: a child answers at once when the caller's leader and term are out
// of date, holds the request while they are current, and the cluster's
// events still report a new leader.
func TestProcessLeaderWatch(t *testing.T) {
	c, err := sandbox.Start(context.Background(), sandbox.Options{Dir: t.TempDir(), Nodes: 3,
		Tick: 50 * time.Millisecond, Processes: true, NodeCommand: sandboxtest.NodeCommand})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	leader, err := c.WaitLeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st := c.Status(ctx)
	node := st.Nodes[0]

	type lt struct{ Leader, Term uint64 }
	get := func(query string) (lt, time.Duration) {
		t.Helper()
		start := time.Now()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+node.HTTP+"/sandbox/v1/leader"+query, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got lt
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&got) != nil {
			t.Fatalf("GET leader%s: %s", query, resp.Status)
		}
		return got, time.Since(start)
	}
	now, _ := get("")
	if now.Leader != leader || now.Term == 0 {
		t.Fatalf("leader = %+v, cluster leader %d", now, leader)
	}
	// Current: held for the whole wait.
	const hold = 300 * time.Millisecond
	got, took := get(fmt.Sprintf("?leader=%d&term=%d&wait=%s", now.Leader, now.Term, hold))
	if got != now || took < hold {
		t.Fatalf("current leader and term: got %+v after %v, want %+v after at least %v", got, took, now, hold)
	}
	// Out of date: answered without waiting for the minute.
	got, took = get(fmt.Sprintf("?leader=%d&term=%d&wait=1m", now.Leader, now.Term-1))
	if got != now || took > 30*time.Second {
		t.Fatalf("stale term: got %+v after %v, want %+v at once", got, took, now)
	}
	resp, err := http.Get("http://" + node.HTTP + "/sandbox/v1/leader?wait=forever")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("wait=forever: %s, want 400", resp.Status)
	}

	events, unsubscribe := c.Events(64)
	defer unsubscribe()
	to := st.Nodes[0].ID
	if to == leader {
		to = st.Nodes[1].ID
	}
	if err := c.TransferLeader(ctx, to); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case e := <-events:
			if e.Type == sandbox.EventLeaderElected && e.Node == to {
				return
			}
		case <-ctx.Done():
			t.Fatalf("no leader_elected event for node %d after the transfer", to)
		}
	}
}
