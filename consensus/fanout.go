package consensus

import "sync"

// Fanout delivers values to subscribers without ever blocking the sender
// (the apply loop): each subscription has a bounded buffer, and when it is
// full the oldest buffered value is dropped to make room, so a slow
// subscriber always receives the newest value eventually and sees gaps
// instead of stalling everyone. The zero value is ready to use.
type Fanout[T any] struct {
	mu     sync.Mutex
	subs   []chan T
	closed bool
}

// Subscribe returns a channel with the given capacity (at least 1) that
// receives every value published from now on. It is closed by Close, or
// at once if Close already ran.
func (f *Fanout[T]) Subscribe(capacity int) <-chan T {
	ch := make(chan T, max(capacity, 1))
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		close(ch)
		return ch
	}
	f.subs = append(f.subs, ch)
	return ch
}

// Publish offers v to every subscriber.
func (f *Fanout[T]) Publish(v T) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ch := range f.subs {
		select {
		case ch <- v:
		default:
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
}

// Close closes every subscription; later ones are born closed.
func (f *Fanout[T]) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return
	}
	f.closed = true
	for _, ch := range f.subs {
		close(ch)
	}
	f.subs = nil
}
