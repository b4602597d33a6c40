package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// ErrNoSnapshot is returned by LoadSnap when no usable snapshot exists.
var ErrNoSnapshot = errors.New("wal: no snapshot")

func snapName(term, index uint64) string {
	return fmt.Sprintf("%016x-%016x.snap", term, index)
}

// SaveSnap writes snap to dir atomically and durably: a temporary file is
// written and synced, renamed into place, and the directory synced. The file
// holds a CRC-32C of the protobuf followed by the protobuf.
func SaveSnap(dir string, snap *raftpb.Snapshot) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create snapshot dir %s: %w", dir, err)
	}
	pieces, err := snapPieces(snap)
	if err != nil {
		return fmt.Errorf("encode snapshot: %w", err)
	}
	var crc uint32
	for _, p := range pieces {
		crc = crc32.Update(crc, crcTable, p)
	}
	var sum [4]byte
	binary.LittleEndian.PutUint32(sum[:], crc)
	md := snap.GetMetadata()
	final := filepath.Join(dir, snapName(md.GetTerm(), md.GetIndex()))
	tmp := final + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("create snapshot %s: %w", tmp, err)
	}
	werr := writePaced(f, append([][]byte{sum[:]}, pieces...)...)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write snapshot %s: %w", tmp, werr)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("rename snapshot into %s: %w", final, err)
	}
	return syncDir(dir)
}

// snapChunk is how much of a snapshot file goes to the disk at a time.
// Written whole and then synced, a snapshot puts megabytes in the disk's
// queue at once, and every WAL fdatasync on that disk (this node's and, in
// a sandbox, its neighbours') waits behind them: a 3-node cluster saving
// 2.9 MB snapshots stalled puts for 150-190 ms. Written back a chunk at a
// time, a log sync waits for one chunk at most.
const snapChunk = 256 << 10

// writePaced writes the pieces to f one after the other, written back to
// disk a chunk at a time (where the platform can; see writeBack).
func writePaced(f *os.File, pieces ...[]byte) error {
	var off, synced int64
	for _, p := range pieces {
		for len(p) > 0 {
			n := min(len(p), snapChunk)
			if _, err := f.Write(p[:n]); err != nil {
				return err
			}
			p = p[n:]
			off += int64(n)
			if off-synced >= snapChunk {
				writeBack(f, synced, off-synced)
				synced = off
			}
		}
	}
	return nil
}

// snapPieces is snap's protobuf encoding, the same bytes as proto.Marshal
// gives, in pieces that share the snapshot's data rather than copy it:
// megabytes, on a node that goes on serving meanwhile.
func snapPieces(snap *raftpb.Snapshot) ([][]byte, error) {
	var pieces [][]byte
	if data := snap.GetData(); data != nil {
		head := protowire.AppendTag(nil, 1, protowire.BytesType)
		pieces = append(pieces, protowire.AppendVarint(head, uint64(len(data))), data)
	}
	if md := snap.GetMetadata(); md != nil {
		b, err := proto.Marshal(md)
		if err != nil {
			return nil, err
		}
		tail := protowire.AppendTag(nil, 2, protowire.BytesType)
		pieces = append(pieces, append(protowire.AppendVarint(tail, uint64(len(b))), b...))
	}
	return pieces, nil
}

// ReadSnap reads and verifies one snapshot file.
func ReadSnap(path string) (*raftpb.Snapshot, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", path, err)
	}
	if len(b) < 4 {
		return nil, fmt.Errorf("snapshot %s: file too short", path)
	}
	if crc32.Checksum(b[4:], crcTable) != binary.LittleEndian.Uint32(b[:4]) {
		return nil, fmt.Errorf("snapshot %s: CRC mismatch", path)
	}
	s := &raftpb.Snapshot{}
	if err := proto.Unmarshal(b[4:], s); err != nil {
		return nil, fmt.Errorf("decode snapshot %s: %w", path, err)
	}
	return s, nil
}

// LoadSnap returns the newest snapshot in dir that one of markers names and
// that verifies. A newer file without a marker (a crash between SaveSnap and
// the WAL marker) is ignored, as is a damaged one when an older one exists.
func LoadSnap(dir string, markers []SnapshotMarker) (*raftpb.Snapshot, error) {
	want := make(map[SnapshotMarker]bool, len(markers))
	for _, m := range markers {
		want[m] = true
	}
	names, err := snapFiles(dir)
	if err != nil {
		return nil, err
	}
	var firstErr error
	for i := len(names) - 1; i >= 0; i-- {
		var m SnapshotMarker
		if _, err := fmt.Sscanf(names[i], "%016x-%016x.snap", &m.Term, &m.Index); err != nil || !want[m] {
			continue
		}
		s, err := ReadSnap(filepath.Join(dir, names[i]))
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		return s, nil
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return nil, ErrNoSnapshot
}

func snapFiles(dir string) ([]string, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("read snapshot dir %s: %w", dir, err)
	}
	var names []string
	for _, de := range des {
		if strings.HasSuffix(de.Name(), ".snap") {
			names = append(names, de.Name())
		}
	}
	sort.Strings(names) // term then index, both fixed-width hex
	return names, nil
}

// PurgeSnaps keeps the newest keep snapshot files in dir and removes the
// rest, along with leftover temporary files.
func PurgeSnaps(dir string, keep int) error {
	names, err := snapFiles(dir)
	if err != nil {
		return err
	}
	for i := 0; i < len(names)-keep; i++ {
		if err := os.Remove(filepath.Join(dir, names[i])); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove snapshot %s: %w", names[i], err)
		}
	}
	tmps, _ := filepath.Glob(filepath.Join(dir, "*.snap.tmp"))
	for _, t := range tmps {
		_ = os.Remove(t)
	}
	return nil
}
