package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/gocli/gocli/internal/cli"
)

// The test binary doubles as gocli: with GOCLI_E2E_MAIN=1 it runs the CLI.
// Detached clusters and --processes children re-execute it that way.
func TestMain(m *testing.M) {
	if os.Getenv("GOCLI_E2E_MAIN") == "1" {
		os.Exit(cli.Main())
	}
	os.Exit(m.Run())
}

type gocli struct {
	t     *testing.T
	state string
}

func newGocli(t *testing.T) *gocli {
	return &gocli{t: t, state: t.TempDir()}
}

// run runs the binary as gocli and returns stdout, stderr and exit code.
func (g *gocli) run(args ...string) (string, string, int) {
	g.t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "GOCLI_E2E_MAIN=1", "XDG_STATE_HOME="+g.state, "NO_COLOR=1")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		g.t.Fatalf("run gocli %v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

func (g *gocli) mustRun(args ...string) string {
	g.t.Helper()
	out, errOut, code := g.run(args...)
	if code != 0 {
		g.t.Fatalf("gocli %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

type status struct {
	Leader uint64 `json:"leader"`
	Nodes  []struct {
		ID       uint64 `json:"id"`
		Endpoint string `json:"endpoint"`
		PID      int    `json:"pid"`
		Health   string `json:"health"`
		Applied  uint64 `json:"applied"`
	} `json:"nodes"`
}

func (g *gocli) status(name string) status {
	g.t.Helper()
	var st status
	if err := json.Unmarshal([]byte(g.mustRun("sandbox", "status", "--name", name, "-o", "json")), &st); err != nil {
		g.t.Fatal(err)
	}
	return st
}

// TestSandboxKill9NoAcknowledgedWriteLost runs writers against a detached
// --processes cluster, SIGKILLs a follower and then the leader (each
// restarted), and checks that every write the cluster acknowledged is
// there afterwards with its value.
func TestSandboxKill9NoAcknowledgedWriteLost(t *testing.T) {
	g := newGocli(t)
	const name = "durable"
	g.mustRun("sandbox", "up", "--detach", "--processes", "--port", "0", "--tick", "50ms", "--name", name)
	t.Cleanup(func() { g.run("sandbox", "down", "--purge", "--name", name) })
	st := g.status(name)
	if len(st.Nodes) != 3 || st.Leader == 0 {
		t.Fatalf("status after up: %+v", st)
	}
	var eps []string
	pids := map[int]bool{}
	for _, n := range st.Nodes {
		eps = append(eps, n.Endpoint)
		pids[n.PID] = true
	}
	if len(pids) != 3 {
		t.Fatalf("--processes nodes share pids: %+v", st.Nodes)
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()

	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	acked := map[string]string{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				k, v := fmt.Sprintf("durable/%d/%d", w, i), fmt.Sprintf("v%d.%d", w, i)
				pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
				_, err := cli.Put(pctx, k, v)
				pcancel()
				if err == nil {
					mu.Lock()
					acked[k] = v
					mu.Unlock()
				}
			}
		}()
	}
	waitAcked := func(n int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			mu.Lock()
			got := len(acked)
			mu.Unlock()
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d acknowledged writes, want %d", got, n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	kill9 := func(id uint64) {
		t.Helper()
		for _, n := range g.status(name).Nodes {
			if n.ID == id {
				if err := syscall.Kill(n.PID, syscall.SIGKILL); err != nil {
					t.Fatalf("kill -9 node %d (pid %d): %v", id, n.PID, err)
				}
				return
			}
		}
		t.Fatalf("node %d not found", id)
	}
	waitHealth := func(id uint64, want string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			for _, n := range g.status(name).Nodes {
				if n.ID == id && n.Health == want {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %d never became %s: %+v", id, want, g.status(name))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	waitAcked(100)
	leader := g.status(name).Leader
	follower := leader%3 + 1
	kill9(follower)
	waitHealth(follower, "down") // the cluster notices the process died
	mu.Lock()
	base := len(acked)
	mu.Unlock()
	waitAcked(base + 100) // a majority keeps serving
	g.mustRun("sandbox", "restart", fmt.Sprint(follower), "--name", name)
	waitHealth(follower, "healthy")

	kill9(leader)
	waitHealth(leader, "down")
	mu.Lock()
	base = len(acked)
	mu.Unlock()
	waitAcked(base + 100) // a new leader takes over
	g.mustRun("sandbox", "restart", fmt.Sprint(leader), "--name", name)
	waitHealth(leader, "healthy")
	cancel()
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	rctx, rcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer rcancel()
	// Read from every node (serializable once it caught up, linearizable
	// through the cluster) so a restarted node's log is checked too.
	resp, err := cli.Get(rctx, "durable/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, kv := range resp.Kvs {
		got[string(kv.Key)] = string(kv.Value)
	}
	for k, v := range acked {
		if got[k] != v {
			t.Fatalf("acknowledged write %s=%s lost (read %q); %d acknowledged, %d present", k, v, got[k], len(acked), len(got))
		}
	}
	for _, ep := range eps {
		one, err := clientv3.New(clientv3.Config{Endpoints: []string{ep}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
		if err != nil {
			t.Fatal(err)
		}
		r, err := one.Get(rctx, "durable/", clientv3.WithPrefix(), clientv3.WithCountOnly())
		one.Close()
		if err != nil || r.Count < int64(len(acked)) {
			t.Fatalf("node %s has %d keys (err %v), want at least %d", ep, r.Count, err, len(acked))
		}
	}
	t.Logf("%d acknowledged writes survived two kill -9s", len(acked))
}

// TestSandboxBadInput drives the binary with bad input: each is a clear
// error with the documented exit code, and nothing is left half-started.
func TestSandboxBadInput(t *testing.T) {
	g := newGocli(t)
	const name = "bad"
	g.mustRun("sandbox", "up", "--detach", "--port", "0", "--tick", "50ms", "--name", name)
	t.Cleanup(func() { g.run("sandbox", "down", "--purge", "--name", name) })
	st := g.status(name)
	busy := st.Nodes[0].Endpoint[strings.LastIndex(st.Nodes[0].Endpoint, ":")+1:]

	tests := []struct {
		name    string
		args    []string
		code    int
		stderr  string
		noState string // a cluster folder that must not exist afterwards
	}{
		{"unknown node", []string{"sandbox", "kill", "9", "--name", name}, 2, "unknown node 9 (members: 1, 2, 3)", ""},
		{"node not a number", []string{"sandbox", "kill", "two", "--name", name}, 2, `node "two": give a node ID`, ""},
		{"malformed partition", []string{"sandbox", "partition", "1,x", "2", "--name", name}, 2, `"x" is not a node ID`, ""},
		{"one-group partition", []string{"sandbox", "partition", "1,2,3", "--name", name}, 2, "at least two groups", ""},
		{"partition unknown node", []string{"sandbox", "partition", "1", "7", "--name", name}, 2, "unknown node 7", ""},
		{"drop rate", []string{"sandbox", "drop", "1", "--rate", "1.5", "--name", name}, 2, "--rate 1.5", ""},
		{"unknown cluster", []string{"sandbox", "status", "--name", "nope"}, 2, `no such sandbox cluster: "nope"`, ""},
		{"put to unknown cluster", []string{"sandbox", "put", "k", "v", "--name", "nope"}, 2, `no such sandbox cluster`, ""},
		{"second up", []string{"sandbox", "up", "--name", name, "--port", "0"}, 1, "already running", ""},
		{"port in use", []string{"sandbox", "up", "--detach", "--name", "clash", "--port", busy}, 2, "port already in use", "clash"},
		{"port in use foreground", []string{"sandbox", "up", "--name", "clash2", "--port", busy}, 2, "port already in use", "clash2"},
		{"bad name", []string{"sandbox", "up", "--name", "Bad_Name"}, 2, "cluster name", ""},
		{"bad nodes", []string{"sandbox", "up", "--name", "x", "--nodes", "0"}, 2, "--nodes 0", ""},
		{"restart a running node", []string{"sandbox", "restart", "1", "--name", name}, 1, "restart node 1: it is running", ""},
		{"resume a running node", []string{"sandbox", "resume", "1", "--name", name}, 1, "not paused", ""},
		{"bad nemesis", []string{"sandbox", "check", "--nemesis", "flood"}, 2, `nemesis "flood"`, ""},
		{"bad bench op", []string{"sandbox", "bench", "scan", "--name", name}, 2, `operation "scan"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := g.run(tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.stderr) {
				t.Fatalf("gocli %v: exit %d, stderr %q; want exit %d and %q (stdout %q)", tt.args, code, errOut, tt.code, tt.stderr, out)
			}
			if !strings.HasPrefix(errOut, "gocli: ") {
				t.Fatalf("stderr %q does not start with \"gocli: \"", errOut)
			}
			if tt.noState != "" {
				if _, err := os.Stat(filepath.Join(g.state, "gocli", "sandbox", tt.noState)); !os.IsNotExist(err) {
					t.Fatalf("a failed up left %s behind (stat: %v)", tt.noState, err)
				}
			}
		})
	}

	// down of a stopped cluster is a problem (1); down --purge removes it.
	g.mustRun("sandbox", "down", "--name", name)
	if _, errOut, code := g.run("sandbox", "down", "--name", name); code != 1 || !strings.Contains(errOut, "not running") {
		t.Fatalf("down of a stopped cluster: exit %d, %q", code, errOut)
	}
	if _, errOut, code := g.run("sandbox", "put", "k", "v", "--name", name); code != 1 || !strings.Contains(errOut, "not running") {
		t.Fatalf("put to a stopped cluster: exit %d, %q", code, errOut)
	}
	// A stopped cluster resumes with its data.
	g.mustRun("sandbox", "up", "--detach", "--name", name)
	g.mustRun("sandbox", "down", "--purge", "--name", name)
	if out := g.mustRun("sandbox", "list", "-o", "json"); strings.Contains(out, `"`+name+`"`) {
		t.Fatalf("purged cluster still listed: %s", out)
	}
}

// TestSandboxStaleRecovery kills -9 the process that runs a --processes
// cluster: its children notice and exit, the cluster shows as stopped,
// and the next up resumes it from its folder with its data.
func TestSandboxStaleRecovery(t *testing.T) {
	g := newGocli(t)
	const name = "stale"
	g.mustRun("sandbox", "up", "--detach", "--processes", "--port", "0", "--tick", "50ms", "--name", name)
	t.Cleanup(func() { g.run("sandbox", "down", "--purge", "--name", name) })
	g.mustRun("sandbox", "put", "survivor", "yes", "--name", name)
	var childPIDs []int
	for _, n := range g.status(name).Nodes {
		childPIDs = append(childPIDs, n.PID)
	}
	pidFile := filepath.Join(g.state, "gocli", "sandbox", name, "pid")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	var owner int
	fmt.Sscan(string(b), &owner)
	if err := syscall.Kill(owner, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 owner %d: %v", owner, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		alive := 0
		for _, p := range childPIDs {
			if syscall.Kill(p, 0) == nil {
				alive++
			}
		}
		out := g.mustRun("sandbox", "list", "-o", "json")
		if alive == 0 && strings.Contains(out, `"running": false`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the owner died: %d children alive, list %s", alive, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, errOut, code := g.run("sandbox", "status", "--name", name); code != 1 || !strings.Contains(errOut, "not running") {
		t.Fatalf("status of a crashed cluster: exit %d, %q", code, errOut)
	}
	g.mustRun("sandbox", "up", "--detach", "--processes", "--name", name)
	if out := g.mustRun("sandbox", "get", "survivor", "--name", name); out != "survivor\nyes\n" {
		t.Fatalf("after recovery get = %q", out)
	}
}
