package etcdapi

import (
	"context"
	"fmt"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"

	"github.com/gocli/gocli/consensus"
)

// MemberList implements etcdserverpb.ClusterServer.
func (s *Server) MemberList(_ context.Context, _ *pb.MemberListRequest) (*pb.MemberListResponse, error) {
	out := &pb.MemberListResponse{Header: s.header(0)}
	if s.opts.Members != nil {
		out.Members = s.opts.Members()
		return out, nil
	}
	for _, m := range s.kv.Node().Members() {
		out.Members = append(out.Members, &pb.Member{ID: m.ID, Name: fmt.Sprintf("node%d", m.ID),
			PeerURLs: []string{"http://" + m.Addr}, IsLearner: m.Learner})
	}
	return out, nil
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
