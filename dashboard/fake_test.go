package dashboard

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/gocli/gocli/sandbox"
)

// fakeClient is a ControlClient the test drives: it serves the status the
// test set, streams the events the test pushes and records every call.
type fakeClient struct {
	mu      sync.Mutex
	status  sandbox.Status
	down    bool
	calls   []string
	stream  chan sandbox.Event
	streams int
	subC    chan struct{} // receives once per subscription
}

func newFake(st sandbox.Status) *fakeClient {
	return &fakeClient{status: st, subC: make(chan struct{}, 16)}
}

var errFakeDown = errors.New("dial unix /tmp/dev/control.sock: connect: connection refused")

func (f *fakeClient) setStatus(st sandbox.Status) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status = st
}

// setDown makes the cluster vanish (status fails, the stream closes) or
// come back.
func (f *fakeClient) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
	if down && f.stream != nil {
		close(f.stream)
		f.stream = nil
	}
}

// push sends an event on the current stream.
func (f *fakeClient) push(t *testing.T, ev sandbox.Event) {
	t.Helper()
	f.mu.Lock()
	ch := f.stream
	f.mu.Unlock()
	if ch == nil {
		t.Fatal("push: no subscriber")
	}
	select {
	case ch <- ev:
	case <-time.After(5 * time.Second):
		t.Fatal("push: the model does not read events")
	}
}

func (f *fakeClient) record(c string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

func (f *fakeClient) callList() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeClient) Status(context.Context) (sandbox.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return sandbox.Status{}, fmt.Errorf("control API: %w", errFakeDown)
	}
	return f.status, nil
}

func (f *fakeClient) Events(ctx context.Context) (<-chan sandbox.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return nil, errFakeDown
	}
	// Unbuffered, so push returns only once the model has taken the event.
	in := make(chan sandbox.Event)
	out := make(chan sandbox.Event)
	f.stream = in
	f.streams++
	go func() {
		defer close(out)
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-in:
				if !ok {
					return
				}
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	f.subC <- struct{}{}
	return out, nil
}

func (f *fakeClient) Kill(_ context.Context, id uint64) error {
	f.record(fmt.Sprintf("kill %d", id))
	return nil
}
func (f *fakeClient) Restart(_ context.Context, id uint64) error {
	f.record(fmt.Sprintf("restart %d", id))
	return nil
}
func (f *fakeClient) Pause(_ context.Context, id uint64) error {
	f.record(fmt.Sprintf("pause %d", id))
	return nil
}
func (f *fakeClient) Resume(_ context.Context, id uint64) error {
	f.record(fmt.Sprintf("resume %d", id))
	return nil
}
func (f *fakeClient) Delay(_ context.Context, id uint64, l, j time.Duration) error {
	f.record(fmt.Sprintf("delay %d %v %v", id, l, j))
	return nil
}
func (f *fakeClient) TransferLeader(_ context.Context, id uint64) error {
	f.record(fmt.Sprintf("transfer %d", id))
	return nil
}
func (f *fakeClient) AddNode(context.Context) (sandbox.NodeSpec, error) {
	f.record("add")
	return sandbox.NodeSpec{ID: 4}, nil
}
func (f *fakeClient) RemoveNode(_ context.Context, id uint64) error {
	f.record(fmt.Sprintf("remove %d", id))
	return nil
}
func (f *fakeClient) Partition(_ context.Context, g [][]uint64) error {
	f.record(fmt.Sprintf("partition %v", g))
	return nil
}
func (f *fakeClient) Heal(context.Context) error {
	f.record("heal")
	return nil
}

// readOnlyFake is an etcd-like source: no stream, no faults.
type readOnlyFake struct{ *fakeClient }

func (readOnlyFake) ReadOnlyReason() string {
	return "attached with --endpoints (status only)"
}

func (readOnlyFake) Events(context.Context) (<-chan sandbox.Event, error) { return nil, ErrNoEvents }

// t0 is the fake clock's time.
var t0 = time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return t0 }

func threeNodes(leader, term, commit uint64) sandbox.Status {
	// In-process nodes: one PID, one RSS for the whole process.
	st := sandbox.Status{Name: "dev", Leader: leader, Term: term, ProcessRSS: 46 << 20, ProcessAnonRSS: 21 << 20}
	for id := uint64(1); id <= 3; id++ {
		n := sandbox.NodeStatus{ID: id, Name: fmt.Sprintf("node%d", id), Role: "follower", Term: term, Leader: leader,
			Commit: commit, Applied: commit, Health: "healthy",
			Endpoint: fmt.Sprintf("127.0.0.1:%d", 2378+id), HTTP: fmt.Sprintf("127.0.0.1:%d", 2578+id),
			Peer: fmt.Sprintf("127.0.0.1:%d", 2478+id), PID: 4242,
			WALSize: int64(commit) * 310, SnapshotIndex: commit / 500 * 500, Match: commit, Next: commit + 1, Replication: "replicate"}
		if id == leader {
			n.Role = "leader"
		}
		st.Nodes = append(st.Nodes, n)
	}
	return st
}

// harness wraps the model so a test can read the screen from the program's
// own goroutine, without racing with Update.
type harness struct{ *Model }

type renderReq struct{ reply chan string }

func (h harness) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if r, ok := msg.(renderReq); ok {
		r.reply <- h.Render()
		return h, nil
	}
	_, cmd := h.Model.Update(msg)
	return h, cmd
}

// readScreen returns the current screen.
func readScreen(t *testing.T, tm *teatest.TestModel) string {
	t.Helper()
	reply := make(chan string, 1)
	tm.Send(renderReq{reply})
	select {
	case s := <-reply:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("the program does not answer")
		return ""
	}
}

// waitScreen polls the screen until cond holds, up to a deadline.
func waitScreen(t *testing.T, tm *teatest.TestModel, what string, cond func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var s string
	for time.Now().Before(deadline) {
		s = readScreen(t, tm)
		if cond(s) {
			return s
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("screen never showed %s; last screen:\n%s", what, s)
	return ""
}

func waitText(t *testing.T, tm *teatest.TestModel, text string) string {
	t.Helper()
	return waitScreen(t, tm, fmt.Sprintf("%q", text), func(s string) bool { return strings.Contains(s, text) })
}

func waitSubscribed(t *testing.T, f *fakeClient) {
	t.Helper()
	select {
	case <-f.subC:
	case <-time.After(10 * time.Second):
		t.Fatal("the model never subscribed to events")
	}
}

// start runs the model over f at 80x24 with the fake clock and no colour,
// and waits until it shows the first status and has subscribed.
func start(t *testing.T, c ControlClient, opts ...Option) (*teatest.TestModel, *Model) {
	t.Helper()
	base := []Option{WithClock(fixedClock), WithLocation(time.UTC), WithNoColor(true), WithBackoff(time.Hour)}
	m := New(c, append(base, opts...)...)
	tm := teatest.NewTestModel(t, harness{m}, teatest.WithInitialTermSize(80, 24))
	t.Cleanup(func() {
		_ = tm.Quit()
		tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
		m.Close()
	})
	waitText(t, tm, "3/3 healthy")
	return tm, m
}

// finish quits the program and compares the final screen with the golden
// file testdata/<TestName>.golden (-update rewrites it).
func finish(t *testing.T, tm *teatest.TestModel) {
	t.Helper()
	s := readScreen(t, tm)
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(harness)
	if got := fm.Render(); got != s {
		t.Fatalf("final screen differs from the last one seen:\n%s\n---\n%s", got, s)
	}
	teatest.RequireEqualOutput(t, []byte(s+"\n"))
}
