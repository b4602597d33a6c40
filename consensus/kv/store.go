package kv

import (
	"bytes"
	"fmt"
	"sort"
	"sync"
	"time"
	"unsafe"

	"github.com/google/btree"
)

// command is every KV write the log replicates (encoded as command.go
// describes; the JSON tags read commands logged before that format).
// Exactly one field is set.
type command struct {
	Txn        *TxnRequest `json:"txn,omitempty"`
	Compact    int64       `json:"compact,omitempty"`
	LeaseGrant *leaseGrant `json:"lease_grant,omitempty"`
	Revoke     int64       `json:"revoke,omitempty"`
	KeepAlive  int64       `json:"keep_alive,omitempty"`
}

type leaseGrant struct {
	ID  int64 `json:"id"`
	TTL int64 `json:"ttl"`
}

// result is what Apply returns for a command.
type result struct {
	txn   *TxnResponse
	lease *LeaseGrantResponse
	rev   int64
	err   error
}

type revEntry struct {
	Main int64     `json:"m"`
	Sub  int64     `json:"s"`
	KV   *KeyValue `json:"kv,omitempty"` // nil: tombstone
}

type lease struct {
	ID   int64               `json:"id"`
	TTL  int64               `json:"ttl"`
	Keys map[string]struct{} `json:"-"`
}

// Store is an in-memory multi-version key-value store with etcd's
// semantics: every write transaction creates a new revision, each key
// keeps its history back to the last compaction, leases own keys.
//
// Contract: Apply, Snapshot and Restore are called by the consensus engine
// from one goroutine (consensus.StateMachine); reads (Range, Watch,
// TimeToLive) may be called from any goroutine and see a consistent state
// between applies.
type Store struct {
	mu         sync.RWMutex
	rev        int64
	compactRev int64
	// index holds every key with any history since the last compaction,
	// in key order, with that history. A B-tree, as etcd's index is: a
	// new key costs O(log n), and Clone gives a snapshot an O(1)
	// copy-on-write capture.
	index  *btree.BTreeG[keyHistory]
	leases map[int64]*lease
	// expiry is local, not replicated: when each lease expires by this
	// node's clock. It matters only on the leader, which revokes expired
	// leases through the log.
	expiry map[int64]time.Time
	now    func() time.Time

	watchMu  sync.Mutex
	watchers map[*watcher]struct{}
	closed   chan struct{} // closed by closeWatchers: watch goroutines exit
	closeMu  sync.Once
}

// NewStore returns an empty store at revision 1 (etcd's first revision).
func NewStore() *Store {
	return &Store{
		rev: 1, index: newIndex(), leases: map[int64]*lease{},
		expiry: map[int64]time.Time{}, now: time.Now, watchers: map[*watcher]struct{}{},
		closed: make(chan struct{}),
	}
}

// Revision returns the current revision.
func (s *Store) Revision() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.rev
}

// CompactRevision returns the revision of the last compaction.
func (s *Store) CompactRevision() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.compactRev
}

// Apply implements consensus.StateMachine.
func (s *Store) Apply(index uint64, data []byte) any {
	var c command
	if err := decodeCommand(data, &c); err != nil {
		return &result{err: fmt.Errorf("decode kv command: %w", err)}
	}
	s.mu.Lock()
	var r *result
	var evs []Event
	switch {
	case c.Txn != nil:
		r, evs = s.applyTxn(c.Txn)
	case c.Compact != 0:
		r = &result{err: s.compact(c.Compact)}
	case c.LeaseGrant != nil:
		r = s.grant(index, c.LeaseGrant)
	case c.Revoke != 0:
		r, evs = s.revoke(c.Revoke)
	case c.KeepAlive != 0:
		r = &result{}
		if l, ok := s.leases[c.KeepAlive]; ok {
			s.expiry[l.ID] = s.now().Add(time.Duration(l.TTL) * time.Second)
		} else {
			r.err = ErrLeaseNotFound
		}
	default:
		r = &result{err: ErrUnknownCommand}
	}
	r.rev = s.rev
	if len(evs) > 0 {
		// Under the store lock, so a Watch registering concurrently sees
		// each event exactly once: in its history scan or here.
		s.notify(evs)
	}
	s.mu.Unlock()
	return r
}

