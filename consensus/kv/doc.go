// Package kv is the key-value state machine of the consensus engine and
// the server that replicates it.
//
// Store has etcd's mvcc semantics: a cluster-wide revision that each write
// transaction increments, per-key create/mod revisions and versions,
// Range with etcd's range-end conventions, transactions with compares,
// compaction, leases that own keys, and watches from a revision.
//
// Server runs a Store on a consensus.Node. Writes go through the log;
// linearizable reads go through ReadIndex; serializable reads are served
// from local state. Lease expiry is driven by the leader, which proposes
// revokes through the log, so every node deletes a lease's keys at the
// same revision.
package kv
