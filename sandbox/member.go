package sandbox

import (
	"context"
	"sync/atomic"

	"github.com/gocli/gocli/consensus"
)

// member is one node as the Cluster drives it, whatever runs it: a
// nodeServer in this process (localMember) or a child process
// (procMember). The Cluster serialises calls that change a member's
// state (start, kill, pause); the status and membership calls may run
// concurrently with each other.
type member interface {
	// start runs the node (again), with peers seeding its transport.
	start(peers []consensus.Peer) error
	// kill stops the node abruptly (SIGKILL for a process).
	kill() error
	// stop stops the node cleanly (SIGTERM, then SIGKILL after a grace
	// period, for a process).
	stop() error
	// alive reports whether the node is running (paused counts).
	alive() bool
	// setPaused freezes or thaws the node.
	setPaused(bool) error
	// setFaults installs the cluster's network faults on the node's filter.
	setFaults(FaultSpec) error
	// status is the engine's status of the node.
	status(ctx context.Context) (consensus.Status, error)
	// leaderTerm asks the node for its leader and term.
	leaderTerm(ctx context.Context) (leader, term uint64, err error)
	// observedLeaderTerm is the event poller's read of them, which must
	// not wait: false when they are not known (the node is down or not
	// answering).
	observedLeaderTerm() (leader, term uint64, ok bool)
	addMember(ctx context.Context, id uint64, addr string) error
	removeMember(ctx context.Context, id uint64) error
	transferLeader(ctx context.Context, to uint64) error
	// pid is the node's process ID (this process for in-process nodes).
	pid() int
	// exited is closed when a running node stops on its own (a crashed
	// child); nil for in-process nodes.
	exited() <-chan struct{}
}

// localMember runs a node in this process. Every local member shares the
// cluster's Filter, so setFaults has nothing to do.
type localMember struct {
	cfg nodeConfig
	ns  atomic.Pointer[nodeServer] // nil while down
}

func (m *localMember) start(peers []consensus.Peer) error {
	cfg := m.cfg
	cfg.peers = peers
	ns, err := startNodeServer(cfg)
	if err != nil {
		return err
	}
	m.ns.Store(ns)
	return nil
}

func (m *localMember) kill() error {
	ns := m.ns.Swap(nil)
	if ns == nil {
		return nil
	}
	return ns.stop()
}

func (m *localMember) stop() error { return m.kill() }

func (m *localMember) alive() bool { return m.ns.Load() != nil }

func (m *localMember) setPaused(p bool) error {
	if ns := m.ns.Load(); ns != nil {
		ns.paused.Store(p)
	}
	return nil
}

func (m *localMember) setFaults(FaultSpec) error { return nil }

func (m *localMember) node() (*consensus.Node, error) {
	ns := m.ns.Load()
	if ns == nil {
		return nil, consensus.ErrStopped
	}
	return ns.kv.Node(), nil
}

func (m *localMember) status(context.Context) (consensus.Status, error) {
	n, err := m.node()
	if err != nil {
		return consensus.Status{}, err
	}
	return n.Status(), nil
}

func (m *localMember) leaderTerm(context.Context) (uint64, uint64, error) {
	n, err := m.node()
	if err != nil {
		return 0, 0, err
	}
	return n.Leader(), n.Term(), nil
}

func (m *localMember) observedLeaderTerm() (uint64, uint64, bool) {
	n, err := m.node()
	if err != nil {
		return 0, 0, false
	}
	return n.Leader(), n.Term(), true
}

func (m *localMember) addMember(ctx context.Context, id uint64, addr string) error {
	n, err := m.node()
	if err != nil {
		return err
	}
	return n.AddMember(ctx, id, addr)
}

func (m *localMember) removeMember(ctx context.Context, id uint64) error {
	n, err := m.node()
	if err != nil {
		return err
	}
	return n.RemoveMember(ctx, id)
}

func (m *localMember) transferLeader(ctx context.Context, to uint64) error {
	n, err := m.node()
	if err != nil {
		return err
	}
	return n.TransferLeadership(ctx, to)
}

func (m *localMember) pid() int { return osPID }

func (m *localMember) exited() <-chan struct{} { return nil }
