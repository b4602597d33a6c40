// Package consensustest runs in-process clusters of consensus/kv servers
// on real loopback TCP, with fault injection, for tests of the engine and
// of the packages built on it.
package consensustest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/gocli/gocli/consensus"
	"github.com/gocli/gocli/consensus/kv"
)

// Options tune a test cluster.
type Options struct {
	// Tick is the raft tick length (default 20ms: elections in ~200-400ms).
	Tick time.Duration
	// Seed seeds the fault filter.
	Seed uint64
	// Configure, when set, adjusts each node's config before it starts.
	Configure func(*consensus.Config)
	// InMemory connects the nodes with consensus.InmemNetwork instead of
	// loopback TCP (faster; the same fault filter applies).
	InMemory bool
	// Logger receives node logs (default: discarded unless
	// GOCLI_CONSENSUS_LOG=1, then stderr at debug level).
	Logger *slog.Logger
}

// Cluster is a set of kv.Servers in one process, each with its own TCP
// listener on 127.0.0.1 and data directory. Its methods are safe for
// concurrent use.
type Cluster struct {
	t      testing.TB
	opts   Options
	dir    string
	Faults *consensus.Faults
	net    *consensus.InmemNetwork

	mu      sync.Mutex
	servers map[uint64]*kv.Server
	addrs   map[uint64]string
	nextID  uint64
}

// NewCluster starts an n-node cluster and stops it when the test ends.
func NewCluster(t testing.TB, n int, opts ...Options) *Cluster {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Tick == 0 {
		o.Tick = 20 * time.Millisecond
	}
	if o.Logger == nil {
		if os.Getenv("GOCLI_CONSENSUS_LOG") == "1" {
			o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
	}
	c := &Cluster{t: t, opts: o, dir: t.TempDir(), Faults: consensus.NewFaults(o.Seed),
		servers: map[uint64]*kv.Server{}, addrs: map[uint64]string{}, nextID: uint64(n) + 1}
	if o.InMemory {
		c.net = consensus.NewInmemNetwork()
	}
	lns := map[uint64]net.Listener{}
	var peers []consensus.Peer
	for id := uint64(1); id <= uint64(n); id++ {
		ln, err := c.listen("")
		if err != nil {
			t.Fatalf("listen: %v", err)
		}
		lns[id] = ln
		c.addrs[id] = c.addrOf(id, ln)
		peers = append(peers, consensus.Peer{ID: id, Addr: c.addrs[id]})
	}
	for id := uint64(1); id <= uint64(n); id++ {
		if err := c.start(id, lns[id], peers, false); err != nil {
			t.Fatalf("start node %d: %v", id, err)
		}
	}
	t.Cleanup(c.Close)
	return c
}

// listen returns a TCP listener, or nil for an in-memory cluster.
func (c *Cluster) listen(addr string) (net.Listener, error) {
	if c.net != nil {
		return nil, nil
	}
	if addr == "" {
		return ListenLoopback()
	}
	return net.Listen("tcp", addr)
}

func (c *Cluster) addrOf(id uint64, ln net.Listener) string {
	if ln == nil {
		return fmt.Sprintf("inmem:%x", id)
	}
	return ln.Addr().String()
}

// Config returns the config node id would start with.
func (c *Cluster) Config(id uint64, peers []consensus.Peer, join bool) consensus.Config {
	cfg := consensus.DefaultConfig()
	cfg.ID = id
	cfg.DataDir = filepath.Join(c.dir, fmt.Sprintf("node%d", id))
	cfg.ListenAddr = c.addrs[id]
	cfg.Peers = peers
	cfg.Join = join
	cfg.TickInterval = c.opts.Tick
	cfg.Filter = c.Faults
	cfg.Logger = c.opts.Logger
	cfg.DialTimeout = 200 * time.Millisecond
	if c.net != nil {
		cfg.NewTransport = c.net.Transport(id)
	}
	if c.opts.Configure != nil {
		c.opts.Configure(&cfg)
	}
	return cfg
}

func (c *Cluster) start(id uint64, ln net.Listener, peers []consensus.Peer, join bool) error {
	cfg := c.Config(id, peers, join)
	cfg.Listener = ln
	s, err := kv.Start(cfg)
	if err != nil {
		if ln != nil {
			ln.Close()
		}
		return err
	}
	c.mu.Lock()
	c.servers[id] = s
	c.mu.Unlock()
	return nil
}

// Server returns the running server with the given ID, or nil.
func (c *Cluster) Server(id uint64) *kv.Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.servers[id]
}

// Running returns the IDs of running nodes, sorted.
func (c *Cluster) Running() []uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([]uint64, 0, len(c.servers))
	for id := range c.servers {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// Follower returns the running node with the highest ID other than
// leader (0 when there is none): a node whose requests are forwarded.
func (c *Cluster) Follower(leader uint64) uint64 {
	ids := c.Running()
	for i := len(ids) - 1; i >= 0; i-- {
		if ids[i] != leader {
			return ids[i]
		}
	}
	return 0
}

// Addr returns the peer address of node id.
func (c *Cluster) Addr(id uint64) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.addrs[id]
}

