package kv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sampleCommands covers every command kind and every field of every op.
func sampleCommands() map[string]command {
	b := func(s string) []byte { return []byte(s) }
	return map[string]command{
		"txn with every compare and op": {Txn: &TxnRequest{
			Compare: []Compare{
				{Key: b("k"), Target: CompareVersion, Result: CompareEqual, Version: 3},
				{Key: b("a"), RangeEnd: b("b"), Target: CompareCreate, Result: CompareGreater, CreateRevision: 7},
				{Key: b("m"), Target: CompareMod, Result: CompareLess, ModRevision: -1},
				{Key: b("v"), Target: CompareValue, Result: CompareNotEqual, Value: b("x\x00y")},
				{Key: b("l"), Target: CompareLease, Result: CompareEqual, Lease: 1 << 62},
			},
			Success: []Op{
				{Put: &PutRequest{Key: b("k"), Value: bytes.Repeat(b("v"), 300), Lease: 9, PrevKv: true}},
				{Put: &PutRequest{Key: b("k2"), IgnoreValue: true, IgnoreLease: true}},
				{Range: &RangeRequest{Key: b("a"), RangeEnd: b("\x00"), Revision: 4, Limit: 10, CountOnly: true,
					KeysOnly: true, Serializable: true, SortOrder: SortDescend, SortTarget: SortByValue,
					MinModRevision: 1, MaxModRevision: 2, MinCreateRevision: 3, MaxCreateRevision: 4}},
				{Delete: &DeleteRangeRequest{Key: b("d"), RangeEnd: b("e"), PrevKv: true}},
				{},
			},
			Failure: []Op{
				{Range: &RangeRequest{Key: b("k")}},
				{Delete: &DeleteRangeRequest{Key: b("k")}},
				{Put: &PutRequest{Key: b("f"), Value: b("1")}},
			},
		}},
		"plain put":            {Txn: &TxnRequest{Success: []Op{{Put: &PutRequest{Key: b("key"), Value: b("value")}}}}},
		"empty txn":            {Txn: &TxnRequest{}},
		"compact":              {Compact: 12345},
		"lease grant":          {LeaseGrant: &leaseGrant{ID: 0x694d8c2e1f4b9a05, TTL: 60}},
		"lease grant, no id":   {LeaseGrant: &leaseGrant{TTL: -5}},
		"revoke":               {Revoke: 77},
		"keep-alive":           {KeepAlive: -3},
		"negative compact rev": {Compact: -1},
	}
}

