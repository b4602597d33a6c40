package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/gocli/gocli/consensus"
)

var osPID = os.Getpid()

// kindError is an error that reads as its message but matches a sentinel
// with errors.Is.
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

func errorOf(kind error, format string, args ...any) error {
	return &kindError{msg: fmt.Sprintf(format, args...), kind: kind}
}

// Errors callers branch on.
var (
	// ErrUnknownNode: the node ID is not a member of the cluster.
	ErrUnknownNode = errors.New("unknown node")
	// ErrNodeState: the node is not in a state the operation applies to
	// (killing a node that is down, resuming one that is not paused).
	ErrNodeState = errors.New("node state")
	// ErrNoLeader: the cluster has no leader within the deadline.
	ErrNoLeader = errors.New("no leader")
	// ErrInvalid: a parameter the sandbox cannot honour (a peer address
	// on another host, say).
	ErrInvalid = errors.New("invalid request")
)

// Options configure a new cluster. Start reuses the recorded spec of a
// cluster that already ran in Dir, so its data survives a restart.
type Options struct {
	// Name names the cluster (default "dev").
	Name string
	// Nodes is the number of nodes of a new cluster (default 3).
	Nodes int
	// Tick is the raft tick (default 100ms; elections after 10 ticks).
	Tick time.Duration
	// Dir is the cluster folder: cluster.json, logs and, unless DataDir
	// says otherwise, node data. Required.
	Dir string
	// DataDir, when set, holds the nodes' data instead of Dir/nodes.
	DataDir string
	// Host is the address nodes listen on (default 127.0.0.1).
	Host string
	// Port is the first client port: node i listens on Port+i-1 for gRPC,
	// Port+100+i-1 for peers and Port+200+i-1 for HTTP. 0 picks free
	// ports (and a restarted cluster keeps the ones it had).
	Port int
	// PortFallback picks free ports instead when Port's ports are taken
	// (used for the default port, not for one the user chose).
	PortFallback bool
	// Processes runs each node in its own child process.
	Processes bool
	// Seed seeds the fault filters (default: from the clock).
	Seed uint64
	// NodeCommand builds the command that runs one node in a child
	// process from the path of its node spec file (Processes only).
	// Default: this executable with the hidden `sandbox node` command.
	NodeCommand func(specPath string) *exec.Cmd
}

// Cluster is a running sandbox cluster. Its methods are safe for
// concurrent use.
type Cluster struct {
	dir    string
	opts   Options
	filter *Filter
	events hub

	opMu    sync.Mutex // serialises operations that change node state
	mu      sync.Mutex
	spec    ClusterSpec
	members map[uint64]member
	paused  map[uint64]bool
	faults  FaultSpec

	stopPoll context.CancelFunc
	pollDone chan struct{}
	closed   bool
}

// Start starts a cluster and returns once every node runs (not once a
// leader exists: see WaitLeader). On error nothing is left running.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Dir == "" {
		return nil, errors.New("sandbox: Options.Dir is required")
	}
	if opts.Name == "" {
		opts.Name = "dev"
	}
	if opts.Nodes == 0 {
		opts.Nodes = 3
	}
	if opts.Nodes < 1 || opts.Nodes > 15 {
		return nil, fmt.Errorf("--nodes %d: a sandbox has 1 to 15 nodes", opts.Nodes)
	}
	if opts.Tick == 0 {
		opts.Tick = 100 * time.Millisecond
	}
	if opts.Tick < time.Millisecond {
		return nil, fmt.Errorf("--tick %v: must be at least 1ms", opts.Tick)
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.Seed == 0 {
		opts.Seed = uint64(time.Now().UnixNano())
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create cluster folder: %w", err)
	}
	var c *Cluster
	for attempt := 1; ; attempt++ {
		var fresh bool
		var err error
		c, fresh, err = startNodes(opts)
		if err == nil {
			break
		}
		// Free ports are picked before the nodes bind them, so another
		// process can take one in between. A new cluster on picked ports
		// has nothing to keep: drop its data and pick again.
		if !fresh || c.spec.BasePort != 0 || !errors.Is(err, ErrPortInUse) || attempt == 3 {
			return nil, err
		}
		for _, n := range c.spec.Nodes {
			_ = os.RemoveAll(n.DataDir)
		}
	}
	c.spec.Bootstrapped = true
	if err := c.saveSpec(); err != nil {
		for _, m := range c.members {
			_ = m.kill()
		}
		return nil, err
	}
	pctx, cancel := context.WithCancel(context.Background())
	c.stopPoll = cancel
	c.pollDone = make(chan struct{})
	go c.poll(pctx)
	return c, nil
}

