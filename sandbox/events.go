package sandbox

import (
	"sync"
	"time"
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

// hub fans events out without letting a slow subscriber hold up the
// cluster: a full subscriber misses events.
type hub struct {
	mu     sync.Mutex
	subs   map[chan Event]struct{}
	closed bool
}

func (h *hub) subscribe(buf int) (<-chan Event, func()) {
	ch := make(chan Event, buf)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(ch)
		return ch, func() {}
	}
	if h.subs == nil {
		h.subs = map[chan Event]struct{}{}
	}
	h.subs[ch] = struct{}{}
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.subs[ch]; ok {
			delete(h.subs, ch)
			close(ch)
		}
	}
}

func (h *hub) publish(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- e:
		default:
		}
	}
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for ch := range h.subs {
		close(ch)
	}
	h.subs = nil
}
