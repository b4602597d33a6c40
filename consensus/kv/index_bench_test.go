package kv

import (
	"fmt"
	"testing"
)

// indexBenchKeys is the store size of the key-index benchmarks: the
// keyspace of the sandbox's put benchmark.
const indexBenchKeys = 100000

// benchStore returns a store holding n keys "k000000".."k<n-1>" with
// 256-byte values, each written once.
func benchStore(b *testing.B, n int) *Store {
	b.Helper()
	s := NewStore()
	value := make([]byte, 256)
	for i := range n {
		c := command{Txn: &TxnRequest{Success: []Op{{Put: &PutRequest{Key: fmt.Appendf(nil, "k%06d", i), Value: value}}}}}
		if r := s.Apply(uint64(i+1), mustEncode(b, c)).(*result); r.err != nil {
			b.Fatal(r.err)
		}
	}
	return s
}

// BenchmarkStoreRange measures local reads of a 100000-key store through
// its key index: one key, a prefix of 100 keys (whole and limited to 10),
// and the whole keyspace counted and limited (both visit every key, as
// etcd does, since the response carries the count).
func BenchmarkStoreRange(b *testing.B) {
	s := benchStore(b, indexBenchKeys)
	prefix := []byte("k0123")
	cases := []struct {
		name      string
		r         RangeRequest
		wantKvs   int
		wantCount int64
	}{
		{"key", RangeRequest{Key: []byte("k012345")}, 1, 1},
		{"prefix100", RangeRequest{Key: prefix, RangeEnd: PrefixEnd(prefix)}, 100, 100},
		{"prefix100-limit10", RangeRequest{Key: prefix, RangeEnd: PrefixEnd(prefix), Limit: 10}, 10, 100},
		{"all-count", RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}, CountOnly: true}, 0, indexBenchKeys},
		{"all-limit10", RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}, Limit: 10}, 10, indexBenchKeys},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, err := s.Range(&c.r)
				if err != nil {
					b.Fatal(err)
				}
				if len(r.Kvs) != c.wantKvs || r.Count != c.wantCount {
					b.Fatalf("%d kvs, count %d; want %d, %d", len(r.Kvs), r.Count, c.wantKvs, c.wantCount)
				}
			}
		})
	}
}

// BenchmarkFreezeSnapshot measures the part of a snapshot the node's raft
// loop waits for, the capture of a 100000-key store.
func BenchmarkFreezeSnapshot(b *testing.B) {
	s := benchStore(b, indexBenchKeys)
	b.ReportAllocs()
	for b.Loop() {
		if s.FreezeSnapshot() == nil {
			b.Fatal("no capture")
		}
	}
}

// BenchmarkSnapshotEncode measures the part of a snapshot that runs beside
// the raft loop: encoding a captured 10000-key store (one revision each,
// 256-byte values), the size of a sandbox's first snapshot under the put
// benchmark.
func BenchmarkSnapshotEncode(b *testing.B) {
	encode := benchStore(b, 10000).FreezeSnapshot()
	b.ReportAllocs()
	var n int
	for b.Loop() {
		out, err := encode(nil)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.SetBytes(int64(n))
}