// startNodes starts every node of the cluster in opts.Dir: the recorded
// one, or a new one (fresh). On error nothing runs and the returned
// Cluster only describes the spec that was tried.
func startNodes(opts Options) (c *Cluster, fresh bool, err error) {
	spec, err := readSpec(opts.Dir)
	switch {
	case err == nil && spec.Bootstrapped:
		spec.Processes = opts.Processes
		spec.Tick = opts.Tick
		spec.Seed = opts.Seed
	case err == nil || errors.Is(err, os.ErrNotExist):
		fresh = true
		spec, err = newSpec(opts)
		if err != nil {
			return nil, false, err
		}
	default:
		return nil, false, err
	}
	c = &Cluster{dir: opts.Dir, opts: opts, filter: NewFilter(spec.Seed), spec: *spec,
		members: map[uint64]member{}, paused: map[uint64]bool{}}
	for _, n := range spec.Nodes {
		c.members[n.ID] = c.newMember(n)
	}
	peers := c.peers()
	var started []member
	for _, n := range spec.Nodes {
		m := c.members[n.ID]
		if err := m.start(peers); err != nil {
			for _, s := range started {
				_ = s.kill()
			}
			return c, fresh, err
		}
		started = append(started, m)
	}
	return c, fresh, nil
}

func newSpec(opts Options) (*ClusterSpec, error) {
	if opts.Port > 0 && opts.PortFallback && !portsFree(opts) {
		opts.Port = 0
	}
	spec := &ClusterSpec{Name: opts.Name, ClusterID: clusterID(opts.Name), Tick: opts.Tick, BasePort: opts.Port,
		Processes: opts.Processes, Seed: opts.Seed, NextID: uint64(opts.Nodes) + 1}
	// Every node's ports from one request: asked for one node at a time,
	// the kernel can give a port the previous node's request released (a
	// --processes child then failed to bind its HTTP port).
	var free []string
	if opts.Port <= 0 {
		var err error
		if free, err = freeAddrs(opts.Host, 3*opts.Nodes); err != nil {
			return nil, err
		}
	}
	for i := 1; i <= opts.Nodes; i++ {
		var addrs []string
		if free != nil {
			addrs = free[3*(i-1) : 3*i]
		}
		n, err := newNodeSpec(opts, uint64(i), addrs)
		if err != nil {
			return nil, err
		}
		spec.Nodes = append(spec.Nodes, n)
	}
	return spec, nil
}

// newNodeSpec describes node id. Without a base port, its client, peer and
// HTTP addresses are free[0:3], or new free ports when free is nil.
func newNodeSpec(opts Options, id uint64, free []string) (NodeSpec, error) {
	n := NodeSpec{ID: id, Name: fmt.Sprintf("node%d", id),
		LogFile: filepath.Join(nodeDir(opts.Dir, id), "node.log"),
		DataDir: filepath.Join(nodeDir(opts.Dir, id), "data")}
	if opts.DataDir != "" {
		n.DataDir = filepath.Join(opts.DataDir, n.Name)
	}
	if err := os.MkdirAll(nodeDir(opts.Dir, id), 0o700); err != nil {
		return n, err
	}
	if opts.Port > 0 {
		off := int(id) - 1
		n.ClientAddr = net.JoinHostPort(opts.Host, strconv.Itoa(opts.Port+off))
		n.PeerAddr = net.JoinHostPort(opts.Host, strconv.Itoa(opts.Port+100+off))
		n.HTTPAddr = net.JoinHostPort(opts.Host, strconv.Itoa(opts.Port+200+off))
		return n, nil
	}
	if free == nil {
		var err error
		if free, err = freeAddrs(opts.Host, 3); err != nil {
			return n, err
		}
	}
	n.ClientAddr, n.PeerAddr, n.HTTPAddr = free[0], free[1], free[2]
	return n, nil
}