// keyHistory is one key's entry in the store's index: its revisions
// since the last compaction, oldest first (KV nil: a tombstone).
// Writes append to hist and put the item back, never change an element
// in place, so a capture of the index (freeze) keeps its own view.
type keyHistory struct {
	key  string
	hist []revEntry
}

// indexDegree is the index B-tree's degree, etcd's for its own.
const indexDegree = 32

func newIndex() *btree.BTreeG[keyHistory] {
	return btree.NewG(indexDegree, func(a, b keyHistory) bool { return a.key < b.key })
}

// visit calls fn on each key with history in the range, in key order,
// until fn returns false: an empty end is key alone, "\x00" every key
// from key on, otherwise [key, end). fn must not change the index.
func (s *Store) visit(key, end []byte, fn func(it keyHistory) bool) {
	switch {
	case len(end) == 0:
		if it, ok := s.index.Get(searchKey(key)); ok {
			fn(it)
		}
	case len(end) == 1 && end[0] == 0:
		s.index.AscendGreaterOrEqual(searchKey(key), fn)
	case bytes.Compare(key, end) < 0:
		s.index.AscendRange(searchKey(key), searchKey(end), fn)
	}
}

// searchKey is an index item to search for key without copying it: the
// tree only compares a search item during the call and never keeps it,
// and key does not change meanwhile. string(key) would be copied to the
// heap on every read, as the item reaches the tree's generic methods.
func searchKey(key []byte) keyHistory {
	return keyHistory{key: unsafe.String(unsafe.SliceData(key), len(key))}
}

// at returns the key's value visible at revision rev (0: latest), or nil.
func (s *Store) at(key []byte, rev int64) *KeyValue {
	it, _ := s.index.Get(searchKey(key))
	return valueAt(it.hist, rev)
}

// valueAt returns the value a history holds at revision rev (0: latest),
// or nil.
func valueAt(h []revEntry, rev int64) *KeyValue {
	if rev == 0 {
		if len(h) == 0 {
			return nil
		}
		return h[len(h)-1].KV
	}
	i := sort.Search(len(h), func(i int) bool { return h[i].Main > rev })
	if i == 0 {
		return nil
	}
	return h[i-1].KV
}

func (s *Store) rangeLocked(r *RangeRequest) (*RangeResponse, error) {
	if len(r.Key) == 0 {
		return nil, ErrEmptyKey
	}
	if r.Revision > s.rev {
		return nil, ErrFutureRev
	}
	if r.Revision > 0 && r.Revision < s.compactRev {
		return nil, ErrCompacted
	}
	resp := &RangeResponse{Header: Header{Revision: s.rev}}
	// The fast path streams keys in order and stops copying at the limit;
	// sorting or revision filters need every match first (as etcd does).
	full := r.SortOrder != SortNone || r.SortTarget != SortByKey || r.hasFilters()
	var kvs []*KeyValue
	s.visit(r.Key, r.RangeEnd, func(it keyHistory) bool {
		kv := valueAt(it.hist, r.Revision)
		if kv == nil {
			return true
		}
		resp.Count++
		if r.CountOnly || !r.keep(kv) || (!full && r.Limit > 0 && int64(len(kvs)) >= r.Limit) {
			return true
		}
		kvs = append(kvs, kv)
		return true
	})
	if full {
		sortKVs(kvs, r.SortTarget, r.SortOrder)
	}
	if r.Limit > 0 && int64(len(kvs)) > r.Limit {
		kvs = kvs[:r.Limit]
		resp.More = true
	}
	resp.More = resp.More || (!full && r.Limit > 0 && resp.Count > r.Limit && !r.CountOnly)
	for _, kv := range kvs {
		resp.Kvs = append(resp.Kvs, kv.clone(!r.KeysOnly))
	}
	return resp, nil
}

func (r *RangeRequest) hasFilters() bool {
	return r.MinModRevision != 0 || r.MaxModRevision != 0 || r.MinCreateRevision != 0 || r.MaxCreateRevision != 0
}

