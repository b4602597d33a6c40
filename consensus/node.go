package consensus

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"google.golang.org/protobuf/proto"

	"github.com/gocli/gocli/consensus/wal"
)

// entry data layout: kind byte, request ID (8 bytes big-endian), command.
const (
	entryKindCommand = 1
	entryHeader      = 9
)

// Node is one member of a Raft cluster replicating a StateMachine.
//
// One goroutine (run) owns the raft.RawNode, raft's storage and the state
// machine, and a persister goroutine writes the WAL (see persist.go);
// every other method talks to them through channels, so they are safe for
// concurrent use.
type Node struct {
	cfg     Config
	id      uint64
	log     *slog.Logger
	sm      StateMachine
	metrics *metrics
	tracer  trace.Tracer
	trans   Transport
	// wal is written by the persister; walMu orders the snapshot markers
	// and segment releases of the run goroutine with its writes.
	wal     *wal.WAL
	walMu   sync.Mutex
	persist *persister
	snapDir string
	// snapMu serialises snapshot writers: the background writer (see
	// startSnapshot) and a forced Snapshot on the run goroutine.
	snapMu   sync.Mutex
	snapWG   sync.WaitGroup
	snapDone chan snapshotResult

	storage *raftStorage
	rn      *raft.RawNode

	propC   chan *proposal
	recvC   chan *raftpb.Message
	readC   chan *readReq
	reportC chan report
	ctrlC   chan func()
	stopC   chan struct{}
	exitC   chan struct{} // closed when the loop has ended, before teardown
	doneC   chan struct{}
	stopMu  sync.Mutex
	stopped bool
	err     error // why run ended; read after doneC is closed

	reqSeq  atomic.Uint64
	waitMu  sync.Mutex
	waiters map[uint64]*proposal

	events Hub[Event]

	// state below is owned by the run goroutine.
	confState    *raftpb.ConfState
	members      map[uint64]Member
	applied      uint64
	snapIndex    uint64
	snapBusy     bool            // a background snapshot is being written
	applied0     []appliedResult // apply's reusable buffer
	lead         uint64
	term         uint64
	role         raft.StateType
	parked       []*proposal // dropped by raft for want of a leader; retried
	retryParked  bool
	pendingReads []*readReq
	readBatches  map[uint64]*readBatch
	readWaits    []*readBatch
	readSeq      uint64
	ticks        uint64

	memberCache []Member // memberList's result, nil when stale

	// published for lock-free readers.
	statusMu   sync.Mutex
	lastStatus Status
	progress   map[uint64]PeerProgress // the leader's, in lastStatus; under statusMu
	leaderID   atomic.Uint64
	termA      atomic.Uint64
	appliedIdx atomic.Uint64
}

// Member is a cluster member as recorded in the replicated configuration.
type Member struct {
	ID      uint64 `json:"id"`
	Addr    string `json:"addr"`
	Learner bool   `json:"learner,omitempty"`
}

type proposal struct {
	id     uint64
	data   []byte // full entry data
	start  time.Time
	done   chan proposalResult
	cc     *raftpb.ConfChangeV2
	span   trace.Span
	inRaft bool // raft accepted it (guarded by Node.waitMu)
}

// appliedResult is a proposal's result waiting for the rest of its batch.
type appliedResult struct {
	id  uint64
	res proposalResult
}

type proposalResult struct {
	val any
	err error
}

type readReq struct{ done chan error }

type readBatch struct {
	reqs   []*readReq
	index  uint64
	issued uint64 // tick at which ReadIndex was issued
}

type report struct {
	id       uint64
	snapshot bool
	ok       bool
	dropped  *raftpb.Message // a forwarded proposal that never went out
}

