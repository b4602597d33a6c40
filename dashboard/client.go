package dashboard

import (
	"context"
	"errors"
	"time"

	"github.com/gocli/gocli/sandbox"
)

// ControlClient is what the dashboard needs from a cluster: its status,
// its event stream and the fault and membership operations behind the
// keys. sandbox/control.Client satisfies it. Methods may be called from
// several goroutines at once (each tea.Cmd runs on its own).
type ControlClient interface {
	Status(ctx context.Context) (sandbox.Status, error)
	// Events streams cluster events until ctx ends or the cluster stops;
	// the channel is then closed.
	Events(ctx context.Context) (<-chan sandbox.Event, error)

	Kill(ctx context.Context, id uint64) error
	Restart(ctx context.Context, id uint64) error
	Pause(ctx context.Context, id uint64) error
	Resume(ctx context.Context, id uint64) error
	Delay(ctx context.Context, id uint64, latency, jitter time.Duration) error
	TransferLeader(ctx context.Context, id uint64) error
	AddNode(ctx context.Context) (sandbox.NodeSpec, error)
	RemoveNode(ctx context.Context, id uint64) error
	Partition(ctx context.Context, groups [][]uint64) error
	Heal(ctx context.Context) error
}

// ReadOnly is implemented by clients that cannot inject faults. The
// dashboard disables its fault keys for them and shows the reason.
type ReadOnly interface {
	ReadOnlyReason() string
}

// ErrReadOnly is returned by the fault methods of a read-only client.
var ErrReadOnly = errors.New("read-only: fault injection needs a gocli sandbox")

// ErrNoEvents is returned by Events when a source has no event stream;
// the dashboard then derives leader changes from status refreshes.
var ErrNoEvents = errors.New("no event stream")
