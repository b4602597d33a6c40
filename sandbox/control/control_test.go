package control_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gocli/gocli/sandbox"
	"github.com/gocli/gocli/sandbox/control"
	"github.com/gocli/gocli/sandbox/sandboxtest"
)

// serve starts the control API for c on its unix socket and returns a
// client for it.
func serve(t *testing.T, c *sandbox.Cluster, shutdown func()) *control.Client {
	t.Helper()
	ln, addr, err := control.Listen(c.Dir(), "")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: control.Handler(c, shutdown)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	cl, err := control.NewClient(addr)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// waitEvent reads events until one matches or the deadline passes.
func waitEvent(t *testing.T, ch <-chan sandbox.Event, match func(sandbox.Event) bool) sandbox.Event {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatal("event stream closed")
			}
			if match(ev) {
				return ev
			}
		case <-deadline:
			t.Fatal("no matching event before the deadline")
		}
	}
}

func TestControlFaultsAndEvents(t *testing.T) {
	c := sandboxtest.NewCluster(t, 3)
	shut := make(chan struct{})
	cl := serve(t, c, func() { close(shut) })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	events, err := cl.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st, err := cl.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Leader == 0 || len(st.Nodes) != 3 {
		t.Fatalf("status = %+v", st)
	}
	old := st.Leader

	// Cut the leader off: the other two elect a new one.
	var rest []uint64
	for _, n := range st.Nodes {
		if n.ID != old {
			rest = append(rest, n.ID)
		}
	}
	if err := cl.Partition(ctx, [][]uint64{{old}, rest}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, func(e sandbox.Event) bool {
		return e.Type == sandbox.EventFaultApplied && strings.HasPrefix(e.Detail, "partition")
	})
	ev := waitEvent(t, events, func(e sandbox.Event) bool { return e.Type == sandbox.EventLeaderElected && e.Node != old })
	if ev.Term <= st.Term {
		t.Fatalf("new leader in term %d, old term %d", ev.Term, st.Term)
	}
	st, _ = cl.Status(ctx)
	if len(st.Faults.Partition) != 2 {
		t.Fatalf("status faults = %+v", st.Faults)
	}
	if err := cl.Heal(ctx); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, func(e sandbox.Event) bool { return e.Type == sandbox.EventFaultHealed })

	if err := cl.Kill(ctx, rest[0]); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, func(e sandbox.Event) bool { return e.Type == sandbox.EventNodeDown && e.Node == rest[0] })
	if err := cl.Kill(ctx, rest[0]); !errors.Is(err, sandbox.ErrNodeState) {
		t.Fatalf("second kill: %v, want ErrNodeState", err)
	}
	if err := cl.Restart(ctx, rest[0]); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, func(e sandbox.Event) bool { return e.Type == sandbox.EventNodeUp && e.Node == rest[0] })

	if err := cl.Kill(ctx, 42); !errors.Is(err, sandbox.ErrUnknownNode) {
		t.Fatalf("kill 42: %v, want ErrUnknownNode", err)
	}
	if err := cl.Drop(ctx, 1, 1.5); !errors.Is(err, control.ErrBadRequest) {
		t.Fatalf("drop rate 1.5: %v, want ErrBadRequest", err)
	}
	if err := cl.Delay(ctx, 1, 5*time.Millisecond, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if st, _ := cl.Status(ctx); st.Faults.Delay[1].Latency != 5*time.Millisecond {
		t.Fatalf("delay not in status: %+v", st.Faults)
	}
	if err := cl.Pause(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if st, _ := cl.Status(ctx); st.Nodes[0].Health != "paused" {
		t.Fatalf("node 1 health = %q, want paused", st.Nodes[0].Health)
	}
	if err := cl.Resume(ctx, 1); err != nil {
		t.Fatal(err)
	}

	n, err := cl.AddNode(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, func(e sandbox.Event) bool { return e.Type == sandbox.EventMembershipChanged && e.Node == n.ID })
	if err := cl.TransferLeader(ctx, n.ID); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, func(e sandbox.Event) bool { return e.Type == sandbox.EventLeaderElected && e.Node == n.ID })
	if err := cl.RemoveNode(ctx, n.ID); err != nil {
		t.Fatal(err)
	}
	if st, _ := cl.Status(ctx); len(st.Nodes) != 3 {
		t.Fatalf("after remove: %d nodes", len(st.Nodes))
	}
	// A peer address the sandbox cannot honour is a bad request, seen by
	// a MembershipChanger as sandbox.ErrInvalid.
	if _, err := cl.AddNodeAt(ctx, "10.1.2.3:2380"); !errors.Is(err, sandbox.ErrInvalid) || !errors.Is(err, control.ErrBadRequest) || !strings.Contains(err.Error(), "127.0.0.1 only") {
		t.Fatalf("add node at another host: %v", err)
	}
	if st, _ := cl.Status(ctx); len(st.Nodes) != 3 {
		t.Fatalf("after a rejected add: %d nodes", len(st.Nodes))
	}
	logs, err := cl.Logs(ctx, 1, 5)
	if err != nil || !strings.Contains(logs, "level=") {
		t.Fatalf("logs = %q, %v", logs, err)
	}
	if err := cl.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-shut:
	case <-ctx.Done():
		t.Fatal("shutdown callback not called")
	}
}

func TestParsePartition(t *testing.T) {
	tests := []struct {
		args    []string
		want    string
		wantErr string
	}{
		{args: []string{"1,2", "3"}, want: "[[1 2] [3]]"},
		{args: []string{"1,2 3"}, want: "[[1 2] [3]]"},
		{args: []string{"1"}, wantErr: "at least two groups"},
		{args: []string{"1,x", "2"}, wantErr: `"x" is not a node ID`},
		{args: []string{"1,2", "2"}, wantErr: "listed twice"},
		{args: []string{"0", "1"}, wantErr: "not a node ID"},
	}
	for _, tt := range tests {
		got, err := sandbox.ParsePartition(tt.args...)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParsePartition(%q) err = %v, want %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParsePartition(%q): %v", tt.args, err)
			continue
		}
		if s := fmtGroups(got); s != tt.want {
			t.Errorf("ParsePartition(%q) = %s, want %s", tt.args, s, tt.want)
		}
	}
}
