package etcdapi

import (
	"context"
	"errors"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gocli/gocli/consensus"
	"github.com/gocli/gocli/consensus/kv"
)

// errPaused is returned while the sandbox holds a node paused: a paused
// etcd process would not answer either, but a prompt error keeps clients
// from hanging until their deadline.
var errPaused = status.Error(codes.Unavailable, "etcdserver: sandbox node is paused (gocli sandbox resume NODE)")

// toGRPC maps engine errors to the gRPC errors etcd returns for the same
// condition, so clients retry or fail exactly as they would against etcd.
func toGRPC(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	switch {
	case errors.Is(err, kv.ErrCompacted):
		return rpctypes.ErrGRPCCompacted
	case errors.Is(err, kv.ErrFutureRev):
		return rpctypes.ErrGRPCFutureRev
	case errors.Is(err, kv.ErrLeaseNotFound):
		return rpctypes.ErrGRPCLeaseNotFound
	case errors.Is(err, kv.ErrLeaseExists):
		return rpctypes.ErrGRPCLeaseExist
	case errors.Is(err, kv.ErrEmptyKey):
		return rpctypes.ErrGRPCEmptyKey
	case errors.Is(err, kv.ErrKeyNotFound):
		return rpctypes.ErrGRPCKeyNotFound
	case errors.Is(err, kv.ErrValueProvided):
		return rpctypes.ErrGRPCValueProvided
	case errors.Is(err, kv.ErrLeaseProvided):
		return rpctypes.ErrGRPCLeaseProvided
	case errors.Is(err, consensus.ErrProposalDropped), errors.Is(err, consensus.ErrNotProposed):
		return rpctypes.ErrGRPCNoLeader
	case errors.Is(err, consensus.ErrUnknownOutcome), errors.Is(err, consensus.ErrReadTimeout):
		if errors.Is(err, context.Canceled) {
			return status.Error(codes.Canceled, err.Error())
		}
		return rpctypes.ErrGRPCTimeout
	case errors.Is(err, consensus.ErrStopped):
		return rpctypes.ErrGRPCStopped
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	}
	return status.Error(codes.Unknown, err.Error())
}

func unsupported(what string) error {
	return status.Errorf(codes.Unimplemented, "gocli sandbox does not support %s", what)
}
