package kv

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gocli/gocli/consensus"
)

// Server is a replicated KV store: a Store on a consensus.Node.
type Server struct {
	node  *consensus.Node
	store *Store

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start starts a node with cfg replicating a new Store, and the server's
// lease-expiry loop. Close stops both.
func Start(cfg consensus.Config) (*Server, error) {
	st := NewStore()
	n, err := consensus.StartNode(cfg, st)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{node: n, store: st, cancel: cancel}
	s.wg.Add(1)
	go s.leaseLoop(ctx, cfg.TickInterval)
	return s, nil
}

// Node returns the underlying consensus node (status, membership, faults).
func (s *Server) Node() *consensus.Node { return s.node }

// Store returns the local store (for serializable reads and tests).
func (s *Server) Store() *Store { return s.store }

// Close stops the lease loop, the node and all watchers.
func (s *Server) Close() error {
	s.cancel()
	s.wg.Wait()
	err := s.node.Stop()
	s.store.closeWatchers(consensus.ErrStopped)
	return err
}

func (s *Server) header(rev int64) Header {
	return Header{Revision: rev, RaftTerm: s.node.Term(), MemberID: s.node.ID()}
}

func (s *Server) propose(ctx context.Context, c command) (*result, error) {
	data, err := encodeCommand(&c)
	if err != nil {
		return nil, fmt.Errorf("encode kv command: %w", err)
	}
	v, err := s.node.Propose(ctx, data)
	if err != nil {
		return nil, err
	}
	r, ok := v.(*result)
	if !ok {
		return nil, fmt.Errorf("kv: unexpected apply result %T", v)
	}
	if r.err != nil {
		return r, r.err
	}
	return r, nil
}

// Txn runs a transaction. A transaction without writes is served as a
// linearizable read (ReadIndex) without going through the log.
func (s *Server) Txn(ctx context.Context, t TxnRequest) (*TxnResponse, error) {
	if t.IsReadOnly() {
		if err := s.node.ReadIndex(ctx); err != nil {
			return nil, err
		}
		r, err := s.store.ReadTxn(&t)
		if err != nil {
			return nil, err
		}
		r.Header = s.header(r.Header.Revision)
		return r, nil
	}
	r, err := s.propose(ctx, command{Txn: &t})
	if err != nil {
		return nil, err
	}
	r.txn.Header = s.header(r.txn.Header.Revision)
	return r.txn, nil
}

// Put writes one key.
func (s *Server) Put(ctx context.Context, p PutRequest) (*PutResponse, error) {
	r, err := s.Txn(ctx, TxnRequest{Success: []Op{{Put: &p}}})
	if err != nil {
		return nil, err
	}
	pr := r.Responses[0].Put
	pr.Header = r.Header
	return pr, nil
}

// DeleteRange deletes keys.
func (s *Server) DeleteRange(ctx context.Context, d DeleteRangeRequest) (*DeleteRangeResponse, error) {
	r, err := s.Txn(ctx, TxnRequest{Success: []Op{{Delete: &d}}})
	if err != nil {
		return nil, err
	}
	dr := r.Responses[0].Delete
	dr.Header = r.Header
	return dr, nil
}

// Range reads keys: linearizably by default, from local state when
// r.Serializable is set.
func (s *Server) Range(ctx context.Context, r RangeRequest) (*RangeResponse, error) {
	if !r.Serializable {
		if err := s.node.ReadIndex(ctx); err != nil {
			return nil, err
		}
	}
	resp, err := s.store.Range(&r)
	if err != nil {
		return nil, err
	}
	resp.Header = s.header(resp.Header.Revision)
	return resp, nil
}

// Get is a linearizable read of one key; it returns nil when absent.
func (s *Server) Get(ctx context.Context, key []byte) (*KeyValue, error) {
	r, err := s.Range(ctx, RangeRequest{Key: key})
	if err != nil {
		return nil, err
	}
	if len(r.Kvs) == 0 {
		return nil, nil
	}
	return r.Kvs[0], nil
}

// Compact discards history before rev on every node.
func (s *Server) Compact(ctx context.Context, rev int64) error {
	_, err := s.propose(ctx, command{Compact: rev})
	return err
}

// Watch streams changes (see Store.Watch). Watches are served from this
// node's applied state.
func (s *Server) Watch(ctx context.Context, w WatchRequest) (<-chan WatchResponse, error) {
	return s.store.Watch(ctx, w)
}

// LeaseGrant creates a lease with a TTL in seconds; id 0 picks one.
func (s *Server) LeaseGrant(ctx context.Context, ttl, id int64) (*LeaseGrantResponse, error) {
	r, err := s.propose(ctx, command{LeaseGrant: &leaseGrant{ID: id, TTL: ttl}})
	if err != nil {
		return nil, err
	}
	r.lease.Header = s.header(r.rev)
	return r.lease, nil
}

// LeaseRevoke deletes a lease and the keys attached to it.
func (s *Server) LeaseRevoke(ctx context.Context, id int64) error {
	_, err := s.propose(ctx, command{Revoke: id})
	return err
}

// LeaseKeepAlive renews a lease for its full TTL and returns the TTL. The
// renewal goes through the log, so it works on any node and reaches the
// leader, whose clock decides expiry.
func (s *Server) LeaseKeepAlive(ctx context.Context, id int64) (int64, error) {
	if _, err := s.propose(ctx, command{KeepAlive: id}); err != nil {
		return 0, err
	}
	r, err := s.store.TimeToLive(id, false)
	if err != nil {
		return 0, err
	}
	return r.GrantedTTL, nil
}

// LeaseTimeToLive describes a lease, using this node's clock for the
// remaining time (exact on the leader).
func (s *Server) LeaseTimeToLive(ctx context.Context, id int64, keys bool) (*LeaseTimeToLiveResponse, error) {
	if err := s.node.ReadIndex(ctx); err != nil {
		return nil, err
	}
	return s.store.TimeToLive(id, keys)
}

// Leases lists live lease IDs.
func (s *Server) Leases(ctx context.Context) ([]int64, error) {
	if err := s.node.ReadIndex(ctx); err != nil {
		return nil, err
	}
	return s.store.Leases(), nil
}

// leaseLoop revokes expired leases while this node leads. A node that
// becomes leader first restarts every lease's clock, so the time without a
// leader is not held against clients (as etcd's lessor does on promote).
func (s *Server) leaseLoop(ctx context.Context, tick time.Duration) {
	defer s.wg.Done()
	events, unsub := s.node.Events(16)
	defer unsub()
	period := tick * 5
	if period < 50*time.Millisecond {
		period = 50 * time.Millisecond
	}
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			if ev.Type == consensus.EventLeaderChanged && ev.Leader == s.node.ID() {
				s.store.ExtendLeases(time.Now())
			}
		case <-t.C:
			if !s.node.IsLeader() {
				continue
			}
			for _, id := range s.store.Expired(time.Now()) {
				pctx, cancel := context.WithTimeout(ctx, 10*period)
				err := s.LeaseRevoke(pctx, id)
				cancel()
				if err != nil && !errors.Is(err, ErrLeaseNotFound) && ctx.Err() == nil {
					// Retried on the next tick while the lease is still there.
					continue
				}
			}
		}
	}
}