// StartNode opens (or creates) the node's data directory, restores the
// state machine from the latest snapshot and the WAL, starts the transport
// and the run goroutine. Stop releases everything.
func StartNode(cfg Config, sm StateMachine) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(discardHandler{})
	}
	logger = logger.With("node", fmt.Sprintf("%x", cfg.ID))
	m, err := newMetrics(cfg.ID, cfg.Registerer)
	if err != nil {
		return nil, err
	}
	n := &Node{
		cfg: cfg, id: cfg.ID, log: logger, sm: sm, metrics: m,
		snapDir:     filepath.Join(cfg.DataDir, "snap"),
		storage:     &raftStorage{MemoryStorage: raft.NewMemoryStorage()},
		propC:       make(chan *proposal, cfg.ProposalQueue),
		recvC:       make(chan *raftpb.Message, 1024),
		readC:       make(chan *readReq, 1024),
		reportC:     make(chan report, 1024),
		ctrlC:       make(chan func()),
		stopC:       make(chan struct{}),
		exitC:       make(chan struct{}),
		snapDone:    make(chan snapshotResult, 1),
		doneC:       make(chan struct{}),
		waiters:     map[uint64]*proposal{},
		members:     map[uint64]Member{},
		readBatches: map[uint64]*readBatch{},
		confState:   &raftpb.ConfState{},
	}
	n.reqSeq.Store(rand.Uint64() >> 1)
	tp := cfg.TracerProvider
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	n.tracer = tp.Tracer("github.com/gocli/gocli/consensus")
	fresh, err := n.openStorage()
	if err != nil {
		return nil, err
	}
	rc := &raft.Config{
		ID:                        cfg.ID,
		ElectionTick:              cfg.ElectionTicks,
		HeartbeatTick:             cfg.HeartbeatTicks,
		Storage:                   n.storage,
		Applied:                   n.applied,
		MaxSizePerMsg:             cfg.MaxSizePerMsg,
		MaxInflightMsgs:           cfg.MaxInflightMsgs,
		MaxUncommittedEntriesSize: 1 << 30,
		AsyncStorageWrites:        true,
		CheckQuorum:               true,
		PreVote:                   true,
		ReadOnlyOption:            raft.ReadOnlySafe,
		StepDownOnRemoval:         true,
		Logger:                    raftLogger{logger},
	}
	rn, err := raft.NewRawNode(rc)
	if err != nil {
		n.wal.Close()
		return nil, fmt.Errorf("start raft node %x: %w", cfg.ID, err)
	}
	n.rn = rn
	if fresh && !cfg.Join {
		peers := make([]raft.Peer, 0, len(cfg.Peers))
		for _, p := range cfg.Peers {
			ctx, _ := json.Marshal(ccContext{ID: p.ID, Addr: p.Addr})
			peers = append(peers, raft.Peer{ID: p.ID, Context: ctx})
		}
		if err := rn.Bootstrap(peers); err != nil {
			n.wal.Close()
			return nil, fmt.Errorf("bootstrap node %x: %w", cfg.ID, err)
		}
	}
	if cfg.NewTransport != nil {
		if n.trans, err = cfg.NewTransport((*nodeHandler)(n)); err != nil {
			n.wal.Close()
			return nil, fmt.Errorf("create transport for node %x: %w", cfg.ID, err)
		}
	} else {
		ln := cfg.Listener
		if ln == nil {
			ln, err = net.Listen("tcp", cfg.ListenAddr)
			if err != nil {
				n.wal.Close()
				return nil, fmt.Errorf("listen for peers on %s: %w", cfg.ListenAddr, err)
			}
		}
		n.trans = NewTCPTransport(cfg.ID, ln, (*nodeHandler)(n), TransportOptions{
			QueueSize: cfg.PeerQueueSize, DialTimeout: cfg.DialTimeout, Logger: logger,
		})
	}
	if cfg.Filter != nil {
		n.trans.SetFilter(cfg.Filter)
	}
	for _, p := range cfg.Peers {
		n.trans.AddPeer(p.ID, p.Addr)
	}
	for _, mem := range n.members {
		n.trans.AddPeer(mem.ID, mem.Addr)
	}
	hs, _, err := n.storage.InitialState()
	if err != nil {
		n.wal.Close()
		return nil, fmt.Errorf("read hard state of node %x: %w", cfg.ID, err)
	}
	n.persist = newPersister(n, hs)
	n.publishStatus()
	go n.persist.run()
	go n.run()
	return n, nil
}

// openStorage loads the snapshot and WAL into raft's MemoryStorage and the
// state machine. It reports whether the node has no state at all.
func (n *Node) openStorage() (bool, error) {
	w, st, err := wal.Open(filepath.Join(n.cfg.DataDir, "wal"), wal.Options{
		SegmentSize: n.cfg.SegmentSize,
		OnSync:      func(d time.Duration) { n.metrics.walFsync.Observe(d.Seconds()) },
	})
	if err != nil {
		return false, fmt.Errorf("open node %x: %w", n.cfg.ID, err)
	}
	n.wal = w
	if st.Truncated > 0 {
		n.log.Warn("truncated torn WAL tail", "bytes", st.Truncated)
	}
	fail := func(err error) (bool, error) { w.Close(); return false, err }
	snap, err := wal.LoadSnap(n.snapDir, st.Snapshots)
	switch {
	case errors.Is(err, wal.ErrNoSnapshot):
		snap = nil
	case err != nil:
		return fail(fmt.Errorf("load snapshot of node %x: %w", n.cfg.ID, err))
	}
	if snap != nil {
		if err := n.storage.ApplySnapshot(snap); err != nil {
			return fail(fmt.Errorf("install snapshot %d: %w", snap.GetMetadata().GetIndex(), err))
		}
		if err := n.restore(snap); err != nil {
			return fail(err)
		}
	}
	ents := st.Entries
	for len(ents) > 0 && ents[0].GetIndex() <= n.snapIndex {
		ents = ents[1:]
	}
	if len(ents) > 0 && ents[0].GetIndex() != n.snapIndex+1 {
		return fail(fmt.Errorf("node %x: WAL starts at entry %d but the snapshot ends at %d: entries are missing; remove the data directory and re-add the node",
			n.cfg.ID, ents[0].GetIndex(), n.snapIndex))
	}
	hs := st.HardState
	if snap != nil && hs.GetCommit() < n.snapIndex {
		// A commit index need not be synced (raft.MustSync), so the WAL
		// may hold one older than a snapshot taken after the entries were
		// applied; the snapshot itself proves they were committed, and
		// raft refuses a commit index behind its snapshot.
		if hs == nil {
			hs = &raftpb.HardState{}
		} else {
			hs = proto.Clone(hs).(*raftpb.HardState)
		}
		hs.Commit = new(n.snapIndex)
	}
	if err := n.storage.SetHardState(hs); err != nil {
		return fail(fmt.Errorf("restore hard state: %w", err))
	}
	if err := n.storage.Append(ents); err != nil {
		return fail(fmt.Errorf("restore log entries: %w", err))
	}
	n.term = hs.GetTerm()
	fresh := snap == nil && len(st.Entries) == 0 && raft.IsEmptyHardState(st.HardState)
	return fresh, nil
}

