package dashboard

import (
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/gocli/gocli/sandbox/control"
	"github.com/gocli/gocli/sandbox/sandboxtest"
)

var leaderRE = regexp.MustCompile(`· leader (\d+) ·`)

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
	tm, _ := start(t, cli, WithClock(time.Now), WithLocation(time.Local), WithBackoff(100*time.Millisecond), WithRefresh(500*time.Millisecond))
	s := waitScreen(t, tm, "a leader", func(s string) bool { return shownLeader(s) != 0 })
	first := shownLeader(s)

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
