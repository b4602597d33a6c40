package dashboard

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/gocli/gocli/sandbox"
)

var histBounds = []float64{0.001, 0.002, 0.004, 0.008, 0.016, math.Inf(1)}

// finalStatus is the cluster after the scenario: node 1 was killed and
// came back behind; node 2 leads in term 3; node 3 has a delay.
func finalStatus(commit uint64) sandbox.Status {
	st := threeNodes(2, 3, commit)
	st.Nodes[0].Applied = commit - 5
	st.Nodes[0].Lag = 5
	st.Nodes[0].Match, st.Nodes[0].Next = commit-5, commit-4
	st.Faults.Delay = map[uint64]sandbox.Delay{3: {Latency: 100 * time.Millisecond, Jitter: 20 * time.Millisecond}}
	return st
}

// overview plays a leader kill and recovery into the model: events on the
// stream, then status refreshes with a rising commit index and latency
// histograms for the sparklines.
func overview(t *testing.T, f *fakeClient, tm *teatest.TestModel) {
	t.Helper()
	waitSubscribed(t, f)
	f.setStatus(finalStatus(640))
	for _, ev := range []sandbox.Event{
		{Type: sandbox.EventNodeDown, Node: 1, Detail: "killed", Time: t0.Add(10 * time.Second)},
		{Type: sandbox.EventTermChanged, Term: 3, Time: t0.Add(11 * time.Second)},
		{Type: sandbox.EventLeaderElected, Node: 2, Term: 3, Time: t0.Add(11*time.Second + 500*time.Millisecond)},
		{Type: sandbox.EventNodeUp, Node: 1, Detail: "restarted", Time: t0.Add(20 * time.Second)},
		{Type: sandbox.EventFaultApplied, Node: 3, Detail: "delay 3 100ms±20ms", Time: t0.Add(25 * time.Second)},
	} {
		f.push(t, ev)
	}
	waitText(t, tm, "Events (5)")
	commits := []uint64{100, 180, 300, 300, 340, 460, 520, 640}
	var cum [6]uint64
	for i, c := range commits {
		at := t0.Add(30*time.Second + time.Duration(i)*2*time.Second)
		st := finalStatus(c)
		tm.Send(StatusMsg{Status: st, At: at})
		// Each interval commits mostly fast, with a slow tail that grows
		// and shrinks again.
		tail := uint64(min(i, 7-i))
		inc := [6]uint64{50, 30, 10, 4 + tail, tail, 0}
		var run uint64
		for b := range cum {
			run += inc[b]
			cum[b] += run
		}
		h := Histogram{Bounds: histBounds, Buckets: slices.Clone(cum[:]), Count: cum[5]}
		tm.Send(MetricsMsg{Sample: LatencySample{At: at, Hist: h}})
	}
	waitText(t, tm, "commit 640")
}

func TestGoldenOverview(t *testing.T) {
	f := newFake(threeNodes(1, 2, 100))
	tm, _ := start(t, f)
	overview(t, f, tm)
	finish(t, tm)
}

func TestGoldenDetail(t *testing.T) {
	f := newFake(threeNodes(1, 2, 100))
	tm, _ := start(t, f)
	overview(t, f, tm)
	tm.Type("j")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	waitText(t, tm, "Node 2 (node2)")
	finish(t, tm)
}

func TestGoldenHelp(t *testing.T) {
	f := newFake(threeNodes(1, 2, 100))
	tm, _ := start(t, f)
	overview(t, f, tm)
	tm.Type("?")
	waitText(t, tm, "Keys")
	finish(t, tm)
}

func TestGoldenFilter(t *testing.T) {
	f := newFake(threeNodes(1, 2, 100))
	tm, _ := start(t, f)
	overview(t, f, tm)
	tm.Type("/node 1")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	waitText(t, tm, `Events (2 of 5, filter "node 1")`)
	finish(t, tm)
}

func TestGoldenConfirm(t *testing.T) {
	f := newFake(threeNodes(1, 2, 100))
	tm, _ := start(t, f)
	overview(t, f, tm)
	tm.Type("jx")
	waitText(t, tm, "Kill node 2 (the leader)?")
	finish(t, tm)
	if calls := f.callList(); len(calls) != 0 {
		t.Errorf("the dialog ran %v before confirmation", calls)
	}
}

func TestGoldenDisconnected(t *testing.T) {
	f := newFake(threeNodes(1, 2, 100))
	tm, _ := start(t, f)
	overview(t, f, tm)
	f.setDown(true)
	waitText(t, tm, "disconnected, retrying")
	finish(t, tm)
}

func TestGoldenReadOnly(t *testing.T) {
	f := readOnlyFake{newFake(threeNodes(1, 2, 100))}
	tm, _ := start(t, f)
	waitText(t, tm, "polling")
	tm.Type("x")
	waitText(t, tm, "kill is off in read-only mode")
	finish(t, tm)
	if calls := f.callList(); len(calls) != 0 {
		t.Errorf("read-only mode called %v", calls)
	}
}

