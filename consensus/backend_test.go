package consensus_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gocli/gocli/consensus"
	"github.com/gocli/gocli/consensus/consensustest"
	"github.com/gocli/gocli/consensus/kv"
)

func TestReplicatedRestartKeepsState(t *testing.T) {
	dir := t.TempDir()
	ln, err := consensustest.ListenLoopback()
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	cfg := consensus.DefaultConfig()
	cfg.ID, cfg.DataDir, cfg.Listener = 1, filepath.Join(dir, "n1"), ln
	cfg.Peers = []consensus.Peer{{ID: 1, Addr: addr}}
	cfg.TickInterval = 10 * time.Millisecond
	cfg.SnapshotEntries = 10
	cfg.CatchUpEntries = 2
	opts := consensus.ReplicatedOptions[[]string]{
		Reduce:           func(s, cmd []string) []string { return append(append([]string(nil), s...), cmd...) },
		SubscriberBuffer: 1,
	}
	r, err := consensus.StartReplicated(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t, 30*time.Second)
	sub := r.Subscribe() // never read until the end: a slow subscriber
	for i := 0; i < 25; i++ {
		for {
			err := r.Propose(ctx, []string{string(rune('a' + i))})
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				t.Fatal(err)
			}
		}
	}
	// The slow subscriber kept only the newest update.
	if u := <-sub; len(u.State) != 25 {
		t.Fatalf("slow subscriber got state of %d items, want the latest (25)", len(u.State))
	}
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-sub; ok {
		t.Fatal("subscription not closed on stop")
	}
	cfg.Listener = nil
	cfg.ListenAddr = addr
	r, err = consensus.StartReplicated(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	// The snapshot is restored at start; the entries after it are
	// re-applied by the run loop right after.
	for {
		st, ok := r.GetLatest()
		if ok && strings.Join(st, "") == "abcdefghijklmnopqrstuvwxy" {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("after restart: %v %v", st, ok)
		case <-time.After(5 * time.Millisecond): // poll to the deadline
		}
	}
	if r.Node().Status().SnapshotIndex == 0 {
		t.Fatal("no snapshot was taken")
	}
}

func TestMetricsOnCallerRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := consensustest.NewCluster(t, 3, consensustest.Options{
		Configure: func(cfg *consensus.Config) { cfg.Registerer = reg },
	})
	ctx := ctxT(t, 30*time.Second)
	put(t, ctx, c, "k", "v")
	lid, _ := c.WaitLeader(ctx)
	if _, err := c.Server(lid).Put(ctx, kv.PutRequest{Key: []byte("k2")}); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	series := map[string]int{}
	for _, mf := range mfs {
		series[mf.GetName()] = len(mf.GetMetric())
	}
	for _, name := range []string{"consensus_applied_index", "consensus_wal_fsync_seconds", "consensus_proposal_commit_seconds", "consensus_leader_changes_total"} {
		if series[name] != 3 {
			t.Errorf("%s has %d series, want one per node (3)", name, series[name])
		}
	}
}