// keep applies the revision filters (zero means no bound).
func (r *RangeRequest) keep(kv *KeyValue) bool {
	switch {
	case r.MinModRevision != 0 && kv.ModRevision < r.MinModRevision,
		r.MaxModRevision != 0 && kv.ModRevision > r.MaxModRevision,
		r.MinCreateRevision != 0 && kv.CreateRevision < r.MinCreateRevision,
		r.MaxCreateRevision != 0 && kv.CreateRevision > r.MaxCreateRevision:
		return false
	}
	return true
}

// sortKVs orders kvs (already in key order) as etcd does: a target other
// than the key with no order means ascending.
func sortKVs(kvs []*KeyValue, target SortTarget, order SortOrder) {
	if order == SortNone {
		if target == SortByKey {
			return
		}
		order = SortAscend
	}
	less := func(a, b *KeyValue) int {
		switch target {
		case SortByVersion:
			return cmpInt(a.Version, b.Version)
		case SortByCreate:
			return cmpInt(a.CreateRevision, b.CreateRevision)
		case SortByMod:
			return cmpInt(a.ModRevision, b.ModRevision)
		case SortByValue:
			return bytes.Compare(a.Value, b.Value)
		}
		return bytes.Compare(a.Key, b.Key)
	}
	sort.SliceStable(kvs, func(i, j int) bool {
		c := less(kvs[i], kvs[j])
		if order == SortDescend {
			return c > 0
		}
		return c < 0
	})
}

// Range reads from the local state (a serializable read).
func (s *Store) Range(r *RangeRequest) (*RangeResponse, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.rangeLocked(r)
}

// compare checks c against the latest state. With a RangeEnd it holds
// when every key in the range satisfies it; an empty range compares as
// one absent key, as etcd does (so "create_revision = 0" over a range
// means "no key in it").
func (s *Store) compare(c *Compare) bool {
	if len(c.RangeEnd) == 0 {
		return s.compareKV(c, s.at(c.Key, 0))
	}
	found, ok := false, true
	s.visit(c.Key, c.RangeEnd, func(it keyHistory) bool {
		kv := valueAt(it.hist, 0)
		if kv == nil {
			return true // deleted: its history stays in the index
		}
		found = true
		ok = s.compareKV(c, kv)
		return ok
	})
	if !ok {
		return false
	}
	return found || s.compareKV(c, nil)
}

