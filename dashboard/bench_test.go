package dashboard

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/gocli/gocli/sandbox"
)

// benchModel is a dashboard over 10 nodes with a full event log, a full
// timeline and full sparklines, at 120x40 with colour.
func benchModel(b *testing.B) *Model {
	b.Helper()
	st := sandbox.Status{Name: "bench", Leader: 3, Term: 9}
	for id := uint64(1); id <= 10; id++ {
		n := sandbox.NodeStatus{ID: id, Role: "follower", Term: 9, Leader: 3, Commit: 123456, Applied: 123450 - id,
			Lag: 6 + id, Health: "healthy", Endpoint: fmt.Sprintf("127.0.0.1:%d", 2378+id)}
		if id == 3 {
			n.Role, n.Lag = "leader", 0
		}
		if id == 7 {
			n.Health = "paused"
		}
		st.Nodes = append(st.Nodes, n)
	}
	st.Faults.Partition = [][]uint64{{1, 2}, {3, 4, 5, 6, 7, 8, 9, 10}}
	m := New(newFake(st), WithClock(fixedClock), WithLocation(time.UTC))
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Update(StatusMsg{Status: st, At: t0})
	for i := range maxLog {
		m.onEvent(sandbox.Event{Type: sandbox.EventLeaderElected, Node: uint64(i%10 + 1), Term: uint64(i + 10), Time: t0.Add(time.Duration(i) * time.Second)})
	}
	for i := range maxSamples {
		m.throughput.push(float64(i % 17 * 100))
		m.p99.push(float64(i%13) / 3)
	}
	if len(m.log) < maxLog*3/4 || len(m.timeline) != maxTimeline {
		b.Fatalf("log %d, timeline %d: not full", len(m.log), len(m.timeline))
	}
	return m
}

// BenchmarkRender measures one full render of the overview (goal: under
// 2 ms).
func BenchmarkRender(b *testing.B) {
	m := benchModel(b)
	b.ReportAllocs()
	var n int
	cpu0 := cpuTime(b)
	for b.Loop() {
		n += len(m.View().Content)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/render")
	// CPU time per render holds steady when other work shares the machine.
	b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/render")
	if n == 0 {
		b.Fatal("empty render")
	}
}

// BenchmarkRenderFiltered renders with an event filter typed in, which
// scans the whole log.
func BenchmarkRenderFiltered(b *testing.B) {
	m := benchModel(b)
	m.filter = "node 7"
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	for b.Loop() {
		_ = m.View()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/render")
	b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/render")
}

// cpuTime is the process's user+system CPU time.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
