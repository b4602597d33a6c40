package consensus

import "time"

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
