package consensus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"go.etcd.io/raft/v3/tracker"
	"google.golang.org/protobuf/proto"
)

// ccContext travels in a conf change's Context: the member's address and
// the request to complete when it applies.
type ccContext struct {
	ID   uint64 `json:"id"`
	Addr string `json:"addr,omitempty"`
	Req  uint64 `json:"req,omitempty"`
}

func (n *Node) applyConfChange(e *raftpb.Entry) error {
	var cc raftpb.ConfChangeI
	var ctxs [][]byte
	switch e.GetType() {
	case raftpb.EntryConfChange:
		c := &raftpb.ConfChange{}
		if err := proto.Unmarshal(e.GetData(), c); err != nil {
			return fmt.Errorf("decode conf change at %d: %w", e.GetIndex(), err)
		}
		cc = c
		ctxs = [][]byte{c.GetContext()}
	default:
		c := &raftpb.ConfChangeV2{}
		if err := proto.Unmarshal(e.GetData(), c); err != nil {
			return fmt.Errorf("decode conf change at %d: %w", e.GetIndex(), err)
		}
		cc = c
		ctxs = [][]byte{c.GetContext()}
	}
	n.confState = n.rn.ApplyConfChange(cc)
	var req uint64
	for _, raw := range ctxs {
		var c ccContext
		if len(raw) > 0 && json.Unmarshal(raw, &c) == nil {
			req = c.Req
			if c.Addr != "" {
				m := n.members[c.ID]
				m.ID, m.Addr = c.ID, c.Addr
				n.members[c.ID] = m
				n.trans.AddPeer(c.ID, c.Addr)
			}
		}
	}
	// Reconcile the member table with the configuration raft now has.
	inConf := map[uint64]bool{}
	for _, id := range n.confState.GetVoters() {
		inConf[id] = true
		m := n.members[id]
		m.ID, m.Learner = id, false
		n.members[id] = m
	}
	for _, id := range n.confState.GetLearners() {
		inConf[id] = true
		m := n.members[id]
		m.ID, m.Learner = id, true
		n.members[id] = m
	}
	for _, id := range n.confState.GetLearnersNext() {
		inConf[id] = true
	}
	for _, id := range n.confState.GetVotersOutgoing() {
		inConf[id] = true
	}
	for id := range n.members {
		if !inConf[id] {
			delete(n.members, id)
			n.trans.RemovePeer(id)
		}
	}
	n.memberCache = nil
	n.publishMembers()
	if req != 0 {
		n.finish(req, proposalResult{})
	}
	return nil
}

func (n *Node) publishMembers() {
	n.events.Publish(Event{Type: EventMembershipChanged, Node: n.id, Term: n.term, Leader: n.lead,
		Members: n.memberList(), Time: time.Now()})
}

func (n *Node) changeConf(ctx context.Context, typ raftpb.ConfChangeType, id uint64, addr string) error {
	if id == 0 {
		return errors.New("member ID must be non-zero")
	}
	req := n.reqSeq.Add(1)
	c, _ := json.Marshal(ccContext{ID: id, Addr: addr, Req: req})
	cc := &raftpb.ConfChangeV2{
		Changes: []*raftpb.ConfChangeSingle{{Type: typ.Enum(), NodeId: new(id)}},
		Context: c,
	}
	_, err := n.propose(ctx, &proposal{id: req, cc: cc})
	if err != nil {
		return fmt.Errorf("%s node %x: %w", typ, id, err)
	}
	return nil
}

// AddMember adds a voter reachable at addr and returns once the change is
// applied on this node. Start the new node with Config.Join set.
func (n *Node) AddMember(ctx context.Context, id uint64, addr string) error {
	return n.changeConf(ctx, raftpb.ConfChangeAddNode, id, addr)
}

// AddLearner adds a non-voting member reachable at addr.
func (n *Node) AddLearner(ctx context.Context, id uint64, addr string) error {
	return n.changeConf(ctx, raftpb.ConfChangeAddLearnerNode, id, addr)
}

// PromoteLearner turns a learner into a voter.
func (n *Node) PromoteLearner(ctx context.Context, id uint64) error {
	var addr string
	for _, m := range n.Members() {
		if m.ID == id {
			if !m.Learner {
				return fmt.Errorf("promote node %x: it is not a learner", id)
			}
			addr = m.Addr
		}
	}
	if addr == "" {
		return fmt.Errorf("promote node %x: not a member", id)
	}
	return n.changeConf(ctx, raftpb.ConfChangeAddNode, id, addr)
}

// RemoveMember removes a voter or learner.
func (n *Node) RemoveMember(ctx context.Context, id uint64) error {
	return n.changeConf(ctx, raftpb.ConfChangeRemoveNode, id, "")
}

