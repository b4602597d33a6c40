package kv

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"

	"github.com/google/btree"
)

// Snapshots are a compact binary encoding of the store, taken every
// SnapshotEntries applies. The node's loop waits only for the freeze (see
// FreezeSnapshot); the encoding runs beside later applies but still costs
// CPU the writes could use. JSON (the format before
// this one) spent most of a snapshot base64-encoding values and cost a
// 3-node cluster 15-25% of its put throughput (BenchmarkPut in
// sandbox/bench); Restore still reads it.
//
// Layout, after the magic: varint rev, varint compact revision, uvarint
// lease count, then per lease varint ID and TTL; uvarint key count, then
// per key (in key order) the key, a uvarint entry count and per entry
// varint main and sub revisions and a presence byte; a present entry has
// its key, value, and varint create/mod revision, version and lease.
// Byte strings are a uvarint length and the bytes.
var snapshotMagic = []byte("gocli-kv-snapshot-1\n")

// yieldEvery is how many keys the encoder writes between yields to other
// goroutines. A node process may run on one P (a --processes node), and
// the scheduler would otherwise let the encoding keep it for up to a 10 ms
// time slice whenever the raft loop or a request handler became runnable:
// encoding 10000 keys took 23-77 ms there under load. With the yields the
// slowest put of a 3-node run (64 clients, two snapshots) was 60-88 ms
// instead of 85-112 in six alternating pairs.
const yieldEvery = 256

// frozenStore is what a snapshot serialises: the store's scalars, its
// leases and a copy-on-write clone of its index. The clone costs O(1):
// the store's later writes copy the B-tree nodes they change instead of
// changing shared ones, and within a key's history they append past the
// frozen length or replace the history (compaction) and never change an
// element or a KeyValue in place. So the frozen view stays valid without
// copying the data, and encoding it can run beside later applies.
type frozenStore struct {
	rev, compactRev int64
	leases          []lease
	index           *btree.BTreeG[keyHistory]
}

// freeze captures the store; the caller holds s.mu for writing, since
// cloning the index changes the store's tree (its copy-on-write context).
func (s *Store) freeze() *frozenStore {
	f := &frozenStore{rev: s.rev, compactRev: s.compactRev,
		leases: make([]lease, 0, len(s.leases)),
		index:  s.index.Clone()}
	for _, l := range s.leases {
		f.leases = append(f.leases, lease{ID: l.ID, TTL: l.TTL})
	}
	sort.Slice(f.leases, func(i, j int) bool { return f.leases[i].ID < f.leases[j].ID })
	return f
}

func (f *frozenStore) appendTo(b []byte) []byte {
	size := len(snapshotMagic) + 64 + 16*len(f.leases)
	f.index.Ascend(func(it keyHistory) bool {
		size += len(it.key) + 8
		for _, e := range it.hist {
			size += 16
			if e.KV != nil {
				size += len(e.KV.Key) + len(e.KV.Value) + 32
			}
		}
		return true
	})
	b = slices.Grow(b, size)
	b = append(b, snapshotMagic...)
	b = binary.AppendVarint(b, f.rev)
	b = binary.AppendVarint(b, f.compactRev)
	b = binary.AppendUvarint(b, uint64(len(f.leases)))
	for _, l := range f.leases {
		b = binary.AppendVarint(b, l.ID)
		b = binary.AppendVarint(b, l.TTL)
	}
	b = binary.AppendUvarint(b, uint64(f.index.Len()))
	n := 0
	f.index.Ascend(func(it keyHistory) bool {
		if n++; n%yieldEvery == 0 {
			runtime.Gosched()
		}
		h := it.hist
		b = binary.AppendUvarint(b, uint64(len(it.key)))
		b = append(b, it.key...)
		b = binary.AppendUvarint(b, uint64(len(h)))
		for _, e := range h {
			b = binary.AppendVarint(b, e.Main)
			b = binary.AppendVarint(b, e.Sub)
			if e.KV == nil {
				b = append(b, 0)
				continue
			}
			b = append(b, 1)
			b = appendBytes(b, e.KV.Key)
			b = appendBytes(b, e.KV.Value)
			b = binary.AppendVarint(b, e.KV.CreateRevision)
			b = binary.AppendVarint(b, e.KV.ModRevision)
			b = binary.AppendVarint(b, e.KV.Version)
			b = binary.AppendVarint(b, e.KV.Lease)
		}
		return true
	})
	return b
}

func appendBytes(b, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

// decodeSnapshot reads either format into d.
func decodeSnapshot(data []byte, d *snapshotData) error {
	if !bytes.HasPrefix(data, snapshotMagic) {
		return json.Unmarshal(data, d)
	}
	r := snapReader{b: data[len(snapshotMagic):]}
	d.Rev = r.varint()
	d.CompactRev = r.varint()
	nl := r.count(2)
	d.Leases = make([]lease, 0, nl)
	for range nl {
		d.Leases = append(d.Leases, lease{ID: r.varint(), TTL: r.varint()})
	}
	nk := r.count(2)
	d.Hist = make(map[string][]revEntry, nk)
	for range nk {
		k := string(r.bytes())
		ne := r.count(3)
		h := make([]revEntry, 0, ne)
		for range ne {
			e := revEntry{Main: r.varint(), Sub: r.varint()}
			if r.byte() == 1 {
				// Copies: the store must not pin the whole snapshot.
				e.KV = &KeyValue{Key: bytes.Clone(r.bytes()), Value: bytes.Clone(r.bytes()), CreateRevision: r.varint(),
					ModRevision: r.varint(), Version: r.varint(), Lease: r.varint()}
			}
			h = append(h, e)
		}
		d.Hist[k] = h
	}
	if r.err == nil && len(r.b) > 0 {
		r.err = fmt.Errorf("%d bytes after the last key", len(r.b))
	}
	return r.err
}

// snapReader decodes the binary snapshot (and, inside cmdReader, the
// binary command); the first error sticks and later reads return zero
// values.
type snapReader struct {
	b   []byte
	err error
}

var errShortSnapshot = errors.New("snapshot ends early")

func (r *snapReader) varint() int64   { return readVarint(r, binary.Varint) }
func (r *snapReader) uvarint() uint64 { return readVarint(r, binary.Uvarint) }

func readVarint[T int64 | uint64](r *snapReader, decode func([]byte) (T, int)) T {
	if r.err != nil {
		return 0
	}
	v, n := decode(r.b)
	if n <= 0 {
		r.err = errShortSnapshot
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads an element count; each element takes at least min bytes,
// so a count the remaining data cannot hold is corruption, not a reason
// to allocate.
func (r *snapReader) count(min int) int {
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)/min) {
		r.err = fmt.Errorf("count %d exceeds the remaining %d bytes", n, len(r.b))
		return 0
	}
	return int(n)
}

func (r *snapReader) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.err = errShortSnapshot
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *snapReader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errShortSnapshot
		return nil
	}
	if n == 0 {
		return nil // as the store and the JSON format hold empty values
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}
