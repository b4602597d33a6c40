package etcdapi

import (
	"context"
	"fmt"
	"strings"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gocli/gocli/consensus/kv"
)

// Version is the etcd server version the API reports in Maintenance.Status;
// it is the etcd API level the sandbox implements.
const Version = "3.6.0"

// Options configure a Server.
type Options struct {
	// ClusterID is reported in every response header.
	ClusterID uint64
	// Members lists the cluster's members with their client URLs for
	// Cluster.MemberList. Nil reports the engine's members without URLs.
	Members func() []*pb.Member
	// RequestTimeout bounds one request inside the server, like etcd's
	// request timeout (default 5s plus two election timeouts).
	RequestTimeout time.Duration
	// Paused, when set and true, makes every call fail with Unavailable:
	// the sandbox's in-process stand-in for a stopped process.
	Paused func() bool
	// MinLeaseTTL is the smallest TTL granted, in seconds (etcd uses one
	// and a half election timeouts).
	MinLeaseTTL int64
	// Membership, when set, serves Cluster.MemberAdd and MemberRemove;
	// without it they answer Unimplemented.
	Membership Membership
	// ProgressInterval is how often watches created with progress_notify
	// get a progress response while idle (etcd: 10 minutes).
	ProgressInterval time.Duration
}

// Server implements the etcd v3 gRPC services over one kv.Server.
type Server struct {
	pb.UnimplementedKVServer
	pb.UnimplementedWatchServer
	pb.UnimplementedLeaseServer
	pb.UnimplementedClusterServer
	pb.UnimplementedMaintenanceServer
	pb.UnimplementedAuthServer

	kv   *kv.Server
	opts Options
}

// New returns a Server for s.
func New(s *kv.Server, opts Options) *Server {
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 7 * time.Second
	}
	if opts.MinLeaseTTL <= 0 {
		opts.MinLeaseTTL = 2
	}
	if opts.ProgressInterval <= 0 {
		opts.ProgressInterval = 10 * time.Minute
	}
	return &Server{kv: s, opts: opts}
}

// Register adds every etcd service to g.
func (s *Server) Register(g *grpc.Server) {
	pb.RegisterKVServer(g, s)
	pb.RegisterWatchServer(g, s)
	pb.RegisterLeaseServer(g, s)
	pb.RegisterClusterServer(g, s)
	pb.RegisterMaintenanceServer(g, s)
	pb.RegisterAuthServer(g, s)
}

// UnaryInterceptor rejects calls while the node is paused and, for calls
// that ask for it (clientv3's WithRequireLeader), while it has no leader.
func (s *Server) UnaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if err := s.admit(ctx); err != nil {
		return nil, err
	}
	resp, err := h(ctx, req)
	return resp, explainUnimplemented(info.FullMethod, err)
}

// hints say what to use instead of an etcd call the sandbox lacks.
var hints = map[string]string{
	"MemberUpdate":  "a sandbox node's peer address is fixed; remove the node and add one at the new address",
	"MemberPromote": "sandbox nodes join as voters",
	"Defragment":    "the sandbox has no bolt database to defragment",
	"Snapshot":      "copy the cluster folder of a stopped cluster instead",
}

// explainUnimplemented replaces grpc's generic "method X not implemented"
// with a message naming the sandbox and, where one exists, what to use.
func explainUnimplemented(fullMethod string, err error) error {
	if status.Code(err) != codes.Unimplemented || !strings.HasPrefix(status.Convert(err).Message(), "method ") {
		return err
	}
	name := fullMethod[strings.LastIndex(fullMethod, "/")+1:]
	msg := fmt.Sprintf("gocli sandbox does not implement %s", strings.TrimPrefix(fullMethod, "/"))
	if h := hints[name]; h != "" {
		msg += ": " + h
	}
	return status.Error(codes.Unimplemented, msg)
}

// StreamInterceptor is UnaryInterceptor for streams.
func (s *Server) StreamInterceptor(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if err := s.admit(ss.Context()); err != nil {
		return err
	}
	return explainUnimplemented(info.FullMethod, h(srv, ss))
}

func (s *Server) admit(ctx context.Context) error {
	if s.opts.Paused != nil && s.opts.Paused() {
		return errPaused
	}
	// ValueFromIncomingContext copies one key's values, where
	// FromIncomingContext would copy every header of every call.
	if v := metadata.ValueFromIncomingContext(ctx, rpctypes.MetadataRequireLeaderKey); len(v) > 0 && v[0] == rpctypes.MetadataHasLeader && s.kv.Node().Leader() == 0 {
		return rpctypes.ErrGRPCNoLeader
	}
	return nil
}

