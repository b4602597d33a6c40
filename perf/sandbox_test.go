package perf_test

import (
	"context"
	"testing"
	"time"

	"github.com/gocli/gocli/perf"
	"github.com/gocli/gocli/sandbox"
	"github.com/gocli/gocli/sandbox/sandboxtest"
)

// TestScriptAgainstSandboxGateway runs a k6-style script against the JSON
// gateway of a 3-node sandbox cluster: every write is read back.
func TestScriptAgainstSandboxGateway(t *testing.T) {
	// The sandbox's default tick, not the fast test tick: under the race
	// detector on a loaded machine a 200 ms election timeout expires
	// spuriously, and a put caught in that election waits out its timeout.
	// This test is about the gateway and the script, not about elections.
	c := sandboxtest.NewCluster(t, 3, sandbox.Options{Tick: 100 * time.Millisecond})
	node := c.Spec().Nodes[0]
	sum, err := perf.Runner{Script: "testdata/sandbox_kv.js", Env: map[string]string{"BASE_URL": "http://" + node.HTTPAddr}}.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Passed() {
		t.Fatalf("thresholds failed: %+v (errors %+v)", sum.FailedThresholds(), sum.Errors)
	}
	_, checks, _ := sum.Store.Query("checks", nil)
	if checks.Count != 60 || checks.Trues != 60 {
		t.Fatalf("checks %d/%d, want 60/60", checks.Trues, checks.Count)
	}
}
