// Package store keeps users in the replicated key-value store of the
// consensus engine (internal/consensus). Writes go through the Raft log,
// so they are durable on a majority before they return; reads confirm
// leadership with a quorum first (ReadIndex), so they are linearizable.
// Any node serves any request: a follower's proposals travel to the leader
// inside Raft, and the follower answers once it has applied them.
package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"example.com/user/internal/config"
	"example.com/user/internal/consensus"
	"example.com/user/internal/consensus/kv"
	"example.com/user/internal/model"
)

// prefix holds every users key: /users/<id>.
const prefix = "/users/"

// requestTimeout bounds one request's wait for the cluster when the caller
// set no deadline: long enough for an election, short enough to answer.
const requestTimeout = 5 * time.Second

// Options configures Open.
type Options struct {
	ID    uint64
	Peers []config.Peer
	// RaftAddr is the peer transport's listen address, unless RaftListener
	// is set (tests bind listeners first to learn every address).
	RaftAddr     string
	RaftListener net.Listener
	DataDir      string
	TickInterval time.Duration
	Logger       *slog.Logger
	Registerer   prometheus.Registerer
}

// Store is one node's view of the replicated users: a typed
// collection (the engine's consensus.Backend over its key-value store).
type Store struct {
	srv     *kv.Server
	records *kv.Collection[record]
}

// Open starts the consensus node. A node restarted with the same DataDir
// replays its WAL and catches up from its peers.
func Open(_ context.Context, o Options) (*Store, error) {
	cfg := consensus.DefaultConfig()
	cfg.ID = o.ID
	cfg.DataDir = o.DataDir
	cfg.ListenAddr = o.RaftAddr
	cfg.Listener = o.RaftListener
	if o.TickInterval > 0 {
		cfg.TickInterval = o.TickInterval
	}
	cfg.Logger = o.Logger
	cfg.Registerer = o.Registerer
	for _, p := range o.Peers {
		cfg.Peers = append(cfg.Peers, consensus.Peer{ID: p.ID, Addr: p.Addr})
	}
	srv, err := kv.Start(cfg)
	if err != nil {
		return nil, err
	}
	records, err := kv.NewCollection[record](srv, prefix, nil)
	if err != nil {
		return nil, errors.Join(err, srv.Close())
	}
	return &Store{srv: srv, records: records}, nil
}

// Close stops the node.
func (s *Store) Close() error { return s.srv.Close() }

// RaftAddr is the bound peer transport address.
func (s *Store) RaftAddr() string { return s.srv.Node().Addr() }

// Status is the node's consensus state.
type Status struct {
	ID      uint64 `json:"id"`
	Leader  uint64 `json:"leader"`
	Role    string `json:"role"`
	Term    uint64 `json:"term"`
	Applied uint64 `json:"applied"`
}

// Status reports the node's role and the leader it knows (0: none yet).
func (s *Store) Status() Status {
	st := s.srv.Node().Status()
	return Status{ID: st.ID, Leader: st.Leader, Role: string(st.Role), Term: st.Term, Applied: st.Applied}
}

// Healthy reports whether the node is still running: a stopped node (for
// example after a WAL write failure) should be restarted.
func (s *Store) Healthy() error {
	select {
	case <-s.srv.Node().Done():
		if err := s.srv.Node().Err(); err != nil {
			return fmt.Errorf("consensus node stopped: %w", err)
		}
		return errors.New("consensus node stopped")
	default:
		return nil
	}
}

// TransferLeadership hands leadership to the most up-to-date follower.
func (s *Store) TransferLeadership(ctx context.Context) error {
	node := s.srv.Node()
	st := node.Status()
	var to, best uint64
	for id, p := range st.Progress {
		if id != st.ID && p.Match >= best {
			to, best = id, p.Match
		}
	}
	if to == 0 {
		return errors.New("no follower to hand over to")
	}
	return node.TransferLeadership(ctx, to)
}

// record is the stored form; the version lives in the key's metadata.
type record struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

func toRecord(v model.User) record {
	return record{Name: v.Name, Email: v.Email}
}

func fromEntry(e kv.Entry[record]) model.User {
	return model.User{
		ID:      e.ID,
		Name:    e.Value.Name,
		Email:   e.Value.Email,
		Version: uint64(e.Version),
	}
}

func withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, requestTimeout)
}

// mapErr turns engine errors into the model's, which the API maps to
// status codes.
func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, kv.ErrNotFound):
		return model.ErrNotFound
	case errors.Is(err, kv.ErrVersionMismatch):
		return model.ErrConflict
	case errors.Is(err, consensus.ErrUnknownOutcome):
		// The write may still commit: not safe to retry blindly.
		return fmt.Errorf("%w: %w", model.ErrTimeout, err)
	case errors.Is(err, consensus.ErrProposalDropped), errors.Is(err, consensus.ErrNotProposed), errors.Is(err, consensus.ErrReadTimeout),
		errors.Is(err, consensus.ErrStopped), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%w: %w", model.ErrUnavailable, err)
	}
	return err
}

// newID returns 16 random hex digits.
func newID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// Create stores v under a new ID. The write requires the ID to be new, so
// a (vanishingly unlikely) ID collision never overwrites.
func (s *Store) Create(ctx context.Context, v model.User) (model.User, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	for range 3 {
		id, err := newID()
		if err != nil {
			return v, err
		}
		e, err := s.records.Write(ctx, kv.Entry[record]{ID: id, Value: toRecord(v)})
		if errors.Is(err, kv.ErrVersionMismatch) {
			continue
		}
		if err != nil {
			return v, mapErr(err)
		}
		return fromEntry(e), nil
	}
	return v, errors.New("could not find a free ID")
}

// Get is a linearizable read of one User.
func (s *Store) Get(ctx context.Context, id string) (model.User, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	e, err := s.records.Get(ctx, id)
	if err != nil {
		return model.User{}, mapErr(err)
	}
	return fromEntry(e), nil
}

// List is a linearizable read of every User, in ID order.
func (s *Store) List(ctx context.Context) ([]model.User, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	es, err := s.records.List(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]model.User, 0, len(es))
	for _, e := range es {
		out = append(out, fromEntry(e))
	}
	return out, nil
}

// Update replaces a User if v.Version is still its current version.
func (s *Store) Update(ctx context.Context, v model.User) (model.User, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	if v.Version == 0 {
		// Version 0 would mean "create" to the collection.
		return v, model.ErrConflict
	}
	e, err := s.records.Write(ctx, kv.Entry[record]{ID: v.ID, Value: toRecord(v), Version: int64(v.Version)})
	if err != nil {
		return v, mapErr(err)
	}
	return fromEntry(e), nil
}

// Delete removes a User.
func (s *Store) Delete(ctx context.Context, id string) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	_, err := s.records.Write(ctx, kv.Entry[record]{ID: id, Deleted: true, Version: kv.AnyVersion})
	return mapErr(err)
}
