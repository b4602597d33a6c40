package kv

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/gocli/gocli/consensus"
)

// AnyVersion as an Entry's Version in a proposal writes whatever the
// record's current version is.
const AnyVersion int64 = -1

// Errors of a Collection's conditional writes.
var (
	// ErrNotFound: the record does not exist.
	ErrNotFound = errors.New("kv: record not found")
	// ErrVersionMismatch: the record exists but not at the version the
	// write required.
	ErrVersionMismatch = errors.New("kv: record version does not match")
)

// Entry is one record of a Collection.
//
// In a proposal, Version is a precondition: 0 requires that the record
// does not exist yet (a create), n > 0 that it is at version n (a
// compare-and-swap), AnyVersion none. In reads and state updates Version
// is the record's version after the write (1 when created, +1 per write),
// as etcd counts key versions, and Revision the store revision of it.
type Entry[T any] struct {
	ID       string
	Value    T
	Deleted  bool
	Version  int64
	Revision int64
}

// Collection is a typed view of the records under one key prefix of a
// replicated KV Server: each record is a key prefix+ID whose value is a T
// encoded by a Codec. It is the KV store's consensus.Backend: Propose
// writes one record through the Raft log, Subscribe streams every applied
// change under the prefix, GetLatest returns the most recent one.
//
// Reads (Get, List) are linearizable. StateUpdate.Index is the store
// revision of the change, which grows with the raft log.
type Collection[T any] struct {
	srv    *Server
	prefix string
	codec  consensus.Codec[T]

	mu     sync.Mutex
	latest Entry[T]
	has    bool
	subs   consensus.Hub[consensus.StateUpdate[Entry[T]]]
}

var _ consensus.Backend[Entry[int]] = (*Collection[int])(nil)

// subscriberBuffer is each subscription's capacity; a full one drops its
// oldest update, as consensus.Replicated does, so the watch never stalls.
const subscriberBuffer = 64

// NewCollection returns the collection of records under prefix on srv,
// encoded with codec (nil: JSON). It follows the prefix with one watch
// for as long as the server runs.
func NewCollection[T any](srv *Server, prefix string, codec consensus.Codec[T]) (*Collection[T], error) {
	if prefix == "" {
		return nil, fmt.Errorf("kv collection: %w", ErrEmptyKey)
	}
	if codec == nil {
		codec = consensus.JSONCodec[T]{}
	}
	c := &Collection[T]{srv: srv, prefix: prefix, codec: codec}
	c.subs.KeepNewest = true
	// The watch ends when the server closes its watchers on Close. It
	// starts from an explicit revision so that a re-watch after lagging
	// resumes exactly where delivery stopped.
	from := srv.Store().Revision()
	ch, err := srv.Watch(context.Background(), c.watchRequest(from+1))
	if err != nil {
		return nil, fmt.Errorf("kv collection %q: %w", prefix, err)
	}
	go c.follow(ch, from)
	return c, nil
}

// Propose implements consensus.Backend: it writes or deletes one record
// (see Entry for the version precondition).
func (c *Collection[T]) Propose(ctx context.Context, e Entry[T]) error {
	_, err := c.Write(ctx, e)
	return err
}

// Write is Propose returning the record as written: its new Version and
// Revision. A failed precondition is ErrNotFound or ErrVersionMismatch.
func (c *Collection[T]) Write(ctx context.Context, e Entry[T]) (Entry[T], error) {
	if e.ID == "" {
		return e, fmt.Errorf("kv collection %q: empty record ID", c.prefix)
	}
	key := c.key(e.ID)
	var op Op
	if e.Deleted {
		op = Op{Delete: &DeleteRangeRequest{Key: key, PrevKv: true}}
	} else {
		val, err := c.codec.Encode(e.Value)
		if err != nil {
			return e, fmt.Errorf("encode record %s: %w", e.ID, err)
		}
		op = Op{Put: &PutRequest{Key: key, Value: val, PrevKv: true}}
	}
	var cmp []Compare
	switch {
	case e.Version == 0:
		cmp = []Compare{{Key: key, Target: CompareCreate, Result: CompareEqual}}
	case e.Version > 0:
		cmp = []Compare{{Key: key, Target: CompareVersion, Result: CompareEqual, Version: e.Version}}
	}
	resp, err := c.srv.Txn(ctx, TxnRequest{
		Compare: cmp,
		Success: []Op{op},
		Failure: []Op{{Range: &RangeRequest{Key: key, KeysOnly: true}}},
	})
	if err != nil {
		return e, err
	}
	if !resp.Succeeded {
		if r := resp.Responses[0].Range; r == nil || len(r.Kvs) == 0 {
			return e, ErrNotFound
		}
		return e, ErrVersionMismatch
	}
	e.Revision = resp.Header.Revision
	var prev *KeyValue
	switch r := resp.Responses[0]; {
	case r.Put != nil:
		prev = r.Put.PrevKv
	case r.Delete != nil && len(r.Delete.PrevKvs) > 0:
		prev = r.Delete.PrevKvs[0]
	}
	switch {
	case e.Deleted && prev == nil:
		return e, ErrNotFound
	case e.Deleted:
		e.Version = 0
	case prev == nil:
		e.Version = 1
	default:
		e.Version = prev.Version + 1
	}
	return e, nil
}

