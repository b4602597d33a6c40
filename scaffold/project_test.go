package scaffold

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gocli/gocli"
)

// These tests build, vet and test generated projects with the real
// consensus engine, offline: test.sh warms the module cache first
// (go mod download in a generated project), then everything here runs
// with GOPROXY=off, so a dependency missing from the generated go.mod or
// go.sum fails the build instead of being fetched.

// generateProject writes a project for tmpl with the embedded engine.
func generateProject(t testing.TB, tmpl, dir string) {
	t.Helper()
	g := &Generator{Spec: Spec{Service: "user", Template: tmpl}, Dir: dir, Engine: gocli.Source, Version: "v0.0.0-test"}
	if _, err := g.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// goCmd runs the go tool in dir, offline unless online is set.
func goCmd(t testing.TB, dir string, online bool, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	env := append(os.Environ(), "GOWORK=off", "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod -trimpath")
	if !online {
		env = append(env, "GOPROXY=off")
	}
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}

func requireGo(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not building generated projects")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool on PATH")
	}
}

// TestGeneratedProject checks, for each template, that the generated
// project's go.mod and go.sum are complete and tidy, and that it builds,
// vets and passes its own tests, all offline. With -update it first
// refreshes templates/go.mod.tmpl and templates/go.sum with `go mod tidy`
// (online).
func TestGeneratedProject(t *testing.T) {
	requireGo(t)
	if *update {
		refreshModuleFiles(t)
	}
	for _, tmpl := range TemplateNames() {
		t.Run(tmpl, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "user")
			generateProject(t, tmpl, dir)
			goCmd(t, dir, false, "mod", "tidy", "-diff")
			goCmd(t, dir, false, "build", "./...")
			goCmd(t, dir, false, "vet", "./...")
			out := goCmd(t, dir, false, "test", "-count=1", "./...")
			for _, pkg := range []string{"internal/api", "internal/config", "internal/model", "internal/server", "internal/store"} {
				if !regexp.MustCompile(`(?m)^ok\s+example.com/user/` + pkg + `\s`).MatchString(out) {
					t.Errorf("package %s did not pass:\n%s", pkg, out)
				}
			}
		})
	}
}