// restore installs a snapshot's membership and application state.
func (n *Node) restore(snap *raftpb.Snapshot) error {
	md := snap.GetMetadata()
	members, app, err := decodeSnapshotData(snap.GetData())
	if err != nil {
		return fmt.Errorf("decode snapshot %d: %w", md.GetIndex(), err)
	}
	if err := n.sm.Restore(app); err != nil {
		return fmt.Errorf("restore state machine from snapshot %d: %w", md.GetIndex(), err)
	}
	n.members = map[uint64]Member{}
	n.memberCache = nil
	for _, m := range members {
		n.members[m.ID] = m
		if n.trans != nil {
			n.trans.AddPeer(m.ID, m.Addr)
		}
	}
	n.confState = proto.Clone(md.GetConfState()).(*raftpb.ConfState)
	n.applied = md.GetIndex()
	n.snapIndex = md.GetIndex()
	return nil
}

// snapshotHeader starts a snapshot's data: the membership, which the
// state machine's part follows.
func snapshotHeader(members []Member) ([]byte, error) {
	mj, err := json.Marshal(members)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 4, 4+len(mj))
	binary.BigEndian.PutUint32(out, uint32(len(mj)))
	return append(out, mj...), nil
}

func decodeSnapshotData(b []byte) ([]Member, []byte, error) {
	if len(b) < 4 {
		return nil, nil, errors.New("snapshot data too short")
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-4) {
		return nil, nil, errors.New("snapshot membership length out of range")
	}
	var ms []Member
	if err := json.Unmarshal(b[4:4+n], &ms); err != nil {
		return nil, nil, err
	}
	return ms, b[4+n:], nil
}

// ID returns the node's raft ID.
func (n *Node) ID() uint64 { return n.id }

// Addr returns the address the node's transport listens on.
func (n *Node) Addr() string { return n.trans.Addr() }

// Transport returns the node's peer transport.
func (n *Node) Transport() Transport { return n.trans }

// SetFilter installs a fault filter on the node's outbound messages.
func (n *Node) SetFilter(f Filter) { n.trans.SetFilter(f) }

// Leader returns the ID of the leader this node knows of (0 if none).
func (n *Node) Leader() uint64 { return n.leaderID.Load() }

// Term returns the current term as this node knows it.
func (n *Node) Term() uint64 { return n.termA.Load() }

// IsLeader reports whether this node is the leader.
func (n *Node) IsLeader() bool { return n.leaderID.Load() == n.id }

// AppliedIndex returns the index of the last applied entry, as of the
// last published Status (it never runs ahead of Status).
func (n *Node) AppliedIndex() uint64 { return n.appliedIdx.Load() }

// Done is closed when the node has stopped (by Stop or a fatal error).
func (n *Node) Done() <-chan struct{} { return n.doneC }

// Err returns why the node stopped: nil after Stop, the fatal error (a WAL
// write failure, for example) otherwise. Valid after Done is closed.
func (n *Node) Err() error {
	select {
	case <-n.doneC:
		return n.err
	default:
		return nil
	}
}

// Events subscribes to leader, term and membership changes. The channel
// has buf slots; when it is full, events are dropped rather than stall the
// node, so a consumer that needs the current state should call Status. The
// returned func unsubscribes; the channel is closed on unsubscribe or stop.
func (n *Node) Events(buf int) (<-chan Event, func()) {
	if buf <= 0 {
		buf = 64
	}
	return n.events.Subscribe(buf)
}

// Stop stops the node: the run loop, the transport and the WAL. Pending
// proposals fail with ErrStopped. It is safe to call more than once.
func (n *Node) Stop() error {
	n.stopMu.Lock()
	if !n.stopped {
		n.stopped = true
		close(n.stopC)
	}
	n.stopMu.Unlock()
	<-n.doneC
	if errors.Is(n.err, ErrStopped) {
		return nil
	}
	return n.err
}

