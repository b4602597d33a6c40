package consensus

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
)

// Backend is the generic face of the engine: replicate commands of type T
// and observe the resulting state.
type Backend[T any] interface {
	// Propose returns once cmd is committed and applied on this node, or
	// with an error when ctx ends first (wrapping ErrUnknownOutcome when
	// the command may still commit).
	Propose(ctx context.Context, cmd T) error
	// Subscribe returns a channel of state updates. It never blocks the
	// apply loop: see Replicated for the slow-subscriber policy.
	Subscribe() <-chan StateUpdate[T]
	// GetLatest returns the latest applied state, and false before any
	// command has been applied.
	GetLatest() (T, bool)
}

// StateUpdate is one applied command and the state after it.
type StateUpdate[T any] struct {
	// Index is the raft log index of the command.
	Index uint64
	// Command is the command that was applied.
	Command T
	// State is the state after applying it.
	State T
}

// Codec encodes commands and states for the log and snapshots.
type Codec[T any] interface {
	Encode(v T) ([]byte, error)
	Decode(b []byte) (T, error)
}

// JSONCodec is a Codec using encoding/json.
type JSONCodec[T any] struct{}

// Encode implements Codec.
func (JSONCodec[T]) Encode(v T) ([]byte, error) { return json.Marshal(v) }

// Decode implements Codec.
func (JSONCodec[T]) Decode(b []byte) (T, error) {
	var v T
	err := json.Unmarshal(b, &v)
	return v, err
}

// ReplicatedOptions configure a Replicated backend.
type ReplicatedOptions[T any] struct {
	// Reduce folds a command into the state. It must be deterministic
	// and must not modify its arguments. Nil means "the command is the
	// new state" (a replicated register).
	Reduce func(state, cmd T) T
	// Codec encodes commands and the state; nil means JSONCodec.
	Codec Codec[T]
	// SubscriberBuffer is each subscription's channel capacity (default
	// 64).
	SubscriberBuffer int
}

// Replicated is a Backend whose state is a single value of type T folded
// from the commands in log order. It runs its own Node.
//
// Slow subscribers: each subscription has a bounded buffer. When it is
// full, the oldest buffered update is discarded to make room, so the apply
// loop never waits, a subscriber always receives the most recent state
// eventually, and a slow one sees gaps in Index (each update carries the
// full State, so nothing is lost but intermediate steps).
type Replicated[T any] struct {
	node  *Node
	codec Codec[T]
	opts  ReplicatedOptions[T]

	mu    sync.Mutex
	state T
	has   bool
	subs  Hub[StateUpdate[T]]
}

var _ Backend[int] = (*Replicated[int])(nil)

// StartReplicated starts a node with cfg that replicates a value of type T.
func StartReplicated[T any](cfg Config, opts ReplicatedOptions[T]) (*Replicated[T], error) {
	if opts.Codec == nil {
		opts.Codec = JSONCodec[T]{}
	}
	if opts.SubscriberBuffer <= 0 {
		opts.SubscriberBuffer = 64
	}
	r := &Replicated[T]{codec: opts.Codec, opts: opts}
	r.subs.KeepNewest = true
	n, err := StartNode(cfg, (*replicatedSM[T])(r))
	if err != nil {
		return nil, err
	}
	r.node = n
	return r, nil
}

// Node returns the underlying node (status, membership, leadership).
func (r *Replicated[T]) Node() *Node { return r.node }

// Stop stops the node; subscription channels are closed.
func (r *Replicated[T]) Stop() error { return r.node.Stop() }

// Propose implements Backend.
func (r *Replicated[T]) Propose(ctx context.Context, cmd T) error {
	b, err := r.codec.Encode(cmd)
	if err != nil {
		return fmt.Errorf("encode command: %w", err)
	}
	v, err := r.node.Propose(ctx, b)
	if err != nil {
		return err
	}
	if err, ok := v.(error); ok {
		return err
	}
	return nil
}

// Subscribe implements Backend. The channel is closed when the node stops.
func (r *Replicated[T]) Subscribe() <-chan StateUpdate[T] {
	ch, _ := r.subs.Subscribe(r.opts.SubscriberBuffer)
	return ch
}

// GetLatest implements Backend.
func (r *Replicated[T]) GetLatest() (T, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state, r.has
}

// replicatedSM is Replicated's StateMachine side, kept off its public API.
type replicatedSM[T any] Replicated[T]

func (s *replicatedSM[T]) Apply(index uint64, data []byte) any {
	cmd, err := s.codec.Decode(data)
	if err != nil {
		// Every node fails the same way on the same bytes.
		return fmt.Errorf("decode command at %d: %w", index, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opts.Reduce != nil {
		s.state = s.opts.Reduce(s.state, cmd)
	} else {
		s.state = cmd
	}
	s.has = true
	// Published under s.mu, so subscribers see updates in log order.
	s.subs.Publish(StateUpdate[T]{Index: index, Command: cmd, State: s.state})
	return nil
}

type replicatedSnapshot struct {
	Has   bool            `json:"has"`
	State json.RawMessage `json:"state,omitempty"`
}

func (s *replicatedSM[T]) Snapshot() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := replicatedSnapshot{Has: s.has}
	if s.has {
		b, err := s.codec.Encode(s.state)
		if err != nil {
			return nil, err
		}
		snap.State, _ = json.Marshal(b)
	}
	return json.Marshal(snap)
}

func (s *replicatedSM[T]) Restore(data []byte) error {
	var snap replicatedSnapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		return err
	}
	var st T
	if snap.Has {
		var b []byte
		if err := json.Unmarshal(snap.State, &b); err != nil {
			return err
		}
		v, err := s.codec.Decode(b)
		if err != nil {
			return err
		}
		st = v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state, s.has = st, snap.Has
	return nil
}

func (s *replicatedSM[T]) stopped() { s.subs.Close() }
