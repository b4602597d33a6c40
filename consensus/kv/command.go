package kv

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
)

// Replicated commands are written to the raft log in a compact binary
// form. Decoding the JSON form this replaced cost about half of a put's
// apply on every node; the binary form is decoded without reflection and
// is a third of the size for a small put.
//
// The log outlives a binary, so the first byte names the format. JSON
// text starts with a printable byte or whitespace (the JSON encoder always
// wrote an object, starting with '{'), so any other control byte is a
// format byte and anything else is decoded as the old JSON command.
//
// Layout of format 1 (integers are varints, counts and enums uvarints,
// byte strings a uvarint length and the bytes, flags one byte of bits):
//
//	0x01 kind
//	kind 1 txn:        count compares, compares; count ops, ops (success); count ops, ops (failure)
//	  compare:         key, range end, target, result, value, version, create rev, mod rev, lease
//	  op:              tag 1 range | 2 put | 3 delete, then its fields
//	  range:           key, range end, revision, limit, flags (count only, keys only, serializable),
//	                   sort order, sort target, min mod, max mod, min create, max create
//	  put:             key, value, lease, flags (prev kv, ignore value, ignore lease)
//	  delete:          key, range end, flags (prev kv)
//	kind 2 compact:    revision
//	kind 3 lease grant: id, ttl
//	kind 4 revoke:     lease id
//	kind 5 keep-alive: lease id
//
// Every field is always written, in this order, so one command has exactly
// one encoding and every strict prefix of an encoding fails to decode.
const cmdFormat1 = 0x01

// Command kinds of format 1.
const (
	kindTxn        = 1
	kindCompact    = 2
	kindLeaseGrant = 3
	kindRevoke     = 4
	kindKeepAlive  = 5
)

// Op tags of format 1.
const (
	opRange  = 1
	opPut    = 2
	opDelete = 3
)

// Flag bits.
const (
	flagCountOnly    = 1 << 0
	flagKeysOnly     = 1 << 1
	flagSerializable = 1 << 2

	flagPrevKv      = 1 << 0
	flagIgnoreValue = 1 << 1
	flagIgnoreLease = 1 << 2
)

var errShortCommand = errors.New("command ends early")

// encodeCommand returns the format-1 encoding of c. A command with no
// field set encodes as a txn with no operations, as the JSON form decoded
// to a command Apply rejects; encodeCommand is only given commands the
// server built, so it reports misuse rather than encode it.
func encodeCommand(c *command) ([]byte, error) {
	switch {
	case c.Txn != nil:
		b := make([]byte, 0, 2+txnSize(c.Txn))
		b = append(b, cmdFormat1, kindTxn)
		return appendTxn(b, c.Txn), nil
	case c.Compact != 0:
		return binary.AppendVarint([]byte{cmdFormat1, kindCompact}, c.Compact), nil
	case c.LeaseGrant != nil:
		b := binary.AppendVarint([]byte{cmdFormat1, kindLeaseGrant}, c.LeaseGrant.ID)
		return binary.AppendVarint(b, c.LeaseGrant.TTL), nil
	case c.Revoke != 0:
		return binary.AppendVarint([]byte{cmdFormat1, kindRevoke}, c.Revoke), nil
	case c.KeepAlive != 0:
		return binary.AppendVarint([]byte{cmdFormat1, kindKeepAlive}, c.KeepAlive), nil
	}
	return nil, ErrUnknownCommand
}

// txnSize is an upper bound of t's encoded size, so encoding allocates
// once.
func txnSize(t *TxnRequest) int {
	n := 3 * binary.MaxVarintLen64
	for i := range t.Compare {
		c := &t.Compare[i]
		n += len(c.Key) + len(c.RangeEnd) + len(c.Value) + 9*binary.MaxVarintLen64
	}
	for _, ops := range [][]Op{t.Success, t.Failure} {
		for _, op := range ops {
			n += 2
			switch {
			case op.Range != nil:
				n += len(op.Range.Key) + len(op.Range.RangeEnd) + 11*binary.MaxVarintLen64
			case op.Put != nil:
				n += len(op.Put.Key) + len(op.Put.Value) + 3*binary.MaxVarintLen64
			case op.Delete != nil:
				n += len(op.Delete.Key) + len(op.Delete.RangeEnd) + 2*binary.MaxVarintLen64
			}
		}
	}
	return n
}