// Propose replicates cmd and returns the state machine's result once the
// command is committed and applied on this node. If ctx ends first the
// error wraps ErrUnknownOutcome when the command was already handed to
// raft (it may still commit), or the context's error when it was not.
func (n *Node) Propose(ctx context.Context, cmd []byte) (any, error) {
	id := n.reqSeq.Add(1)
	data := make([]byte, entryHeader+len(cmd))
	data[0] = entryKindCommand
	binary.BigEndian.PutUint64(data[1:9], id)
	copy(data[entryHeader:], cmd)
	return n.propose(ctx, &proposal{id: id, data: data})
}

func (n *Node) propose(ctx context.Context, p *proposal) (val any, err error) {
	ctx, p.span = n.tracer.Start(ctx, "consensus.propose", trace.WithAttributes(
		attribute.String("consensus.node", fmt.Sprintf("%x", n.id)),
		attribute.Int("consensus.bytes", len(p.data)),
		attribute.Bool("consensus.conf_change", p.cc != nil)))
	defer func() {
		if err != nil {
			p.span.RecordError(err)
			p.span.SetStatus(codes.Error, err.Error())
		}
		p.span.End()
	}()
	p.start = time.Now()
	p.done = make(chan proposalResult, 1)
	n.waitMu.Lock()
	n.waiters[p.id] = p
	n.waitMu.Unlock()
	select {
	case n.propC <- p:
	case <-ctx.Done():
		n.forget(p.id)
		n.metrics.proposalsFailed.Inc()
		return nil, fmt.Errorf("%w: %w", ErrNotProposed, ctx.Err())
	case <-n.doneC:
		n.forget(p.id)
		return nil, fmt.Errorf("%w: %w", ErrNotProposed, ErrStopped)
	}
	select {
	case r := <-p.done:
		if r.err != nil {
			n.metrics.proposalsFailed.Inc()
		}
		return r.val, r.err
	case <-ctx.Done():
		return n.abandon(p, ctx.Err())
	case <-n.doneC:
		return n.abandon(p, ErrStopped)
	}
}

// abandon withdraws a waiting proposal whose caller gives up, and says
// whether it can still commit: only if raft has accepted it.
func (n *Node) abandon(p *proposal, cause error) (any, error) {
	n.waitMu.Lock()
	_, waiting := n.waiters[p.id]
	delete(n.waiters, p.id)
	inRaft := p.inRaft
	n.waitMu.Unlock()
	if !waiting {
		// It finished just now: the result is on its way.
		r := <-p.done
		return r.val, r.err
	}
	n.metrics.proposalsFailed.Inc()
	if !inRaft {
		return nil, fmt.Errorf("%w: %w", ErrNotProposed, cause)
	}
	return nil, fmt.Errorf("%w: %w", ErrUnknownOutcome, cause)
}

func (n *Node) forget(id uint64) {
	n.waitMu.Lock()
	delete(n.waiters, id)
	n.waitMu.Unlock()
}

func (n *Node) finish(id uint64, r proposalResult) {
	n.waitMu.Lock()
	p, ok := n.waiters[id]
	delete(n.waiters, id)
	n.waitMu.Unlock()
	if ok {
		p.done <- r // buffered: never blocks
	}
}

// ReadIndex confirms with a quorum that this node's leader is still the
// leader, and waits until this node has applied everything committed at
// that moment. A read served from local state after ReadIndex returns is
// linearizable. Concurrent calls share one round trip.
func (n *Node) ReadIndex(ctx context.Context) error {
	r := &readReq{done: make(chan error, 1)}
	select {
	case n.readC <- r:
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrReadTimeout, ctx.Err())
	case <-n.doneC:
		return ErrStopped
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrReadTimeout, ctx.Err())
	case <-n.doneC:
		return ErrStopped
	}
}

// do runs f on the run goroutine and waits for it.
func (n *Node) do(ctx context.Context, f func()) error {
	done := make(chan struct{})
	select {
	case n.ctrlC <- func() { f(); close(done) }:
	case <-ctx.Done():
		return ctx.Err()
	case <-n.doneC:
		return ErrStopped
	}
	select {
	case <-done:
		return nil
	case <-n.doneC:
		return ErrStopped
	}
}

// nodeHandler is the transport's view of the node.
type nodeHandler Node

func (h *nodeHandler) Process(m *raftpb.Message) {
	select {
	case h.recvC <- m:
	case <-h.exitC:
	}
}

func (h *nodeHandler) ReportUnreachable(id uint64) {
	select {
	case h.reportC <- report{id: id}:
	default: // a hint only; raft probes again on its own
	}
}

