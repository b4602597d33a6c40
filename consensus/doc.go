// Package consensus is gocli's Raft engine: a Node built on
// go.etcd.io/raft/v3's RawNode with its own WAL and snapshots
// (consensus/wal), a framed-TCP peer transport with fault injection, and
// membership changes. Applications plug in a StateMachine; consensus/kv is
// the etcd-compatible key-value one, and Replicated is a generic Backend
// folding commands of any type T into a value.
//
// # Threading
//
// Raft runs with asynchronous storage writes. One goroutine (Node.run)
// owns the RawNode, raft's MemoryStorage and the state machine; a second
// (the persister) writes the WAL. Proposals queue on a channel and are
// drained in batches each loop turn (bounded by Config.MaxBatchCount and
// MaxBatchBytes). Each Ready is handled in this order:
//
//  1. messages to peers go out at once (a leader's appends reach the
//     followers while its own write is in progress, as in etcd);
//  2. entries, HardState and a received snapshot go to the persister,
//     which writes everything queued since its last sync and syncs once
//     (group commit); a snapshot file is fsynced before its WAL marker;
//  3. committed entries are applied (raft hands out only entries that
//     are durable here), linearizable reads released;
//  4. a snapshot is taken when due, the log and WAL compacted.
//
// When a batch is durable, the loop adds it to MemoryStorage (installing a
// received snapshot into the state machine first) and only then delivers
// what raft attached to it: a follower's acknowledgement to its leader, a
// vote, the node's own acknowledgement. So the loop goes on stepping
// messages and applying commits while the disk works.
//
// Raft runs with CheckQuorum, PreVote and ReadOnlySafe; ElectionTicks 10
// and HeartbeatTicks 1 by default with a configurable tick length.
//
// # Errors
//
// While no leader is known, proposals wait (parked, retried on every tick
// and leader change) until their context ends. Propose then returns an
// error wrapping ErrNotProposed (certainly not committed: retry) if raft
// never accepted the command, or ErrUnknownOutcome if it did (it may still
// commit). ErrProposalDropped means too many proposals were already
// waiting.
// A WAL failure stops the node; Done is closed and Err says why.
//
// See docs/consensus.md for the guarantees, failure model, durability and
// the transport's wire format.
package consensus