// portsFree reports whether every port a new cluster would use is free.
func portsFree(opts Options) bool {
	var addrs []string
	for i := 0; i < opts.Nodes; i++ {
		for _, off := range []int{0, 100, 200} {
			addrs = append(addrs, net.JoinHostPort(opts.Host, strconv.Itoa(opts.Port+off+i)))
		}
	}
	lns, err := listenAll(addrs...)
	if err != nil {
		return false
	}
	for _, l := range lns {
		l.Close()
	}
	return true
}

// freeAddrs asks the kernel for free ports. They are released before the
// nodes bind them; another process could take one in between, which
// start then reports as a port in use.
func freeAddrs(host string, n int) ([]string, error) {
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	var out []string
	for range n {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		lns = append(lns, ln)
		out = append(out, ln.Addr().String())
	}
	return out, nil
}

func (c *Cluster) newMember(n NodeSpec) member {
	if c.spec.Processes {
		return &procMember{c: c, spec: n}
	}
	return &localMember{cfg: c.nodeConfig(n)}
}

func (c *Cluster) nodeConfig(n NodeSpec) nodeConfig {
	return nodeConfig{spec: n, tick: c.spec.Tick, clusterID: c.spec.ClusterID, filter: c.filter, members: c.memberList,
		membership: func() (MembershipChanger, error) { return c, nil }}
}

// peers lists every member's peer address (the caller holds no lock).
func (c *Cluster) peers() []consensus.Peer {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []consensus.Peer
	for _, n := range c.spec.Nodes {
		out = append(out, consensus.Peer{ID: n.ID, Addr: n.PeerAddr})
	}
	return out
}

func (c *Cluster) saveSpec() error {
	c.mu.Lock()
	spec := c.spec
	c.mu.Unlock()
	return writeJSON(filepath.Join(c.dir, specFile), spec)
}

// memberList answers Cluster.MemberList for every node's etcd API.
func (c *Cluster) memberList() []*pb.Member {
	c.mu.Lock()
	defer c.mu.Unlock()
	return specMembers(c.spec.Nodes)
}

func specMembers(nodes []NodeSpec) []*pb.Member {
	var out []*pb.Member
	for _, n := range nodes {
		out = append(out, &pb.Member{ID: n.ID, Name: n.Name, PeerURLs: []string{"http://" + n.PeerAddr}, ClientURLs: []string{n.ClientURL()}})
	}
	return out
}

// Spec returns the cluster's current description.
func (c *Cluster) Spec() ClusterSpec {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.spec
	s.Nodes = slices.Clone(s.Nodes)
	return s
}

// Dir is the cluster folder.
func (c *Cluster) Dir() string { return c.dir }

// Events subscribes to the cluster's events; cancel unsubscribes. The
// channel is closed when the cluster closes.
func (c *Cluster) Events(buf int) (<-chan Event, func()) { return c.events.Subscribe(buf) }

func (c *Cluster) member(id uint64) (member, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.members[id]
	if !ok {
		return nil, errorOf(ErrUnknownNode, "unknown node %d (members: %s)", id, idList(c.spec.Nodes))
	}
	return m, nil
}

func idList(nodes []NodeSpec) string {
	var s []string
	for _, n := range nodes {
		s = append(s, strconv.FormatUint(n.ID, 10))
	}
	return strings.Join(s, ", ")
}

// NodeStatus is one node's row in Status.
type NodeStatus struct {
	ID      uint64 `json:"id"`
	Name    string `json:"name"`
	Role    string `json:"role"`
	Term    uint64 `json:"term"`
	Leader  uint64 `json:"leader"`
	Commit  uint64 `json:"commit"`
	Applied uint64 `json:"applied"`
	// Lag is how many entries the node's applied index trails the leader's.
	Lag uint64 `json:"lag"`
	// Endpoint is the gRPC endpoint (host:port).
	Endpoint string `json:"endpoint"`
	HTTP     string `json:"http"`
	Peer     string `json:"peer"`
	// Health is healthy, no-leader, paused or down.
	Health string `json:"health"`
	PID    int    `json:"pid,omitempty"`
	// WALSize is the bytes in the node's live WAL segments.
	WALSize int64 `json:"wal_size"`
	// SnapshotIndex is the log index of the node's latest snapshot.
	SnapshotIndex uint64 `json:"snapshot_index"`
	// Match and Next are the leader's view of this node's replication:
	// the highest entry known to be on it and the next one to send. Both
	// are 0 when there is no leader to ask. The leader's own row carries
	// its last log index as Match.
	Match uint64 `json:"match"`
	Next  uint64 `json:"next"`
	// Replication is the leader's mode for this node: probe, replicate or
	// snapshot (empty when unknown).
	Replication string `json:"replication,omitempty"`
	// RSS is the resident memory of the node's own process in bytes; only
	// for --processes clusters on Linux (in-process nodes share one
	// process: see Status.ProcessRSS). It includes the gocli executable's
	// pages, which every node process shares; AnonRSS is the node's own
	// memory (heap and stacks).
	RSS     int64 `json:"rss_bytes,omitempty"`
	AnonRSS int64 `json:"anon_rss_bytes,omitempty"`
}