func (h *nodeHandler) ReportDropped(m *raftpb.Message) {
	select {
	case h.reportC <- report{id: m.GetTo(), dropped: m}:
	default: // its proposals wait for their callers' deadlines instead
	}
}

func (h *nodeHandler) ReportSnapshot(id uint64, ok bool) {
	// Not a hint: raft keeps the follower in snapshot state until told.
	select {
	case h.reportC <- report{id: id, snapshot: true, ok: ok}:
	case <-h.exitC:
	}
}

func (n *Node) run() {
	err := n.loop()
	// Unblock transport goroutines handing us messages, so that closing
	// the transport below can wait for them, and stop the persister.
	close(n.exitC)
	<-n.persist.doneC
	n.snapWG.Wait()
	if err != nil && !errors.Is(err, ErrStopped) {
		n.log.Error("node stopped on error", "err", err)
	}
	if err == nil {
		err = ErrStopped
	}
	n.err = err
	if cerr := n.trans.Close(); cerr != nil {
		n.log.Warn("close transport", "err", cerr)
	}
	if cerr := n.wal.Close(); cerr != nil {
		n.log.Warn("close WAL", "err", cerr)
	}
	n.publishStatus()
	n.events.Publish(Event{Type: EventStopped, Node: n.id, Term: n.term, Time: time.Now()})
	n.events.Close()
	if e, ok := n.sm.(interface{ stopped() }); ok {
		e.stopped()
	}
	close(n.doneC)
	// Anything still waiting learns of the stop through doneC.
	for _, r := range n.pendingReads {
		r.done <- ErrStopped
	}
}

func (n *Node) loop() error {
	ticker := time.NewTicker(n.cfg.TickInterval)
	defer ticker.Stop()
	for {
		select {
		case <-n.stopC:
			return nil
		case <-ticker.C:
			n.rn.Tick()
			n.ticks++
			n.retryReads()
			n.retryParked = true
		case m := <-n.recvC:
			n.step(m)
			for i := 0; i < 512; i++ {
				select {
				case m = <-n.recvC:
					n.step(m)
					continue
				default:
				}
				break
			}
		case p := <-n.propC:
			n.proposeBatch(p)
		case r := <-n.readC:
			n.pendingReads = append(n.pendingReads, r)
			for len(n.readC) > 0 {
				n.pendingReads = append(n.pendingReads, <-n.readC)
			}
		case r := <-n.reportC:
			if r.dropped != nil {
				n.reparkDropped(r.dropped)
			} else if r.snapshot {
				st := raft.SnapshotFinish
				if !r.ok {
					st = raft.SnapshotFailure
				}
				n.rn.ReportSnapshot(r.id, st)
			} else {
				n.rn.ReportUnreachable(r.id)
			}
		case f := <-n.ctrlC:
			f()
		case b := <-n.persist.stableC:
			if err := n.onStable(b); err != nil {
				return err
			}
		case r := <-n.snapDone:
			if err := n.finishSnapshot(r); err != nil {
				return err
			}
		}
		if n.retryParked && len(n.parked) > 0 && n.lead != 0 {
			n.reproposeParked()
		}
		n.retryParked = false
		// One ReadIndex round at a time, as etcd's read loop does: reads
		// that arrive during a round share the next one, so a burst of
		// readers costs a few quorum heartbeats rather than one each.
		if len(n.pendingReads) > 0 && len(n.readBatches) == 0 {
			n.issueRead(n.pendingReads)
			n.pendingReads = nil
		}
		for n.rn.HasReady() {
			if err := n.handleReady(n.rn.Ready()); err != nil {
				return err
			}
		}
	}
}

func (n *Node) step(m *raftpb.Message) {
	if err := n.rn.Step(m); err != nil && !errors.Is(err, raft.ErrStepPeerNotFound) {
		n.log.Debug("step message", "type", m.GetType().String(), "from", m.GetFrom(), "err", err)
	}
}

func (n *Node) proposeBatch(first *proposal) {
	batch := []*proposal{first}
	size := len(first.data)
	for len(batch) < n.cfg.MaxBatchCount && size < n.cfg.MaxBatchBytes {
		select {
		case p := <-n.propC:
			batch = append(batch, p)
			size += len(p.data)
			continue
		default:
		}
		break
	}
	for _, p := range batch {
		n.proposeOne(p)
	}
}

// proposeOne hands a proposal to raft. Raft drops proposals while no
// leader is known or a leadership transfer is in progress; those are
// parked and retried on the next tick or leader change, until their caller
// gives up, so a Propose during an election waits instead of failing.
func (n *Node) proposeOne(p *proposal) {
	n.waitMu.Lock()
	_, waiting := n.waiters[p.id]
	p.inRaft = waiting
	n.waitMu.Unlock()
	if !waiting {
		return // the caller has given up
	}
	var err error
	if p.cc != nil {
		err = n.rn.ProposeConfChange(p.cc)
	} else {
		err = n.rn.Propose(p.data)
	}
	if err == nil {
		return
	}
	if errors.Is(err, raft.ErrProposalDropped) {
		n.park(p) // dropped proposals never entered the log
		return
	}
	n.finish(p.id, proposalResult{err: err})
}

