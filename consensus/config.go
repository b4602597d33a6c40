package consensus

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
)

// Peer names a cluster member and the address its transport listens on.
type Peer struct {
	ID   uint64 `json:"id"`
	Addr string `json:"addr"`
}

// Config configures a Node. Start from DefaultConfig and set ID, DataDir,
// the listen address and Peers.
type Config struct {
	// ID is this node's raft ID; non-zero and unique in the cluster.
	ID uint64
	// DataDir holds the WAL ("wal/") and snapshots ("snap/"). A node
	// restarted with the same DataDir resumes where it stopped.
	DataDir string
	// ListenAddr is the TCP address the peer transport listens on, such
	// as "127.0.0.1:0". Ignored when Listener is set.
	ListenAddr string
	// Listener, when set, is used instead of listening on ListenAddr. Tests
	// create listeners first so every node knows every address up front.
	Listener net.Listener
	// NewTransport, when set, creates the node's transport instead of a
	// TCP one on Listener/ListenAddr (for example InmemNetwork.Transport).
	NewTransport func(h Handler) (Transport, error)
	// Peers lists the initial members, this node included, for a new
	// cluster; or, with Join, the members to contact. On restart it only
	// seeds the transport: membership comes from the log.
	Peers []Peer
	// Join starts a node that is being added to an existing cluster: it
	// does not bootstrap, and waits for the leader to replicate to it.
	Join bool

	// TickInterval is the length of one raft tick.
	TickInterval time.Duration
	// ElectionTicks is the election timeout in ticks (raft randomises it
	// in [ElectionTicks, 2*ElectionTicks)).
	ElectionTicks int
	// HeartbeatTicks is the heartbeat interval in ticks.
	HeartbeatTicks int

	// MaxBatchCount bounds how many queued proposals one loop turn drains
	// into raft (so they share one WAL sync). 1 disables batching.
	MaxBatchCount int
	// MaxBatchBytes bounds the bytes of proposals drained in one turn.
	MaxBatchBytes int
	// ProposalQueue is the capacity of the proposal queue; Propose blocks
	// (until its context ends) when it is full.
	ProposalQueue int

	// SnapshotEntries is how many applied entries trigger a snapshot.
	SnapshotEntries uint64
	// CatchUpEntries is how many entries are kept in the log behind a
	// snapshot so slightly lagging followers catch up without one.
	CatchUpEntries uint64
	// SegmentSize is the WAL segment rollover size in bytes.
	SegmentSize int64

	// MaxSizePerMsg bounds the entries bytes in one append message.
	MaxSizePerMsg uint64
	// MaxInflightMsgs bounds in-flight append messages per follower.
	MaxInflightMsgs int
	// PeerQueueSize is the per-peer outbound message queue; messages
	// beyond it are dropped and the peer reported unreachable (raft
	// retransmits), which is the transport's backpressure.
	PeerQueueSize int
	// DialTimeout bounds one connection attempt to a peer.
	DialTimeout time.Duration

	// Filter, when set, is consulted for every outbound message (fault
	// injection). It can be changed later with Node.SetFilter.
	Filter Filter
	// Logger receives the node's and raft's logs. Nil discards them.
	Logger *slog.Logger
	// Registerer, when set, receives the node's Prometheus collectors,
	// labelled with node_id. Nothing is registered globally.
	Registerer prometheus.Registerer
	// TracerProvider, when set, traces each proposal with an OpenTelemetry
	// span ("consensus.propose") from Propose to its return, with
	// "committed" and "applied" events. Nil disables tracing.
	TracerProvider trace.TracerProvider
}

// DefaultConfig returns a Config with the engine's defaults: 100ms ticks,
// election after 10 ticks, heartbeat every tick, batching on.
func DefaultConfig() Config {
	return Config{
		ListenAddr:      "127.0.0.1:0",
		TickInterval:    100 * time.Millisecond,
		ElectionTicks:   10,
		HeartbeatTicks:  1,
		MaxBatchCount:   512,
		MaxBatchBytes:   4 << 20,
		ProposalQueue:   4096,
		SnapshotEntries: 10000,
		CatchUpEntries:  5000,
		SegmentSize:     64 << 20,
		MaxSizePerMsg:   1 << 20,
		MaxInflightMsgs: 256,
		PeerQueueSize:   4096,
		DialTimeout:     time.Second,
	}
}

// Validate reports every invalid field, one message per field.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.ID == 0 {
		bad("ID must be non-zero")
	}
	if c.DataDir == "" {
		bad("DataDir must be set: it holds the WAL and snapshots")
	}
	if c.NewTransport == nil && c.Listener == nil && c.ListenAddr == "" {
		bad("ListenAddr must be set (for example 127.0.0.1:0) when Listener is nil")
	}
	seen := map[uint64]bool{}
	self := false
	for i, p := range c.Peers {
		switch {
		case p.ID == 0:
			bad("Peers[%d].ID must be non-zero", i)
		case seen[p.ID]:
			bad("Peers[%d].ID %d is listed twice", i, p.ID)
		}
		if p.Addr == "" && p.ID != c.ID {
			bad("Peers[%d].Addr must be set for peer %d", i, p.ID)
		}
		seen[p.ID] = true
		self = self || p.ID == c.ID
	}
	if c.ID != 0 && !c.Join && len(c.Peers) > 0 && !self {
		bad("Peers must include this node (ID %d) when bootstrapping a cluster", c.ID)
	}
	if c.TickInterval <= 0 {
		bad("TickInterval must be positive, got %v", c.TickInterval)
	}
	if c.HeartbeatTicks <= 0 {
		bad("HeartbeatTicks must be positive, got %d", c.HeartbeatTicks)
	}
	if c.ElectionTicks <= c.HeartbeatTicks {
		bad("ElectionTicks (%d) must be greater than HeartbeatTicks (%d)", c.ElectionTicks, c.HeartbeatTicks)
	}
	if c.MaxBatchCount <= 0 {
		bad("MaxBatchCount must be positive (1 disables batching), got %d", c.MaxBatchCount)
	}
	if c.MaxBatchBytes <= 0 {
		bad("MaxBatchBytes must be positive, got %d", c.MaxBatchBytes)
	}
	if c.ProposalQueue <= 0 {
		bad("ProposalQueue must be positive, got %d", c.ProposalQueue)
	}
	if c.SnapshotEntries == 0 {
		bad("SnapshotEntries must be positive")
	}
	if c.SegmentSize < 4096 {
		bad("SegmentSize must be at least 4096 bytes, got %d", c.SegmentSize)
	}
	if c.MaxSizePerMsg == 0 {
		bad("MaxSizePerMsg must be positive")
	}
	if c.MaxInflightMsgs <= 0 {
		bad("MaxInflightMsgs must be positive, got %d", c.MaxInflightMsgs)
	}
	if c.PeerQueueSize <= 0 {
		bad("PeerQueueSize must be positive, got %d", c.PeerQueueSize)
	}
	if c.DialTimeout <= 0 {
		bad("DialTimeout must be positive, got %v", c.DialTimeout)
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid consensus config: %w", errors.Join(errs...))
	}
	return nil
}
