package consensus

import "sync"

// Hub delivers values to subscribers that may leave at any time, without
// ever blocking the publisher: a subscriber whose buffer is full misses the
// value. Unlike Fanout, which drops the oldest buffered value to make room
// for the newest, Hub keeps what a subscriber has buffered, so an event
// stream reads in order with gaps only at its end; and each subscription
// can be cancelled on its own. The zero value is ready to use.
type Hub[T any] struct {
	mu     sync.Mutex
	subs   map[chan T]struct{}
	closed bool
}

// Subscribe returns a channel with buf slots that receives every value
// published from now on, and a func that unsubscribes and closes it. The
// channel is also closed by Close, or at once if Close already ran.
func (h *Hub[T]) Subscribe(buf int) (<-chan T, func()) {
	ch := make(chan T, buf)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(ch)
		return ch, func() {}
	}
	if h.subs == nil {
		h.subs = map[chan T]struct{}{}
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

// Publish offers v to every subscriber; a full one misses it.
func (h *Hub[T]) Publish(v T) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- v:
		default:
		}
	}
}

// Close closes every subscription; later ones are born closed.
func (h *Hub[T]) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for ch := range h.subs {
		close(ch)
	}
	h.subs = nil
}
