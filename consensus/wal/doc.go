// Package wal is the write-ahead log and snapshot store of the consensus
// engine.
//
// A WAL is a directory of segment files named "<seq>-<firstindex>.wal" (both
// 16 hex digits). A segment is a sequence of records; each record is
//
//	length  uint32 little-endian: number of payload bytes (type byte + data)
//	crc     uint32 little-endian: CRC-32C (Castagnoli) of the payload
//	type    byte: RecordEntry, RecordHardState or RecordSnapshot
//	data    length-1 bytes (a protobuf raftpb.Entry / raftpb.HardState, or a
//	        16-byte snapshot marker: term, index)
//
// Save writes a batch of records and syncs the file once (fdatasync on
// Linux). When a segment grows past Options.SegmentSize the WAL rolls over to
// a new segment that starts with the current HardState and the latest
// snapshot marker, so that older segments can be deleted after a snapshot
// (ReleaseTo) without losing state.
//
// On Open, the last segment may end in a torn record (a crash during a write):
// that tail is truncated. Any other damage — a bad CRC or impossible length in
// the middle of the log — is reported as a *CorruptError naming the file and
// the byte offset, because silently dropping a synced record would lose
// acknowledged writes.
//
// Snapshots live beside the WAL as "<term>-<index>.snap" files written
// atomically (temporary file, fsync, rename, directory fsync). The caller
// saves the snapshot file before appending the WAL marker that refers to it,
// so a marker never names a snapshot that is not durable.
package wal