// Leader returns the running server that is leader and that a majority of
// running nodes agree on, or nil.
func (c *Cluster) Leader() *kv.Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	votes := map[uint64]int{}
	for _, s := range c.servers {
		votes[s.Node().Leader()]++
	}
	for id, v := range votes {
		if id == 0 || v*2 <= len(c.servers) {
			continue
		}
		if s, ok := c.servers[id]; ok && s.Node().IsLeader() {
			return s
		}
	}
	return nil
}

// WaitLeader waits until Leader is non-nil and returns its ID.
func (c *Cluster) WaitLeader(ctx context.Context) (uint64, error) {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		if s := c.Leader(); s != nil {
			return s.Node().ID(), nil
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("no leader: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// WaitApplied waits until every running node has applied at least index.
func (c *Cluster) WaitApplied(ctx context.Context, index uint64) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		ok := true
		for _, id := range c.Running() {
			if s := c.Server(id); s != nil && s.Node().AppliedIndex() < index {
				ok = false
			}
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for index %d: %w", index, ctx.Err())
		case <-t.C:
		}
	}
}

// Partition splits the cluster into groups that cannot talk.
func (c *Cluster) Partition(groups ...[]uint64) { c.Faults.Partition(groups...) }

// Isolate cuts one node off.
func (c *Cluster) Isolate(id uint64) { c.Faults.Isolate(id) }

// Heal removes all network faults.
func (c *Cluster) Heal() { c.Faults.Heal() }

// Kill stops node id (closing its files: an in-process stop, not a power
// cut; see the crash tests for SIGKILL).
func (c *Cluster) Kill(id uint64) error {
	c.mu.Lock()
	s := c.servers[id]
	delete(c.servers, id)
	c.mu.Unlock()
	if s == nil {
		return fmt.Errorf("node %d is not running", id)
	}
	return s.Close()
}

// Restart starts a killed node again with its data directory and address.
func (c *Cluster) Restart(id uint64) error {
	c.mu.Lock()
	_, running := c.servers[id]
	addr := c.addrs[id]
	c.mu.Unlock()
	if running {
		return fmt.Errorf("node %d is running", id)
	}
	var ln net.Listener
	var err error
	// The port was just released; retry briefly in case the kernel has not
	// let go of it yet.
	for i := 0; i < 50; i++ {
		if ln, err = c.listen(addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("relisten on %s: %w", addr, err)
	}
	return c.start(id, ln, nil, false)
}

// AddNode adds a new voter (or learner) through the leader and starts it.
func (c *Cluster) AddNode(ctx context.Context, learner bool) (uint64, error) {
	ln, err := c.listen("")
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	id := c.nextID
	c.nextID++
	addr := c.addrOf(id, ln)
	c.addrs[id] = addr
	c.mu.Unlock()
	if err := c.retryOnLeader(ctx, func(ctx context.Context, l *kv.Server) error {
		if learner {
			return l.Node().AddLearner(ctx, id, addr)
		}
		return l.Node().AddMember(ctx, id, addr)
	}); err != nil {
		if ln != nil {
			ln.Close()
		}
		return 0, err
	}
	var peers []consensus.Peer
	for _, pid := range c.Running() {
		peers = append(peers, consensus.Peer{ID: pid, Addr: c.Addr(pid)})
	}
	if err := c.start(id, ln, peers, true); err != nil {
		return 0, err
	}
	return id, nil
}

// RemoveNode removes node id from the membership through the leader and
// stops it.
func (c *Cluster) RemoveNode(ctx context.Context, id uint64) error {
	if err := c.retryOnLeader(ctx, func(ctx context.Context, l *kv.Server) error {
		return l.Node().RemoveMember(ctx, id)
	}); err != nil {
		return err
	}
	if c.Server(id) != nil {
		return c.Kill(id)
	}
	return nil
}

// retryOnLeader runs f against the current leader until it succeeds or
// ctx ends (a conf change can be dropped while another is pending).
func (c *Cluster) retryOnLeader(ctx context.Context, f func(context.Context, *kv.Server) error) error {
	for {
		lid, err := c.WaitLeader(ctx)
		if err != nil {
			return err
		}
		l := c.Server(lid)
		if l == nil {
			continue
		}
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err = f(actx, l)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, consensus.ErrProposalDropped) &&
			!errors.Is(err, consensus.ErrNotProposed) &&
			!errors.Is(err, consensus.ErrStopped) {
			return err
		}
	}
}

// Close stops every node.
func (c *Cluster) Close() {
	for _, id := range c.Running() {
		if err := c.Kill(id); err != nil {
			c.t.Logf("stop node %d: %v", id, err)
		}
	}
}
