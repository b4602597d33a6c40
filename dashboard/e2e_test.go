package dashboard

import (
	"fmt"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gocli/gocli/sandbox"
	"github.com/gocli/gocli/sandbox/control"
	"github.com/gocli/gocli/sandbox/sandboxtest"
)

var leaderRE = regexp.MustCompile(`· leader (\d+) ·`)

var benchLineRE = regexp.MustCompile(`bench: \d+ puts in [0-9.]+m?s \([0-9.k]+/s\), p50 [0-9.]+ms, p99 [0-9.]+ms`)

// shownLeader is the leader in the header, 0 when none.
func shownLeader(s string) uint64 {
	m := leaderRE.FindStringSubmatch(strings.SplitN(s, "\n", 2)[0])
	if m == nil {
		return 0
	}
	id, _ := strconv.ParseUint(m[1], 10, 64)
	return id
}

// selectNode moves the selection from node from to node to (the table is
// sorted by ID, nodes 1..n).
func selectNode(tm *teatest.TestModel, from, to uint64) {
	for ; from < to; from++ {
		tm.Type("j")
	}
	for ; from > to; from-- {
		tm.Type("k")
	}
}

// TestEndToEnd drives the dashboard over a real in-process sandbox through
// its control API: kill the leader with x and see another elected; restart
// it with r; partition the new leader away with P and see a third; heal
// with h.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a sandbox cluster")
	}
	c := sandboxtest.NewCluster(t, 3)
	srv := httptest.NewServer(control.Handler(c, nil))
	t.Cleanup(srv.Close)
	cli, err := control.NewClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	tm, _ := start(t, cli, WithClock(time.Now), WithLocation(time.Local), WithBackoff(100*time.Millisecond), WithRefresh(500*time.Millisecond),
		WithBench(Bench))
	s := waitScreen(t, tm, "a leader", func(s string) bool { return shownLeader(s) != 0 })
	first := shownLeader(s)

	// b runs sandbox/bench's put workload and logs its figures; its keys
	// are gone afterwards.
	tm.Type("b")
	waitScreen(t, tm, "a bench result", func(s string) bool { return benchLineRE.MatchString(s) })
	if g, err := sandboxtest.Client(t, c).Get(t.Context(), BenchPrefix, clientv3.WithPrefix(), clientv3.WithCountOnly()); err != nil || g.Count != 0 {
		t.Fatalf("keys left under %s: %v, %v", BenchPrefix, g, err)
	}

	// Kill the leader.
	selectNode(tm, 1, first)
	tm.Type("x")
	waitText(t, tm, "Kill node "+strconv.FormatUint(first, 10)+" (the leader)?")
	tm.Type("y")
	s = waitScreen(t, tm, "a new leader", func(s string) bool {
		l := shownLeader(s)
		return l != 0 && l != first
	})
	second := shownLeader(s)
	waitText(t, tm, "node "+strconv.FormatUint(first, 10)+" down: killed")
	waitText(t, tm, "2/3 healthy")

	// Bring it back.
	tm.Type("r")
	waitText(t, tm, "3/3 healthy")

	// Partition the new leader from the rest: the majority elects a third.
	selectNode(tm, first, second)
	tm.Type("P")
	waitText(t, tm, "Partition nodes "+strconv.FormatUint(second, 10)+" from")
	tm.Type("y")
	waitText(t, tm, "faults: partition "+strconv.FormatUint(second, 10)+" |")
	waitScreen(t, tm, "a leader other than the partitioned one", func(s string) bool {
		l := shownLeader(s)
		return l != 0 && l != second
	})

	// Heal.
	tm.Type("h")
	waitScreen(t, tm, "healed and healthy", func(s string) bool {
		return strings.Contains(s, "faults: none") && strings.Contains(s, "3/3 healthy")
	})
}

// TestCapture writes the screens of a real session to the file named by
// GOCLI_DASHBOARD_CAPTURE (docs/dashboard.md shows them): a bench with
// its throughput and latency sparklines, then a leader kill.
func TestCapture(t *testing.T) {
	path := os.Getenv("GOCLI_DASHBOARD_CAPTURE")
	if path == "" {
		t.Skip("set GOCLI_DASHBOARD_CAPTURE=file to capture screens")
	}
	c := sandboxtest.NewCluster(t, 3, sandbox.Options{Name: "dev"})
	srv := httptest.NewServer(control.Handler(c, nil))
	t.Cleanup(srv.Close)
	cli, err := control.NewClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	tm, _ := start(t, cli, WithClock(time.Now), WithLocation(time.UTC), WithBackoff(100*time.Millisecond),
		WithRefresh(time.Second), WithBench(Bench), WithScrape(ScrapeCommitLatency))
	first := shownLeader(waitScreen(t, tm, "a leader", func(s string) bool { return shownLeader(s) != 0 }))
	for i := range 3 {
		tm.Type("b")
		waitText(t, tm, fmt.Sprintf("Events (%d)", i+1))
	}
	time.Sleep(3 * time.Second) // let the sparklines show the quiet after the bench
	overview := readScreen(t, tm)
	selectNode(tm, 1, first)
	tm.Type("x")
	dialog := waitText(t, tm, "(the leader)?")
	tm.Type("y")
	after := waitScreen(t, tm, "a new leader", func(s string) bool {
		l := shownLeader(s)
		return l != 0 && l != first
	})
	// The detail of the follower that is still up: its WAL, snapshot and
	// the new leader's view of it.
	follower := uint64(6) - first - shownLeader(after)
	selectNode(tm, first, follower)
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	detail := waitText(t, tm, "(replicate)") // the new leader has caught it up
	out := fmt.Sprintf("--- overview after three benches\n%s\n--- x on the leader\n%s\n--- after y\n%s\n--- enter\n%s\n", overview, dialog, after, detail)
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReadOnlyEtcd attaches read-only through the etcd v3 API (which the
// sandbox nodes serve, as etcd does): the table fills from MemberList and
// Maintenance.Status, the fault keys refuse, and a leader killed behind
// the dashboard's back shows up through the refreshes alone.
func TestReadOnlyEtcd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a sandbox cluster")
	}
	c := sandboxtest.NewCluster(t, 3)
	src, err := NewEtcdSource(c.Spec().Endpoints())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })

	ctx := t.Context()
	st, err := src.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Nodes) != 3 || st.Leader == 0 || st.Leader != c.Leader(ctx) {
		t.Fatalf("status = %+v, want 3 nodes led by %d", st, c.Leader(ctx))
	}
	for i, n := range st.Nodes {
		if n.ID != uint64(i+1) || n.Health != "healthy" || n.Endpoint == "" || n.Name == "" {
			t.Errorf("node %d = %+v", i, n)
		}
	}

	tm, _ := start(t, src, WithClock(time.Now), WithLocation(time.UTC), WithBackoff(100*time.Millisecond), WithRefresh(200*time.Millisecond))
	first := shownLeader(waitScreen(t, tm, "a leader", func(s string) bool { return shownLeader(s) != 0 }))
	waitText(t, tm, "read-only · polling")
	tm.Type("x")
	waitText(t, tm, "kill is off in read-only mode")
	if err := c.Kill(first); err != nil {
		t.Fatal(err)
	}
	s := waitScreen(t, tm, "a new leader", func(s string) bool {
		l := shownLeader(s)
		return l != 0 && l != first
	})
	waitText(t, tm, fmt.Sprintf("node %d elected leader", shownLeader(s)))
}
