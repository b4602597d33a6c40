package kv

import (
	"bytes"
	"context"
	"sort"
	"sync"
)

// maxPending bounds the events queued for one watcher. A watcher that
// falls this far behind is cancelled with ErrWatcherLagging instead of
// holding back the apply loop or growing without bound; its owner
// re-watches from the last revision it saw.
const maxPending = 64 << 10

type watcher struct {
	key, end []byte
	prevKV   bool
	noPut    bool
	noDelete bool
	out      chan WatchResponse

	mu      sync.Mutex
	pending []Event
	lastRev int64
	err     error // set when cancelled
	notify  chan struct{}
}

func (w *watcher) matches(key []byte) bool {
	switch {
	case len(w.end) == 0:
		return bytes.Equal(key, w.key)
	case len(w.end) == 1 && w.end[0] == 0:
		return bytes.Compare(key, w.key) >= 0
	default:
		return bytes.Compare(key, w.key) >= 0 && bytes.Compare(key, w.end) < 0
	}
}

func (w *watcher) push(evs []Event, rev int64) {
	w.mu.Lock()
	if w.err == nil {
		for _, ev := range evs {
			if (ev.Type == EventPut && w.noPut) || (ev.Type == EventDelete && w.noDelete) {
				continue
			}
			if w.matches(ev.Kv.Key) {
				if !w.prevKV {
					ev.PrevKv = nil
				}
				w.pending = append(w.pending, ev)
			}
		}
		if len(w.pending) > maxPending {
			w.err = ErrWatcherLagging
			w.pending = nil
		}
		w.lastRev = rev
	}
	w.mu.Unlock()
	select {
	case w.notify <- struct{}{}:
	default:
	}
}

func (w *watcher) cancel(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
	select {
	case w.notify <- struct{}{}:
	default:
	}
}

// Watch streams changes to a key range, starting with the history since
// StartRevision (kept back to the last compaction). Events are delivered
// in revision order. The channel is closed when ctx ends or the watch is
// cancelled (the last response then has Canceled and Err set).
func (s *Store) Watch(ctx context.Context, req WatchRequest) (<-chan WatchResponse, error) {
	if len(req.Key) == 0 {
		return nil, ErrEmptyKey
	}
	w := &watcher{key: req.Key, end: req.RangeEnd, prevKV: req.PrevKv, noPut: req.NoPut, noDelete: req.NoDelete,
		out: make(chan WatchResponse, 16), notify: make(chan struct{}, 1)}
	s.mu.RLock()
	if req.StartRevision > 0 && req.StartRevision < s.compactRev {
		compact := s.compactRev
		s.mu.RUnlock()
		ch := make(chan WatchResponse, 1)
		ch <- WatchResponse{Header: Header{Revision: s.Revision()}, Canceled: true, Err: ErrCompacted, CompactRevision: compact}
		close(ch)
		return ch, nil
	}
	var hist []Event
	if req.StartRevision > 0 && req.StartRevision <= s.rev {
		s.visit(req.Key, req.RangeEnd, func(it keyHistory) bool {
			h := it.hist
			for i, e := range h {
				if e.Main < req.StartRevision {
					continue
				}
				var prev *KeyValue
				if i > 0 {
					prev = h[i-1].KV
				}
				if e.KV != nil {
					hist = append(hist, Event{Type: EventPut, Kv: e.KV, PrevKv: prev})
				} else if prev != nil {
					hist = append(hist, Event{Type: EventDelete, Kv: &KeyValue{Key: []byte(it.key), ModRevision: e.Main}, PrevKv: prev})
				}
			}
			return true
		})
		sort.SliceStable(hist, func(i, j int) bool { return hist[i].Kv.ModRevision < hist[j].Kv.ModRevision })
	}
	rev := s.rev
	// Register under the read lock: no apply can slip between the history
	// scan and registration, so nothing is missed or repeated.
	s.watchMu.Lock()
	s.watchers[w] = struct{}{}
	s.watchMu.Unlock()
	if len(hist) > 0 {
		w.push(hist, rev)
	}
	s.mu.RUnlock()
	go s.serveWatcher(ctx, w)
	return w.out, nil
}

// serveWatcher moves a watcher's pending events to its channel; it ends
// when ctx ends or the watcher is cancelled.
func (s *Store) serveWatcher(ctx context.Context, w *watcher) {
	defer func() {
		s.watchMu.Lock()
		delete(s.watchers, w)
		s.watchMu.Unlock()
		close(w.out)
	}()
	for {
		w.mu.Lock()
		evs, err, rev := w.pending, w.err, w.lastRev
		w.pending = nil
		w.mu.Unlock()
		if len(evs) > 0 {
			// Split so that one response holds whole revisions only.
			select {
			case w.out <- WatchResponse{Header: Header{Revision: rev}, Events: evs}:
			case <-ctx.Done():
				return
			case <-s.closed:
				return
			}
		}
		if err != nil {
			select {
			case w.out <- WatchResponse{Header: Header{Revision: rev}, Canceled: true, Err: err}:
			case <-ctx.Done():
			case <-s.closed:
			}
			return
		}
		if len(evs) > 0 {
			continue
		}
		select {
		case <-w.notify:
		case <-ctx.Done():
			return
		case <-s.closed:
			return
		}
	}
}

func (s *Store) notify(evs []Event) {
	rev := evs[len(evs)-1].Kv.ModRevision
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	for w := range s.watchers {
		w.push(evs, rev)
	}
}

func (s *Store) cancelWatchers(err error) {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	for w := range s.watchers {
		w.cancel(err)
	}
}

// closeWatchers ends every watch: the server calls it on stop. A watcher
// whose consumer still reads gets a final Canceled response; one that does
// not read is closed anyway.
func (s *Store) closeWatchers(err error) {
	s.cancelWatchers(err)
	s.closeMu.Do(func() { close(s.closed) })
}
