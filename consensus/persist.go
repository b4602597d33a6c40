package consensus

import (
	"errors"
	"fmt"
	"sync"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// The node runs raft with asynchronous storage writes: raft hands each
// batch of log entries, hard state and received snapshot to the persister
// as a MsgStorageAppend message, and the run goroutine goes on stepping
// messages, sending appends and applying commits while the disk works.
// With the write inside the run loop (raft's Ready/Advance interface), a
// commit acknowledgement that arrived during an fsync waited for it, on
// the leader and on every follower serving a client.
//
// The persister writes the WAL only; the run goroutine keeps everything
// else (raft's MemoryStorage, the state machine, membership). Raft requires
// a batch's responses to go out only once it is durable. The ones for other
// nodes (the MsgAppResp a follower owes its leader, a vote) the persister
// sends itself, straight after the fsync: going through the run goroutine
// would add a hand-off, and a wait for whatever that goroutine is doing, to
// every follower's acknowledgement, which is on the path of every commit.
// Then it hands the batch back, and the run goroutine updates MemoryStorage
// and delivers the responses addressed to its own raft. A batch with a
// received snapshot goes back whole, so that the leader hears of the
// snapshot only after the state machine has it.
type persister struct {
	n *Node

	mu      sync.Mutex
	queue   []*raftpb.Message
	wakeC   chan struct{} // capacity 1: "the queue is not empty"
	stableC chan stableBatch
	doneC   chan struct{}

	prevHS *raftpb.HardState // last hard state written, to decide on fsync
}

// stableBatch is a run of MsgStorageAppend messages that are now durable,
// in the order raft produced them, or the error that stopped the WAL.
type stableBatch struct {
	msgs []*raftpb.Message
	err  error
	sent bool // responses to other nodes went out from the persister
}

func newPersister(n *Node, hs *raftpb.HardState) *persister {
	return &persister{
		n: n, prevHS: hs,
		wakeC:   make(chan struct{}, 1),
		stableC: make(chan stableBatch, 64),
		doneC:   make(chan struct{}),
	}
}

// enqueue never blocks the run goroutine: it may itself be the one the
// persister waits on to take a finished batch.
func (p *persister) enqueue(m *raftpb.Message) {
	p.mu.Lock()
	p.queue = append(p.queue, m)
	p.mu.Unlock()
	select {
	case p.wakeC <- struct{}{}:
	default:
	}
}

// run writes queued messages until the node's loop ends (exitC). Every
// message queued when it wakes goes out with one fsync at the end: a
// group commit of whatever queued up during the previous one.
func (p *persister) run() {
	defer close(p.doneC)
	for {
		select {
		case <-p.n.exitC:
			return
		case <-p.wakeC:
		}
		p.mu.Lock()
		msgs := p.queue
		p.queue = nil
		p.mu.Unlock()
		if len(msgs) == 0 {
			continue
		}
		err := p.write(msgs)
		b := stableBatch{msgs: msgs, err: err}
		if err == nil {
			b.sent = p.sendResponses(msgs)
		}
		select {
		case p.stableC <- b:
		case <-p.n.exitC:
			return
		}
		if err != nil {
			return
		}
	}
}

func (p *persister) write(msgs []*raftpb.Message) error {
	n := p.n
	n.walMu.Lock()
	defer n.walMu.Unlock()
	mustSync := false
	for _, m := range msgs {
		if !raft.IsEmptySnap(m.GetSnapshot()) {
			if err := n.saveSnapshot(m.GetSnapshot()); err != nil {
				return err
			}
		}
		hs := hardStateOf(m)
		// As raft.MustSync: new entries, a new term or a vote must be
		// durable before anyone hears of them; a commit index need not.
		if len(m.GetEntries()) > 0 || hs != nil && raft.MustSync(hs, p.prevHS, 0) {
			mustSync = true
		}
		if hs != nil {
			p.prevHS = hs
		}
		if err := n.wal.Save(hs, m.GetEntries(), false); err != nil {
			return fmt.Errorf("persist raft state: %w", err)
		}
	}
	if mustSync {
		if err := n.wal.Sync(); err != nil {
			return fmt.Errorf("persist raft state: %w", err)
		}
	}
	return nil
}

// sendResponses sends the responses of a durable batch that are for other
// nodes, unless the batch holds a snapshot (see the type's doc); it reports
// whether it did.
func (p *persister) sendResponses(msgs []*raftpb.Message) bool {
	var out []*raftpb.Message
	for _, m := range msgs {
		if !raft.IsEmptySnap(m.GetSnapshot()) {
			return false
		}
		for _, r := range m.GetResponses() {
			if r.GetTo() != p.n.id {
				out = append(out, r)
			}
		}
	}
	if len(out) > 0 {
		p.n.trans.Send(out)
	}
	return true
}

// onStable runs on the node's loop for a durable batch: it brings raft's
// MemoryStorage (and, for a received snapshot, the state machine) up to
// what is on disk, then delivers each message's responses.
func (n *Node) onStable(b stableBatch) error {
	if b.err != nil {
		return b.err
	}
	var out []*raftpb.Message
	for _, m := range b.msgs {
		if snap := m.GetSnapshot(); !raft.IsEmptySnap(snap) {
			if err := n.storage.ApplySnapshot(snap); err != nil && !errors.Is(err, raft.ErrSnapOutOfDate) {
				return fmt.Errorf("install received snapshot: %w", err)
			}
			if err := n.restore(snap); err != nil {
				return err
			}
			n.metrics.snapshots.Inc()
			n.publishMembers()
			n.log.Info("installed snapshot", "index", n.snapIndex)
		}
		if hs := hardStateOf(m); hs != nil {
			if err := n.storage.SetHardState(hs); err != nil {
				return fmt.Errorf("store hard state: %w", err)
			}
		}
		if err := n.storage.Append(m.GetEntries()); err != nil {
			return fmt.Errorf("store entries: %w", err)
		}
		for _, r := range m.GetResponses() {
			if r.GetTo() == n.id {
				n.step(r)
			} else if !b.sent {
				out = append(out, r)
			}
		}
	}
	if len(out) > 0 {
		n.trans.Send(out)
	}
	return nil
}

// hardStateOf returns the hard state a MsgStorageAppend carries, or nil:
// raft sets the three fields together, and only when it changed.
func hardStateOf(m *raftpb.Message) *raftpb.HardState {
	if m.Term == nil && m.Vote == nil && m.Commit == nil {
		return nil
	}
	return &raftpb.HardState{Term: new(m.GetTerm()), Vote: new(m.GetVote()), Commit: new(m.GetCommit())}
}
