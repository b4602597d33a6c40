package kv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// storeState is what a snapshot must carry over: everything but the local
// lease clocks and watchers.
func storeState(s *Store) snapshotData {
	d := snapshotData{Rev: s.rev, CompactRev: s.compactRev, Hist: map[string][]revEntry{}}
	s.index.Ascend(func(it keyHistory) bool {
		d.Hist[it.key] = it.hist
		return true
	})
	for _, l := range s.leases {
		d.Leases = append(d.Leases, lease{ID: l.ID, TTL: l.TTL})
	}
	return d
}

func TestSnapshotRoundTripAndOldFormat(t *testing.T) {
	st := newStoreT(t)
	st.apply(command{LeaseGrant: &leaseGrant{ID: 7, TTL: 30}})
	st.put("a", "1", 0)
	st.put("b", "", 7)
	st.put("a", strings.Repeat("x", 300), 0)
	st.txn(TxnRequest{Success: []Op{{Delete: &DeleteRangeRequest{Key: []byte("b")}}}})
	st.put("c\x00bin", "\xff\x00", 0)
	if r := st.apply(command{Compact: 3}); r.err != nil {
		t.Fatal(r.err)
	}
	want := storeState(st.s)

	snap, err := st.s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(snap, snapshotMagic) {
		t.Fatalf("snapshot starts %q, want the binary format's magic", snap[:min(len(snap), 20)])
	}
	oldFormat, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"binary": snap, "json (before the binary format)": oldFormat} {
		s2 := NewStore()
		if err := s2.Restore(data); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := storeState(s2); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: restored\n%+v\nwant\n%+v", name, got, want)
		}
		if got, want := indexKeys(s2), indexKeys(st.s); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: keys %q, want %q", name, got, want)
		}
	}
	// The same state encodes to the same bytes (keys in order).
	if again, _ := st.s.Snapshot(); !bytes.Equal(again, snap) {
		t.Error("two snapshots of one state differ")
	}

	// Damage is an error, never a partial store.
	for _, n := range []int{len(snapshotMagic) + 1, len(snap) / 2, len(snap) - 1} {
		if err := NewStore().Restore(snap[:n]); err == nil {
			t.Errorf("snapshot cut to %d of %d bytes restored without error", n, len(snap))
		}
	}
	huge := append(append([]byte{}, snapshotMagic...), 2, 2, 0xff, 0xff, 0xff, 0xff, 0x0f)
	if err := NewStore().Restore(huge); err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("a lease count larger than the data: err = %v", err)
	}
	if err := NewStore().Restore(append(snap[:len(snap):len(snap)], 0)); err == nil {
		t.Error("trailing bytes restored without error")
	}
}

// TestFreezeSnapshotIgnoresLaterApplies: the node encodes a frozen store
// while it goes on applying, so what it encodes must be the state at the
// freeze, whatever comes after: overwrites of frozen keys (appends that
// may reuse the history's backing array), new keys sorting before frozen
// ones, deletes, leases, a compaction and a restore.
func TestFreezeSnapshotIgnoresLaterApplies(t *testing.T) {
	st := newStoreT(t)
	st.apply(command{LeaseGrant: &leaseGrant{ID: 7, TTL: 30}})
	for i := range 50 {
		st.put(string(rune('k'+i%5)), strings.Repeat("v", i), 0)
	}
	st.put("m", "leased", 7)
	want, err := st.s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	encode := st.s.FreezeSnapshot()

	st.put("k", "changed", 0)
	st.put("a", "sorts first", 0)
	st.txn(TxnRequest{Success: []Op{{Delete: &DeleteRangeRequest{Key: []byte("l")}}}})
	st.apply(command{LeaseGrant: &leaseGrant{ID: 8, TTL: 5}})
	st.apply(command{Revoke: 7})
	if r := st.apply(command{Compact: st.s.rev - 1}); r.err != nil {
		t.Fatal(r.err)
	}
	got, err := encode(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("the frozen snapshot changed with applies after the freeze")
	}
	if now, _ := st.s.Snapshot(); bytes.Equal(now, want) {
		t.Fatal("the applies after the freeze changed nothing: the test proves nothing")
	}

	// A restore replaces the store wholesale; a capture taken before it
	// still encodes the old state.
	encode = st.s.FreezeSnapshot()
	want, _ = st.s.Snapshot()
	if err := st.s.Restore(mustSnapshot(t, NewStore())); err != nil {
		t.Fatal(err)
	}
	if got, _ := encode([]byte("prefix")); !bytes.Equal(got, append([]byte("prefix"), want...)) {
		t.Fatal("the frozen snapshot changed with a restore after the freeze")
	}
}

