package kv

import (
	"context"
	"errors"
	"testing"
	"time"
)

// storeT drives a Store the way the engine does: encoded commands at
// increasing log indexes.
type storeT struct {
	t     *testing.T
	s     *Store
	index uint64
}

func newStoreT(t *testing.T) *storeT { return &storeT{t: t, s: NewStore()} }

func (st *storeT) apply(c command) *result {
	st.t.Helper()
	b, err := encodeCommand(&c)
	if err != nil {
		st.t.Fatal(err)
	}
	st.index++
	return st.s.Apply(st.index, b).(*result)
}

func (st *storeT) txn(t TxnRequest) *TxnResponse {
	st.t.Helper()
	r := st.apply(command{Txn: &t})
	if r.err != nil {
		st.t.Fatalf("txn: %v", r.err)
	}
	return r.txn
}

func (st *storeT) put(k, v string, lease int64) int64 {
	st.t.Helper()
	return st.txn(TxnRequest{Success: []Op{{Put: &PutRequest{Key: []byte(k), Value: []byte(v), Lease: lease}}}}).Header.Revision
}

func (st *storeT) get(k string, rev int64) *KeyValue {
	st.t.Helper()
	r, err := st.s.Range(&RangeRequest{Key: []byte(k), Revision: rev})
	if err != nil {
		st.t.Fatalf("range %s@%d: %v", k, rev, err)
	}
	if len(r.Kvs) == 0 {
		return nil
	}
	return r.Kvs[0]
}

func TestRevisionsAndVersions(t *testing.T) {
	st := newStoreT(t)
	if st.s.Revision() != 1 {
		t.Fatalf("initial revision %d", st.s.Revision())
	}
	r1 := st.put("a", "1", 0)
	r2 := st.put("a", "2", 0)
	st.put("b", "x", 0)
	kv := st.get("a", 0)
	if kv.CreateRevision != r1 || kv.ModRevision != r2 || kv.Version != 2 {
		t.Fatalf("a = %+v", kv)
	}
	// Delete, then re-create: a new generation.
	st.txn(TxnRequest{Success: []Op{{Delete: &DeleteRangeRequest{Key: []byte("a")}}}})
	if st.get("a", 0) != nil {
		t.Fatal("a still present after delete")
	}
	r5 := st.put("a", "3", 0)
	kv = st.get("a", 0)
	if kv.CreateRevision != r5 || kv.Version != 1 {
		t.Fatalf("re-created a = %+v", kv)
	}
	if got := st.get("a", r1); string(got.Value) != "1" {
		t.Fatalf("a@%d = %+v", r1, got)
	}
	// A delete that deletes nothing does not create a revision.
	before := st.s.Revision()
	st.txn(TxnRequest{Success: []Op{{Delete: &DeleteRangeRequest{Key: []byte("nope")}}}})
	if st.s.Revision() != before {
		t.Fatal("no-op delete bumped the revision")
	}
	// A multi-op txn is one revision with increasing sub-revisions.
	r := st.txn(TxnRequest{Success: []Op{
		{Put: &PutRequest{Key: []byte("m1")}}, {Put: &PutRequest{Key: []byte("m2")}},
		{Range: &RangeRequest{Key: []byte("m1")}},
	}})
	if r.Header.Revision != before+1 || st.get("m1", 0).ModRevision != st.get("m2", 0).ModRevision {
		t.Fatalf("multi-op txn revision %d", r.Header.Revision)
	}
	if len(r.Responses[2].Range.Kvs) != 1 {
		t.Fatal("range inside a txn does not see the txn's own put")
	}
	if _, err := st.s.Range(&RangeRequest{Key: []byte("a"), Revision: st.s.Revision() + 1}); !errors.Is(err, ErrFutureRev) {
		t.Fatalf("future revision: %v", err)
	}
}