// Status is the state of the whole cluster.
type Status struct {
	Name      string       `json:"name"`
	Leader    uint64       `json:"leader"`
	Term      uint64       `json:"term"`
	Processes bool         `json:"processes"`
	Nodes     []NodeStatus `json:"nodes"`
	Faults    FaultSpec    `json:"faults"`
	Paused    []uint64     `json:"paused,omitempty"`
	Dir       string       `json:"dir"`
	// ProcessRSS is the resident memory in bytes of the process that runs
	// every node of an in-process cluster (Linux only). A --processes
	// cluster reports each node's RSS on its row instead.
	ProcessRSS     int64 `json:"process_rss_bytes,omitempty"`
	ProcessAnonRSS int64 `json:"process_anon_rss_bytes,omitempty"`
}

// Status reports every node's state.
func (c *Cluster) Status(ctx context.Context) Status {
	spec := c.Spec()
	c.mu.Lock()
	faults := c.faults.clone()
	paused := maps2slice(c.paused)
	ms := map[uint64]member{}
	for id, m := range c.members {
		ms[id] = m
	}
	c.mu.Unlock()
	st := Status{Name: spec.Name, Processes: spec.Processes, Faults: faults, Paused: paused, Dir: c.dir}
	if !spec.Processes {
		if mem, err := processMemory(osPID); err == nil { // left out where /proc is missing
			st.ProcessRSS, st.ProcessAnonRSS = mem.RSS, mem.Anon
		}
	}
	rows := make([]NodeStatus, len(spec.Nodes))
	progress := make([]map[uint64]consensus.PeerProgress, len(spec.Nodes))
	var wg sync.WaitGroup
	for i, n := range spec.Nodes {
		rows[i] = NodeStatus{ID: n.ID, Name: n.Name, Endpoint: n.ClientAddr, HTTP: n.HTTPAddr, Peer: n.PeerAddr, Health: "down", Role: string(consensus.RoleStopped)}
		m := ms[n.ID]
		if m == nil || !m.alive() {
			continue
		}
		rows[i].PID = m.pid()
		if spec.Processes && rows[i].PID != 0 {
			// Read by the parent, so a paused (SIGSTOPped) child has one too.
			if mem, err := processMemory(rows[i].PID); err == nil {
				rows[i].RSS, rows[i].AnonRSS = mem.RSS, mem.Anon
			}
		}
		if slices.Contains(paused, n.ID) {
			rows[i].Health = "paused"
			if spec.Processes {
				continue // a stopped process cannot answer
			}
		}
		wg.Add(1)
		go func(r *NodeStatus, prs *map[uint64]consensus.PeerProgress) {
			defer wg.Done()
			sctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			ns, err := m.status(sctx)
			if err != nil {
				r.Health = "unreachable"
				return
			}
			r.Role, r.Term, r.Leader, r.Commit, r.Applied = string(ns.Role), ns.Term, ns.Leader, ns.Commit, ns.Applied
			r.WALSize, r.SnapshotIndex, *prs = ns.WALSize, ns.SnapshotIndex, ns.Progress
			if r.Health != "paused" {
				r.Health = "healthy"
				if ns.Leader == 0 {
					r.Health = "no-leader"
				}
			}
		}(&rows[i], &progress[i])
	}
	wg.Wait()
	var leaderApplied uint64
	var leaderProgress map[uint64]consensus.PeerProgress
	for i, r := range rows {
		if r.Role == string(consensus.RoleLeader) && r.Term >= st.Term {
			st.Leader, st.Term, leaderApplied, leaderProgress = r.ID, r.Term, r.Applied, progress[i]
		}
	}
	for i := range rows {
		if pr, ok := leaderProgress[rows[i].ID]; ok {
			rows[i].Match, rows[i].Next = pr.Match, pr.Next
			rows[i].Replication = strings.ToLower(strings.TrimPrefix(pr.State, "State")) // raft says StateProbe
		}
	}
	for i := range rows {
		if st.Term < rows[i].Term && st.Leader == 0 {
			st.Term = rows[i].Term
		}
		if rows[i].Health != "down" && leaderApplied > rows[i].Applied {
			rows[i].Lag = leaderApplied - rows[i].Applied
		}
	}
	st.Nodes = rows
	return st
}

