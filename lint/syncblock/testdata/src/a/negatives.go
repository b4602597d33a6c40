package a

import "sync"

type counter struct {
	mu sync.Mutex
	n  int
}

// defer unlock: ok.
func (c *counter) inc() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
}

// unlock on every path: ok.
func (c *counter) add(d int) bool {
	c.mu.Lock()
	if d < 0 {
		c.mu.Unlock()
		return false
	}
	c.n += d
	c.mu.Unlock()
	return true
}

// a lock helper that intentionally returns locked: ok.
func (c *counter) lock() { c.mu.Lock() }

// consistent lock order: ok.
type pair struct{ x, y sync.Mutex }

func (p *pair) one() {
	p.x.Lock()
	p.y.Lock()
	p.y.Unlock()
	p.x.Unlock()
}

func (p *pair) two() {
	p.x.Lock()
	defer p.x.Unlock()
	p.y.Lock()
	defer p.y.Unlock()
}

// wait group with deferred Done: ok.
func fanIn(n int) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				return
			}
		}()
	}
	wg.Wait()
}

// condition with a signaller: ok.
type box struct {
	mu   sync.Mutex
	cond *sync.Cond
	v    int
}

func (b *box) wait() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.v == 0 {
		b.cond.Wait()
	}
	return b.v
}

func (b *box) set(v int) {
	b.mu.Lock()
	b.v = v
	b.mu.Unlock()
	b.cond.Broadcast()
}

// lock, unlock, lock again in sequence: ok.
func (c *counter) twice() {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
}
