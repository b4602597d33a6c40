package consensus

// StateMachine is the application a Node replicates.
//
// Concurrency contract: the engine calls Apply, Snapshot and Restore from
// its single run goroutine, one at a time, never concurrently with each
// other. Apply is called for every committed command in log order, exactly
// once per node lifetime — after a restart, for every command after the
// snapshot the node restored. Implementations may serve reads from other
// goroutines under their own locks.
type StateMachine interface {
	// Apply applies one committed command at a log index and returns its
	// result, handed to the Propose call that proposed it (on that node).
	// It must be deterministic: every node applies the same commands.
	// Errors that are part of the command's outcome belong in the result;
	// Apply has no error return because a replicated command cannot be
	// refused by one node alone.
	Apply(index uint64, cmd []byte) any
	// Snapshot serialises the state as of the last applied command.
	Snapshot() ([]byte, error)
	// Restore replaces the state with a snapshot's.
	Restore(data []byte) error
}

// SnapshotFreezer is a StateMachine that can capture its state cheaply and
// serialise the capture later. The engine then writes snapshots in the
// background: its run goroutine stops only for FreezeSnapshot, not for
// encoding and writing a state that grows with the data, which otherwise
// stalls every request in flight on that node once per SnapshotEntries
// commands.
type SnapshotFreezer interface {
	// FreezeSnapshot captures the state as of the last applied command,
	// on the run goroutine like Apply, and returns a function that
	// appends the serialised capture (the bytes Snapshot would have
	// returned) to dst. The engine calls that function once, on another
	// goroutine, concurrently with later Apply calls, which must not
	// change what it serialises.
	FreezeSnapshot() func(dst []byte) ([]byte, error)
}