// TestConfirmAndCancel: y runs the destructive action, n does not.
func TestConfirmAndCancel(t *testing.T) {
	f := newFake(threeNodes(1, 2, 100))
	tm, _ := start(t, f)
	waitSubscribed(t, f)
	tm.Type("x")
	waitText(t, tm, "Kill node 1 (the leader)?")
	tm.Type("n")
	waitText(t, tm, "cancelled")
	tm.Type("x")
	waitText(t, tm, "Kill node 1 (the leader)?")
	tm.Type("y")
	waitText(t, tm, "kill node 1: done")
	if got := f.callList(); !slices.Equal(got, []string{"kill 1"}) {
		t.Fatalf("calls = %v, want [kill 1]", got)
	}
}

// TestKeys checks what each fault key asks of the cluster, confirmed
// where the key asks.
func TestKeys(t *testing.T) {
	for _, tc := range []struct {
		keys string
		want []string
	}{
		{"jjp", []string{"pause 3"}},
		{"jd", []string{"delay 2 100ms 20ms"}},
		{"jjt", []string{"transfer 3"}},
		{"h", []string{"heal"}},
		{"a", []string{"add"}},
		{"jjDy", []string{"remove 3"}},
		{"jry", []string{"kill 2", "restart 2"}},
		{"j jj Py", []string{"partition [[2 3] [1]]"}},
		{"jjPy", []string{"partition [[3] [1 2]]"}},
	} {
		t.Run(tc.keys, func(t *testing.T) {
			f := newFake(threeNodes(1, 2, 100))
			tm, _ := start(t, f)
			tm.Type(tc.keys)
			waitScreen(t, tm, "done", func(s string) bool { return strings.Contains(s, ": done") })
			if got := f.callList(); !slices.Equal(got, tc.want) {
				t.Fatalf("calls = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestReconnect: the cluster goes away and comes back; the model shows it,
// resubscribes and shows new events.
func TestReconnect(t *testing.T) {
	f := newFake(threeNodes(1, 2, 100))
	tm, _ := start(t, f, WithBackoff(20*time.Millisecond))
	waitSubscribed(t, f)
	f.setDown(true)
	waitText(t, tm, "disconnected, retrying")
	f.setDown(false)
	waitSubscribed(t, f)
	waitText(t, tm, "reconnected")
	f.push(t, sandbox.Event{Type: sandbox.EventLeaderElected, Node: 3, Term: 4, Time: t0})
	waitText(t, tm, "node 3 elected leader (term 4)")
}

// TestResize: the screen always has the window's size, with and without
// colour.
func TestResize(t *testing.T) {
	for _, color := range []bool{false, true} {
		t.Run(fmt.Sprintf("color=%v", color), func(t *testing.T) {
			f := newFake(threeNodes(1, 2, 100))
			tm, _ := start(t, f, WithNoColor(!color))
			for _, size := range [][2]int{{80, 24}, {120, 40}, {60, 15}, {200, 10}} {
				tm.Send(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
				s := waitScreen(t, tm, "the new size", func(s string) bool { return len(strings.Split(s, "\n")) == size[1] })
				if color != strings.Contains(s, "\x1b[") {
					t.Errorf("colour %v, but ANSI sequences present: %v", color, !color)
				}
				for i, l := range strings.Split(s, "\n") {
					if w := ansi.StringWidth(l); w > size[0] {
						t.Errorf("%dx%d: line %d is %d wide: %q", size[0], size[1], i, w, l)
					}
				}
			}
		})
	}
}

func TestHistogramQuantile(t *testing.T) {
	h := Histogram{Bounds: []float64{0.001, 0.002, 0.004, math.Inf(1)}, Buckets: []uint64{50, 90, 100, 100}, Count: 100}
	if got := h.Quantile(0.5); got != time.Millisecond {
		t.Errorf("p50 = %v, want 1ms", got)
	}
	// rank 99 lies in (0.002, 0.004], 9 of 10 observations in: 3.8ms.
	if got := h.Quantile(0.99); got != 3800*time.Microsecond {
		t.Errorf("p99 = %v, want 3.8ms", got)
	}
	prev := Histogram{Bounds: h.Bounds, Buckets: []uint64{60, 60, 60, 60}, Count: 60}
	if _, ok := h.Sub(prev); ok {
		t.Error("Sub accepted a counter that went backwards")
	}
}

func TestParseHistogram(t *testing.T) {
	text := `# TYPE consensus_proposal_commit_seconds histogram
consensus_proposal_commit_seconds_bucket{node_id="1",le="0.001"} 3
consensus_proposal_commit_seconds_bucket{node_id="1",le="0.002"} 7
consensus_proposal_commit_seconds_bucket{node_id="1",le="+Inf"} 8
consensus_proposal_commit_seconds_sum{node_id="1"} 0.01
consensus_proposal_commit_seconds_count{node_id="1"} 8
consensus_commit_apply_seconds_count{node_id="1"} 99
`
	h, err := parseHistogram(strings.NewReader(text), CommitMetric)
	if err != nil {
		t.Fatal(err)
	}
	if h.Count != 8 || !slices.Equal(h.Buckets, []uint64{3, 7, 8}) || h.Bounds[1] != 0.002 {
		t.Fatalf("parsed %+v", h)
	}
}
