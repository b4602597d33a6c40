package kv_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gocli/gocli/consensus"
	"github.com/gocli/gocli/consensus/consensustest"
	"github.com/gocli/gocli/consensus/kv"
)

// The crash test runs each node as a child process: the test binary
// re-executed with GOCLI_CONSENSUS_CHILD set to the node's JSON config.
const childEnv = "GOCLI_CONSENSUS_CHILD"

type childConfig struct {
	ID      uint64           `json:"id"`
	Dir     string           `json:"dir"`
	Peers   []consensus.Peer `json:"peers"`
	APIAddr string           `json:"api_addr"`
}

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(childMain(spec))
	}
	os.Exit(m.Run())
}

// childMain runs one node with a tiny HTTP API until it is killed.
func childMain(spec string) int {
	var cc childConfig
	if err := json.Unmarshal([]byte(spec), &cc); err != nil {
		fmt.Fprintln(os.Stderr, "child config:", err)
		return 2
	}
	cfg := consensus.DefaultConfig()
	cfg.ID, cfg.DataDir, cfg.Peers = cc.ID, cc.Dir, cc.Peers
	cfg.TickInterval = 20 * time.Millisecond
	cfg.SnapshotEntries = 100 // exercise snapshots and WAL release across crashes
	cfg.CatchUpEntries = 20
	cfg.SegmentSize = 16 << 10
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	for _, p := range cc.Peers {
		if p.ID == cc.ID {
			cfg.ListenAddr = p.Addr
		}
	}
	s, err := kv.Start(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "start:", err)
		return 1
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/put", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		q := r.URL.Query()
		if _, err := s.Put(ctx, kv.PutRequest{Key: []byte(q.Get("key")), Value: []byte(q.Get("value"))}); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		rr, err := s.Range(ctx, kv.RangeRequest{Key: []byte("w/"), RangeEnd: kv.PrefixEnd([]byte("w/"))})
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		m := map[string]string{}
		for _, kvv := range rr.Kvs {
			m[string(kvv.Key)] = string(kvv.Value)
		}
		json.NewEncoder(w).Encode(m)
	})
	mux.HandleFunc("/ready", func(w http.ResponseWriter, r *http.Request) {
		if s.Node().Leader() == 0 {
			http.Error(w, "no leader", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	})
	ln, err := net.Listen("tcp", cc.APIAddr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen for the test API:", err)
		s.Close()
		return 1
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-sig:
	case <-s.Node().Done():
		fmt.Fprintln(os.Stderr, "node stopped:", s.Node().Err())
	}
	srv.Close()
	s.Close()
	return 0
}

// freeAddr picks a port outside the ephemeral range, so that no outgoing
// connection takes it while its node is down between kill and restart.
func freeAddr(t *testing.T) string {
	ln, err := consensustest.ListenLoopback()
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type childNode struct {
	cfg  childConfig
	cmd  *exec.Cmd
	done chan struct{}
}

// TestCrashDurability kills nodes with SIGKILL during writes (GOCLI_CRASH_CYCLES
// cycles, default 20), restarts them from their data directories, and then
// checks that every acknowledged write is on every node — also after a
// final SIGKILL of the whole cluster at once.
func TestCrashDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	cycles := envInt("GOCLI_CRASH_CYCLES", 20)
	dir := t.TempDir()
	var peers []consensus.Peer
	for id := uint64(1); id <= 3; id++ {
		peers = append(peers, consensus.Peer{ID: id, Addr: freeAddr(t)})
	}
	nodes := map[uint64]*childNode{}
	var nmu sync.Mutex
	start := func(id uint64) {
		n := nodes[id]
		spec, _ := json.Marshal(n.cfg)
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+string(spec))
		logf, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("node%d.log", id)), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		// The child dies with the test process, whatever happens to it.
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatalf("start node %d: %v", id, err)
		}
		n.cmd, n.done = cmd, make(chan struct{})
		go func(done chan struct{}) { cmd.Wait(); logf.Close(); close(done) }(n.done)
	}
	kill := func(id uint64) {
		n := nodes[id]
		n.cmd.Process.Signal(syscall.SIGKILL)
		<-n.done
	}
	for id := uint64(1); id <= 3; id++ {
		nodes[id] = &childNode{cfg: childConfig{ID: id, Dir: filepath.Join(dir, fmt.Sprint(id)), Peers: peers, APIAddr: freeAddr(t)}}
		start(id)
	}
	t.Cleanup(func() {
		for id := range nodes {
			kill(id)
		}
	})
	client := &http.Client{Timeout: 3 * time.Second}
	waitReady := func(id uint64) {
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			resp, err := client.Get("http://" + nodes[id].cfg.APIAddr + "/ready")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return
				}
			}
			time.Sleep(20 * time.Millisecond) // poll to a deadline
		}
		for nid := uint64(1); nid <= 3; nid++ {
			b, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("node%d.log", nid)))
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			t.Logf("node %d log tail:\n%s", nid, strings.Join(lines[max(0, len(lines)-25):], "\n"))
		}
		t.Fatalf("node %d not ready", id)
	}
	for id := uint64(1); id <= 3; id++ {
		waitReady(id)
	}

	var amu sync.Mutex
	acked := map[string]string{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				nmu.Lock()
				addr := nodes[uint64(rng.IntN(3)+1)].cfg.APIAddr
				nmu.Unlock()
				key, val := fmt.Sprintf("w/%d/%d", w, i), fmt.Sprint(i)
				resp, err := client.Get("http://" + addr + "/put?key=" + url.QueryEscape(key) + "&value=" + val)
				if err != nil {
					continue
				}
				resp.Body.Close()
				if resp.StatusCode == 200 {
					amu.Lock()
					acked[key] = val
					amu.Unlock()
				}
			}
		}()
	}
	count := func() int { amu.Lock(); defer amu.Unlock(); return len(acked) }
	rng := rand.New(rand.NewPCG(42, 42))
	for cycle := 0; cycle < cycles; cycle++ {
		// Let some writes land between kills.
		target := count() + 5
		deadline := time.Now().Add(30 * time.Second)
		for count() < target && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond) // poll to a deadline
		}
		if count() < target {
			t.Fatalf("cycle %d: writes stalled at %d", cycle, count())
		}
		victim := uint64(rng.IntN(3) + 1)
		nmu.Lock()
		kill(victim)
		start(victim)
		nmu.Unlock()
		waitReady(victim)
	}
	close(stop)
	wg.Wait()

	// Power cut for the whole cluster, then everyone back.
	nmu.Lock()
	for id := uint64(1); id <= 3; id++ {
		kill(id)
	}
	for id := uint64(1); id <= 3; id++ {
		start(id)
	}
	nmu.Unlock()
	for id := uint64(1); id <= 3; id++ {
		waitReady(id)
	}
	for id := uint64(1); id <= 3; id++ {
		var got map[string]string
		deadline := time.Now().Add(60 * time.Second)
		for {
			resp, err := client.Get("http://" + nodes[id].cfg.APIAddr + "/keys")
			if err == nil {
				if resp.StatusCode == 200 {
					err = json.NewDecoder(resp.Body).Decode(&got)
				} else {
					b, _ := io.ReadAll(resp.Body)
					err = fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(b)))
				}
				resp.Body.Close()
			}
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("read keys from node %d: %v", id, err)
			}
			time.Sleep(50 * time.Millisecond) // poll to a deadline
		}
		missing := 0
		for k, v := range acked {
			if got[k] != v {
				if missing < 5 {
					t.Errorf("node %d: acknowledged write %s=%s is %q after crashes", id, k, v, got[k])
				}
				missing++
			}
		}
		if missing > 0 {
			t.Fatalf("node %d lost %d of %d acknowledged writes", id, missing, len(acked))
		}
	}
	t.Logf("%d kill cycles plus a full-cluster kill; %d acknowledged writes present on all 3 nodes", cycles, len(acked))
}
