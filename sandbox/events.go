package sandbox

import (
	"time"

	"github.com/gocli/gocli/consensus"
)

// EventType names a cluster event.
type EventType string

// Event types, as served on the control API's event stream.
const (
	EventLeaderElected     EventType = "leader_elected"
	EventTermChanged       EventType = "term_changed"
	EventNodeDown          EventType = "node_down"
	EventNodeUp            EventType = "node_up"
	EventFaultApplied      EventType = "fault_applied"
	EventFaultHealed       EventType = "fault_healed"
	EventMembershipChanged EventType = "membership_changed"
)

// Event is one change in a cluster.
type Event struct {
	Type EventType `json:"type"`
	// Node is the node concerned (the new leader for leader_elected).
	Node uint64 `json:"node,omitempty"`
	Term uint64 `json:"term,omitempty"`
	// Detail says what happened in words, e.g. "partition 1,2 | 3".
	Detail string    `json:"detail,omitempty"`
	Time   time.Time `json:"time"`
}

// hub is the cluster's event stream: a consensus.Hub, so a slow subscriber
// misses events rather than hold up the cluster, that stamps each event with
// the time it was published.
type hub struct{ consensus.Hub[Event] }

func (h *hub) publish(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	h.Publish(e)
}
