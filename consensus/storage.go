package consensus

import (
	"sync"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// raftStorage is raft's MemoryStorage without copies of snapshot data.
// MemoryStorage clones the whole snapshot, data included, in every
// CreateSnapshot and Snapshot call: megabytes per call for a store of that
// size, although the data never changes once written. The data of the
// node's own snapshots is kept here instead and attached when raft asks
// for the snapshot to send it.
type raftStorage struct {
	*raft.MemoryStorage

	mu    sync.Mutex
	index uint64
	data  []byte
}

// createSnapshot records a snapshot at index i, like CreateSnapshot.
func (s *raftStorage) createSnapshot(i uint64, cs *raftpb.ConfState, data []byte) error {
	if _, err := s.MemoryStorage.CreateSnapshot(i, cs, nil); err != nil {
		return err
	}
	s.mu.Lock()
	s.index, s.data = i, data
	s.mu.Unlock()
	return nil
}

// Snapshot implements raft.Storage. A snapshot installed with
// ApplySnapshot carries its own data.
func (s *raftStorage) Snapshot() (*raftpb.Snapshot, error) {
	snap, err := s.MemoryStorage.Snapshot()
	if err != nil || len(snap.GetData()) > 0 {
		return snap, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if snap.GetMetadata().GetIndex() == s.index && s.index != 0 {
		snap.Data = s.data
	}
	return snap, nil
}