// park keeps a proposal that no leader has seen until a leader is known
// (reproposeParked), or fails it with ErrProposalDropped when
// ProposalQueue proposals are waiting already.
func (n *Node) park(p *proposal) {
	n.waitMu.Lock()
	p.inRaft = false
	n.waitMu.Unlock()
	if len(n.parked) >= n.cfg.ProposalQueue {
		n.finish(p.id, proposalResult{err: ErrProposalDropped})
		return
	}
	n.parked = append(n.parked, p)
}

// reparkDropped parks the proposals of a forwarded MsgProp that the
// transport could not send (Handler.ReportDropped), as proposeOne parks
// those raft dropped: they never reached a leader, and are proposed again
// on the next tick or leader change. Without this, a put made on a follower just
// after its leader died would be lost there and wait out its deadline.
func (n *Node) reparkDropped(m *raftpb.Message) {
	if m.GetFrom() != n.id {
		return
	}
	for _, e := range m.GetEntries() {
		data := e.GetData()
		if e.GetType() != raftpb.EntryNormal || len(data) < entryHeader || data[0] != entryKindCommand {
			continue // configuration changes keep their callers' deadlines
		}
		n.waitMu.Lock()
		p, waiting := n.waiters[binary.BigEndian.Uint64(data[1:entryHeader])]
		n.waitMu.Unlock()
		if waiting {
			n.park(p)
		}
	}
}

func (n *Node) reproposeParked() {
	parked := n.parked
	n.parked = nil
	for _, p := range parked {
		n.proposeOne(p)
	}
}

func (n *Node) issueRead(reqs []*readReq) {
	n.metrics.readRounds.Inc()
	n.readSeq++
	b := &readBatch{reqs: reqs, issued: n.ticks}
	n.readBatches[n.readSeq] = b
	var rctx [8]byte
	binary.BigEndian.PutUint64(rctx[:], n.readSeq)
	n.rn.ReadIndex(rctx[:])
}

// retryReads re-issues read batches that got no answer within an election
// timeout: raft drops ReadIndex requests silently when there is no leader.
func (n *Node) retryReads() {
	for id, b := range n.readBatches {
		if n.ticks-b.issued > uint64(2*n.cfg.ElectionTicks) {
			delete(n.readBatches, id)
			n.pendingReads = append(n.pendingReads, b.reqs...)
		}
	}
}

// reissueReads sends the read batches in flight to a new leader at once.
// A round forwarded to the old one is likely lost with it (a follower
// reads through its leader), and would otherwise wait for retryReads: a
// read on a follower just after its leader died took two election
// timeouts where a write took one election. A round has no effect but
// its answer, so asking again is safe, and a late answer to the old
// round finds no batch and is ignored.
func (n *Node) reissueReads() {
	for id, b := range n.readBatches {
		delete(n.readBatches, id)
		n.pendingReads = append(n.pendingReads, b.reqs...)
	}
}

func (n *Node) handleReady(rd raft.Ready) error {
	if rd.SoftState != nil {
		n.onSoftState(rd.SoftState)
	}
	if hs := rd.HardState; hs != nil && hs.GetTerm() != n.term && hs.GetTerm() != 0 {
		n.term = hs.GetTerm()
		n.termA.Store(n.term)
		n.events.Publish(Event{Type: EventTermChanged, Node: n.id, Term: n.term, Leader: n.lead, Time: time.Now()})
	}
	// With asynchronous storage writes, raft puts what to persist and what
	// to apply in local messages; the rest go out now. Anything that must
	// wait for the disk (a follower's append acknowledgement, a vote) is a
	// response inside the MsgStorageAppend, delivered by onStable.
	var out, applies []*raftpb.Message
	for _, m := range rd.Messages {
		switch m.GetTo() {
		case raft.LocalAppendThread:
			n.persist.enqueue(m)
		case raft.LocalApplyThread:
			applies = append(applies, m)
		default:
			out = append(out, m)
		}
	}
	if len(out) > 0 {
		n.trans.Send(out)
	}
	for _, m := range applies {
		if err := n.apply(m.GetEntries()); err != nil {
			return err
		}
		for _, r := range m.GetResponses() {
			n.step(r)
		}
	}
	for _, rs := range rd.ReadStates {
		if len(rs.RequestCtx) != 8 {
			continue
		}
		id := binary.BigEndian.Uint64(rs.RequestCtx)
		if b, ok := n.readBatches[id]; ok {
			delete(n.readBatches, id)
			b.index = rs.Index
			n.readWaits = append(n.readWaits, b)
		}
	}
	n.releaseReads()
	if err := n.maybeSnapshot(); err != nil {
		return err
	}
	n.publishStatus()
	return nil
}

