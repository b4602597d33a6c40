package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// RecordType says what a record's data holds.
type RecordType byte

const (
	// RecordEntry holds a protobuf-encoded raftpb.Entry.
	RecordEntry RecordType = 1
	// RecordHardState holds a protobuf-encoded raftpb.HardState.
	RecordHardState RecordType = 2
	// RecordSnapshot holds a 16-byte snapshot marker (term, index).
	RecordSnapshot RecordType = 3
)

// HeaderSize is the size of a record header: length and CRC.
const HeaderSize = 8

// MaxRecordSize bounds a record's payload. A larger length field can only
// come from damage, so the decoder rejects it instead of allocating.
const MaxRecordSize = 256 << 20

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Errors returned by DecodeRecord. ErrShortRecord means the buffer ends
// inside the record (a torn write when it happens at the end of the log).
var (
	ErrShortRecord = errors.New("wal: record extends past end of data")
	ErrCRCMismatch = errors.New("wal: record CRC mismatch")
	ErrBadLength   = errors.New("wal: record length out of range")
	ErrBadType     = errors.New("wal: unknown record type")
)

// Record is one decoded WAL record.
type Record struct {
	Type RecordType
	Data []byte
}

// AppendRecord appends the encoding of a record to buf and returns it.
func AppendRecord(buf []byte, typ RecordType, data []byte) []byte {
	var hdr [HeaderSize]byte
	n := len(data) + 1
	binary.LittleEndian.PutUint32(hdr[0:4], uint32(n))
	crc := crc32.Update(0, crcTable, []byte{byte(typ)})
	crc = crc32.Update(crc, crcTable, data)
	binary.LittleEndian.PutUint32(hdr[4:8], crc)
	buf = append(buf, hdr[:]...)
	buf = append(buf, byte(typ))
	return append(buf, data...)
}

// DecodeRecord decodes the record at the start of b. It returns the record
// (whose Data aliases b), the number of bytes it occupies, or an error:
// ErrShortRecord, ErrBadLength, ErrCRCMismatch or ErrBadType.
func DecodeRecord(b []byte) (Record, int, error) {
	if len(b) < HeaderSize {
		return Record{}, 0, ErrShortRecord
	}
	n := binary.LittleEndian.Uint32(b[0:4])
	if n == 0 || n > MaxRecordSize {
		return Record{}, 0, fmt.Errorf("%w: %d", ErrBadLength, n)
	}
	end := HeaderSize + int(n)
	if len(b) < end {
		return Record{}, 0, ErrShortRecord
	}
	payload := b[HeaderSize:end]
	if crc32.Checksum(payload, crcTable) != binary.LittleEndian.Uint32(b[4:8]) {
		return Record{}, 0, ErrCRCMismatch
	}
	typ := RecordType(payload[0])
	switch typ {
	case RecordEntry, RecordHardState, RecordSnapshot:
	default:
		return Record{}, 0, fmt.Errorf("%w: %d", ErrBadType, typ)
	}
	return Record{Type: typ, Data: payload[1:]}, end, nil
}

// SnapshotMarker is what the WAL records about a snapshot: enough to find
// its file and to check that it matches.
type SnapshotMarker struct {
	Term  uint64
	Index uint64
}

func (m SnapshotMarker) encode() []byte {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[0:8], m.Term)
	binary.LittleEndian.PutUint64(b[8:16], m.Index)
	return b[:]
}

func decodeMarker(b []byte) (SnapshotMarker, error) {
	if len(b) != 16 {
		return SnapshotMarker{}, fmt.Errorf("snapshot marker has %d bytes, want 16", len(b))
	}
	return SnapshotMarker{
		Term:  binary.LittleEndian.Uint64(b[0:8]),
		Index: binary.LittleEndian.Uint64(b[8:16]),
	}, nil
}
