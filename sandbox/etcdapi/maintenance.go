package etcdapi

import (
	"context"
	"fmt"
	"net/url"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gocli/gocli/consensus"
)

// MemberList implements etcdserverpb.ClusterServer.
func (s *Server) MemberList(_ context.Context, _ *pb.MemberListRequest) (*pb.MemberListResponse, error) {
	return &pb.MemberListResponse{Header: s.header(0), Members: s.members()}, nil
}

// members lists the cluster's members: from Options.Members, else the
// engine's membership (without client URLs).
func (s *Server) members() []*pb.Member {
	if s.opts.Members != nil {
		return s.opts.Members()
	}
	var out []*pb.Member
	for _, m := range s.kv.Node().Members() {
		out = append(out, &pb.Member{ID: m.ID, Name: fmt.Sprintf("node%d", m.ID),
			PeerURLs: []string{"http://" + m.Addr}, IsLearner: m.Learner})
	}
	return out
}

// Membership changes a cluster's membership for Cluster.MemberAdd and
// MemberRemove. etcd only records a new member (its operator starts it);
// the sandbox adds and starts a node in one step, through the same path
// as gocli sandbox add-node and remove-node. Errors may be gRPC status
// errors, which reach the client as they are.
type Membership interface {
	// AddMember adds a voter and starts it. peerAddr (host:port) is the
	// peer address asked for, or "" to let the sandbox pick.
	AddMember(ctx context.Context, peerAddr string) (*pb.Member, error)
	// RemoveMember removes member id and stops it.
	RemoveMember(ctx context.Context, id uint64) error
}

// membershipTimeout bounds a MemberAdd or MemberRemove: starting a node
// takes longer than a request.
const membershipTimeout = 30 * time.Second

// MemberAdd implements etcdserverpb.ClusterServer.
func (s *Server) MemberAdd(ctx context.Context, r *pb.MemberAddRequest) (*pb.MemberAddResponse, error) {
	if s.opts.Membership == nil {
		return nil, status.Error(codes.Unimplemented, "gocli sandbox does not implement etcdserverpb.Cluster/MemberAdd on this node: use gocli sandbox add-node")
	}
	if r.IsLearner {
		return nil, unsupported("MemberAdd with is_learner: sandbox nodes join as voters (add it without --learner)")
	}
	addr, err := peerAddr(r.PeerURLs)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, membershipTimeout)
	defer cancel()
	m, err := s.opts.Membership.AddMember(ctx, addr)
	if err != nil {
		return nil, toGRPC(err)
	}
	return &pb.MemberAddResponse{Header: s.header(0), Member: m, Members: s.members()}, nil
}

// MemberRemove implements etcdserverpb.ClusterServer.
func (s *Server) MemberRemove(ctx context.Context, r *pb.MemberRemoveRequest) (*pb.MemberRemoveResponse, error) {
	if s.opts.Membership == nil {
		return nil, status.Error(codes.Unimplemented, "gocli sandbox does not implement etcdserverpb.Cluster/MemberRemove on this node: use gocli sandbox remove-node")
	}
	ctx, cancel := context.WithTimeout(ctx, membershipTimeout)
	defer cancel()
	if err := s.opts.Membership.RemoveMember(ctx, r.ID); err != nil {
		return nil, toGRPC(err)
	}
	return &pb.MemberRemoveResponse{Header: s.header(0), Members: s.members()}, nil
}

// peerAddr turns MemberAdd's peer URLs into the one host:port a sandbox
// node listens on for peers ("" when none is given).
func peerAddr(urls []string) (string, error) {
	switch len(urls) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", status.Errorf(codes.InvalidArgument, "etcdserver: given member URLs are invalid: a gocli sandbox node has one peer address, got %d peer URLs", len(urls))
	}
	u, err := url.Parse(urls[0])
	if err != nil || u.Host == "" || u.Port() == "" || (u.Path != "" && u.Path != "/") {
		return "", status.Errorf(codes.InvalidArgument, "etcdserver: given member URLs are invalid: %q: want http://HOST:PORT", urls[0])
	}
	if u.Scheme != "http" {
		return "", status.Errorf(codes.InvalidArgument, "etcdserver: given member URLs are invalid: %q: the gocli sandbox's peer transport speaks plain http, not %s", urls[0], u.Scheme)
	}
	return u.Host, nil
}

// Status implements etcdserverpb.MaintenanceServer.
func (s *Server) Status(_ context.Context, _ *pb.StatusRequest) (*pb.StatusResponse, error) {
	st := s.kv.Node().Status()
	return &pb.StatusResponse{
		Header:           s.header(0),
		Version:          Version,
		StorageVersion:   Version,
		DbSize:           st.WALSize,
		DbSizeInUse:      st.WALSize,
		Leader:           st.Leader,
		RaftIndex:        st.Commit,
		RaftTerm:         st.Term,
		RaftAppliedIndex: st.Applied,
		IsLearner:        st.Role == consensus.RoleLearner,
	}, nil
}

// Alarm implements etcdserverpb.MaintenanceServer: the sandbox raises no
// alarms, so listing answers an empty list (etcdctl endpoint health asks).
func (s *Server) Alarm(_ context.Context, r *pb.AlarmRequest) (*pb.AlarmResponse, error) {
	if r.Action != pb.AlarmRequest_GET {
		return nil, unsupported("activating or deactivating alarms")
	}
	return &pb.AlarmResponse{Header: s.header(0)}, nil
}

// MoveLeader implements etcdserverpb.MaintenanceServer: it must be sent to
// the leader, as with etcd.
func (s *Server) MoveLeader(ctx context.Context, r *pb.MoveLeaderRequest) (*pb.MoveLeaderResponse, error) {
	n := s.kv.Node()
	if !n.IsLeader() {
		return nil, rpctypes.ErrGRPCNotLeader
	}
	ctx, cancel := s.reqCtx(ctx)
	defer cancel()
	if err := n.TransferLeadership(ctx, r.TargetID); err != nil {
		return nil, toGRPC(err)
	}
	return &pb.MoveLeaderResponse{Header: s.header(0)}, nil
}
