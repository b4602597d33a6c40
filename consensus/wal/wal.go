package wal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// DefaultSegmentSize is the size at which a segment rolls over.
const DefaultSegmentSize = 64 << 20

// Options tune a WAL.
type Options struct {
	// SegmentSize is the size in bytes after which Save starts a new
	// segment. Zero means DefaultSegmentSize.
	SegmentSize int64
	// OnSync, when set, is called after each sync with its duration (the
	// engine feeds its fsync histogram from it).
	OnSync func(time.Duration)
}

// CorruptError reports damage that is not a torn tail: the log cannot be
// trusted past File at Offset, and an operator has to decide what to do.
type CorruptError struct {
	File   string
	Offset int64
	Err    error
}

// Error describes the damage and what to do about it.
func (e *CorruptError) Error() string {
	return fmt.Sprintf("wal: corrupt record in %s at offset %d: %v (the log is damaged before its end; restore this node from a peer by removing its data directory and re-adding it)", e.File, e.Offset, e.Err)
}

// Unwrap returns the decoding error (ErrCRCMismatch, ErrBadLength, ...).
func (e *CorruptError) Unwrap() error { return e.Err }

// State is what Open read back from the log.
type State struct {
	// HardState is the last HardState saved (empty when none).
	HardState *raftpb.HardState
	// Entries are the log entries in index order, with later writes of an
	// index replacing earlier ones (raft may overwrite an uncommitted tail).
	Entries []*raftpb.Entry
	// Snapshots lists the snapshot markers found, oldest first.
	Snapshots []SnapshotMarker
	// Truncated is the number of bytes cut from a torn tail (0 if none).
	Truncated int64
}

type segment struct {
	seq        uint64
	firstIndex uint64
	path       string
}

// WAL is an append-only log of raft state. Its methods are safe for use by
// one goroutine at a time; the engine's run loop is its only writer. Size
// may be called concurrently.
type WAL struct {
	dir  string
	opts Options

	mu       sync.Mutex // guards size for concurrent Size calls
	size     int64      // bytes in all segments
	segments []segment
	f        *os.File
	fsize    int64 // bytes of records in the current segment
	zeroEnd  int64 // the current segment's file size: zero fill from fsize on

	lastIndex uint64
	hs        *raftpb.HardState
	snap      SnapshotMarker
	buf       []byte
}

func segmentName(seq, first uint64) string {
	return fmt.Sprintf("%016x-%016x.wal", seq, first)
}

func listSegments(dir string) ([]segment, error) {
	names, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read WAL dir %s: %w", dir, err)
	}
	var segs []segment
	for _, de := range names {
		name := de.Name()
		if !strings.HasSuffix(name, ".wal") {
			continue
		}
		var s segment
		if _, err := fmt.Sscanf(name, "%016x-%016x.wal", &s.seq, &s.firstIndex); err != nil {
			continue // not ours
		}
		s.path = filepath.Join(dir, name)
		segs = append(segs, s)
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i].seq < segs[j].seq })
	return segs, nil
}