func (s *Server) header(rev int64) *pb.ResponseHeader {
	n := s.kv.Node()
	if rev == 0 {
		rev = s.kv.Store().Revision()
	}
	return &pb.ResponseHeader{ClusterId: s.opts.ClusterID, MemberId: n.ID(), Revision: rev, RaftTerm: n.Term()}
}

func (s *Server) fromHeader(h kv.Header) *pb.ResponseHeader {
	out := s.header(h.Revision)
	if h.RaftTerm != 0 {
		out.RaftTerm = h.RaftTerm
	}
	return out
}

func (s *Server) reqCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.opts.RequestTimeout)
}

// --- KV ---------------------------------------------------------------

// Range implements etcdserverpb.KVServer.
func (s *Server) Range(ctx context.Context, r *pb.RangeRequest) (*pb.RangeResponse, error) {
	ctx, cancel := s.reqCtx(ctx)
	defer cancel()
	resp, err := s.kv.Range(ctx, toRange(r))
	if err != nil {
		return nil, toGRPC(err)
	}
	out := rangeResponse(resp)
	out.Header = s.fromHeader(resp.Header)
	return out, nil
}

// Put implements etcdserverpb.KVServer.
func (s *Server) Put(ctx context.Context, r *pb.PutRequest) (*pb.PutResponse, error) {
	ctx, cancel := s.reqCtx(ctx)
	defer cancel()
	resp, err := s.kv.Put(ctx, toPut(r))
	if err != nil {
		return nil, toGRPC(err)
	}
	return &pb.PutResponse{Header: s.fromHeader(resp.Header), PrevKv: toKV(resp.PrevKv)}, nil
}

// DeleteRange implements etcdserverpb.KVServer.
func (s *Server) DeleteRange(ctx context.Context, r *pb.DeleteRangeRequest) (*pb.DeleteRangeResponse, error) {
	ctx, cancel := s.reqCtx(ctx)
	defer cancel()
	resp, err := s.kv.DeleteRange(ctx, kv.DeleteRangeRequest{Key: r.Key, RangeEnd: r.RangeEnd, PrevKv: r.PrevKv})
	if err != nil {
		return nil, toGRPC(err)
	}
	return &pb.DeleteRangeResponse{Header: s.fromHeader(resp.Header), Deleted: resp.Deleted, PrevKvs: toKVs(resp.PrevKvs)}, nil
}

// Txn implements etcdserverpb.KVServer.
func (s *Server) Txn(ctx context.Context, r *pb.TxnRequest) (*pb.TxnResponse, error) {
	t, err := toTxn(r)
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.reqCtx(ctx)
	defer cancel()
	resp, err := s.kv.Txn(ctx, t)
	if err != nil {
		return nil, toGRPC(err)
	}
	ops := r.Success
	if !resp.Succeeded {
		ops = r.Failure
	}
	out := &pb.TxnResponse{Header: s.fromHeader(resp.Header), Succeeded: resp.Succeeded}
	for i, or := range resp.Responses {
		out.Responses = append(out.Responses, s.opResponse(ops[i], or))
	}
	return out, nil
}

// Compact implements etcdserverpb.KVServer.
func (s *Server) Compact(ctx context.Context, r *pb.CompactionRequest) (*pb.CompactionResponse, error) {
	ctx, cancel := s.reqCtx(ctx)
	defer cancel()
	if err := s.kv.Compact(ctx, r.Revision); err != nil {
		return nil, toGRPC(err)
	}
	return &pb.CompactionResponse{Header: s.header(0)}, nil
}

func (s *Server) opResponse(op *pb.RequestOp, r kv.OpResponse) *pb.ResponseOp {
	switch {
	case r.Range != nil:
		rr := rangeResponse(r.Range)
		rr.Header = s.fromHeader(r.Range.Header)
		return &pb.ResponseOp{Response: &pb.ResponseOp_ResponseRange{ResponseRange: rr}}
	case r.Put != nil:
		return &pb.ResponseOp{Response: &pb.ResponseOp_ResponsePut{ResponsePut: &pb.PutResponse{Header: s.fromHeader(r.Put.Header), PrevKv: toKV(r.Put.PrevKv)}}}
	default:
		d := r.Delete
		if d == nil {
			d = &kv.DeleteRangeResponse{}
		}
		return &pb.ResponseOp{Response: &pb.ResponseOp_ResponseDeleteRange{ResponseDeleteRange: &pb.DeleteRangeResponse{
			Header: s.fromHeader(d.Header), Deleted: d.Deleted, PrevKvs: toKVs(d.PrevKvs)}}}
	}
}

// rangeResponse converts a kv range result (the engine sorts, filters
// and limits as etcd does).
func rangeResponse(resp *kv.RangeResponse) *pb.RangeResponse {
	return &pb.RangeResponse{Count: resp.Count, More: resp.More, Kvs: toKVs(resp.Kvs)}
}