// Members returns the current members, sorted by ID.
func (n *Node) Members() []Member {
	n.statusMu.Lock()
	defer n.statusMu.Unlock()
	return slices.Clone(n.lastStatus.Members)
}

// TransferLeadership asks the leader to hand leadership to node to and
// waits until this node sees to as leader, or ctx ends.
func (n *Node) TransferLeadership(ctx context.Context, to uint64) error {
	events, cancel := n.Events(16)
	defer cancel()
	if err := n.do(ctx, func() { n.rn.TransferLeader(to) }); err != nil {
		return fmt.Errorf("transfer leadership to %x: %w", to, err)
	}
	t := time.NewTicker(n.cfg.TickInterval)
	defer t.Stop()
	for n.Leader() != to {
		select {
		case <-events:
		case <-t.C:
			// Re-ask: the first request may have gone to a node that was
			// not leader, or the transfer timed out.
			if n.Leader() != 0 && n.Leader() != to {
				_ = n.do(ctx, func() { n.rn.TransferLeader(to) })
			}
		case <-ctx.Done():
			return fmt.Errorf("transfer leadership to %x: %w", to, ctx.Err())
		case <-n.doneC:
			return ErrStopped
		}
	}
	return nil
}

// Role is a node's part in the cluster.
type Role string

// Roles.
const (
	RoleFollower     Role = "follower"
	RoleCandidate    Role = "candidate"
	RolePreCandidate Role = "pre-candidate"
	RoleLeader       Role = "leader"
	RoleLearner      Role = "learner"
	RoleStopped      Role = "stopped"
)

// PeerProgress is the leader's view of one follower's replication.
type PeerProgress struct {
	Match uint64 `json:"match"`
	Next  uint64 `json:"next"`
	State string `json:"state"`
}

// Status is a point-in-time view of a node.
type Status struct {
	ID            uint64                  `json:"id"`
	Role          Role                    `json:"role"`
	Term          uint64                  `json:"term"`
	Leader        uint64                  `json:"leader"`
	Commit        uint64                  `json:"commit"`
	Applied       uint64                  `json:"applied"`
	SnapshotIndex uint64                  `json:"snapshot_index"`
	WALSize       int64                   `json:"wal_size"`
	Members       []Member                `json:"members"`
	Progress      map[uint64]PeerProgress `json:"progress,omitempty"`
}

// publishStatus refreshes the status that Status and Members read; called
// by the run goroutine after each Ready and once more when it stops. It
// runs for every Ready, so it allocates nothing in the steady state: the
// member list is the cached one, and the leader's progress map is updated
// in place under statusMu, which Status holds while it copies it.
func (n *Node) publishStatus() {
	s := Status{ID: n.id, Term: n.term, Leader: n.lead, Applied: n.applied, SnapshotIndex: n.snapIndex,
		WALSize: n.wal.Size(), Members: n.memberList()}
	leader := false
	select {
	case <-n.stopC:
		s.Role = RoleStopped
	default:
		if n.rn != nil {
			bs := n.rn.BasicStatus()
			s.Term, s.Commit = bs.HardState.GetTerm(), bs.HardState.GetCommit()
			s.Role = roleOf(bs.RaftState)
			if slices.Contains(n.confState.GetLearners(), n.id) {
				s.Role = RoleLearner
			}
			leader = s.Role == RoleLeader
		}
	}
	n.statusMu.Lock()
	if leader {
		if n.progress == nil {
			n.progress = make(map[uint64]PeerProgress, len(n.members))
		}
		clear(n.progress)
		n.rn.WithProgress(func(id uint64, _ raft.ProgressType, pr tracker.Progress) {
			n.progress[id] = PeerProgress{Match: pr.Match, Next: pr.Next, State: pr.State.String()}
		})
		s.Progress = n.progress
	}
	n.lastStatus = s
	n.statusMu.Unlock()
	// After the status: whoever sees the applied index move also sees a
	// status at least that recent.
	n.appliedIdx.Store(n.applied)
}

func roleOf(st raft.StateType) Role {
	switch st {
	case raft.StateLeader:
		return RoleLeader
	case raft.StateCandidate:
		return RoleCandidate
	case raft.StatePreCandidate:
		return RolePreCandidate
	default:
		return RoleFollower
	}
}

// Status returns the node's status as of the last Ready the run loop
// handled (it never waits for the loop, so a node busy with a long fsync
// still answers). On the leader it includes each member's progress.
func (n *Node) Status() Status {
	n.statusMu.Lock()
	defer n.statusMu.Unlock()
	s := n.lastStatus
	s.Members = slices.Clone(s.Members)
	s.Progress = maps.Clone(s.Progress)
	return s
}
