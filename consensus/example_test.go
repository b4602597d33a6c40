package consensus_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/gocli/gocli/consensus"
	"github.com/gocli/gocli/consensus/kv"
)

// exampleConfigs returns configs for an n-node cluster on loopback, each
// with its own listener and data directory under dir.
func exampleConfigs(dir string, n int) []consensus.Config {
	var peers []consensus.Peer
	var lns []net.Listener
	for id := 1; id <= n; id++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(err) // examples only: no recovery possible without a port
		}
		lns = append(lns, ln)
		peers = append(peers, consensus.Peer{ID: uint64(id), Addr: ln.Addr().String()})
	}
	var cfgs []consensus.Config
	for i := range n {
		cfg := consensus.DefaultConfig()
		cfg.ID = uint64(i + 1)
		cfg.DataDir = filepath.Join(dir, fmt.Sprint(i+1))
		cfg.Listener = lns[i]
		cfg.Peers = peers
		cfg.TickInterval = 20 * time.Millisecond
		cfgs = append(cfgs, cfg)
	}
	return cfgs
}

func waitLeader(ctx context.Context, nodes ...*consensus.Node) *consensus.Node {
	for ctx.Err() == nil {
		for _, n := range nodes {
			if n.IsLeader() {
				return n
			}
		}
		time.Sleep(10 * time.Millisecond) // poll to the context's deadline
	}
	return nil
}

// A distributed counter on the generic Backend: every node folds the
// increments in log order, so all agree on the total.
func ExampleReplicated_counter() {
	dir, _ := os.MkdirTemp("", "counter")
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var counters []*consensus.Replicated[int64]
	for _, cfg := range exampleConfigs(dir, 3) {
		c, err := consensus.StartReplicated(cfg, consensus.ReplicatedOptions[int64]{
			Reduce: func(total, delta int64) int64 { return total + delta },
		})
		if err != nil {
			fmt.Println(err)
			return
		}
		defer c.Stop()
		counters = append(counters, c)
	}
	waitLeader(ctx, counters[0].Node(), counters[1].Node(), counters[2].Node())
	updates := counters[2].Subscribe()
	for i := 1; i <= 4; i++ {
		// Any node accepts proposals; followers forward them to the leader.
		if err := counters[i%3].Propose(ctx, int64(i)); err != nil {
			fmt.Println(err)
			return
		}
	}
	for u := range updates {
		if u.State == 10 {
			break
		}
	}
	total, _ := counters[2].GetLatest()
	fmt.Println("counter =", total)
	// Output: counter = 10
}

// startKV starts a 3-node KV cluster and returns its servers and leader.
func startKV(ctx context.Context, dir string) ([]*kv.Server, *kv.Server) {
	var servers []*kv.Server
	var nodes []*consensus.Node
	for _, cfg := range exampleConfigs(dir, 3) {
		s, err := kv.Start(cfg)
		if err != nil {
			panic(err)
		}
		servers = append(servers, s)
		nodes = append(nodes, s.Node())
	}
	l := waitLeader(ctx, nodes...)
	for _, s := range servers {
		if s.Node() == l {
			return servers, s
		}
	}
	return servers, servers[0]
}

// tryLock takes a lock by creating its key, attached to the holder's
// lease, only if the key does not exist (create_revision == 0).
func tryLock(ctx context.Context, s *kv.Server, name string, lease int64, holder string) (bool, error) {
	key := []byte("locks/" + name)
	r, err := s.Txn(ctx, kv.TxnRequest{
		Compare: []kv.Compare{{Key: key, Target: kv.CompareCreate, Result: kv.CompareEqual, CreateRevision: 0}},
		Success: []kv.Op{{Put: &kv.PutRequest{Key: key, Value: []byte(holder), Lease: lease}}},
	})
	if err != nil {
		return false, err
	}
	return r.Succeeded, nil
}

// A lock with a lease: the holder's lease owns the lock key, so if the
// holder stops renewing (crashes), the leader revokes the lease and the
// lock frees itself.
func Example_lockWithLease() {
	dir, _ := os.MkdirTemp("", "lock")
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	servers, leader := startKV(ctx, dir)
	for _, s := range servers {
		defer s.Close()
	}

	alice, _ := leader.LeaseGrant(ctx, 2, 0) // 2-second TTL
	bob, _ := servers[1].LeaseGrant(ctx, 5, 0)

	ok, _ := tryLock(ctx, servers[0], "db", alice.ID, "alice")
	fmt.Println("alice locks:", ok)
	ok, _ = tryLock(ctx, servers[2], "db", bob.ID, "bob")
	fmt.Println("bob locks while alice holds it:", ok)

	// Alice stops sending keep-alives; bob waits for the key to go away.
	w, _ := servers[2].Watch(ctx, kv.WatchRequest{Key: []byte("locks/db")})
	for resp := range w {
		if len(resp.Events) > 0 && resp.Events[0].Type == kv.EventDelete {
			break
		}
	}
	ok, _ = tryLock(ctx, servers[2], "db", bob.ID, "bob")
	fmt.Println("bob locks after alice's lease expired:", ok)
	// Output:
	// alice locks: true
	// bob locks while alice holds it: false
	// bob locks after alice's lease expired: true
}

// Leader election on the KV store: candidates race to create one key
// under their lease; the others watch it and campaign again when it is
// deleted (resignation or expiry).
func Example_leaderElection() {
	dir, _ := os.MkdirTemp("", "election")
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	servers, _ := startKV(ctx, dir)
	for _, s := range servers {
		defer s.Close()
	}
	campaign := func(s *kv.Server, name string) (int64, bool) {
		l, err := s.LeaseGrant(ctx, 10, 0)
		if err != nil {
			fmt.Println(name, "cannot campaign:", err)
			return 0, false
		}
		ok, err := tryLock(ctx, s, "leader", l.ID, name)
		if err != nil {
			fmt.Println(name, "cannot campaign:", err)
		}
		return l.ID, ok
	}
	leaseA, won := campaign(servers[0], "a")
	fmt.Println("a elected:", won)
	_, won = campaign(servers[1], "b")
	fmt.Println("b elected:", won)

	w, _ := servers[1].Watch(ctx, kv.WatchRequest{Key: []byte("locks/leader")})
	_ = servers[0].LeaseRevoke(ctx, leaseA) // a resigns
	for resp := range w {
		if len(resp.Events) > 0 && resp.Events[0].Type == kv.EventDelete {
			break
		}
	}
	_, won = campaign(servers[1], "b")
	fmt.Println("b elected after a resigned:", won)
	kvv, _ := servers[2].Get(ctx, []byte("locks/leader"))
	fmt.Println("leader is", string(kvv.Value))
	// Output:
	// a elected: true
	// b elected: false
	// b elected after a resigned: true
	// leader is b
}