// compareKV checks c against one key's state (nil: the key is absent).
func (s *Store) compareKV(c *Compare, kv *KeyValue) bool {
	if kv == nil {
		if c.Target == CompareValue {
			return false // etcd: a missing key has no value to compare
		}
		kv = &KeyValue{}
	}
	var cmp int
	switch c.Target {
	case CompareValue:
		cmp = bytes.Compare(kv.Value, c.Value)
	case CompareVersion:
		cmp = cmpInt(kv.Version, c.Version)
	case CompareCreate:
		cmp = cmpInt(kv.CreateRevision, c.CreateRevision)
	case CompareMod:
		cmp = cmpInt(kv.ModRevision, c.ModRevision)
	case CompareLease:
		cmp = cmpInt(kv.Lease, c.Lease)
	default:
		return false
	}
	switch c.Result {
	case CompareEqual:
		return cmp == 0
	case CompareNotEqual:
		return cmp != 0
	case CompareLess:
		return cmp < 0
	case CompareGreater:
		return cmp > 0
	}
	return false
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// IsReadOnly reports whether a transaction has no writes in either branch.
func (t *TxnRequest) IsReadOnly() bool {
	for _, ops := range [][]Op{t.Success, t.Failure} {
		for _, op := range ops {
			if op.Put != nil || op.Delete != nil {
				return false
			}
		}
	}
	return true
}

// ReadTxn evaluates a read-only transaction against local state.
func (s *Store) ReadTxn(t *TxnRequest) (*TxnResponse, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ok := true
	for i := range t.Compare {
		ok = ok && s.compare(&t.Compare[i])
	}
	ops := t.Failure
	if ok {
		ops = t.Success
	}
	resp := &TxnResponse{Succeeded: ok, Header: Header{Revision: s.rev}}
	for _, op := range ops {
		if op.Range == nil {
			continue
		}
		rr, err := s.rangeLocked(op.Range)
		if err != nil {
			return nil, err
		}
		resp.Responses = append(resp.Responses, OpResponse{Range: rr})
	}
	return resp, nil
}

// applyTxn runs a transaction at revision s.rev+1; the revision is kept
// only if something was written.
func (s *Store) applyTxn(t *TxnRequest) (*result, []Event) {
	ok := true
	for i := range t.Compare {
		ok = ok && s.compare(&t.Compare[i])
	}
	ops := t.Failure
	if ok {
		ops = t.Success
	}
	// Validate first so a failing op leaves nothing half-applied.
	for _, op := range ops {
		switch {
		case op.Put != nil:
			if len(op.Put.Key) == 0 {
				return &result{err: ErrEmptyKey}, nil
			}
			if (op.Put.IgnoreValue || op.Put.IgnoreLease) && s.at(op.Put.Key, 0) == nil {
				return &result{err: ErrKeyNotFound}, nil
			}
			if op.Put.IgnoreLease && op.Put.Lease != 0 {
				return &result{err: ErrLeaseProvided}, nil
			}
			if op.Put.IgnoreValue && len(op.Put.Value) != 0 {
				return &result{err: ErrValueProvided}, nil
			}
			if op.Put.Lease != 0 {
				if _, ok := s.leases[op.Put.Lease]; !ok {
					return &result{err: ErrLeaseNotFound}, nil
				}
			}
		case op.Delete != nil:
			if len(op.Delete.Key) == 0 {
				return &result{err: ErrEmptyKey}, nil
			}
		case op.Range != nil:
			if op.Range.Revision > s.rev || (op.Range.Revision > 0 && op.Range.Revision < s.compactRev) {
				return &result{err: ErrCompacted}, nil
			}
		}
	}
	main := s.rev + 1
	var sub int64
	var evs []Event
	resp := &TxnResponse{Succeeded: ok}
	for _, op := range ops {
		switch {
		case op.Range != nil:
			rr, _ := s.rangeLocked(op.Range)
			resp.Responses = append(resp.Responses, OpResponse{Range: rr})
		case op.Put != nil:
			ev := s.put(op.Put, main, sub)
			sub++
			evs = append(evs, ev)
			pr := &PutResponse{}
			if op.Put.PrevKv && ev.PrevKv != nil {
				pr.PrevKv = ev.PrevKv.clone(true)
			}
			resp.Responses = append(resp.Responses, OpResponse{Put: pr})
		case op.Delete != nil:
			dr := &DeleteRangeResponse{}
			// Collected first: deleting appends to histories, and the
			// index must not change during a visit.
			var live []keyHistory
			s.visit(op.Delete.Key, op.Delete.RangeEnd, func(it keyHistory) bool {
				if prev := valueAt(it.hist, 0); prev != nil {
					live = append(live, it)
				}
				return true
			})
			for _, it := range live {
				prev := valueAt(it.hist, 0)
				evs = append(evs, s.del(it, main, sub))
				sub++
				dr.Deleted++
				if op.Delete.PrevKv {
					dr.PrevKvs = append(dr.PrevKvs, prev.clone(true))
				}
			}
			resp.Responses = append(resp.Responses, OpResponse{Delete: dr})
		}
	}
	if sub > 0 {
		s.rev = main
	}
	resp.Header.Revision = s.rev
	for i := range resp.Responses {
		r := &resp.Responses[i]
		switch {
		case r.Put != nil:
			r.Put.Header.Revision = s.rev
		case r.Delete != nil:
			r.Delete.Header.Revision = s.rev
		case r.Range != nil:
			r.Range.Header.Revision = s.rev
		}
	}
	return &result{txn: resp}, evs
}

// put writes p at revision main.sub: one index lookup and one insert.
func (s *Store) put(p *PutRequest, main, sub int64) Event {
	it, found := s.index.Get(searchKey(p.Key))
	if !found {
		// A new key: the index keeps this copy (an overwrite reuses it).
		it.key = string(p.Key)
	}
	k := it.key
	prev := valueAt(it.hist, 0)
	kv := &KeyValue{Key: p.Key, Value: p.Value, CreateRevision: main, ModRevision: main, Version: 1, Lease: p.Lease}
	if prev != nil && p.IgnoreValue {
		kv.Value = prev.Value
	}
	if prev != nil && p.IgnoreLease {
		kv.Lease = prev.Lease
	}
	if prev != nil {
		kv.CreateRevision = prev.CreateRevision
		kv.Version = prev.Version + 1
		if prev.Lease != 0 && prev.Lease != kv.Lease {
			if l, ok := s.leases[prev.Lease]; ok {
				delete(l.Keys, k)
			}
		}
	}
	if l, ok := s.leases[kv.Lease]; ok && kv.Lease != 0 {
		l.Keys[k] = struct{}{}
	}
	s.appendHist(it, revEntry{Main: main, Sub: sub, KV: kv})
	ev := Event{Type: EventPut, Kv: kv}
	if prev != nil {
		ev.PrevKv = prev
	}
	return ev
}

// del writes a tombstone for a live key at revision main.sub.
func (s *Store) del(it keyHistory, main, sub int64) Event {
	prev := valueAt(it.hist, 0)
	if prev.Lease != 0 {
		if l, ok := s.leases[prev.Lease]; ok {
			delete(l.Keys, it.key)
		}
	}
	s.appendHist(it, revEntry{Main: main, Sub: sub})
	return Event{Type: EventDelete, Kv: &KeyValue{Key: prev.Key, ModRevision: main}, PrevKv: prev}
}

// appendHist puts it back in the index with e appended to its history.
// append may write into the history's spare capacity, past the length a
// capture holds, never over an element it can see.
func (s *Store) appendHist(it keyHistory, e revEntry) {
	it.hist = append(it.hist, e)
	s.index.ReplaceOrInsert(it)
}

// compact drops history before rev, keeping each key's value at rev.
func (s *Store) compact(rev int64) error {
	if rev <= s.compactRev {
		return ErrCompacted
	}
	if rev > s.rev {
		return ErrFutureRev
	}
	// Changes are collected first: the index must not change during a
	// visit. An item whose history loses nothing is left as it is.
	var changed []keyHistory
	s.index.Ascend(func(it keyHistory) bool {
		h := it.hist
		i := sort.Search(len(h), func(i int) bool { return h[i].Main > rev })
		// h[:i] are at or before rev; keep the last of them if live.
		start := i
		if i > 0 && h[i-1].KV != nil {
			start = i - 1
		}
		if start > 0 || len(h) == 0 {
			// A copy, so the dropped entries can be freed.
			it.hist = append([]revEntry(nil), h[start:]...)
			changed = append(changed, it)
		}
		return true
	})
	for _, it := range changed {
		if len(it.hist) == 0 {
			s.index.Delete(it)
			continue
		}
		s.index.ReplaceOrInsert(it)
	}
	s.compactRev = rev
	return nil
}

func (s *Store) grant(index uint64, g *leaseGrant) *result {
	if g.TTL <= 0 {
		return &result{err: ErrInvalidTTL}
	}
	id := g.ID
	if id == 0 {
		// Deterministic on every node: the log index is unique.
		id = int64(index)
		for s.leases[id] != nil {
			id++
		}
	}
	if _, ok := s.leases[id]; ok {
		return &result{err: ErrLeaseExists}
	}
	s.leases[id] = &lease{ID: id, TTL: g.TTL, Keys: map[string]struct{}{}}
	s.expiry[id] = s.now().Add(time.Duration(g.TTL) * time.Second)
	return &result{lease: &LeaseGrantResponse{ID: id, TTL: g.TTL}}
}

func (s *Store) revoke(id int64) (*result, []Event) {
	l, ok := s.leases[id]
	if !ok {
		return &result{err: ErrLeaseNotFound}, nil
	}
	keys := make([]string, 0, len(l.Keys))
	for k := range l.Keys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	main := s.rev + 1
	var evs []Event
	for i, k := range keys {
		if it, ok := s.index.Get(keyHistory{key: k}); ok && valueAt(it.hist, 0) != nil {
			evs = append(evs, s.del(it, main, int64(i)))
		}
	}
	if len(evs) > 0 {
		s.rev = main
	}
	delete(s.leases, id)
	delete(s.expiry, id)
	return &result{}, evs
}

// Expired returns the leases whose local expiry has passed.
func (s *Store) Expired(now time.Time) []int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var ids []int64
	for id, t := range s.expiry {
		if now.After(t) {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// ExtendLeases restarts every lease's local clock at now; a new leader
// does this so that leases do not expire for the time it had no leader.
func (s *Store) ExtendLeases(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, l := range s.leases {
		s.expiry[id] = now.Add(time.Duration(l.TTL) * time.Second)
	}
}

// TimeToLive describes a lease using this node's clock.
func (s *Store) TimeToLive(id int64, keys bool) (*LeaseTimeToLiveResponse, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l, ok := s.leases[id]
	if !ok {
		return nil, ErrLeaseNotFound
	}
	r := &LeaseTimeToLiveResponse{Header: Header{Revision: s.rev}, ID: id, GrantedTTL: l.TTL, TTL: -1}
	if t, ok := s.expiry[id]; ok {
		if rem := time.Until(t); rem > 0 {
			r.TTL = int64((rem + time.Second - 1) / time.Second)
		}
	}
	if keys {
		for k := range l.Keys {
			r.Keys = append(r.Keys, []byte(k))
		}
		sort.Slice(r.Keys, func(i, j int) bool { return bytes.Compare(r.Keys[i], r.Keys[j]) < 0 })
	}
	return r, nil
}

// Leases lists the IDs of live leases.
func (s *Store) Leases() []int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := make([]int64, 0, len(s.leases))
	for id := range s.leases {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

type snapshotData struct {
	Rev        int64                 `json:"rev"`
	CompactRev int64                 `json:"compact_rev"`
	Hist       map[string][]revEntry `json:"hist"`
	Leases     []lease               `json:"leases"`
}

// Snapshot implements consensus.StateMachine.
func (s *Store) Snapshot() ([]byte, error) {
	s.mu.Lock()
	f := s.freeze()
	s.mu.Unlock()
	return f.appendTo(nil), nil
}

// FreezeSnapshot implements consensus.SnapshotFreezer: it clones the
// index copy-on-write (O(1), see frozenStore), and the returned function
// encodes the clone.
func (s *Store) FreezeSnapshot() func(dst []byte) ([]byte, error) {
	s.mu.Lock()
	f := s.freeze()
	s.mu.Unlock()
	return func(dst []byte) ([]byte, error) { return f.appendTo(dst), nil }
}

// Restore implements consensus.StateMachine. Watchers stay registered;
// they miss the events the snapshot skipped over, which is why a node
// catching up by snapshot cancels them (see notifyRestore).
func (s *Store) Restore(data []byte) error {
	var d snapshotData
	if err := decodeSnapshot(data, &d); err != nil {
		return fmt.Errorf("decode kv snapshot: %w", err)
	}
	s.mu.Lock()
	s.rev, s.compactRev = d.Rev, d.CompactRev
	if s.rev == 0 {
		s.rev = 1
	}
	keys := make([]string, 0, len(d.Hist))
	for k := range d.Hist {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// A new tree, not Clear: a snapshot capture may share the old one.
	s.index = newIndex()
	for _, k := range keys {
		s.index.ReplaceOrInsert(keyHistory{key: k, hist: d.Hist[k]})
	}
	s.leases = map[int64]*lease{}
	s.expiry = map[int64]time.Time{}
	now := s.now()
	for _, l := range d.Leases {
		s.leases[l.ID] = &lease{ID: l.ID, TTL: l.TTL, Keys: map[string]struct{}{}}
		s.expiry[l.ID] = now.Add(time.Duration(l.TTL) * time.Second)
	}
	for k, h := range d.Hist {
		if kv := valueAt(h, 0); kv != nil && kv.Lease != 0 {
			if l, ok := s.leases[kv.Lease]; ok {
				l.Keys[k] = struct{}{}
			}
		}
	}
	s.mu.Unlock()
	s.cancelWatchers(fmt.Errorf("%w: state replaced by a snapshot", ErrWatcherLagging))
	return nil
}