// refreshModuleFiles regenerates the go.mod requirements and go.sum that
// every project gets, from `go mod tidy` on a generated project.
func refreshModuleFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "user")
	generateProject(t, TemplatePlain, dir)
	goCmd(t, dir, true, "mod", "tidy")
	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(mod, []byte("\nrequire"))
	if i < 0 {
		t.Fatalf("tidy go.mod has no requirements:\n%s", mod)
	}
	tmpl := "module [[.Module]]\n\ngo [[.GoVersion]]\n" + string(mod[i:])
	if err := os.WriteFile(filepath.Join("templates", "go.mod.tmpl"), []byte(tmpl), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(dir, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("templates", "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
}

// node is one process of the generated service.
type node struct {
	id                  int
	http, admin, raft   string
	dataDir, bin, peers string
	cmd                 *exec.Cmd
	log                 *bytes.Buffer
	exited              chan struct{}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (n *node) start(t *testing.T) {
	t.Helper()
	n.log = &bytes.Buffer{}
	n.cmd = exec.Command(n.bin, "serve", "--id", fmt.Sprint(n.id), "--peers", n.peers,
		"--raft-addr", n.raft, "--http-addr", n.http, "--admin-addr", n.admin,
		"--data-dir", n.dataDir, "--tick", "20ms", "--log-level", "info")
	n.cmd.Stdout, n.cmd.Stderr = n.log, n.log
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n.exited = make(chan struct{})
	cmd, exited := n.cmd, n.exited
	go func() { // owned by the node; ends when the process does
		_ = cmd.Wait()
		close(exited)
	}()
}

func (n *node) stop(sig syscall.Signal) {
	if n.cmd == nil {
		return
	}
	_ = n.cmd.Process.Signal(sig)
	select {
	case <-n.exited:
	case <-time.After(15 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.exited
	}
	n.cmd = nil
}

type nodeStatus struct {
	ID, Leader, Applied uint64
}

func (n *node) status() (nodeStatus, error) {
	var st nodeStatus
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get("http://" + n.admin + "/status")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// waitFor polls cond every 50 ms until it holds or 30 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// leaderOf returns the ID that every running node agrees leads, or 0.
func leaderOf(nodes []*node) uint64 {
	var lead uint64
	for _, n := range nodes {
		if n.cmd == nil {
			continue
		}
		st, err := n.status()
		if err != nil || st.Leader == 0 || (lead != 0 && st.Leader != lead) {
			return 0
		}
		lead = st.Leader
	}
	return lead
}

func request(method, url, body string) (int, []byte, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func createUser(t *testing.T, n *node, name string) string {
	t.Helper()
	code, body, err := request("POST", "http://"+n.http+"/v1/users", fmt.Sprintf(`{"name":%q,"email":"%s@example.com"}`, name, name))
	if err != nil || code != http.StatusCreated {
		t.Fatalf("create via node %d: %d %s %v", n.id, code, body, err)
	}
	var u struct{ ID string }
	if err := json.Unmarshal(body, &u); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func readUser(n *node, id string) (string, error) {
	code, body, err := request("GET", "http://"+n.http+"/v1/users/"+id, "")
	if err != nil {
		return "", err
	}
	if code != http.StatusOK {
		return "", fmt.Errorf("node %d: GET %s: %d %s", n.id, id, code, body)
	}
	var u struct{ Name string }
	return u.Name, json.Unmarshal(body, &u)
}

// TestGeneratedClusterProcesses runs the generated binary as three real
// processes on loopback: a write through one node is read from another;
// the leader is killed (SIGKILL), the others elect a new one and keep
// serving; the killed node restarts from its WAL and catches up.
func TestGeneratedClusterProcesses(t *testing.T) {
	requireGo(t)
	dir := filepath.Join(t.TempDir(), "user")
	generateProject(t, TemplateIstio, dir)
	bin := filepath.Join(t.TempDir(), "user")
	goCmd(t, dir, false, "build", "-o", bin, "./cmd/user")

	nodes := make([]*node, 3)
	var peers []string
	for i := range nodes {
		nodes[i] = &node{id: i + 1, bin: bin, http: freeAddr(t), admin: freeAddr(t), raft: freeAddr(t), dataDir: filepath.Join(t.TempDir(), "data")}
		peers = append(peers, fmt.Sprintf("%d=%s", i+1, nodes[i].raft))
	}
	for _, n := range nodes {
		n.peers = strings.Join(peers, ",")
		n.start(t)
	}
	t.Cleanup(func() {
		for _, n := range nodes {
			n.stop(syscall.SIGKILL)
		}
		if t.Failed() {
			for _, n := range nodes {
				if n.log != nil {
					t.Logf("node %d log:\n%s", n.id, lastLines(n.log.String(), 30))
				}
			}
		}
	})

	var lead uint64
	waitFor(t, "a leader all nodes agree on", func() bool { lead = leaderOf(nodes); return lead != 0 })
	follower := nodes[lead%3] // a node that is not the leader
	other := nodes[(lead+1)%3]
	id := createUser(t, follower, "ada")
	if name, err := readUser(other, id); err != nil || name != "ada" {
		t.Fatalf("read from node %d: %q, %v", other.id, name, err)
	}
	throughput(t, nodes)

	// Kill the leader without warning.
	killed := nodes[lead-1]
	killed.stop(syscall.SIGKILL)
	var newLead uint64
	waitFor(t, "a new leader", func() bool { newLead = leaderOf(nodes); return newLead != 0 && newLead != lead })
	var alive *node
	for _, n := range nodes {
		if n.cmd != nil {
			alive = n
		}
	}
	id2 := createUser(t, alive, "grace")
	for _, n := range nodes {
		if n.cmd == nil {
			continue
		}
		if name, err := readUser(n, id); err != nil || name != "ada" {
			t.Fatalf("after failover, node %d reads %q, %v", n.id, name, err)
		}
	}

	// The killed node restarts from its WAL and catches up: a linearizable
	// read on it sees the write made while it was down.
	killed.start(t)
	waitFor(t, "the restarted node to serve the write it missed", func() bool {
		name, err := readUser(killed, id2)
		return err == nil && name == "grace"
	})
	var applied []uint64
	waitFor(t, "all nodes to apply the same index", func() bool {
		applied = applied[:0]
		for _, n := range nodes {
			st, err := n.status()
			if err != nil {
				return false
			}
			applied = append(applied, st.Applied)
		}
		return applied[0] == applied[1] && applied[1] == applied[2]
	})

	// SIGTERM on the current leader: a graceful stop hands leadership over.
	cur := leaderOf(nodes)
	nodes[cur-1].stop(syscall.SIGTERM)
	if !strings.Contains(nodes[cur-1].log.String(), "handed leadership over") {
		t.Errorf("leader %d stopped without handing over:\n%s", cur, lastLines(nodes[cur-1].log.String(), 10))
	}
}

// throughput reports put and get rates and p99 latency on the running
// cluster. It asserts nothing about speed; the figures go to the log.
func throughput(t *testing.T, nodes []*node) {
	const workers, perWorker = 16, 100
	run := func(op func(w, i int) error) (time.Duration, []time.Duration) {
		var mu sync.Mutex
		var lat []time.Duration
		var wg sync.WaitGroup
		start := time.Now()
		for w := range workers {
			wg.Go(func() {
				for i := range perWorker {
					t0 := time.Now()
					if err := op(w, i); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					lat = append(lat, time.Since(t0))
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		return time.Since(start), lat
	}
	ids := make([][]string, workers)
	putTime, putLat := run(func(w, i int) error {
		n := nodes[w%len(nodes)]
		code, body, err := request("POST", "http://"+n.http+"/v1/users", fmt.Sprintf(`{"name":"u%d-%d","email":"u@example.com"}`, w, i))
		if err != nil || code != http.StatusCreated {
			return fmt.Errorf("put: %d %s %v", code, body, err)
		}
		var u struct{ ID string }
		if err := json.Unmarshal(body, &u); err != nil {
			return err
		}
		ids[w] = append(ids[w], u.ID)
		return nil
	})
	getTime, getLat := run(func(w, i int) error {
		_, err := readUser(nodes[(w+1)%len(nodes)], ids[w][i])
		return err
	})
	p99 := func(l []time.Duration) time.Duration {
		if len(l) == 0 {
			return 0
		}
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
		return l[len(l)*99/100]
	}
	total := workers * perWorker
	t.Logf("3-node cluster on loopback, %d workers: put %.0f/s p99 %v; linearizable get %.0f/s p99 %v",
		workers, float64(total)/putTime.Seconds(), p99(putLat), float64(total)/getTime.Seconds(), p99(getLat))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
