package consensus

import (
	"sync"
	"time"
)

// EventType names what changed.
type EventType string

// Event types.
const (
	EventLeaderChanged     EventType = "leader_changed"
	EventTermChanged       EventType = "term_changed"
	EventMembershipChanged EventType = "membership_changed"
	EventStopped           EventType = "stopped"
)

// Event is a change observed by a node.
type Event struct {
	Type    EventType `json:"type"`
	Node    uint64    `json:"node"`
	Term    uint64    `json:"term"`
	Leader  uint64    `json:"leader"`
	Members []Member  `json:"members,omitempty"`
	Time    time.Time `json:"time"`
}

// eventHub fans events out to subscribers without blocking the run loop:
// a subscriber whose buffer is full misses the event (Dropped counts it).
type eventHub struct {
	mu      sync.Mutex
	subs    map[chan Event]struct{}
	dropped uint64
	closed  bool
}

func (h *eventHub) subscribe(buf int) (<-chan Event, func()) {
	if buf <= 0 {
		buf = 64
	}
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

func (h *eventHub) publish(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- e:
		default:
			h.dropped++
		}
	}
}

func (h *eventHub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for ch := range h.subs {
		close(ch)
	}
	h.subs = nil
}