func appendTxn(b []byte, t *TxnRequest) []byte {
	b = binary.AppendUvarint(b, uint64(len(t.Compare)))
	for i := range t.Compare {
		c := &t.Compare[i]
		b = appendBytes(b, c.Key)
		b = appendBytes(b, c.RangeEnd)
		b = binary.AppendUvarint(b, uint64(c.Target))
		b = binary.AppendUvarint(b, uint64(c.Result))
		b = appendBytes(b, c.Value)
		b = binary.AppendVarint(b, c.Version)
		b = binary.AppendVarint(b, c.CreateRevision)
		b = binary.AppendVarint(b, c.ModRevision)
		b = binary.AppendVarint(b, c.Lease)
	}
	b = appendOps(b, t.Success)
	return appendOps(b, t.Failure)
}

func appendOps(b []byte, ops []Op) []byte {
	b = binary.AppendUvarint(b, uint64(len(ops)))
	for _, op := range ops {
		switch {
		case op.Range != nil:
			r := op.Range
			b = append(b, opRange)
			b = appendBytes(b, r.Key)
			b = appendBytes(b, r.RangeEnd)
			b = binary.AppendVarint(b, r.Revision)
			b = binary.AppendVarint(b, r.Limit)
			b = append(b, flag(r.CountOnly, flagCountOnly)|flag(r.KeysOnly, flagKeysOnly)|flag(r.Serializable, flagSerializable))
			b = binary.AppendUvarint(b, uint64(r.SortOrder))
			b = binary.AppendUvarint(b, uint64(r.SortTarget))
			b = binary.AppendVarint(b, r.MinModRevision)
			b = binary.AppendVarint(b, r.MaxModRevision)
			b = binary.AppendVarint(b, r.MinCreateRevision)
			b = binary.AppendVarint(b, r.MaxCreateRevision)
		case op.Put != nil:
			p := op.Put
			b = append(b, opPut)
			b = appendBytes(b, p.Key)
			b = appendBytes(b, p.Value)
			b = binary.AppendVarint(b, p.Lease)
			b = append(b, flag(p.PrevKv, flagPrevKv)|flag(p.IgnoreValue, flagIgnoreValue)|flag(p.IgnoreLease, flagIgnoreLease))
		case op.Delete != nil:
			d := op.Delete
			b = append(b, opDelete)
			b = appendBytes(b, d.Key)
			b = appendBytes(b, d.RangeEnd)
			b = append(b, flag(d.PrevKv, flagPrevKv))
		default:
			// An op with no field set: the JSON form kept it and Apply
			// skipped it; an empty delete tag keeps that meaning.
			b = append(b, 0)
		}
	}
	return b
}

func flag(set bool, bit byte) byte {
	if set {
		return bit
	}
	return 0
}

// decodeCommand decodes either format into c.
func decodeCommand(data []byte, c *command) error {
	if len(data) == 0 {
		return errors.New("empty command")
	}
	if isJSONStart(data[0]) {
		return json.Unmarshal(data, c)
	}
	if data[0] != cmdFormat1 {
		return fmt.Errorf("unknown command format %d (written by a newer gocli?)", data[0])
	}
	r := cmdReader{snapReader{b: data[1:]}}
	switch kind := r.byte(); kind {
	case kindTxn:
		c.Txn = r.txn()
	case kindCompact:
		c.Compact = r.nonZero("compact revision")
	case kindLeaseGrant:
		c.LeaseGrant = &leaseGrant{ID: r.varint(), TTL: r.varint()}
	case kindRevoke:
		c.Revoke = r.nonZero("revoked lease")
	case kindKeepAlive:
		c.KeepAlive = r.nonZero("kept-alive lease")
	default:
		if r.err == nil {
			r.err = fmt.Errorf("unknown command kind %d", kind)
		}
	}
	if r.err == nil && len(r.b) > 0 {
		r.err = fmt.Errorf("%d bytes after the command", len(r.b))
	}
	if errors.Is(r.err, errShortSnapshot) {
		r.err = errShortCommand
	}
	if r.err != nil {
		*c = command{}
		return r.err
	}
	return nil
}