func (n *Node) releaseReads() {
	kept := n.readWaits[:0]
	for _, b := range n.readWaits {
		if b.index <= n.applied {
			for _, r := range b.reqs {
				r.done <- nil
			}
			continue
		}
		kept = append(kept, b)
	}
	n.readWaits = kept
}

func (n *Node) onSoftState(ss *raft.SoftState) {
	n.role = ss.RaftState
	if ss.Lead != n.lead {
		n.lead = ss.Lead
		n.leaderID.Store(ss.Lead)
		n.retryParked = true // on the next loop turn, outside this Ready
		if ss.Lead != 0 {
			n.reissueReads()
		}
		n.metrics.leaderChanges.Inc()
		n.log.Info("leader changed", "leader", fmt.Sprintf("%x", ss.Lead), "term", n.rn.BasicStatus().GetTerm())
		n.events.Publish(Event{Type: EventLeaderChanged, Node: n.id, Term: n.rn.BasicStatus().GetTerm(), Leader: ss.Lead, Time: time.Now()})
	}
}

func (n *Node) saveSnapshot(snap *raftpb.Snapshot) error {
	md := snap.GetMetadata()
	// The snapshot file is durable before the WAL marker that names it.
	if err := wal.SaveSnap(n.snapDir, snap); err != nil {
		return fmt.Errorf("save snapshot %d: %w", md.GetIndex(), err)
	}
	if err := n.wal.SaveSnapshot(wal.SnapshotMarker{Term: md.GetTerm(), Index: md.GetIndex()}); err != nil {
		return fmt.Errorf("record snapshot %d in WAL: %w", md.GetIndex(), err)
	}
	return nil
}

func (n *Node) apply(ents []*raftpb.Entry) error {
	now := time.Now()
	// The callers learn their results once the whole batch is applied:
	// their handlers then run together and their responses leave in a
	// few writes per connection instead of one each, which clients read
	// and wake for once rather than per response. Against a 3-node
	// --processes sandbox, a 64-client put benchmark's client spent
	// 12-14% less CPU and the cluster served 3124-3616 puts/s instead of
	// 2827-3306 in alternating runs (docs/sandbox-performance.md).
	results := n.applied0[:0]
	defer func() {
		for _, r := range results {
			n.finish(r.id, r.res)
		}
		clear(results)
		n.applied0 = results[:0]
	}()
	for _, e := range ents {
		idx := e.GetIndex()
		if idx <= n.applied {
			continue
		}
		switch e.GetType() {
		case raftpb.EntryNormal:
			data := e.GetData()
			if len(data) >= entryHeader && data[0] == entryKindCommand {
				id := binary.BigEndian.Uint64(data[1:9])
				val := n.sm.Apply(idx, data[entryHeader:])
				n.observe(id, idx, now)
				results = append(results, appliedResult{id: id, res: proposalResult{val: val}})
			}
		case raftpb.EntryConfChange, raftpb.EntryConfChangeV2:
			if err := n.applyConfChange(e); err != nil {
				return err
			}
		}
		n.applied = idx
	}
	if len(ents) > 0 {
		n.metrics.appliedIndex.Set(float64(n.applied))
	}
	return nil
}

func (n *Node) observe(id, index uint64, committed time.Time) {
	n.waitMu.Lock()
	p, ok := n.waiters[id]
	n.waitMu.Unlock()
	if !ok {
		return
	}
	now := time.Now()
	idx := trace.WithAttributes(attribute.Int64("consensus.index", int64(index)))
	p.span.AddEvent("committed", trace.WithTimestamp(committed), idx)
	p.span.AddEvent("applied", trace.WithTimestamp(now), idx)
	n.metrics.proposeCommit.Observe(committed.Sub(p.start).Seconds())
	n.metrics.commitApply.Observe(now.Sub(committed).Seconds())
	n.metrics.proposeApply.Observe(now.Sub(p.start).Seconds())
}

func (n *Node) maybeSnapshot() error {
	if n.snapBusy || n.applied-n.snapIndex < n.cfg.SnapshotEntries {
		return nil
	}
	if f, ok := n.sm.(SnapshotFreezer); ok {
		return n.startSnapshot(f)
	}
	return n.snapshotNow()
}

// snapshotResult is a background snapshot that is durable (or the error
// that stopped it), handed back to the run goroutine.
type snapshotResult struct {
	snap *raftpb.Snapshot
	err  error
}

// startSnapshot freezes the state machine at the applied index and writes
// the snapshot on another goroutine; finishSnapshot completes it on the
// run goroutine. One is in flight at a time.
func (n *Node) startSnapshot(f SnapshotFreezer) error {
	md, err := n.snapshotMeta()
	if err != nil {
		return err
	}
	members := n.memberList()
	build := f.FreezeSnapshot()
	n.snapBusy = true
	n.snapWG.Add(1)
	go func() {
		defer n.snapWG.Done()
		r := n.writeSnapshot(md, members, build)
		select {
		case n.snapDone <- r:
		case <-n.exitC:
		}
	}()
	return nil
}

