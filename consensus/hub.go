package consensus

import "sync"

// Hub delivers values to subscribers that may leave at any time, without
// ever blocking the publisher (the apply loop). What a full subscription
// loses depends on KeepNewest:
//   - false (events): the new value is missed and what the subscriber has
//     buffered is kept, so the stream reads in order with gaps only at its
//     end;
//   - true (state updates): the oldest buffered value is dropped to make
//     room, so a slow subscriber always receives the newest value
//     eventually and sees gaps instead of stalling everyone.
//
// The zero value is ready to use.
type Hub[T any] struct {
	// KeepNewest is set before the first Subscribe.
	KeepNewest bool

	mu     sync.Mutex
	subs   map[chan T]struct{}
	closed bool
}

// Subscribe returns a channel with buf slots (at least one with
// KeepNewest) that receives every value published from now on, and a func
// that unsubscribes and closes it. The channel is also closed by Close, or
// at once if Close already ran.
func (h *Hub[T]) Subscribe(buf int) (<-chan T, func()) {
	if h.KeepNewest {
		buf = max(buf, 1)
	}
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

// Publish offers v to every subscriber (see KeepNewest for a full one).
func (h *Hub[T]) Publish(v T) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- v:
			continue
		default:
		}
		if !h.KeepNewest {
			continue
		}
		select { // full: drop the oldest, keep the newest
		case <-ch:
		default:
		}
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
