package dashboard

import (
	"context"
	"time"

	"github.com/gocli/gocli/sandbox"
	"github.com/gocli/gocli/sandbox/bench"
)

// StatusMsg carries a fresh cluster status.
type StatusMsg struct {
	Status sandbox.Status
	// At is when the status was taken (the model's clock).
	At time.Time
}

// StatusErrMsg reports that the status could not be fetched: the model
// treats the cluster as gone and retries with backoff.
type StatusErrMsg struct{ Err error }

// SubscribedMsg carries a new event stream; cancel ends it.
type SubscribedMsg struct {
	Events <-chan sandbox.Event
	cancel context.CancelFunc
	gen    int
}

// SubscribeErrMsg reports that the event stream could not be opened.
type SubscribeErrMsg struct {
	Err error
	gen int
}

// EventMsg is one cluster event read from the stream.
type EventMsg struct {
	Event sandbox.Event
	gen   int
}

// StreamClosedMsg reports that the event stream ended (the cluster went
// away or the connection broke).
type StreamClosedMsg struct{ gen int }

// TickMsg drives the slow status refresh and, while disconnected, the
// reconnect attempts.
type TickMsg struct{ gen int }

// ActionDoneMsg reports the end of a fault or membership operation.
type ActionDoneMsg struct {
	// What says what was done, e.g. "kill node 2".
	What string
	Err  error
}

// BenchDoneMsg carries the result of the short benchmark.
type BenchDoneMsg struct {
	Result *bench.Result
	Err    error
}

// MetricsMsg carries a commit-latency sample scraped from the nodes.
type MetricsMsg struct {
	Sample LatencySample
	Err    error
}
