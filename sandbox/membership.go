package sandbox

import (
	"context"
	"errors"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gocli/gocli/sandbox/etcdapi"
)

// MembershipChanger adds and removes nodes. *Cluster is one, in the
// process that runs the cluster; sandbox/control.Client is another, which
// is how a --processes child reaches its cluster.
type MembershipChanger interface {
	AddNodeAt(ctx context.Context, peerAddr string) (NodeSpec, error)
	RemoveNode(ctx context.Context, id uint64) error
}

var _ MembershipChanger = (*Cluster)(nil)

// etcdMembership serves the etcd API's MemberAdd and MemberRemove with the
// sandbox's add-node and remove-node, answering etcd's gRPC errors.
type etcdMembership struct {
	// changer is resolved per call: a child's control API address may be
	// recorded after the child starts.
	changer func() (MembershipChanger, error)
}

var _ etcdapi.Membership = etcdMembership{}

func (m etcdMembership) AddMember(ctx context.Context, peerAddr string) (*pb.Member, error) {
	ch, err := m.changer()
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "etcdserver: cannot reach the sandbox to add a node: %v", err)
	}
	n, err := ch.AddNodeAt(ctx, peerAddr)
	if err != nil {
		return nil, membershipError(err)
	}
	return specMembers([]NodeSpec{n})[0], nil
}

func (m etcdMembership) RemoveMember(ctx context.Context, id uint64) error {
	ch, err := m.changer()
	if err != nil {
		return status.Errorf(codes.Unavailable, "etcdserver: cannot reach the sandbox to remove a node: %v", err)
	}
	return membershipError(ch.RemoveNode(ctx, id))
}

// membershipError maps the sandbox's errors to those etcd answers for the
// same condition.
func membershipError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrUnknownNode):
		return rpctypes.ErrGRPCMemberNotFound
	case errors.Is(err, ErrInvalid):
		return status.Errorf(codes.InvalidArgument, "etcdserver: given member URLs are invalid: %v", err)
	case errors.Is(err, ErrPortInUse), errors.Is(err, ErrNodeState):
		return status.Error(codes.FailedPrecondition, "etcdserver: "+err.Error())
	case errors.Is(err, ErrNoLeader):
		return rpctypes.ErrGRPCNoLeader
	}
	return err // the API maps context and engine errors
}
