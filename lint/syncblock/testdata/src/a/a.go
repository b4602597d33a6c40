package a

import (
	"errors"
	"sync"
)

type store struct {
	mu sync.Mutex
	m  map[string]string
}

var errEmpty = errors.New("empty key")

// put forgets to unlock on the error path.
func (s *store) put(k, v string) error {
	s.mu.Lock()
	if k == "" {
		return errEmpty // want `this return leaves s.mu locked`
	}
	s.m[k] = v
	s.mu.Unlock()
	return nil
}

// get locks again through a helper while holding the lock.
func (s *store) get(k string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lookup(k) // want `s.mu is locked again by lookup while still held`
}

func (s *store) lookup(k string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[k]
}

// relock: locked twice on a loop path.
func (s *store) relock(keys []string) {
	for _, k := range keys {
		s.mu.Lock() // want `s.mu is locked again while still held`
		if k == "" {
			continue
		}
		s.mu.Unlock()
	}
}

type rw struct {
	mu sync.RWMutex
	n  int
}

// readTwice read-locks recursively through a method.
func (r *rw) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count() // want `r.mu is locked again by count`
}

func (r *rw) count() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.n
}

// lock-order inversion between two fields.
type bank struct {
	a, b sync.Mutex
}

func (k *bank) ab() {
	k.a.Lock()
	k.b.Lock() // want `lock-order inversion`
	k.b.Unlock()
	k.a.Unlock()
}

func (k *bank) ba() {
	k.b.Lock()
	k.a.Lock() // want `lock-order inversion`
	k.a.Unlock()
	k.b.Unlock()
}

// a wait group nobody calls Done on.
func waitForever() {
	var wg sync.WaitGroup
	wg.Add(1)
	wg.Wait() // want `wg.Wait blocks forever: wg.Add is called but nothing calls wg.Done`
}

// a goroutine that returns early without Done.
func skipDone(items []int) {
	var wg sync.WaitGroup
	for _, it := range items {
		wg.Add(1)
		go func() {
			if it < 0 {
				return // want `can return here without calling wg.Done`
			}
			wg.Done()
		}()
	}
	wg.Wait()
}

// a condition nobody signals.
type queue struct {
	mu    sync.Mutex
	cond  *sync.Cond
	items []int
}

func (q *queue) pop() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 {
		q.cond.Wait() // want `q.cond.Wait blocks forever: nothing in the package calls Signal or Broadcast`
	}
	x := q.items[0]
	q.items = q.items[1:]
	return x
}

type gossip struct {
	mu     sync.Mutex
	closed bool
}

// break leaves the loop with the lock held.
func (g *gossip) bootstrap() {
	for {
		g.mu.Lock() // want `g.mu can still be locked when bootstrap reaches its end`
		if g.closed {
			break
		}
		g.mu.Unlock()
	}
}

// a callback stored in a field locks the same mutex.
type lessor struct {
	mu sync.Mutex
	cp func()
}

func (l *lessor) checkpoint() {
	l.mu.Lock()
	defer l.mu.Unlock()
}

func (l *lessor) setCheckpointer(cp func()) { l.cp = cp }

func (l *lessor) renew() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cp != nil {
		l.cp() // want `l.mu is locked again by l.cp`
	}
}

func newLessor() *lessor {
	l := &lessor{}
	l.setCheckpointer(func() { l.checkpoint() })
	return l
}
