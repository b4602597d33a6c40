package dashboard

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/gocli/gocli/sandbox"
)

// EtcdSource attaches read-only to any etcd v3 cluster (a real etcd
// included): status from Cluster.MemberList and Maintenance.Status on
// every member. It has no event stream, so the dashboard derives leader
// changes from its refreshes, and its fault methods return ErrReadOnly.
type EtcdSource struct {
	cli       *clientv3.Client
	endpoints []string
}

// NewEtcdSource connects to endpoints (host:port). Close releases it.
func NewEtcdSource(endpoints []string) (*EtcdSource, error) {
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", strings.Join(endpoints, ","), err)
	}
	return &EtcdSource{cli: cli, endpoints: endpoints}, nil
}

// Close closes the etcd client.
func (s *EtcdSource) Close() error { return s.cli.Close() }

// ReadOnlyReason implements ReadOnly.
func (s *EtcdSource) ReadOnlyReason() string {
	return "attached with --endpoints, which only reads status; use --name with a gocli sandbox to inject faults"
}

// Status lists the members and asks each for its raft status.
func (s *EtcdSource) Status(ctx context.Context) (sandbox.Status, error) {
	ml, err := s.cli.MemberList(ctx)
	if err != nil {
		return sandbox.Status{}, fmt.Errorf("member list: %w", err)
	}
	// The cluster ID is a 64-bit hash: too wide for the 80-column header.
	st := sandbox.Status{Name: "etcd"}
	// etcd member IDs are 64-bit hashes: the table numbers members 1..n in
	// ID order and keeps the real ID, in hex as etcdctl prints it, as the
	// name.
	members := slices.Clone(ml.Members)
	slices.SortFunc(members, func(a, b *etcdserverpb.Member) int { return cmp.Compare(a.ID, b.ID) })
	ordinal := map[uint64]uint64{}
	for i, mem := range members {
		ordinal[mem.ID] = uint64(i + 1)
	}
	rows := make([]sandbox.NodeStatus, len(members))
	var wg sync.WaitGroup
	for i, mem := range members {
		r := &rows[i]
		r.ID, r.Name, r.Health, r.Role = uint64(i+1), fmt.Sprintf("%x", mem.ID), "unreachable", "unknown"
		if mem.Name != "" {
			r.Name += " " + mem.Name
		}
		memberID := mem.ID
		if len(mem.PeerURLs) > 0 {
			r.Peer = hostPort(mem.PeerURLs[0])
		}
		if len(mem.ClientURLs) == 0 {
			r.Health = "no-client-url"
			continue
		}
		r.Endpoint = hostPort(mem.ClientURLs[0])
		learner := mem.IsLearner
		wg.Add(1)
		go func() {
			defer wg.Done()
			sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			ms, err := s.cli.Status(sctx, r.Endpoint)
			if err != nil {
				return
			}
			r.Term, r.Leader, r.Commit, r.Applied = ms.RaftTerm, ordinal[ms.Leader], ms.RaftIndex, ms.RaftAppliedIndex
			switch {
			case learner:
				r.Role = "learner"
			case ms.Leader == memberID:
				r.Role = "leader"
			default:
				r.Role = "follower"
			}
			r.Health = "healthy"
			if ms.Leader == 0 || len(ms.Errors) > 0 {
				r.Health = "no-leader"
			}
		}()
	}
	wg.Wait()
	var leaderApplied uint64
	for _, r := range rows {
		if r.Role == "leader" && r.Term >= st.Term {
			st.Leader, st.Term, leaderApplied = r.ID, r.Term, r.Applied
		}
		st.Term = max(st.Term, r.Term)
	}
	for i := range rows {
		if rows[i].Health == "healthy" && leaderApplied > rows[i].Applied {
			rows[i].Lag = leaderApplied - rows[i].Applied
		}
	}
	st.Nodes = rows
	return st, nil
}

func hostPort(u string) string {
	if p, err := url.Parse(u); err == nil && p.Host != "" {
		return p.Host
	}
	return u
}

// Events implements ControlClient: etcd has no cluster event stream.
func (s *EtcdSource) Events(context.Context) (<-chan sandbox.Event, error) { return nil, ErrNoEvents }

// Kill implements ControlClient; read-only.
func (s *EtcdSource) Kill(context.Context, uint64) error { return ErrReadOnly }

// Restart implements ControlClient; read-only.
func (s *EtcdSource) Restart(context.Context, uint64) error { return ErrReadOnly }

// Pause implements ControlClient; read-only.
func (s *EtcdSource) Pause(context.Context, uint64) error { return ErrReadOnly }

// Resume implements ControlClient; read-only.
func (s *EtcdSource) Resume(context.Context, uint64) error { return ErrReadOnly }

// Delay implements ControlClient; read-only.
func (s *EtcdSource) Delay(context.Context, uint64, time.Duration, time.Duration) error {
	return ErrReadOnly
}

// TransferLeader implements ControlClient; read-only.
func (s *EtcdSource) TransferLeader(context.Context, uint64) error { return ErrReadOnly }

// AddNode implements ControlClient; read-only.
func (s *EtcdSource) AddNode(context.Context) (sandbox.NodeSpec, error) {
	return sandbox.NodeSpec{}, ErrReadOnly
}

// RemoveNode implements ControlClient; read-only.
func (s *EtcdSource) RemoveNode(context.Context, uint64) error { return ErrReadOnly }

// Partition implements ControlClient; read-only.
func (s *EtcdSource) Partition(context.Context, [][]uint64) error { return ErrReadOnly }

// Heal implements ControlClient; read-only.
func (s *EtcdSource) Heal(context.Context) error { return ErrReadOnly }

var _ ReadOnly = (*EtcdSource)(nil)
var _ ControlClient = (*EtcdSource)(nil)