func mustEncode(t testing.TB, c command) []byte {
	t.Helper()
	data, err := encodeCommand(&c)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestCommandRoundTrip(t *testing.T) {
	for name, c := range sampleCommands() {
		t.Run(name, func(t *testing.T) {
			data := mustEncode(t, c)
			if data[0] != cmdFormat1 {
				t.Fatalf("first byte %#x, want the format byte", data[0])
			}
			if again := mustEncode(t, c); !bytes.Equal(again, data) {
				t.Fatal("two encodings of one command differ")
			}
			var got command
			if err := decodeCommand(data, &got); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(got, c) {
				gj, _ := json.Marshal(got)
				cj, _ := json.Marshal(c)
				t.Fatalf("round trip:\n got %s\nwant %s", gj, cj)
			}
			if re := mustEncode(t, got); !bytes.Equal(re, data) {
				t.Fatal("re-encoding the decoded command gives other bytes")
			}
		})
	}
	if _, err := encodeCommand(&command{}); err != ErrUnknownCommand {
		t.Fatalf("encoding an empty command: %v, want ErrUnknownCommand", err)
	}
}

// TestCommandPutDoesNotAliasLog checks that a decoded put's key and value
// (which the store keeps) do not point into the log entry.
func TestCommandPutDoesNotAliasLog(t *testing.T) {
	data := mustEncode(t, command{Txn: &TxnRequest{Success: []Op{{Put: &PutRequest{Key: []byte("k"), Value: []byte("v")}}}}})
	var c command
	if err := decodeCommand(data, &c); err != nil {
		t.Fatal(err)
	}
	for i := range data {
		data[i] = 0xff
	}
	if p := c.Txn.Success[0].Put; string(p.Key) != "k" || string(p.Value) != "v" {
		t.Fatalf("put changed with the entry: %q=%q", p.Key, p.Value)
	}
}

func TestCommandDecodeErrors(t *testing.T) {
	// Every strict prefix of a valid encoding is an error, never a panic
	// and never a different command.
	for name, c := range sampleCommands() {
		data := mustEncode(t, c)
		for n := range len(data) {
			var got command
			err := decodeCommand(data[:n], &got)
			if err == nil {
				t.Fatalf("%s: prefix of %d/%d bytes decoded", name, n, len(data))
			}
			if !reflect.DeepEqual(got, command{}) {
				t.Fatalf("%s: failed decode left %+v", name, got)
			}
		}
	}
	put := mustEncode(t, command{Txn: &TxnRequest{Success: []Op{{Put: &PutRequest{Key: []byte("k")}}}}})
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty command"},
		{"newer format", []byte{0x02, kindTxn, 0, 0, 0}, "unknown command format 2"},
		{"unknown kind", []byte{cmdFormat1, 9}, "unknown command kind 9"},
		{"unknown op", []byte{cmdFormat1, kindTxn, 0, 1, 7, 0}, "unknown txn operation 7"},
		{"trailing bytes", append(bytes.Clone(put), 0), "1 bytes after the command"},
		{"huge count", []byte{cmdFormat1, kindTxn, 0xff, 0xff, 0xff, 0xff, 0x0f}, "exceeds the remaining"},
		{"huge string", []byte{cmdFormat1, kindTxn, 0, 1, opPut, 0xff, 0xff, 0x03, 'k'}, "command ends early"},
		{"zero compact", []byte{cmdFormat1, kindCompact, 0}, "compact revision is zero"},
		{"zero revoke", []byte{cmdFormat1, kindRevoke, 0}, "revoked lease is zero"},
		{"huge enum", []byte{cmdFormat1, kindTxn, 1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0, 0, 0, 0, 0, 0, 0}, "out of range"},
		{"bad varint", []byte{cmdFormat1, kindCompact, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, "command ends early"},
		{"bad json", []byte(`{"txn":`), "unexpected end of JSON"},
	} {
		var c command
		err := decodeCommand(tc.data, &c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
		// The engine applies whatever the log holds: a bad command is a
		// result with an error on every node, not a crash.
		r := NewStore().Apply(1, tc.data).(*result)
		if r.err == nil || !strings.Contains(r.err.Error(), "decode kv command") {
			t.Errorf("%s: Apply result error %v", tc.name, r.err)
		}
	}
}

// TestJSONCommandsStillApply replays one history as it was logged before
// the binary format (JSON), in the binary format, and mixed (a log that
// spans an upgrade), and checks every store ends in the same state with
// the same results. It also applies JSON text as older binaries wrote it.
func TestJSONCommandsStillApply(t *testing.T) {
	b := func(s string) []byte { return []byte(s) }
	history := []command{
		{LeaseGrant: &leaseGrant{ID: 5, TTL: 30}},
		{Txn: &TxnRequest{Success: []Op{{Put: &PutRequest{Key: b("a"), Value: b("1"), Lease: 5}}}}},
		{Txn: &TxnRequest{Success: []Op{{Put: &PutRequest{Key: b("b"), Value: b("2")}}, {Put: &PutRequest{Key: b("c"), Value: b("3")}}}}},
		{Txn: &TxnRequest{
			Compare: []Compare{{Key: b("a"), Target: CompareValue, Result: CompareEqual, Value: b("1")}},
			Success: []Op{{Put: &PutRequest{Key: b("a"), Value: b("10"), PrevKv: true, IgnoreLease: true}}, {Range: &RangeRequest{Key: b("a"), RangeEnd: b("z")}}},
			Failure: []Op{{Delete: &DeleteRangeRequest{Key: b("a")}}},
		}},
		{KeepAlive: 5},
		{Txn: &TxnRequest{Success: []Op{{Delete: &DeleteRangeRequest{Key: b("b"), RangeEnd: b("c"), PrevKv: true}}}}},
		{Compact: 3},
		{Revoke: 5},
		{Txn: &TxnRequest{Success: []Op{{Put: &PutRequest{Key: b("d"), Value: b("4"), Lease: 99}}}}}, // lease not found
	}
	encoders := map[string]func(i int, c command) []byte{
		"json": func(_ int, c command) []byte {
			data, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			return data
		},
		"binary": func(_ int, c command) []byte { return mustEncode(t, c) },
	}
	encoders["mixed"] = func(i int, c command) []byte {
		if i%2 == 0 {
			return encoders["json"](i, c)
		}
		return encoders["binary"](i, c)
	}
	type outcome struct {
		Results []string
		Kvs     []*KeyValue
		Rev     int64
		Compact int64
		Leases  []int64
	}
	run := func(enc func(int, command) []byte) outcome {
		s := NewStore()
		var o outcome
		for i, c := range history {
			r := s.Apply(uint64(i+1), enc(i, c)).(*result)
			js, _ := json.Marshal(struct {
				Txn   *TxnResponse
				Lease *LeaseGrantResponse
				Rev   int64
				Err   string
			}{r.txn, r.lease, r.rev, errString(r.err)})
			o.Results = append(o.Results, string(js))
		}
		all, err := s.Range(&RangeRequest{Key: b("\x00"), RangeEnd: b("\x00")})
		if err != nil {
			t.Fatal(err)
		}
		o.Kvs, o.Rev, o.Compact, o.Leases = all.Kvs, s.Revision(), s.CompactRevision(), s.Leases()
		return o
	}
	want := run(encoders["json"])
	if want.Rev != 6 || len(want.Kvs) != 1 || string(want.Kvs[0].Key) != "c" || want.Compact != 3 ||
		!strings.Contains(want.Results[len(want.Results)-1], ErrLeaseNotFound.Error()) {
		t.Fatalf("JSON history ended in an unexpected state: %+v", want)
	}
	for _, name := range []string{"binary", "mixed"} {
		if got := run(encoders[name]); !reflect.DeepEqual(got, want) {
			t.Errorf("%s log: %+v\nJSON log: %+v", name, got, want)
		}
	}

	// Bytes as the JSON encoder of earlier releases logged them.
	s := NewStore()
	old := `{"txn":{"compare":[{"key":"Zm9v","target":0,"result":0}],"success":[{"put":{"key":"Zm9v","value":"YmFy","prev_kv":true}}]}}`
	r := s.Apply(1, []byte(old)).(*result)
	if r.err != nil || !r.txn.Succeeded || r.rev != 2 {
		t.Fatalf("old JSON command: %+v, %v", r, r.err)
	}
	if kv, _ := s.Range(&RangeRequest{Key: b("foo")}); len(kv.Kvs) != 1 || string(kv.Kvs[0].Value) != "bar" {
		t.Fatalf("after the old JSON command foo = %+v", kv.Kvs)
	}
	// JSON may start with whitespace: those bytes are not format bytes.
	if r := s.Apply(2, []byte("\n\t"+`{"lease_grant":{"id":7,"ttl":10}}`)).(*result); r.err != nil || r.lease.ID != 7 {
		t.Fatalf("old JSON lease grant: %+v", r)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// FuzzDecodeCommand checks that no input panics the decoder or Apply, and
// that whatever decodes re-encodes to a command that decodes the same.
func FuzzDecodeCommand(f *testing.F) {
	for _, c := range sampleCommands() {
		f.Add(mustEncode(f, c))
		js, _ := json.Marshal(c)
		f.Add(js)
	}
	f.Add([]byte{cmdFormat1, kindTxn, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		NewStore().Apply(1, data)
		var c command
		if err := decodeCommand(data, &c); err != nil || data[0] != cmdFormat1 {
			return
		}
		re, err := encodeCommand(&c)
		if err != nil {
			t.Fatalf("decoded %+v does not encode: %v", c, err)
		}
		var again command
		if err := decodeCommand(re, &again); err != nil || !reflect.DeepEqual(again, c) {
			t.Fatalf("re-encoded command decodes to %+v, %v; want %+v", again, err, c)
		}
	})
}

// BenchmarkDecodeCommand compares decoding a 256-byte put in both formats.
func BenchmarkDecodeCommand(b *testing.B) {
	c := command{Txn: &TxnRequest{Success: []Op{{Put: &PutRequest{Key: []byte("00012345"), Value: make([]byte, 256)}}}}}
	js, _ := json.Marshal(c)
	for name, data := range map[string][]byte{"json": js, "binary": mustEncode(b, c)} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var c command
				if err := decodeCommand(data, &c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkApplyPut measures what every node spends applying one logged
// put of a 256-byte value (decode and store) to a store of 20000 keys, in
// both log formats. The puts overwrite existing keys, so the figure does
// not drift with b.N as the key list grows.
func BenchmarkApplyPut(b *testing.B) {
	const keys = 20000
	put := func(i int) command {
		return command{Txn: &TxnRequest{Success: []Op{{Put: &PutRequest{
			Key: fmt.Appendf(nil, "%08d", (i*7919)%keys), Value: make([]byte, 256)}}}}}
	}
	encs := map[string]func(command) []byte{
		"json":   func(c command) []byte { data, _ := json.Marshal(c); return data },
		"binary": func(c command) []byte { return mustEncode(b, c) },
	}
	for _, name := range []string{"json", "binary"} {
		b.Run(name, func(b *testing.B) {
			entries := make([][]byte, 4096)
			for i := range entries {
				entries[i] = encs[name](put(i))
			}
			s := NewStore()
			for i := range keys {
				s.Apply(uint64(i+1), mustEncode(b, put(i)))
			}
			idx := uint64(keys)
			b.ReportAllocs()
			// CPU time, not only wall time: it holds steady when other
			// work shares the machine.
			var cpu time.Duration
			for b.Loop() {
				if idx == keys {
					cpu = -processCPU(b)
				}
				idx++
				if r := s.Apply(idx, entries[idx%uint64(len(entries))]).(*result); r.err != nil {
					b.Fatal(r.err)
				}
			}
			b.ReportMetric(float64(cpu+processCPU(b))/float64(idx-keys), "cpu-ns/op")
		})
	}
}

// processCPU is the process's user+system CPU time.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkApplyNewKey measures applying a put of a key the store has not
// seen, which inserts it into the key index, at two store sizes.
// The store grows by b.N keys, so compare runs with one -benchtime (e.g.
// 2000x).
func BenchmarkApplyNewKey(b *testing.B) {
	for _, keys := range []int{20000, 100000} {
		b.Run(fmt.Sprintf("keys=%d", keys), func(b *testing.B) {
			s := NewStore()
			put := func(k int) []byte {
				return mustEncode(b, command{Txn: &TxnRequest{Success: []Op{{Put: &PutRequest{
					Key: fmt.Appendf(nil, "%010d", k), Value: make([]byte, 256)}}}}})
			}
			// Existing keys are even; new ones odd, spread over the range.
			for i := range keys {
				s.Apply(uint64(i+1), put(2*i))
			}
			idx := uint64(keys)
			var cpu time.Duration
			for b.Loop() {
				if idx == uint64(keys) {
					cpu = -processCPU(b)
				}
				idx++
				k := 2*int((idx*7919)%uint64(keys)) + 1
				if r := s.Apply(idx, put(k)).(*result); r.err != nil {
					b.Fatal(r.err)
				}
			}
			b.ReportMetric(float64(cpu+processCPU(b))/float64(idx-uint64(keys)), "cpu-ns/op")
		})
	}
}
