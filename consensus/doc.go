// Package consensus is gocli's Raft engine: a Node built on
// go.etcd.io/raft/v3's RawNode with its own WAL and snapshots
// (consensus/wal), a framed-TCP peer transport with fault injection, and
// membership changes. Applications plug in a StateMachine; consensus/kv is
// the etcd-compatible key-value one, and Replicated is a generic Backend
// folding commands of any type T into a value.
//
// # Threading
//
// One goroutine (Node.run) owns the RawNode, the WAL and the state
// machine. Proposals queue on a channel and are drained in batches each
// loop turn (bounded by Config.MaxBatchCount and MaxBatchBytes), so many
// proposals share one WAL sync. Each Ready is handled in this order:
//
//  1. a leader sends its messages first (followers persist in parallel;
//     the leader counts itself only after its own sync, as etcd does);
//  2. a received snapshot is saved (file fsynced before its WAL marker),
//     then HardState and entries are appended with one sync;
//  3. other roles send their messages (votes and acks promise
//     durability, so they go out only after the sync);
//  4. committed entries are applied, linearizable reads released;
//  5. a snapshot is taken when due, the log and WAL compacted;
//  6. Advance.
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