// toRange converts a range request; every field of etcd's has an engine
// counterpart.
func toRange(r *pb.RangeRequest) kv.RangeRequest {
	return kv.RangeRequest{Key: r.Key, RangeEnd: r.RangeEnd, Revision: r.Revision, Limit: r.Limit,
		CountOnly: r.CountOnly, KeysOnly: r.KeysOnly, Serializable: r.Serializable,
		SortOrder: sortOrders[r.SortOrder], SortTarget: sortTargets[r.SortTarget],
		MinModRevision: r.MinModRevision, MaxModRevision: r.MaxModRevision,
		MinCreateRevision: r.MinCreateRevision, MaxCreateRevision: r.MaxCreateRevision}
}

var sortOrders = map[pb.RangeRequest_SortOrder]kv.SortOrder{
	pb.RangeRequest_NONE: kv.SortNone, pb.RangeRequest_ASCEND: kv.SortAscend, pb.RangeRequest_DESCEND: kv.SortDescend,
}

var sortTargets = map[pb.RangeRequest_SortTarget]kv.SortTarget{
	pb.RangeRequest_KEY: kv.SortByKey, pb.RangeRequest_VERSION: kv.SortByVersion, pb.RangeRequest_CREATE: kv.SortByCreate,
	pb.RangeRequest_MOD: kv.SortByMod, pb.RangeRequest_VALUE: kv.SortByValue,
}

func toPut(p *pb.PutRequest) kv.PutRequest {
	return kv.PutRequest{Key: p.Key, Value: p.Value, Lease: p.Lease, PrevKv: p.PrevKv,
		IgnoreValue: p.IgnoreValue, IgnoreLease: p.IgnoreLease}
}

func toTxn(r *pb.TxnRequest) (kv.TxnRequest, error) {
	var t kv.TxnRequest
	for _, c := range r.Compare {
		kc := kv.Compare{Key: c.Key, RangeEnd: c.RangeEnd}
		switch c.Result {
		case pb.Compare_EQUAL:
			kc.Result = kv.CompareEqual
		case pb.Compare_GREATER:
			kc.Result = kv.CompareGreater
		case pb.Compare_LESS:
			kc.Result = kv.CompareLess
		case pb.Compare_NOT_EQUAL:
			kc.Result = kv.CompareNotEqual
		}
		switch c.Target {
		case pb.Compare_VERSION:
			kc.Target, kc.Version = kv.CompareVersion, c.GetVersion()
		case pb.Compare_CREATE:
			kc.Target, kc.CreateRevision = kv.CompareCreate, c.GetCreateRevision()
		case pb.Compare_MOD:
			kc.Target, kc.ModRevision = kv.CompareMod, c.GetModRevision()
		case pb.Compare_VALUE:
			kc.Target, kc.Value = kv.CompareValue, c.GetValue()
		case pb.Compare_LEASE:
			kc.Target, kc.Lease = kv.CompareLease, c.GetLease()
		}
		t.Compare = append(t.Compare, kc)
	}
	var err error
	if t.Success, err = toOps(r.Success); err != nil {
		return t, err
	}
	t.Failure, err = toOps(r.Failure)
	return t, err
}

func toOps(ops []*pb.RequestOp) ([]kv.Op, error) {
	var out []kv.Op
	for _, op := range ops {
		switch x := op.Request.(type) {
		case *pb.RequestOp_RequestRange:
			req := toRange(x.RequestRange)
			req.Serializable = false
			out = append(out, kv.Op{Range: &req})
		case *pb.RequestOp_RequestPut:
			p := toPut(x.RequestPut)
			out = append(out, kv.Op{Put: &p})
		case *pb.RequestOp_RequestDeleteRange:
			d := x.RequestDeleteRange
			out = append(out, kv.Op{Delete: &kv.DeleteRangeRequest{Key: d.Key, RangeEnd: d.RangeEnd, PrevKv: d.PrevKv}})
		case *pb.RequestOp_RequestTxn:
			return nil, unsupported("nested transactions")
		default:
			return nil, unsupported("an empty txn operation")
		}
	}
	return out, nil
}

func toKV(x *kv.KeyValue) *mvccpb.KeyValue {
	if x == nil {
		return nil
	}
	return &mvccpb.KeyValue{Key: x.Key, Value: x.Value, CreateRevision: x.CreateRevision,
		ModRevision: x.ModRevision, Version: x.Version, Lease: x.Lease}
}

func toKVs(xs []*kv.KeyValue) []*mvccpb.KeyValue {
	if len(xs) == 0 {
		return nil
	}
	out := make([]*mvccpb.KeyValue, len(xs))
	for i, x := range xs {
		out[i] = toKV(x)
	}
	return out
}
