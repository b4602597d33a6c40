package consensus

import "errors"

// Sentinel errors callers branch on.
var (
	// ErrStopped is returned by calls on a node that has stopped.
	ErrStopped = errors.New("consensus: node stopped")
	// ErrUnknownOutcome wraps a context error when a proposal was handed to
	// raft but its fate is not known: it may still commit. Callers that
	// retry must make the command idempotent or check the state first.
	ErrUnknownOutcome = errors.New("consensus: proposal outcome unknown (it may still commit)")
	// ErrNotProposed wraps the context's error (or ErrStopped) when the
	// caller gave up before raft accepted the proposal — typically while
	// no leader was known. It was not committed and can be retried.
	ErrNotProposed = errors.New("consensus: proposal not accepted by raft before the context ended (no leader?); it was not committed")
	// ErrProposalDropped means raft refused the proposal and too many
	// others were already waiting for a leader; it was not committed and
	// can be retried.
	ErrProposalDropped = errors.New("consensus: proposal dropped (no leader, too many proposals waiting); retry")
	// ErrReadTimeout is wrapped when a linearizable read could not be
	// confirmed before its context ended.
	ErrReadTimeout = errors.New("consensus: linearizable read not confirmed")
)
