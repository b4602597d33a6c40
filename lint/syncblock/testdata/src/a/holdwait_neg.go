package a

import "sync"

// Negatives for hold and wait.

type hub struct {
	mu    sync.Mutex
	rw    sync.RWMutex
	in    chan int
	out   chan int
	ready chan struct{}
	n     int
}

// The receiver never touches mu: holding it while sending is slow, not a
// deadlock.
func (h *hub) put(v int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.in <- v
}

func (h *hub) drain() {
	for v := range h.in {
		h.n += v
	}
}

// The sender unlocks before it sends.
func (h *hub) emit(v int) {
	h.mu.Lock()
	h.n++
	h.mu.Unlock()
	h.out <- v
}

func (h *hub) collect() {
	for {
		h.mu.Lock()
		h.n--
		h.mu.Unlock()
		<-h.out
	}
}

// Readers on both sides: RLock does not exclude RLock.
func (h *hub) readWait() {
	h.rw.RLock()
	defer h.rw.RUnlock()
	<-h.ready
}

func (h *hub) readSignal() {
	h.rw.RLock()
	h.rw.RUnlock()
	h.ready <- struct{}{}
}

// A local buffered channel sent on once cannot fill up.
func (h *hub) single() int {
	res := make(chan int, 1)
	go func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		res <- h.n
	}()
	h.mu.Lock()
	h.mu.Unlock()
	return <-res
}

// The partner locked mu before it started the goroutine that holds mu and
// sends: it cannot be waiting for mu any more.
func (h *hub) startThenWait() {
	done := make(chan bool)
	h.mu.Lock()
	h.n = 0
	h.mu.Unlock()
	go func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		done <- true
	}()
	<-done
}

func startHub() *hub {
	h := &hub{in: make(chan int), out: make(chan int), ready: make(chan struct{})}
	go h.drain()
	go h.collect()
	go h.put(1)
	go h.emit(2)
	go h.readWait()
	go h.readSignal()
	go h.single()
	go h.startThenWait()
	return h
}

// Add inside the loop: each Wait waits for exactly the goroutine started.
func waitEach(items []int) {
	var wg sync.WaitGroup
	for range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
		}()
		wg.Wait()
	}
}

// Add(1) before the loop with a Wait after the loop.
func waitAfter(items []int) {
	var wg sync.WaitGroup
	wg.Add(len(items))
	for range items {
		go func() {
			defer wg.Done()
		}()
	}
	wg.Wait()
}

// Batches: a fresh WaitGroup per outer iteration, Wait after the inner loop.
func batches(groups [][]int) {
	for _, g := range groups {
		var wg sync.WaitGroup
		wg.Add(len(g))
		for range g {
			go wg.Done()
		}
		wg.Wait()
	}
}
