package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"example.com/user/internal/config"
)

// startCluster runs n nodes in this process on loopback.
func startCluster(t *testing.T, n int) []*Server {
	t.Helper()
	lns := make([]net.Listener, n)
	peers := make([]config.Peer, n)
	for i := range lns {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[i] = ln
		peers[i] = config.Peer{ID: uint64(i + 1), Addr: ln.Addr().String()}
	}
	nodes := make([]*Server, n)
	for i := range nodes {
		cfg := &config.Config{
			ID: uint64(i + 1), Peers: peers, RaftListener: lns[i],
			HTTPAddr: "127.0.0.1:0", AdminAddr: "127.0.0.1:0",
			DataDir: t.TempDir(), TickInterval: 20 * time.Millisecond, ShutdownTimeout: 5 * time.Second,
		}
		s, err := Start(context.Background(), cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		nodes[i] = s
	}
	t.Cleanup(func() {
		for _, s := range nodes {
			if s != nil {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				_ = s.Shutdown(ctx)
				cancel()
			}
		}
	})
	return nodes
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func leader(nodes []*Server) int {
	for i, s := range nodes {
		if s != nil {
			if st := s.Store().Status(); st.Leader == st.ID {
				return i
			}
		}
	}
	return -1
}

func TestClusterReplicatesAndFailsOver(t *testing.T) {
	nodes := startCluster(t, 3)
	eventually(t, "a leader", func() bool { return leader(nodes) >= 0 })
	lead := leader(nodes)
	follower := (lead + 1) % 3

	// A write through a follower reaches the leader inside Raft.
	body := []byte(`{"name":"Ada Lovelace","email":"ada@example.com"}`)
	resp, err := http.Post(fmt.Sprintf("http://%s/v1/users", nodes[follower].HTTPAddr()), "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create via follower: %s, %v", resp.Status, err)
	}
	resp.Body.Close()

	// Graceful shutdown of the leader hands leadership over.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := nodes[lead].Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	nodes[lead] = nil
	eventually(t, "a new leader", func() bool { return leader(nodes) >= 0 })

	// Every remaining node serves the record with a linearizable read.
	for _, s := range nodes {
		if s == nil {
			continue
		}
		resp, err := http.Get(fmt.Sprintf("http://%s/v1/users/%s", s.HTTPAddr(), created.ID))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("node %s: read after failover: %s", s.HTTPAddr(), resp.Status)
		}
	}
}
