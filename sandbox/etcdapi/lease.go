package etcdapi

import (
	"context"
	"errors"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"

	"github.com/gocli/gocli/consensus/kv"
)

// LeaseGrant implements etcdserverpb.LeaseServer. TTLs below the minimum
// are raised to it, as etcd does, so a lease cannot expire during the
// election that follows a leader failure.
func (s *Server) LeaseGrant(ctx context.Context, r *pb.LeaseGrantRequest) (*pb.LeaseGrantResponse, error) {
	ctx, cancel := s.reqCtx(ctx)
	defer cancel()
	ttl := r.TTL
	if ttl < s.opts.MinLeaseTTL {
		ttl = s.opts.MinLeaseTTL
	}
	resp, err := s.kv.LeaseGrant(ctx, ttl, r.ID)
	if err != nil {
		return nil, toGRPC(err)
	}
	return &pb.LeaseGrantResponse{Header: s.fromHeader(resp.Header), ID: resp.ID, TTL: resp.TTL}, nil
}

// LeaseRevoke implements etcdserverpb.LeaseServer.
func (s *Server) LeaseRevoke(ctx context.Context, r *pb.LeaseRevokeRequest) (*pb.LeaseRevokeResponse, error) {
	ctx, cancel := s.reqCtx(ctx)
	defer cancel()
	if err := s.kv.LeaseRevoke(ctx, r.ID); err != nil {
		return nil, toGRPC(err)
	}
	return &pb.LeaseRevokeResponse{Header: s.header(0)}, nil
}

// LeaseKeepAlive implements etcdserverpb.LeaseServer: each request renews
// one lease; an unknown lease answers TTL 0, as etcd does.
func (s *Server) LeaseKeepAlive(stream grpc.BidiStreamingServer[pb.LeaseKeepAliveRequest, pb.LeaseKeepAliveResponse]) error {
	for {
		req, err := stream.Recv()
		if err != nil {
			return nil
		}
		ctx, cancel := s.reqCtx(stream.Context())
		ttl, err := s.kv.LeaseKeepAlive(ctx, req.ID)
		cancel()
		if errors.Is(err, kv.ErrLeaseNotFound) {
			ttl, err = 0, nil
		}
		if err != nil {
			return toGRPC(err)
		}
		if err := stream.Send(&pb.LeaseKeepAliveResponse{Header: s.header(0), ID: req.ID, TTL: ttl}); err != nil {
			return err
		}
	}
}

// LeaseTimeToLive implements etcdserverpb.LeaseServer; an unknown or
// expired lease answers TTL -1, as etcd does.
func (s *Server) LeaseTimeToLive(ctx context.Context, r *pb.LeaseTimeToLiveRequest) (*pb.LeaseTimeToLiveResponse, error) {
	ctx, cancel := s.reqCtx(ctx)
	defer cancel()
	resp, err := s.kv.LeaseTimeToLive(ctx, r.ID, r.Keys)
	if errors.Is(err, kv.ErrLeaseNotFound) {
		return &pb.LeaseTimeToLiveResponse{Header: s.header(0), ID: r.ID, TTL: -1}, nil
	}
	if err != nil {
		return nil, toGRPC(err)
	}
	return &pb.LeaseTimeToLiveResponse{Header: s.fromHeader(resp.Header), ID: resp.ID, TTL: resp.TTL, GrantedTTL: resp.GrantedTTL, Keys: resp.Keys}, nil
}

// LeaseLeases implements etcdserverpb.LeaseServer.
func (s *Server) LeaseLeases(ctx context.Context, _ *pb.LeaseLeasesRequest) (*pb.LeaseLeasesResponse, error) {
	ctx, cancel := s.reqCtx(ctx)
	defer cancel()
	ids, err := s.kv.Leases(ctx)
	if err != nil {
		return nil, toGRPC(err)
	}
	out := &pb.LeaseLeasesResponse{Header: s.header(0)}
	for _, id := range ids {
		out.Leases = append(out.Leases, &pb.LeaseStatus{ID: id})
	}
	return out, nil
}