func TestRangeEnds(t *testing.T) {
	st := newStoreT(t)
	for _, k := range []string{"a", "ab", "abc", "b", "\xff\xff"} {
		st.put(k, k, 0)
	}
	count := func(key, end string) int64 {
		r, err := st.s.Range(&RangeRequest{Key: []byte(key), RangeEnd: []byte(end), CountOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		return r.Count
	}
	cases := []struct {
		key, end string
		want     int64
	}{
		{"a", "", 1},
		{"ab", string(PrefixEnd([]byte("ab"))), 2},
		{"a", "b", 3},
		{"b", "\x00", 2},
		{"\x00", "\x00", 5},
		{"\xff", string(PrefixEnd([]byte("\xff"))), 1},
		{"c", "a", 0},
	}
	for _, c := range cases {
		if got := count(c.key, c.end); got != c.want {
			t.Errorf("range [%q, %q) count = %d, want %d", c.key, c.end, got, c.want)
		}
	}
	r, _ := st.s.Range(&RangeRequest{Key: []byte("a"), RangeEnd: []byte("b"), KeysOnly: true, Limit: 2})
	if len(r.Kvs) != 2 || !r.More || r.Count != 3 || r.Kvs[0].Value != nil {
		t.Fatalf("keys-only limited range = %+v", r)
	}
}

func TestTxnCompares(t *testing.T) {
	st := newStoreT(t)
	st.put("k", "v1", 0)
	st.put("k", "v2", 0)
	kv := st.get("k", 0)
	cases := []struct {
		name string
		c    Compare
		want bool
	}{
		{"value=", Compare{Target: CompareValue, Result: CompareEqual, Value: []byte("v2")}, true},
		{"value!=", Compare{Target: CompareValue, Result: CompareNotEqual, Value: []byte("v2")}, false},
		{"value<", Compare{Target: CompareValue, Result: CompareLess, Value: []byte("v3")}, true},
		{"version=", Compare{Target: CompareVersion, Result: CompareEqual, Version: 2}, true},
		{"version>", Compare{Target: CompareVersion, Result: CompareGreater, Version: 2}, false},
		{"create=", Compare{Target: CompareCreate, Result: CompareEqual, CreateRevision: kv.CreateRevision}, true},
		{"mod<", Compare{Target: CompareMod, Result: CompareLess, ModRevision: kv.ModRevision}, false},
		{"lease=", Compare{Target: CompareLease, Result: CompareEqual, Lease: 0}, true},
		{"missing version=0", Compare{Key: []byte("missing"), Target: CompareVersion, Result: CompareEqual}, true},
		{"missing value", Compare{Key: []byte("missing"), Target: CompareValue, Result: CompareNotEqual, Value: []byte("x")}, false},
	}
	for _, c := range cases {
		if c.c.Key == nil {
			c.c.Key = []byte("k")
		}
		r := st.txn(TxnRequest{Compare: []Compare{c.c},
			Success: []Op{{Range: &RangeRequest{Key: []byte("k")}}},
			Failure: []Op{{Put: &PutRequest{Key: []byte("else"), Value: []byte(c.name)}}}})
		if r.Succeeded != c.want {
			t.Errorf("%s: succeeded = %v, want %v", c.name, r.Succeeded, c.want)
		}
		if !c.want && string(st.get("else", 0).Value) != c.name {
			t.Errorf("%s: else branch not applied", c.name)
		}
	}
	// A txn with a put on an unknown lease fails as a whole.
	r := st.apply(command{Txn: &TxnRequest{Success: []Op{{Put: &PutRequest{Key: []byte("x")}}, {Put: &PutRequest{Key: []byte("y"), Lease: 99}}}}})
	if !errors.Is(r.err, ErrLeaseNotFound) || st.get("x", 0) != nil {
		t.Fatalf("txn with unknown lease: %v, x=%v", r.err, st.get("x", 0))
	}
}

func TestCompaction(t *testing.T) {
	st := newStoreT(t)
	st.put("a", "1", 0)
	r := st.put("a", "2", 0)
	st.put("gone", "x", 0)
	st.txn(TxnRequest{Success: []Op{{Delete: &DeleteRangeRequest{Key: []byte("gone")}}}})
	st.put("a", "3", 0)
	if res := st.apply(command{Compact: r}); res.err != nil {
		t.Fatal(res.err)
	}
	if got := st.get("a", r); string(got.Value) != "2" {
		t.Fatalf("value at the compaction revision = %+v", got)
	}
	if _, err := st.s.Range(&RangeRequest{Key: []byte("a"), Revision: r - 1}); !errors.Is(err, ErrCompacted) {
		t.Fatalf("range below compaction: %v", err)
	}
	if res := st.apply(command{Compact: r}); !errors.Is(res.err, ErrCompacted) {
		t.Fatalf("compacting twice: %v", res.err)
	}
	st.apply(command{Compact: st.s.Revision()})
	if st.s.index.Has(keyHistory{key: "gone"}) {
		t.Fatal("deleted key's history survived compaction past its tombstone")
	}
}

func TestLeasesOwnKeys(t *testing.T) {
	st := newStoreT(t)
	now := time.Unix(1000, 0)
	st.s.now = func() time.Time { return now }
	g := st.apply(command{LeaseGrant: &leaseGrant{TTL: 5}})
	if g.err != nil {
		t.Fatal(g.err)
	}
	id := g.lease.ID
	if r := st.apply(command{LeaseGrant: &leaseGrant{ID: id, TTL: 5}}); !errors.Is(r.err, ErrLeaseExists) {
		t.Fatalf("duplicate lease: %v", r.err)
	}
	st.put("l1", "x", id)
	st.put("l2", "x", id)
	st.put("l2", "y", 0) // re-put without lease detaches it
	if ids := st.s.Expired(now.Add(4 * time.Second)); len(ids) != 0 {
		t.Fatalf("expired early: %v", ids)
	}
	now = now.Add(3 * time.Second)
	st.apply(command{KeepAlive: id})
	if ids := st.s.Expired(now.Add(4 * time.Second)); len(ids) != 0 {
		t.Fatalf("keep-alive did not renew: %v", ids)
	}
	if ids := st.s.Expired(now.Add(6 * time.Second)); len(ids) != 1 {
		t.Fatalf("lease did not expire: %v", ids)
	}
	ttl, _ := st.s.TimeToLive(id, true)
	if len(ttl.Keys) != 1 || string(ttl.Keys[0]) != "l1" {
		t.Fatalf("lease keys = %q", ttl.Keys)
	}
	// Snapshot and restore keep leases and their keys.
	snap, err := st.s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	s2 := NewStore()
	if err := s2.Restore(snap); err != nil {
		t.Fatal(err)
	}
	st.s = s2
	st.s.now = func() time.Time { return now }
	rev := st.s.Revision()
	if r := st.apply(command{Revoke: id}); r.err != nil {
		t.Fatal(r.err)
	}
	if st.get("l1", 0) != nil || st.get("l2", 0) == nil || st.s.Revision() != rev+1 {
		t.Fatalf("revoke: l1=%v l2=%v rev %d→%d", st.get("l1", 0), st.get("l2", 0), rev, st.s.Revision())
	}
}

func TestWatchHistoryThenLive(t *testing.T) {
	st := newStoreT(t)
	st.put("w/a", "1", 0)
	r2 := st.put("w/b", "1", 0)
	st.put("other", "1", 0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch, err := st.s.Watch(ctx, WatchRequest{Key: []byte("w/"), RangeEnd: PrefixEnd([]byte("w/")), StartRevision: r2, PrevKv: true})
	if err != nil {
		t.Fatal(err)
	}
	st.put("w/b", "2", 0)
	st.txn(TxnRequest{Success: []Op{{Delete: &DeleteRangeRequest{Key: []byte("w/a")}}}})
	var evs []Event
	for len(evs) < 3 {
		select {
		case resp := <-ch:
			evs = append(evs, resp.Events...)
		case <-ctx.Done():
			t.Fatalf("got %d events", len(evs))
		}
	}
	if string(evs[0].Kv.Key) != "w/b" || evs[0].Kv.ModRevision != r2 {
		t.Fatalf("first event %+v", evs[0])
	}
	if evs[1].PrevKv == nil || string(evs[1].PrevKv.Value) != "1" || string(evs[1].Kv.Value) != "2" {
		t.Fatalf("second event %+v", evs[1])
	}
	if evs[2].Type != EventDelete || string(evs[2].Kv.Key) != "w/a" || evs[2].PrevKv == nil {
		t.Fatalf("third event %+v", evs[2])
	}
	cancel()
	for range ch { // closed after the context ends
	}
}

func TestRangeSortFiltersAndPutIgnore(t *testing.T) {
	st := newStoreT(t)
	// Create in an order different from key order.
	for _, k := range []string{"p/c", "p/a", "p/b"} {
		st.put(k, "v-"+k, 0)
	}
	st.put("p/a", "v-p/a2", 0)
	rng := func(r RangeRequest) []string {
		r.Key, r.RangeEnd = []byte("p/"), PrefixEnd([]byte("p/"))
		resp, err := st.s.Range(&r)
		if err != nil {
			t.Fatal(err)
		}
		var ks []string
		for _, kv := range resp.Kvs {
			ks = append(ks, string(kv.Key))
		}
		return ks
	}
	eq := func(got []string, want ...string) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("got %q, want %q", got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("got %q, want %q", got, want)
			}
		}
	}
	// clientv3's WithFirstCreate: sort by create revision, limit 1.
	eq(rng(RangeRequest{SortTarget: SortByCreate, SortOrder: SortAscend, Limit: 1}), "p/c")
	eq(rng(RangeRequest{SortTarget: SortByCreate, SortOrder: SortDescend}), "p/b", "p/a", "p/c")
	eq(rng(RangeRequest{SortTarget: SortByMod}), "p/c", "p/b", "p/a")
	eq(rng(RangeRequest{SortOrder: SortDescend}), "p/c", "p/b", "p/a")
	// WithMaxCreateRev: keys created at or before p/a.
	a := st.get("p/a", 0)
	eq(rng(RangeRequest{MaxCreateRevision: a.CreateRevision}), "p/a", "p/c")
	eq(rng(RangeRequest{MinModRevision: a.ModRevision}), "p/a")
	resp, _ := st.s.Range(&RangeRequest{Key: []byte("p/"), RangeEnd: PrefixEnd([]byte("p/")), MaxCreateRevision: a.CreateRevision, Limit: 1})
	if resp.Count != 3 || !resp.More || len(resp.Kvs) != 1 {
		t.Fatalf("filtered, limited range = %+v", resp)
	}

	g := st.apply(command{LeaseGrant: &leaseGrant{TTL: 60}})
	st.put("p/a", "x", g.lease.ID)
	st.txn(TxnRequest{Success: []Op{{Put: &PutRequest{Key: []byte("p/a"), Value: []byte("y"), IgnoreLease: true}}}})
	if kv := st.get("p/a", 0); kv.Lease != g.lease.ID || string(kv.Value) != "y" {
		t.Fatalf("ignore lease: %+v", kv)
	}
	st.txn(TxnRequest{Success: []Op{{Put: &PutRequest{Key: []byte("p/a"), IgnoreValue: true}}}})
	if kv := st.get("p/a", 0); kv.Lease != 0 || string(kv.Value) != "y" {
		t.Fatalf("ignore value: %+v", kv)
	}
	if ttl, _ := st.s.TimeToLive(g.lease.ID, true); len(ttl.Keys) != 0 {
		t.Fatalf("lease still owns %q after a put without lease", ttl.Keys)
	}
	if r := st.apply(command{Txn: &TxnRequest{Success: []Op{{Put: &PutRequest{Key: []byte("nope"), IgnoreValue: true}}}}}); !errors.Is(r.err, ErrKeyNotFound) {
		t.Fatalf("ignore value on a missing key: %v", r.err)
	}
}

func TestWatchFilters(t *testing.T) {
	st := newStoreT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch, err := st.s.Watch(ctx, WatchRequest{Key: []byte("f"), NoPut: true})
	if err != nil {
		t.Fatal(err)
	}
	st.put("f", "1", 0)
	st.txn(TxnRequest{Success: []Op{{Delete: &DeleteRangeRequest{Key: []byte("f")}}}})
	resp := <-ch
	if len(resp.Events) != 1 || resp.Events[0].Type != EventDelete {
		t.Fatalf("NoPut watch got %+v", resp.Events)
	}
}

func TestCompareOverRange(t *testing.T) {
	st := newStoreT(t)
	st.put("r/a", "1", 0)
	st.put("r/b", "1", 0)
	st.put("r/c", "2", 0)
	st.txn(TxnRequest{Success: []Op{{Delete: &DeleteRangeRequest{Key: []byte("r/c")}}}})
	prefix := func(c Compare) Compare {
		c.Key, c.RangeEnd = []byte("r/"), PrefixEnd([]byte("r/"))
		return c
	}
	tests := []struct {
		name string
		c    Compare
		want bool
	}{
		{"every value equal (the deleted key does not count)", prefix(Compare{Target: CompareValue, Result: CompareEqual, Value: []byte("1")}), true},
		{"one value differs", prefix(Compare{Target: CompareValue, Result: CompareEqual, Value: []byte("2")}), false},
		{"every version below 2", prefix(Compare{Target: CompareVersion, Result: CompareLess, Version: 2}), true},
		{"mod revision greater than the first put: not for r/a", prefix(Compare{Target: CompareMod, Result: CompareGreater, ModRevision: 2}), false},
		{"empty range: create 0 holds", Compare{Key: []byte("s/"), RangeEnd: PrefixEnd([]byte("s/")), Target: CompareCreate, Result: CompareEqual}, true},
		{"empty range: a value never matches", Compare{Key: []byte("s/"), RangeEnd: PrefixEnd([]byte("s/")), Target: CompareValue, Result: CompareNotEqual, Value: []byte("x")}, false},
		{"from a key to the end", Compare{Key: []byte("r/b"), RangeEnd: []byte{0}, Target: CompareValue, Result: CompareEqual, Value: []byte("1")}, true},
		{"single key still works", Compare{Key: []byte("r/a"), Target: CompareVersion, Result: CompareEqual, Version: 1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := st.txn(TxnRequest{Compare: []Compare{tt.c}})
			if r.Succeeded != tt.want {
				t.Fatalf("succeeded = %v, want %v", r.Succeeded, tt.want)
			}
		})
	}
}