// Get is a linearizable read of one record; ErrNotFound when absent.
func (c *Collection[T]) Get(ctx context.Context, id string) (Entry[T], error) {
	kvp, err := c.srv.Get(ctx, c.key(id))
	if err != nil {
		return Entry[T]{ID: id}, err
	}
	if kvp == nil {
		return Entry[T]{ID: id}, ErrNotFound
	}
	return c.decode(kvp)
}

// List is a linearizable read of every record, in ID order.
func (c *Collection[T]) List(ctx context.Context) ([]Entry[T], error) {
	resp, err := c.srv.Range(ctx, RangeRequest{Key: []byte(c.prefix), RangeEnd: PrefixEnd([]byte(c.prefix))})
	if err != nil {
		return nil, err
	}
	out := make([]Entry[T], 0, len(resp.Kvs))
	for _, kvp := range resp.Kvs {
		e, err := c.decode(kvp)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// Subscribe implements consensus.Backend: every change under the prefix
// applied on this node from now on. The channel is closed when the
// server stops.
func (c *Collection[T]) Subscribe() <-chan consensus.StateUpdate[Entry[T]] {
	ch, _ := c.subs.Subscribe(subscriberBuffer)
	return ch
}

// GetLatest implements consensus.Backend: the most recent change under
// the prefix applied on this node since the collection was created.
func (c *Collection[T]) GetLatest() (Entry[T], bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.latest, c.has
}

func (c *Collection[T]) key(id string) []byte { return []byte(c.prefix + id) }

func (c *Collection[T]) decode(kvp *KeyValue) (Entry[T], error) {
	e := Entry[T]{ID: string(kvp.Key[len(c.prefix):]), Version: kvp.Version, Revision: kvp.ModRevision}
	v, err := c.codec.Decode(kvp.Value)
	if err != nil {
		return e, fmt.Errorf("decode record %s: %w", kvp.Key, err)
	}
	e.Value = v
	return e, nil
}

// watchRequest watches the collection's prefix from revision rev.
func (c *Collection[T]) watchRequest(rev int64) WatchRequest {
	return WatchRequest{Key: []byte(c.prefix), RangeEnd: PrefixEnd([]byte(c.prefix)), StartRevision: rev}
}

// follow turns the prefix watch into state updates; last is the revision
// delivered so far. A watcher cancelled for lagging re-watches from the
// next revision, so no change is missed.
func (c *Collection[T]) follow(ch <-chan WatchResponse, last int64) {
	defer c.subs.Close()
	for {
		for resp := range ch {
			if resp.Canceled {
				if !errors.Is(resp.Err, ErrWatcherLagging) {
					return
				}
				break
			}
			for _, ev := range resp.Events {
				last = ev.Kv.ModRevision
				c.publish(ev)
			}
		}
		select {
		case <-c.srv.store.closed:
			return
		default:
		}
		var err error
		if ch, err = c.srv.Watch(context.Background(), c.watchRequest(last+1)); err != nil {
			return
		}
	}
}

func (c *Collection[T]) publish(ev Event) {
	var e Entry[T]
	if ev.Type == EventDelete {
		e = Entry[T]{ID: string(ev.Kv.Key[len(c.prefix):]), Deleted: true, Revision: ev.Kv.ModRevision}
	} else {
		var err error
		if e, err = c.decode(ev.Kv); err != nil {
			// Not a record of this collection's type: nothing to publish.
			return
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.latest, c.has = e, true
	c.subs.Publish(consensus.StateUpdate[Entry[T]]{Index: uint64(e.Revision), Command: e, State: e})
}