// isJSONStart reports whether b can start JSON text: a printable byte or
// JSON's whitespace. Every other control byte is a format byte.
func isJSONStart(b byte) bool {
	return b >= 0x20 || b == '\t' || b == '\n' || b == '\r'
}

// cmdReader decodes format 1; like snapReader, the first error sticks.
type cmdReader struct{ snapReader }

// nonZero reads a varint the command needs to be non-zero (zero is how
// the command struct says "not this kind").
func (r *cmdReader) nonZero(what string) int64 {
	v := r.varint()
	if r.err == nil && v == 0 {
		r.err = fmt.Errorf("%s is zero", what)
	}
	return v
}

func (r *cmdReader) enum() int {
	v := r.uvarint()
	if r.err == nil && v > 1<<16 {
		r.err = fmt.Errorf("enum value %d out of range", v)
		return 0
	}
	return int(v)
}

func (r *cmdReader) txn() *TxnRequest {
	t := &TxnRequest{}
	// A compare takes at least 9 bytes, an op at least 4.
	if n := r.count(9); n > 0 {
		t.Compare = make([]Compare, n)
		for i := range t.Compare {
			c := &t.Compare[i]
			c.Key = r.bytes()
			c.RangeEnd = r.bytes()
			c.Target = CompareTarget(r.enum())
			c.Result = CompareResult(r.enum())
			c.Value = r.bytes()
			c.Version = r.varint()
			c.CreateRevision = r.varint()
			c.ModRevision = r.varint()
			c.Lease = r.varint()
		}
	}
	t.Success = r.ops()
	t.Failure = r.ops()
	return t
}

func (r *cmdReader) ops() []Op {
	n := r.count(1)
	if n == 0 {
		return nil
	}
	ops := make([]Op, n)
	for i := range ops {
		if r.err != nil {
			return nil
		}
		switch tag := r.byte(); tag {
		case 0:
		case opRange:
			ops[i].Range = &RangeRequest{Key: r.bytes(), RangeEnd: r.bytes(), Revision: r.varint(), Limit: r.varint()}
			f := r.byte()
			ops[i].Range.CountOnly = f&flagCountOnly != 0
			ops[i].Range.KeysOnly = f&flagKeysOnly != 0
			ops[i].Range.Serializable = f&flagSerializable != 0
			ops[i].Range.SortOrder = SortOrder(r.enum())
			ops[i].Range.SortTarget = SortTarget(r.enum())
			ops[i].Range.MinModRevision = r.varint()
			ops[i].Range.MaxModRevision = r.varint()
			ops[i].Range.MinCreateRevision = r.varint()
			ops[i].Range.MaxCreateRevision = r.varint()
		case opPut:
			// The store keeps a put's key and value, so they are copied
			// (into one allocation) rather than pin the log entry.
			k, v := r.bytes(), r.bytes()
			p := &PutRequest{Lease: r.varint()}
			if len(k)+len(v) > 0 {
				buf := make([]byte, len(k)+len(v))
				copy(buf, k)
				copy(buf[len(k):], v)
				if len(k) > 0 {
					p.Key = buf[:len(k):len(k)]
				}
				if len(v) > 0 {
					p.Value = buf[len(k):]
				}
			}
			f := r.byte()
			p.PrevKv = f&flagPrevKv != 0
			p.IgnoreValue = f&flagIgnoreValue != 0
			p.IgnoreLease = f&flagIgnoreLease != 0
			ops[i].Put = p
		case opDelete:
			ops[i].Delete = &DeleteRangeRequest{Key: r.bytes(), RangeEnd: r.bytes(), PrevKv: r.byte()&flagPrevKv != 0}
		default:
			if r.err == nil {
				r.err = fmt.Errorf("unknown txn operation %d", tag)
			}
		}
	}
	return ops
}