// Open opens the WAL in dir, creating the directory and a first segment if
// needed, reads it back, truncates a torn tail in the last segment, and
// returns the WAL ready for appends together with what it read.
func Open(dir string, opts Options) (*WAL, *State, error) {
	if opts.SegmentSize <= 0 {
		opts.SegmentSize = DefaultSegmentSize
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, nil, fmt.Errorf("create WAL dir %s: %w", dir, err)
	}
	w := &WAL{dir: dir, opts: opts, hs: &raftpb.HardState{}}
	segs, err := listSegments(dir)
	if err != nil {
		return nil, nil, err
	}
	st := &State{HardState: &raftpb.HardState{}}
	for i, s := range segs {
		last := i == len(segs)-1
		n, err := w.readSegment(s, last, st)
		if err != nil {
			return nil, nil, err
		}
		w.size += n
		if last {
			w.fsize = n
		}
	}
	w.segments = segs
	w.hs = st.HardState
	if len(st.Snapshots) > 0 {
		w.snap = st.Snapshots[len(st.Snapshots)-1]
	}
	if len(st.Entries) > 0 {
		w.lastIndex = st.Entries[len(st.Entries)-1].GetIndex()
	} else {
		w.lastIndex = w.snap.Index
	}
	if len(segs) == 0 {
		if err := w.cut(); err != nil {
			return nil, nil, err
		}
		return w, st, nil
	}
	tail := segs[len(segs)-1]
	f, err := os.OpenFile(tail.path, os.O_WRONLY, 0o640)
	if err != nil {
		return nil, nil, fmt.Errorf("open WAL segment %s: %w", tail.path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("open WAL segment %s: %w", tail.path, err)
	}
	w.f = f
	w.zeroEnd = fi.Size()
	return w, st, nil
}

// readSegment decodes one segment into st and returns its valid length.
func (w *WAL) readSegment(s segment, last bool, st *State) (int64, error) {
	data, err := os.ReadFile(s.path)
	if err != nil {
		return 0, fmt.Errorf("read WAL segment %s: %w", s.path, err)
	}
	off := 0
	for off < len(data) {
		rec, n, err := DecodeRecord(data[off:])
		if err != nil {
			if last && allZero(data[off:]) {
				// The zero fill ahead of the writes (see write): the log
				// ends here and appends go on from here.
				return int64(off), nil
			}
			if last && isTornTail(data[off:], err) {
				if terr := os.Truncate(s.path, int64(off)); terr != nil {
					return 0, fmt.Errorf("truncate torn tail of %s at %d: %w", s.path, off, terr)
				}
				st.Truncated = int64(len(data) - off)
				return int64(off), nil
			}
			return 0, &CorruptError{File: s.path, Offset: int64(off), Err: err}
		}
		if err := applyRecord(rec, st); err != nil {
			return 0, &CorruptError{File: s.path, Offset: int64(off), Err: err}
		}
		off += n
	}
	return int64(off), nil
}

func allZero(b []byte) bool { return len(bytes.Trim(b, "\x00")) == 0 }

// isTornTail says whether a decode failure at the start of rest can be the
// result of a crash during the final write: the record runs past the end, or
// it is the very last record and its CRC fails, or the rest is zero fill.
func isTornTail(rest []byte, err error) bool {
	if errors.Is(err, ErrShortRecord) {
		return true
	}
	if allZero(rest) {
		return true
	}
	if errors.Is(err, ErrBadLength) && allZero(rest[:HeaderSize]) {
		// A zero header inside the zero fill: the last write reached the
		// disk without its beginning (pages of one write can be written
		// back in any order before the fdatasync that would have ordered
		// them). etcd reads a zero frame as the end of its log likewise.
		return true
	}
	if errors.Is(err, ErrCRCMismatch) || errors.Is(err, ErrBadType) {
		// Only the last record, possibly followed by zero fill: if
		// well-formed records follow, the damage is in the middle.
		n := int(uint32(rest[0]) | uint32(rest[1])<<8 | uint32(rest[2])<<16 | uint32(rest[3])<<24)
		return HeaderSize+n == len(rest) || HeaderSize+n < len(rest) && allZero(rest[HeaderSize+n:])
	}
	if errors.Is(err, ErrBadLength) {
		// A length that runs past the end was handled above; a zero or huge
		// length with data after it is a torn header only if nothing
		// decodable follows, which we cannot know: treat a short remainder
		// (less than one header plus a byte) as torn.
		return len(rest) <= HeaderSize
	}
	return false
}

func applyRecord(rec Record, st *State) error {
	switch rec.Type {
	case RecordEntry:
		e := &raftpb.Entry{}
		if err := proto.Unmarshal(rec.Data, e); err != nil {
			return fmt.Errorf("decode entry: %w", err)
		}
		idx := e.GetIndex()
		if n := len(st.Entries); n > 0 {
			first, last := st.Entries[0].GetIndex(), st.Entries[n-1].GetIndex()
			switch {
			case idx > last+1:
				// A gap: the node installed a snapshot from its leader and
				// the log resumes after it; older entries are superseded.
				st.Entries = st.Entries[:0]
			case idx <= last && idx < first:
				st.Entries = st.Entries[:0]
			case idx <= last:
				// Raft overwrote an uncommitted tail: drop the old suffix.
				st.Entries = st.Entries[:idx-first]
			}
		}
		st.Entries = append(st.Entries, e)
	case RecordHardState:
		hs := &raftpb.HardState{}
		if err := proto.Unmarshal(rec.Data, hs); err != nil {
			return fmt.Errorf("decode hard state: %w", err)
		}
		st.HardState = hs
	case RecordSnapshot:
		m, err := decodeMarker(rec.Data)
		if err != nil {
			return err
		}
		st.Snapshots = append(st.Snapshots, m)
	}
	return nil
}

// cut starts a new segment whose first records restate the HardState and
// the latest snapshot marker.
func (w *WAL) cut() error {
	if w.f != nil {
		// A closed segment ends with its last record: only the current one
		// carries zero fill.
		if err := w.f.Truncate(w.fsize); err != nil {
			return fmt.Errorf("trim WAL segment %s: %w", w.f.Name(), err)
		}
		if err := w.sync(); err != nil {
			return err
		}
		if err := w.f.Close(); err != nil {
			return fmt.Errorf("close WAL segment: %w", err)
		}
		w.f = nil
	}
	var seq uint64
	if n := len(w.segments); n > 0 {
		seq = w.segments[n-1].seq + 1
	}
	s := segment{seq: seq, firstIndex: w.lastIndex + 1}
	s.path = filepath.Join(w.dir, segmentName(s.seq, s.firstIndex))
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("create WAL segment %s: %w", s.path, err)
	}
	w.f = f
	w.fsize, w.zeroEnd = 0, 0
	w.segments = append(w.segments, s)
	buf := w.buf[:0]
	hsData, err := proto.Marshal(w.hs)
	if err != nil {
		return fmt.Errorf("encode hard state: %w", err)
	}
	buf = AppendRecord(buf, RecordHardState, hsData)
	if w.snap.Index > 0 {
		buf = AppendRecord(buf, RecordSnapshot, w.snap.encode())
	}
	if err := w.write(buf); err != nil {
		return err
	}
	if err := w.sync(); err != nil {
		return err
	}
	return syncDir(w.dir)
}

