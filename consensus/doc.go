// Package consensus is gocli's Raft engine.
package consensus
