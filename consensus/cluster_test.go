package consensus_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gocli/gocli/consensus"
	"github.com/gocli/gocli/consensus/consensustest"
	"github.com/gocli/gocli/consensus/kv"
)

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func put(t *testing.T, ctx context.Context, c *consensustest.Cluster, key, val string) {
	t.Helper()
	for {
		lid, err := c.WaitLeader(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err = c.Server(lid).Put(pctx, kv.PutRequest{Key: []byte(key), Value: []byte(val)})
		cancel()
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}
}

func smallSnapshots(cfg *consensus.Config) {
	cfg.SnapshotEntries = 50
	cfg.CatchUpEntries = 10
	cfg.SegmentSize = 8 << 10
}

func TestSnapshotCompactionRestore(t *testing.T) {
	c := consensustest.NewCluster(t, 3, consensustest.Options{Configure: smallSnapshots})
	ctx := ctxT(t, 60*time.Second)
	for i := 0; i < 300; i++ {
		put(t, ctx, c, fmt.Sprintf("k%03d", i%40), fmt.Sprint(i))
	}
	lid, _ := c.WaitLeader(ctx)
	st := c.Server(lid).Node().Status()
	if st.SnapshotIndex == 0 {
		t.Fatalf("no snapshot taken: %+v", st)
	}
	// Old WAL segments were released after snapshots.
	segs, _ := filepath.Glob(filepath.Join(c.Config(lid, nil, false).DataDir, "wal", "*.wal"))
	if len(segs) > 4 {
		t.Fatalf("WAL not compacted: %d segments", len(segs))
	}
	// Restart every node: state comes back from snapshot + WAL.
	want := c.Server(lid).Store().Revision()
	for _, id := range c.Running() {
		if err := c.Kill(id); err != nil {
			t.Fatal(err)
		}
	}
	for id := uint64(1); id <= 3; id++ {
		if err := c.Restart(id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range c.Running() {
		s := c.Server(id)
		kvv, err := s.Get(ctx, []byte("k019"))
		if err != nil || kvv == nil || string(kvv.Value) != "299" {
			t.Fatalf("node %d after restart: k019 = %+v, %v", id, kvv, err)
		}
		if got := s.Store().Revision(); got < want {
			t.Fatalf("node %d revision %d < %d", id, got, want)
		}
	}
}

func TestFollowerCatchesUpBySnapshot(t *testing.T) {
	c := consensustest.NewCluster(t, 3, consensustest.Options{Configure: smallSnapshots})
	ctx := ctxT(t, 60*time.Second)
	lid, err := c.WaitLeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	victim := uint64(1)
	if victim == lid {
		victim = 2
	}
	put(t, ctx, c, "before", "1")
	if err := c.Kill(victim); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		put(t, ctx, c, fmt.Sprintf("k%d", i), fmt.Sprint(i))
	}
	lid, _ = c.WaitLeader(ctx)
	ls := c.Server(lid)
	if err := ls.Node().Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Restart(victim); err != nil {
		t.Fatal(err)
	}
	// The leader's log no longer reaches back to the follower's: it can
	// only catch up through a snapshot.
	target := ls.Node().AppliedIndex()
	if err := c.WaitApplied(ctx, target); err != nil {
		t.Fatal(err)
	}
	s := c.Server(victim)
	// Status is published at the end of each Ready, a moment after the
	// applied index moves.
	for st := s.Node().Status(); st.Applied < target; st = s.Node().Status() {
		select {
		case <-ctx.Done():
			t.Fatalf("status never caught up: %+v", st)
		case <-time.After(5 * time.Millisecond): // poll to the deadline
		}
	}
	if st := s.Node().Status(); st.SnapshotIndex == 0 {
		t.Fatalf("follower caught up without a snapshot: %+v", st)
	}
	rr, err := s.Range(ctx, kv.RangeRequest{Key: []byte("k199"), Serializable: true})
	if err != nil || len(rr.Kvs) != 1 || string(rr.Kvs[0].Value) != "199" {
		t.Fatalf("follower state after snapshot: %+v, %v", rr, err)
	}
}

func TestMembership3To5To3UnderWrites(t *testing.T) {
	c := consensustest.NewCluster(t, 3)
	ctx := ctxT(t, 90*time.Second)
	if _, err := c.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	var written atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			put(t, ctx, c, fmt.Sprintf("m%d", i), fmt.Sprint(i))
			written.Add(1)
		}
	}()
	// 3 → 5: one learner promoted, one voter added directly.
	l4, err := c.AddNode(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	lid, _ := c.WaitLeader(ctx)
	if err := c.WaitApplied(ctx, c.Server(lid).Node().AppliedIndex()); err != nil {
		t.Fatal(err)
	}
	if st := c.Server(l4).Node().Status(); st.Role != consensus.RoleLearner {
		t.Fatalf("node %d role = %s, want learner", l4, st.Role)
	}
	for {
		lid, _ = c.WaitLeader(ctx)
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err = c.Server(lid).Node().PromoteLearner(pctx, l4)
		cancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatal(err)
		}
	}
	n5, err := c.AddNode(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	lid, _ = c.WaitLeader(ctx)
	if got := len(c.Server(lid).Node().Members()); got != 5 {
		t.Fatalf("members = %d, want 5", got)
	}
	if err := c.WaitApplied(ctx, c.Server(lid).Node().AppliedIndex()); err != nil {
		t.Fatal(err)
	}
	// 5 → 3: remove two of the original members (maybe the leader).
	for _, id := range []uint64{1, 2} {
		if err := c.RemoveNode(ctx, id); err != nil {
			t.Fatalf("remove %d: %v", id, err)
		}
	}
	lid, err = c.WaitLeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := written.Load()
	for written.Load() < before+10 {
		select {
		case <-ctx.Done():
			t.Fatal("writes stalled after membership changes")
		case <-time.After(10 * time.Millisecond): // poll to a deadline
		}
	}
	close(stop)
	wg.Wait()
	ms := c.Server(lid).Node().Members()
	if len(ms) != 3 {
		t.Fatalf("members = %+v, want 3", ms)
	}
	for _, m := range ms {
		if m.ID == 1 || m.ID == 2 || m.Learner {
			t.Fatalf("unexpected member %+v", m)
		}
	}
	if err := c.WaitApplied(ctx, c.Server(lid).Node().AppliedIndex()); err != nil {
		t.Fatal(err)
	}
	last := fmt.Sprintf("m%d", written.Load()-1)
	for _, id := range []uint64{3, l4, n5} {
		rr, err := c.Server(id).Range(ctx, kv.RangeRequest{Key: []byte(last)})
		if err != nil || len(rr.Kvs) != 1 {
			t.Fatalf("node %d missing %s: %v", id, last, err)
		}
	}
}

func TestLeadershipTransfer(t *testing.T) {
	c := consensustest.NewCluster(t, 3)
	ctx := ctxT(t, 30*time.Second)
	lid, err := c.WaitLeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	events, cancel := c.Server(lid).Node().Events(64)
	defer cancel()
	to := lid%3 + 1
	put(t, ctx, c, "x", "1")
	if err := c.Server(lid).Node().TransferLeadership(ctx, to); err != nil {
		t.Fatal(err)
	}
	got, err := c.WaitLeader(ctx)
	if err != nil || got != to {
		t.Fatalf("leader = %d, %v; want %d", got, err, to)
	}
	for {
		select {
		case ev := <-events:
			if ev.Type == consensus.EventLeaderChanged && ev.Leader == to {
				put(t, ctx, c, "x", "2")
				return
			}
		case <-ctx.Done():
			t.Fatal("no leader-change event")
		}
	}
}

func TestConfigValidate(t *testing.T) {
	valid := func() consensus.Config {
		cfg := consensus.DefaultConfig()
		cfg.ID, cfg.DataDir = 1, os.TempDir()
		cfg.Peers = []consensus.Peer{{ID: 1, Addr: "127.0.0.1:1"}, {ID: 2, Addr: "127.0.0.1:2"}}
		return cfg
	}
	if cfg := valid(); cfg.Validate() != nil {
		t.Fatalf("valid config rejected: %v", cfg.Validate())
	}
	cases := []struct {
		name   string
		modify func(*consensus.Config)
		want   string
	}{
		{"zero ID", func(c *consensus.Config) { c.ID = 0 }, "ID must be non-zero"},
		{"no data dir", func(c *consensus.Config) { c.DataDir = "" }, "DataDir must be set"},
		{"no address", func(c *consensus.Config) { c.ListenAddr = "" }, "ListenAddr must be set"},
		{"peer without ID", func(c *consensus.Config) { c.Peers[1].ID = 0 }, "Peers[1].ID must be non-zero"},
		{"duplicate peer", func(c *consensus.Config) { c.Peers[1].ID = 1 }, "Peers[1].ID 1 is listed twice"},
		{"peer without address", func(c *consensus.Config) { c.Peers[1].Addr = "" }, "Peers[1].Addr must be set for peer 2"},
		{"self missing", func(c *consensus.Config) { c.Peers = c.Peers[1:] }, "Peers must include this node (ID 1)"},
		{"tick", func(c *consensus.Config) { c.TickInterval = 0 }, "TickInterval must be positive"},
		{"heartbeat", func(c *consensus.Config) { c.HeartbeatTicks = 0 }, "HeartbeatTicks must be positive"},
		{"election", func(c *consensus.Config) { c.ElectionTicks = 1 }, "ElectionTicks (1) must be greater than HeartbeatTicks (1)"},
		{"batch count", func(c *consensus.Config) { c.MaxBatchCount = 0 }, "MaxBatchCount must be positive"},
		{"batch bytes", func(c *consensus.Config) { c.MaxBatchBytes = 0 }, "MaxBatchBytes must be positive"},
		{"queue", func(c *consensus.Config) { c.ProposalQueue = 0 }, "ProposalQueue must be positive"},
		{"snapshots", func(c *consensus.Config) { c.SnapshotEntries = 0 }, "SnapshotEntries must be positive"},
		{"segment", func(c *consensus.Config) { c.SegmentSize = 10 }, "SegmentSize must be at least 4096 bytes, got 10"},
		{"msg size", func(c *consensus.Config) { c.MaxSizePerMsg = 0 }, "MaxSizePerMsg must be positive"},
		{"inflight", func(c *consensus.Config) { c.MaxInflightMsgs = 0 }, "MaxInflightMsgs must be positive"},
		{"peer queue", func(c *consensus.Config) { c.PeerQueueSize = 0 }, "PeerQueueSize must be positive"},
		{"dial", func(c *consensus.Config) { c.DialTimeout = 0 }, "DialTimeout must be positive"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := valid()
			c.modify(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate() = %v, want it to say %q", err, c.want)
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != 1 {
				t.Fatalf("one bad field gave %d messages: %v", n, err)
			}
		})
	}
	// Joining nodes need not list themselves.
	cfg := valid()
	cfg.Join, cfg.Peers = true, cfg.Peers[1:]
	if err := cfg.Validate(); err != nil {
		t.Fatalf("join config: %v", err)
	}
}

func TestInMemoryClusterPartition(t *testing.T) {
	c := consensustest.NewCluster(t, 3, consensustest.Options{InMemory: true, Configure: smallSnapshots})
	ctx := ctxT(t, 30*time.Second)
	old, err := c.WaitLeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	put(t, ctx, c, "a", "1")
	c.Isolate(old)
	var others []uint64
	for _, id := range c.Running() {
		if id != old {
			others = append(others, id)
		}
	}
	// The majority elects a new leader while the old one is cut off.
	for {
		if l := c.Server(others[0]).Node().Leader(); l != 0 && l != old && c.Server(l).Node().IsLeader() {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("majority elected no new leader")
		case <-time.After(5 * time.Millisecond): // poll to the deadline
		}
	}
	c.Heal()
	for i := 0; i < 100; i++ {
		put(t, ctx, c, "b", fmt.Sprint(i))
	}
	lid, _ := c.WaitLeader(ctx)
	if err := c.WaitApplied(ctx, c.Server(lid).Node().AppliedIndex()); err != nil {
		t.Fatal(err)
	}
	rr, err := c.Server(old).Range(ctx, kv.RangeRequest{Key: []byte("b"), Serializable: true})
	if err != nil || len(rr.Kvs) != 1 || string(rr.Kvs[0].Value) != "99" {
		t.Fatalf("old leader after healing: %+v %v", rr, err)
	}
}

// TestProposalToKilledLeaderIsRetried: a put made on a follower just after
// its leader died is forwarded to the dead leader, and the connection to
// it is gone, so the forward never leaves the follower. The follower
// proposes it again once a new leader is elected: the put succeeds, once,
// instead of waiting out its deadline with an unknown outcome.
func TestProposalToKilledLeaderIsRetried(t *testing.T) {
	// Elections take 1-2 s at a 100 ms tick: the follower still follows
	// the dead leader when the put comes.
	c := consensustest.NewCluster(t, 3, consensustest.Options{Tick: 100 * time.Millisecond})
	ctx := ctxT(t, 60*time.Second)
	put(t, ctx, c, "warm", "up") // every node has connected to every other
	lid, err := c.WaitLeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fid := c.Follower(lid)
	f := c.Server(fid)
	if err := c.Kill(lid); err != nil {
		t.Fatal(err)
	}
	// As long as a user's next command takes: the far end's close has
	// reached the follower's transport, not yet its election timer.
	time.Sleep(300 * time.Millisecond)
	if got := f.Node().Leader(); got != lid {
		t.Fatalf("follower %d already follows %d; the put would not go to the dead leader", fid, got)
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := f.Put(pctx, kv.PutRequest{Key: []byte("after-kill"), Value: []byte("v")}); err != nil {
		t.Fatalf("put on follower %d after its leader %d was killed: %v", fid, lid, err)
	}
	r, err := f.Range(pctx, kv.RangeRequest{Key: []byte("after-kill")})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Kvs) != 1 || r.Kvs[0].Version != 1 {
		t.Fatalf("after-kill: %+v, want one key at version 1 (written exactly once)", r.Kvs)
	}
}

// TestReadReissuedToNewLeader: a linearizable read on a follower whose
// round went to a leader that never answers is asked again of the next
// leader as soon as the follower learns of it, not only when the
// follower's retry timer (two election timeouts) fires. Node 1 has an
// election timeout of 10 s here, so that timer would fire after 20 s,
// long after the read's deadline, and node 1 never campaigns; its
// messages to the leader are cut, so its round is lost, and the leader
// hands over to the third node.
func TestReadReissuedToNewLeader(t *testing.T) {
	c := consensustest.NewCluster(t, 3, consensustest.Options{Configure: func(cfg *consensus.Config) {
		if cfg.ID == 1 {
			cfg.ElectionTicks = 500
		}
	}})
	ctx := ctxT(t, 60*time.Second)
	put(t, ctx, c, "k", "v")
	lid, err := c.WaitLeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if lid == 1 {
		t.Fatal("node 1 became leader with a 10 s election timeout")
	}
	f := c.Server(1)
	for f.Node().Leader() != lid { // node 1 has heard of the leader
		if ctx.Err() != nil {
			t.Fatal("node 1 never learned the leader")
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.Faults.Cut(1, lid)
	read := make(chan error, 1)
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	go func() {
		_, err := f.Range(rctx, kv.RangeRequest{Key: []byte("k")})
		read <- err
	}()
	time.Sleep(100 * time.Millisecond) // the round has gone to the old leader
	to := 6 - 1 - lid                  // the third node
	if err := c.Server(lid).Node().TransferLeadership(ctx, to); err != nil {
		t.Fatal(err)
	}
	if err := <-read; err != nil {
		t.Fatalf("read on node 1 after leadership moved from %d to %d: %v", lid, to, err)
	}
}