// zeroRunway is how far ahead of its records a segment is zero-filled.
// An fdatasync after writes that grew the file must also commit the new
// size and blocks through the file system's journal, which every node's
// WAL on the disk shares; after writes over blocks already written it
// flushes only the data: BenchmarkFdatasyncFill, three writers on ext4,
// 600-890 µs per fdatasync appending against 445-480 µs inside zero fill
// (docs/consensus.md). etcd preallocates its segments for the same reason.
const zeroRunway = 1 << 20

var zeros = make([]byte, 64<<10)

func (w *WAL) write(b []byte) error {
	if end := w.fsize + int64(len(b)); end > w.zeroEnd {
		if err := w.extend(end + min(zeroRunway, w.opts.SegmentSize)); err != nil {
			return err
		}
	}
	if _, err := w.f.WriteAt(b, w.fsize); err != nil {
		return fmt.Errorf("write WAL segment %s: %w", w.f.Name(), err)
	}
	w.fsize += int64(len(b))
	w.mu.Lock()
	w.size += int64(len(b))
	w.mu.Unlock()
	return nil
}

// extend zero-fills the current segment up to end. The next sync makes
// the fill durable with the records written into its start.
func (w *WAL) extend(end int64) error {
	for w.zeroEnd < end {
		n := min(int64(len(zeros)), end-w.zeroEnd)
		if _, err := w.f.WriteAt(zeros[:n], w.zeroEnd); err != nil {
			return fmt.Errorf("extend WAL segment %s: %w", w.f.Name(), err)
		}
		w.zeroEnd += n
	}
	return nil
}

