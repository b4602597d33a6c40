package check_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gocli/gocli/sandbox"
	"github.com/gocli/gocli/sandbox/check"
	"github.com/gocli/gocli/sandbox/sandboxtest"
)

func TestMain(m *testing.M) {
	sandboxtest.RunNodeIfChild()
	os.Exit(m.Run())
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// schedule is the nemesis mix of run i: each kind alone, then all at once.
func schedule(i int) []string {
	kinds := check.AllNemeses
	if i < len(kinds) {
		return []string{kinds[i]}
	}
	return kinds
}

func runCheck(t *testing.T, seed uint64, nemeses []string, processes bool) {
	opts := sandbox.Options{Seed: seed, Processes: processes}
	if processes {
		opts.NodeCommand = sandboxtest.NodeCommand
		opts.Tick = 50 * time.Millisecond
	}
	c := sandboxtest.NewCluster(t, 3, opts)
	dur := time.Duration(envInt("GOCLI_CHECK_MS", 2500)) * time.Millisecond
	html := filepath.Join(t.TempDir(), "check.html")
	ctx, cancel := context.WithTimeout(context.Background(), dur+2*time.Minute)
	defer cancel()
	res, err := check.Run(ctx, check.Options{Cluster: c, Duration: dur, Seed: seed, Nemeses: nemeses, Visualization: html})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Linearizable {
		keep := filepath.Join(os.TempDir(), fmt.Sprintf("gocli-check-seed%d.html", seed))
		if b, err := os.ReadFile(html); err == nil {
			_ = os.WriteFile(keep, b, 0o644)
		}
		t.Fatalf("seed %d (%v): %s after %d operations; faults %v; visualization %s", seed, nemeses, res.Verdict, res.Operations, res.Faults, keep)
	}
	// A floor, not a speed claim: a run that completes almost nothing
	// checks almost nothing.
	if res.Operations < 5 {
		t.Fatalf("seed %d: only %d operations recorded", seed, res.Operations)
	}
	if len(nemeses) > 0 && len(res.Faults) == 0 {
		t.Fatalf("seed %d: no fault was injected", seed)
	}
	if st, err := os.Stat(html); err != nil || st.Size() == 0 {
		t.Fatalf("visualization not written: %v", err)
	}
	t.Logf("seed %d %v: %d ops (%d unknown, %d failed reads), faults %v", seed, nemeses, res.Operations, res.Unknown, res.Failed, res.Faults)
}

// TestCheckInProcess runs seeded check runs against in-process clusters
// (GOCLI_CHECK_RUNS, default 16), cycling through the nemesis kinds.
func TestCheckInProcess(t *testing.T) {
	n := envInt("GOCLI_CHECK_RUNS", 16)
	for i := range n {
		seed := uint64(100 + i)
		nem := schedule(i % (len(check.AllNemeses) + 1))
		t.Run(fmt.Sprintf("seed=%d/%v", seed, nem), func(t *testing.T) { runCheck(t, seed, nem, false) })
	}
}

// TestCheckProcesses runs seeded check runs against clusters of child
// processes, where kills are SIGKILLs (GOCLI_CHECK_PROC_RUNS, default 4).
func TestCheckProcesses(t *testing.T) {
	n := envInt("GOCLI_CHECK_PROC_RUNS", 4)
	mixes := [][]string{{check.NemesisKill}, {check.NemesisPause}, {check.NemesisPartition}, check.AllNemeses}
	for i := range n {
		seed := uint64(200 + i)
		nem := mixes[i%len(mixes)]
		t.Run(fmt.Sprintf("seed=%d/%v", seed, nem), func(t *testing.T) { runCheck(t, seed, nem, true) })
	}
}

func TestParseNemeses(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string
		err  bool
	}{
		{"all", fmt.Sprint(check.AllNemeses), false},
		{"kill,partition,kill", "[kill partition]", false},
		{"none", "[]", false},
		{"kil", "", true},
	} {
		got, err := check.ParseNemeses(tt.in)
		if (err != nil) != tt.err || (!tt.err && fmt.Sprint(got) != tt.want) {
			t.Errorf("ParseNemeses(%q) = %v, %v; want %s (err %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
}