// snapshotNow snapshots the state machine at the applied index, saves it
// durably, and compacts the log behind it, all on the run goroutine.
func (n *Node) snapshotNow() error {
	if n.applied <= n.snapIndex {
		return nil
	}
	md, err := n.snapshotMeta()
	if err != nil {
		return err
	}
	return n.finishSnapshot(n.writeSnapshot(md, n.memberList(), func(dst []byte) ([]byte, error) {
		app, err := n.sm.Snapshot()
		return append(dst, app...), err
	}))
}

// snapshotMeta describes a snapshot at the applied index.
func (n *Node) snapshotMeta() (*raftpb.SnapshotMetadata, error) {
	term, err := n.storage.Term(n.applied)
	if err != nil {
		return nil, fmt.Errorf("snapshot at %d: term of the applied entry: %w", n.applied, err)
	}
	return &raftpb.SnapshotMetadata{Index: new(n.applied), Term: new(term),
		ConfState: proto.Clone(n.confState).(*raftpb.ConfState)}, nil
}

// writeSnapshot serialises a state and makes it durable: the snapshot
// file, then the WAL marker that names it, then the release of the WAL
// segments and snapshot files it supersedes. For a background snapshot
// the run goroutine keeps stepping raft and applying meanwhile, and the
// persister's writes interleave with the marker under walMu; snapMu keeps
// a forced snapshot from running beside it.
func (n *Node) writeSnapshot(md *raftpb.SnapshotMetadata, members []Member, build func(dst []byte) ([]byte, error)) snapshotResult {
	n.snapMu.Lock()
	defer n.snapMu.Unlock()
	hdr, err := snapshotHeader(members)
	if err != nil {
		return snapshotResult{err: fmt.Errorf("encode snapshot: %w", err)}
	}
	data, err := build(hdr)
	if err != nil {
		return snapshotResult{err: fmt.Errorf("snapshot state machine at %d: %w", md.GetIndex(), err)}
	}
	snap := &raftpb.Snapshot{Data: data, Metadata: md}
	if err := wal.SaveSnap(n.snapDir, snap); err != nil {
		return snapshotResult{err: fmt.Errorf("save snapshot %d: %w", md.GetIndex(), err)}
	}
	n.walMu.Lock()
	defer n.walMu.Unlock()
	if err := n.wal.SaveSnapshot(wal.SnapshotMarker{Term: md.GetTerm(), Index: md.GetIndex()}); err != nil {
		return snapshotResult{err: fmt.Errorf("record snapshot %d in WAL: %w", md.GetIndex(), err)}
	}
	if err := n.wal.ReleaseTo(md.GetIndex()); err != nil {
		n.log.Warn("release WAL segments", "err", err)
	}
	if err := wal.PurgeSnaps(n.snapDir, 2); err != nil {
		n.log.Warn("purge old snapshots", "err", err)
	}
	return snapshotResult{snap: snap}
}

// finishSnapshot hands a durable snapshot to raft's storage, for
// followers that need it, and compacts the in-memory log behind it,
// keeping CatchUpEntries for slow followers.
func (n *Node) finishSnapshot(r snapshotResult) error {
	n.snapBusy = false
	if r.err != nil {
		return r.err
	}
	md := r.snap.GetMetadata()
	index := md.GetIndex()
	if err := n.storage.createSnapshot(index, md.GetConfState(), r.snap.GetData()); err != nil {
		if errors.Is(err, raft.ErrSnapOutOfDate) {
			return nil // a newer one was installed or forced meanwhile
		}
		return fmt.Errorf("create snapshot at %d: %w", index, err)
	}
	n.snapIndex = index
	n.metrics.snapshots.Inc()
	if index > n.cfg.CatchUpEntries {
		if err := n.storage.Compact(index - n.cfg.CatchUpEntries); err != nil && !errors.Is(err, raft.ErrCompacted) {
			return fmt.Errorf("compact log: %w", err)
		}
	}
	n.log.Debug("snapshot saved", "index", index)
	return nil
}

// Snapshot forces a snapshot and log compaction now.
func (n *Node) Snapshot(ctx context.Context) error {
	var err error
	if derr := n.do(ctx, func() { err = n.snapshotNow() }); derr != nil {
		return derr
	}
	return err
}

// memberList returns the members by ID. The slice is cached until the
// member table changes (whoever changes it sets memberCache to nil) and
// shared: callers must not modify it.
func (n *Node) memberList() []Member {
	if n.memberCache != nil {
		return n.memberCache
	}
	ms := make([]Member, 0, len(n.members))
	for _, m := range n.members {
		ms = append(ms, m)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].ID < ms[j].ID })
	n.memberCache = ms
	return ms
}