func maps2slice(m map[uint64]bool) []uint64 {
	var out []uint64
	for id, ok := range m {
		if ok {
			out = append(out, id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Leader returns the ID of the node that a majority of running nodes
// follow and that considers itself leader, or 0.
func (c *Cluster) Leader(ctx context.Context) uint64 {
	c.mu.Lock()
	ms := map[uint64]member{}
	for id, m := range c.members {
		if m.alive() && !c.paused[id] {
			ms[id] = m
		}
	}
	total := len(c.spec.Nodes)
	c.mu.Unlock()
	votes := map[uint64]int{}
	for _, m := range ms {
		lctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		l, _, err := m.leaderTerm(lctx)
		cancel()
		if err == nil && l != 0 {
			votes[l]++
		}
	}
	for id, v := range votes {
		if v*2 > total {
			if m, ok := ms[id]; ok {
				lctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
				l, _, err := m.leaderTerm(lctx)
				cancel()
				if err == nil && l == id {
					return id
				}
			}
		}
	}
	return 0
}

// WaitLeader waits until the cluster has a leader and returns its ID.
func (c *Cluster) WaitLeader(ctx context.Context) (uint64, error) {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if id := c.Leader(ctx); id != 0 {
			return id, nil
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("%w: %w", ErrNoLeader, ctx.Err())
		case <-t.C:
		}
	}
}

// Kill stops node id abruptly: SIGKILL for a child process; for an
// in-process node, a stop that keeps nothing but what the WAL synced.
func (c *Cluster) Kill(id uint64) error {
	return c.withMember(id, func(m member) error {
		if !m.alive() {
			return errorOf(ErrNodeState, "kill node %d: it is already down", id)
		}
		if err := m.kill(); err != nil {
			return fmt.Errorf("kill node %d: %w", id, err)
		}
		if c.markPaused(id, false) {
			c.applyFaults()
		}
		c.events.publish(Event{Type: EventNodeDown, Node: id, Detail: "killed"})
		return nil
	})
}

// Restart starts a killed node again with its data and addresses.
func (c *Cluster) Restart(id uint64) error {
	return c.withMember(id, func(m member) error {
		if m.alive() {
			return errorOf(ErrNodeState, "restart node %d: it is running (kill it first)", id)
		}
		if err := c.startMember(m); err != nil {
			return fmt.Errorf("restart node %d: %w", id, err)
		}
		c.events.publish(Event{Type: EventNodeUp, Node: id, Detail: "restarted"})
		return nil
	})
}

// withMember runs op on node id while holding opMu, so the node's state
// cannot change under a kill, restart, pause or resume.
func (c *Cluster) withMember(id uint64, op func(member) error) error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	m, err := c.member(id)
	if err != nil {
		return err
	}
	return op(m)
}

// markPaused records whether node id is paused and reports whether it was.
func (c *Cluster) markPaused(id uint64, paused bool) (was bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	was = c.paused[id]
	if paused {
		c.paused[id] = true
	} else {
		delete(c.paused, id)
	}
	return was
}

func (c *Cluster) isPaused(id uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paused[id]
}

// startMember starts m, retrying briefly while its ports are still held
// by the kernel after a kill.
func (c *Cluster) startMember(m member) error {
	deadline := time.Now().Add(3 * time.Second)
	for {
		err := m.start(c.peers())
		if err == nil {
			return m.setFaults(c.effectiveFaults())
		}
		if !errors.Is(err, ErrPortInUse) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Pause freezes node id: SIGSTOP for a child process; an in-process node
// stops answering clients and is cut off from its peers.
func (c *Cluster) Pause(id uint64) error {
	return c.withMember(id, func(m member) error {
		already := c.isPaused(id)
		if !m.alive() || already {
			return errorOf(ErrNodeState, "pause node %d: it is %s", id, map[bool]string{true: "already paused", false: "down"}[already])
		}
		if err := m.setPaused(true); err != nil {
			return fmt.Errorf("pause node %d: %w", id, err)
		}
		c.markPaused(id, true)
		c.applyFaults()
		c.events.publish(Event{Type: EventFaultApplied, Node: id, Detail: fmt.Sprintf("pause %d", id)})
		return nil
	})
}

// Resume thaws a paused node.
func (c *Cluster) Resume(id uint64) error {
	return c.withMember(id, func(m member) error {
		if !c.isPaused(id) {
			return errorOf(ErrNodeState, "resume node %d: it is not paused", id)
		}
		c.markPaused(id, false)
		c.applyFaults()
		if err := m.setPaused(false); err != nil {
			return fmt.Errorf("resume node %d: %w", id, err)
		}
		c.events.publish(Event{Type: EventFaultHealed, Node: id, Detail: fmt.Sprintf("resume %d", id)})
		return nil
	})
}

func (c *Cluster) checkIDs(ids ...uint64) error {
	for _, id := range ids {
		if _, err := c.member(id); err != nil {
			return err
		}
	}
	return nil
}

// Partition splits the nodes into groups that cannot reach each other,
// replacing any partition in force.
func (c *Cluster) Partition(groups [][]uint64) error {
	for _, g := range groups {
		if err := c.checkIDs(g...); err != nil {
			return err
		}
	}
	c.mu.Lock()
	c.faults.Partition = groups
	c.mu.Unlock()
	c.applyFaults()
	var parts []string
	for _, g := range groups {
		var s []string
		for _, id := range g {
			s = append(s, strconv.FormatUint(id, 10))
		}
		parts = append(parts, strings.Join(s, ","))
	}
	c.events.publish(Event{Type: EventFaultApplied, Detail: "partition " + strings.Join(parts, " | ")})
	return nil
}

// Delay delays every message to and from node id.
func (c *Cluster) Delay(id uint64, d Delay) error {
	if err := c.checkIDs(id); err != nil {
		return err
	}
	if d.Latency < 0 || d.Jitter < 0 {
		return fmt.Errorf("delay: latency and jitter must not be negative")
	}
	setNodeFault(c, &c.faults.Delay, id, d)
	c.events.publish(Event{Type: EventFaultApplied, Node: id, Detail: fmt.Sprintf("delay %d by %v±%v", id, d.Latency, d.Jitter)})
	return nil
}

// Drop drops each message to or from node id with probability rate.
func (c *Cluster) Drop(id uint64, rate float64) error {
	if err := c.checkIDs(id); err != nil {
		return err
	}
	if rate < 0 || rate > 1 {
		return fmt.Errorf("drop rate %v: must be between 0 and 1", rate)
	}
	setNodeFault(c, &c.faults.Drop, id, rate)
	c.events.publish(Event{Type: EventFaultApplied, Node: id, Detail: fmt.Sprintf("drop %.0f%% of node %d's messages", rate*100, id)})
	return nil
}

// setNodeFault sets node id's entry in one of the per-node fault maps, or
// removes it when v is the zero value (no fault), and applies the result.
func setNodeFault[V comparable](c *Cluster, faults *map[uint64]V, id uint64, v V) {
	c.mu.Lock()
	if *faults == nil {
		*faults = map[uint64]V{}
	}
	var none V
	if v == none {
		delete(*faults, id)
	} else {
		(*faults)[id] = v
	}
	c.mu.Unlock()
	c.applyFaults()
}

// Heal removes every network fault (partitions, delays, drops). Paused
// nodes stay paused; resume them by name.
func (c *Cluster) Heal() error {
	c.mu.Lock()
	c.faults = FaultSpec{}
	c.mu.Unlock()
	c.applyFaults()
	c.events.publish(Event{Type: EventFaultHealed, Detail: "heal"})
	return nil
}

// Faults returns the network faults in force.
func (c *Cluster) Faults() FaultSpec {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.faults.clone()
}

func (c *Cluster) effectiveFaults() FaultSpec {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.faults.clone()
	if !c.spec.Processes {
		f.Isolated = append(f.Isolated, maps2slice(c.paused)...)
	}
	return f
}

// applyFaults installs the effective faults on every filter: the shared
// one for in-process nodes, each child's for processes.
func (c *Cluster) applyFaults() {
	f := c.effectiveFaults()
	c.filter.Set(f)
	c.mu.Lock()
	var ms []member
	for id, m := range c.members {
		if m.alive() && !c.paused[id] {
			ms = append(ms, m)
		}
	}
	c.mu.Unlock()
	for _, m := range ms {
		_ = m.setFaults(f) // a child that cannot be reached gets them on restart
	}
}

// retryOnLeader runs f against the leader until it succeeds, fails for a
// reason other than leadership, or ctx ends.
func (c *Cluster) retryOnLeader(ctx context.Context, f func(context.Context, member) error) error {
	for {
		lid, err := c.WaitLeader(ctx)
		if err != nil {
			return err
		}
		m, err := c.member(lid)
		if err != nil {
			return err
		}
		actx, cancel := context.WithTimeout(ctx, 3*time.Second)
		err = f(actx, m)
		cancel()
		if err == nil || ctx.Err() != nil {
			return err
		}
		if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, consensus.ErrProposalDropped) &&
			!errors.Is(err, consensus.ErrStopped) && !errors.Is(err, consensus.ErrNotProposed) && !isRetryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// AddNode adds a voter through the leader, starts it and returns its spec.
func (c *Cluster) AddNode(ctx context.Context) (NodeSpec, error) {
	return c.AddNodeAt(ctx, "")
}

// AddNodeAt is AddNode with the new node's peer address chosen by the
// caller (host:port, "" to pick one as AddNode does): what etcd's
// MemberAdd asks for. The host must be the one the cluster listens on
// and the port free; otherwise the error wraps ErrInvalid or
// ErrPortInUse and the cluster is unchanged.
func (c *Cluster) AddNodeAt(ctx context.Context, peerAddr string) (NodeSpec, error) {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	c.mu.Lock()
	id := c.spec.NextID
	opts := c.opts
	opts.Port = c.spec.BasePort
	c.mu.Unlock()
	if peerAddr != "" {
		var err error
		if peerAddr, err = c.checkPeerAddr(peerAddr); err != nil {
			return NodeSpec{}, err
		}
	}
	n, err := newNodeSpec(opts, id, nil)
	if err != nil {
		return NodeSpec{}, err
	}
	if peerAddr != "" {
		n.PeerAddr = peerAddr
	}
	n.Join = true
	// Bind-check the ports before the membership change, so a taken port
	// fails before the cluster expects a node that cannot start.
	lns, err := listenAll(n.ClientAddr, n.PeerAddr, n.HTTPAddr)
	if err != nil {
		return NodeSpec{}, fmt.Errorf("add node %d: %w", id, err)
	}
	for _, l := range lns {
		l.Close()
	}
	if err := c.retryOnLeader(ctx, func(ctx context.Context, l member) error { return l.addMember(ctx, id, n.PeerAddr) }); err != nil {
		return NodeSpec{}, fmt.Errorf("add node %d: %w", id, err)
	}
	c.mu.Lock()
	c.spec.NextID = id + 1
	c.spec.Nodes = append(c.spec.Nodes, n)
	m := c.newMember(n)
	c.members[id] = m
	c.mu.Unlock()
	if err := c.saveSpec(); err != nil {
		return n, err
	}
	if err := c.startMember(m); err != nil {
		return n, fmt.Errorf("add node %d: added to the membership but did not start: %w", id, err)
	}
	c.events.publish(Event{Type: EventMembershipChanged, Node: id, Detail: fmt.Sprintf("node %d added", id)})
	return n, nil
}

// checkPeerAddr says whether a node can listen on addr: on the cluster's
// host, at a port no member uses. It returns addr with the cluster's host.
func (c *Cluster) checkPeerAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", errorOf(ErrInvalid, "peer address %q: %v", addr, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return "", errorOf(ErrInvalid, "peer address %q: %q is not a port number", addr, port)
	}
	if host != c.opts.Host && !(host == "localhost" && c.opts.Host == "127.0.0.1") {
		return "", errorOf(ErrInvalid, "peer address %q: sandbox nodes listen on %s only", addr, c.opts.Host)
	}
	addr = net.JoinHostPort(c.opts.Host, port)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.spec.Nodes {
		if slices.Contains([]string{n.PeerAddr, n.ClientAddr, n.HTTPAddr}, addr) {
			return "", errorOf(ErrInvalid, "peer address %q: node %d already uses that port", addr, n.ID)
		}
	}
	return addr, nil
}

// RemoveNode removes node id from the membership through the leader and
// stops it.
func (c *Cluster) RemoveNode(ctx context.Context, id uint64) error {
	return c.withMember(id, func(m member) error {
		c.mu.Lock()
		if len(c.spec.Nodes) == 1 {
			c.mu.Unlock()
			return errorOf(ErrNodeState, "remove node %d: it is the last member", id)
		}
		c.mu.Unlock()
		if err := c.retryOnLeader(ctx, func(ctx context.Context, l member) error { return l.removeMember(ctx, id) }); err != nil {
			return fmt.Errorf("remove node %d: %w", id, err)
		}
		if m.alive() {
			_ = m.kill()
		}
		c.mu.Lock()
		delete(c.members, id)
		delete(c.paused, id)
		c.spec.Nodes = slices.DeleteFunc(c.spec.Nodes, func(n NodeSpec) bool { return n.ID == id })
		c.mu.Unlock()
		if err := c.saveSpec(); err != nil {
			return err
		}
		c.events.publish(Event{Type: EventMembershipChanged, Node: id, Detail: fmt.Sprintf("node %d removed", id)})
		return nil
	})
}

// TransferLeader hands leadership to node id and waits until it leads.
func (c *Cluster) TransferLeader(ctx context.Context, id uint64) error {
	m, err := c.member(id)
	if err != nil {
		return err
	}
	if !m.alive() {
		return errorOf(ErrNodeState, "transfer leadership to node %d: it is down", id)
	}
	return c.retryOnLeader(ctx, func(ctx context.Context, l member) error {
		if err := l.transferLeader(ctx, id); err != nil {
			return err
		}
		if c.Leader(ctx) != id {
			return context.DeadlineExceeded
		}
		return nil
	})
}

// LogFile is the path of node id's log.
func (c *Cluster) LogFile(id uint64) (string, error) {
	if _, err := c.member(id); err != nil {
		return "", err
	}
	n, _ := c.Spec().Node(id)
	return n.LogFile, nil
}

// Close stops every node and the event stream.
func (c *Cluster) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	// The poller takes opMu when it finds a crashed child: stop it first.
	c.stopPoll()
	<-c.pollDone
	c.opMu.Lock()
	defer c.opMu.Unlock()
	c.mu.Lock()
	ms := map[uint64]member{}
	for id, m := range c.members {
		ms[id] = m
	}
	c.mu.Unlock()
	var errs []error
	for id, m := range ms {
		if !m.alive() {
			continue
		}
		_ = m.setPaused(false)
		if err := m.stop(); err != nil {
			errs = append(errs, fmt.Errorf("stop node %d: %w", id, err))
		}
	}
	c.events.Close()
	return errors.Join(errs...)
}

// poll watches leaders and terms (and crashed children) and publishes
// the changes as events.
func (c *Cluster) poll(ctx context.Context) {
	defer close(c.pollDone)
	period := max(c.spec.Tick, 20*time.Millisecond)
	t := time.NewTicker(period)
	defer t.Stop()
	var lastLeader, lastTerm uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c.mu.Lock()
		ms := map[uint64]member{}
		for id, m := range c.members {
			if m.alive() && !c.paused[id] {
				ms[id] = m
			}
		}
		c.mu.Unlock()
		var leader, term uint64
		for id, m := range ms {
			if ch := m.exited(); ch != nil {
				select {
				case <-ch:
					c.opMu.Lock()
					if m.alive() {
						_ = m.kill()
						c.events.publish(Event{Type: EventNodeDown, Node: id, Detail: "process exited"})
					}
					c.opMu.Unlock()
					continue
				default:
				}
			}
			l, tm, ok := m.observedLeaderTerm()
			if !ok {
				continue
			}
			if tm > term {
				term = tm
				leader = 0
			}
			if tm == term && l == id {
				leader = id
			}
		}
		if term > lastTerm {
			c.events.publish(Event{Type: EventTermChanged, Term: term})
			lastTerm = term
		}
		if leader != 0 && leader != lastLeader {
			c.events.publish(Event{Type: EventLeaderElected, Node: leader, Term: term})
		}
		if leader != 0 || term > lastTerm {
			lastLeader = leader
		}
	}
}