// TestFreezeSnapshotSharesTreeNodes: a capture is a copy-on-write clone
// of the index B-tree, so it shares nodes with the store until a write
// copies them. With thousands of keys the tree has inner nodes; later
// inserts split shared nodes, deletes by compaction merge them, and a
// second capture shares nodes with both. Each capture must still encode
// its own state, also while the store is written beside the encoding
// (run with -race).
func TestFreezeSnapshotSharesTreeNodes(t *testing.T) {
	st := newStoreT(t)
	key := func(i int) string { return fmt.Sprintf("k%05d", i) }
	for i := 0; i < 4000; i += 2 {
		st.put(key(i), "v", 0)
	}
	want1 := mustSnapshot(t, st.s)
	encode1 := st.s.FreezeSnapshot()

	var wg sync.WaitGroup
	wg.Add(1)
	var concurrent []byte
	go func() {
		defer wg.Done()
		concurrent, _ = encode1(nil)
	}()
	for i := 1; i < 4000; i += 2 { // new keys between the frozen ones
		st.put(key(i), "new", 0)
	}
	wg.Wait()
	if !bytes.Equal(concurrent, want1) {
		t.Fatal("a capture encoded beside later inserts differs from the state at the freeze")
	}

	want2 := mustSnapshot(t, st.s)
	encode2 := st.s.FreezeSnapshot()
	for i := 0; i < 4000; i += 3 {
		st.put(key(i), "overwritten", 0)
	}
	st.txn(TxnRequest{Success: []Op{{Delete: &DeleteRangeRequest{Key: []byte(key(1000)), RangeEnd: []byte(key(3500))}}}})
	if r := st.apply(command{Compact: st.s.rev}); r.err != nil {
		t.Fatal(r.err)
	}
	if n := st.s.index.Len(); n != 1500 {
		t.Fatalf("index holds %d keys after compacting away 2500 deleted ones, want 1500", n)
	}
	for name, c := range map[string]struct {
		encode func([]byte) ([]byte, error)
		want   []byte
	}{"first": {encode1, want1}, "second": {encode2, want2}} {
		if got, _ := c.encode(nil); !bytes.Equal(got, c.want) {
			t.Errorf("the %s capture changed with later inserts, deletes and a compaction", name)
		}
	}
	if n1, n2 := indexLen(t, want1), indexLen(t, want2); n1 != 2000 || n2 != 4000 {
		t.Fatalf("captures hold %d and %d keys, want 2000 and 4000", n1, n2)
	}
}

// indexLen restores a snapshot and counts its keys.
func indexLen(t *testing.T, snap []byte) int {
	t.Helper()
	s := NewStore()
	if err := s.Restore(snap); err != nil {
		t.Fatal(err)
	}
	return s.index.Len()
}

// indexKeys lists the store's key index in order.
func indexKeys(s *Store) []string {
	var keys []string
	s.index.Ascend(func(it keyHistory) bool {
		keys = append(keys, it.key)
		return true
	})
	return keys
}

func mustSnapshot(t *testing.T, s *Store) []byte {
	t.Helper()
	b, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