func (w *WAL) sync() error {
	start := time.Now()
	if err := fdatasync(w.f); err != nil {
		return fmt.Errorf("sync WAL segment %s: %w", w.f.Name(), err)
	}
	if w.opts.OnSync != nil {
		w.opts.OnSync(time.Since(start))
	}
	return nil
}

// Save appends the HardState (when not empty) and the entries, then syncs
// once if mustSync is true. Entries may overwrite a previous tail.
func (w *WAL) Save(hs *raftpb.HardState, ents []*raftpb.Entry, mustSync bool) error {
	if w.f == nil {
		return errors.New("wal: closed")
	}
	buf := w.buf[:0]
	for _, e := range ents {
		data, err := proto.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode entry %d: %w", e.GetIndex(), err)
		}
		buf = AppendRecord(buf, RecordEntry, data)
		w.lastIndex = e.GetIndex()
	}
	if hs != nil && (hs.GetTerm() != 0 || hs.GetVote() != 0 || hs.GetCommit() != 0) {
		data, err := proto.Marshal(hs)
		if err != nil {
			return fmt.Errorf("encode hard state: %w", err)
		}
		buf = AppendRecord(buf, RecordHardState, data)
		w.hs = proto.Clone(hs).(*raftpb.HardState)
	}
	if len(buf) == 0 {
		return nil
	}
	if err := w.write(buf); err != nil {
		return err
	}
	if cap(buf) <= 1<<20 {
		w.buf = buf[:0]
	}
	if mustSync {
		if err := w.sync(); err != nil {
			return err
		}
	}
	if w.fsize >= w.opts.SegmentSize {
		return w.cut()
	}
	return nil
}

// Sync makes everything written so far durable (Save with mustSync false
// leaves that to a later call).
func (w *WAL) Sync() error {
	if w.f == nil {
		return errors.New("wal: closed")
	}
	return w.sync()
}

// SaveSnapshot appends a snapshot marker and syncs. The snapshot file must
// already be durable (SaveSnap).
func (w *WAL) SaveSnapshot(m SnapshotMarker) error {
	if w.f == nil {
		return errors.New("wal: closed")
	}
	if err := w.write(AppendRecord(nil, RecordSnapshot, m.encode())); err != nil {
		return err
	}
	if m.Index > w.snap.Index {
		w.snap = m
	}
	if m.Index > w.lastIndex {
		w.lastIndex = m.Index
	}
	return w.sync()
}

// ReleaseTo deletes segments that hold only entries at or below index (the
// index of a durable snapshot). The current segment is never deleted.
func (w *WAL) ReleaseTo(index uint64) error {
	keep := 0
	for i := 0; i+1 < len(w.segments); i++ {
		if w.segments[i+1].firstIndex-1 <= index {
			keep = i + 1
		}
	}
	for _, s := range w.segments[:keep] {
		fi, err := os.Stat(s.path)
		if err == nil {
			w.mu.Lock()
			w.size -= fi.Size()
			w.mu.Unlock()
		}
		if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove WAL segment %s: %w", s.path, err)
		}
	}
	w.segments = append([]segment(nil), w.segments[keep:]...)
	return nil
}

// Segments returns the number of segment files.
func (w *WAL) Segments() int { return len(w.segments) }

// Size returns the total size in bytes of the WAL's segments.
func (w *WAL) Size() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.size
}

// Close syncs and closes the current segment.
func (w *WAL) Close() error {
	if w.f == nil {
		return nil
	}
	err := w.sync()
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close WAL segment: %w", cerr)
	}
	w.f = nil
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open dir %s for sync: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}
