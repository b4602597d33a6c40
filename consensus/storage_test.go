package consensus

import (
	"bytes"
	"errors"
	"testing"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

func TestRaftStorageSnapshotData(t *testing.T) {
	s := &raftStorage{MemoryStorage: raft.NewMemoryStorage()}
	var ents []*raftpb.Entry
	for i := uint64(1); i <= 10; i++ {
		ents = append(ents, &raftpb.Entry{Index: new(i), Term: new(uint64(2))})
	}
	if err := s.Append(ents); err != nil {
		t.Fatal(err)
	}
	cs := &raftpb.ConfState{Voters: []uint64{1, 2, 3}}
	data := []byte("state at 7")
	if err := s.createSnapshot(7, cs, data); err != nil {
		t.Fatal(err)
	}
	snap, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if md := snap.GetMetadata(); md.GetIndex() != 7 || md.GetTerm() != 2 || len(md.GetConfState().GetVoters()) != 3 || !bytes.Equal(snap.GetData(), data) {
		t.Fatalf("Snapshot() = %v, want index 7 term 2, 3 voters, data %q", snap, data)
	}
	if err := s.createSnapshot(5, cs, []byte("older")); !errors.Is(err, raft.ErrSnapOutOfDate) {
		t.Fatalf("an older snapshot: err = %v, want ErrSnapOutOfDate", err)
	}

	// A snapshot received from the leader replaces the log and brings its
	// own data; the node's older data must not be attached to it.
	recv := &raftpb.Snapshot{Data: []byte("leader's state at 20"),
		Metadata: &raftpb.SnapshotMetadata{Index: new(uint64(20)), Term: new(uint64(3)), ConfState: cs}}
	if err := s.ApplySnapshot(recv); err != nil {
		t.Fatal(err)
	}
	if snap, _ := s.Snapshot(); !bytes.Equal(snap.GetData(), recv.GetData()) {
		t.Fatalf("after ApplySnapshot, data = %q, want %q", snap.GetData(), recv.GetData())
	}
	empty := &raftpb.Snapshot{Metadata: &raftpb.SnapshotMetadata{Index: new(uint64(30)), Term: new(uint64(3)), ConfState: cs}}
	if err := s.ApplySnapshot(empty); err != nil {
		t.Fatal(err)
	}
	if snap, _ := s.Snapshot(); len(snap.GetData()) != 0 {
		t.Fatalf("a snapshot without data got %q attached", snap.GetData())
	}
}
