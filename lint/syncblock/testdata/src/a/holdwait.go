package a

import "sync"

// Hold and wait: blocking on a channel while holding a mutex that every
// partner of the operation must take first.

type keeper struct {
	mu      sync.Mutex
	wake    chan struct{}
	active  int
	updates chan int
	done    chan struct{}
}

// wait blocks on wake while holding mu; notify takes mu before it sends.
func (k *keeper) wait() {
	k.mu.Lock()
	if k.active == 0 {
		<-k.wake // want `receive from wake blocks while holding k.mu .*every sender of wake first locks k.mu`
	}
	k.mu.Unlock()
}

func (k *keeper) notify() {
	k.mu.Lock()
	k.active++
	select {
	case k.wake <- struct{}{}:
	default:
	}
	k.mu.Unlock()
}

// publish sends while holding mu; the consumer loop takes mu between
// receives, so a second publish deadlocks with it.
func (k *keeper) publish(v int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.updates <- v // want `send on updates blocks while holding k.mu .*every receiver of updates first locks k.mu`
}

func (k *keeper) consume() {
	for {
		k.next()
	}
}

func (k *keeper) next() {
	<-k.updates
	k.record()
}

func (k *keeper) record() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.active--
}

// stop waits for the worker while holding mu, but the worker's loop locks
// mu before it can return and close done.
func (k *keeper) stop() {
	k.mu.Lock()
	defer k.mu.Unlock()
	close(k.updates)
	<-k.done // want `receive from done blocks while holding k.mu .*every sender of done first locks k.mu`
}

func (k *keeper) worker() {
	defer close(k.done)
	for range k.updates {
		k.record()
	}
}

func newKeeper() *keeper {
	k := &keeper{wake: make(chan struct{}), updates: make(chan int), done: make(chan struct{})}
	go k.worker()
	go k.consume()
	go k.wait()
	go k.notify()
	go k.publish(1)
	go k.stop()
	return k
}

// handler: a callback holding a local mutex sends; the receiver locks it
// before receiving.
func handler() {
	var mu sync.Mutex
	done := make(chan bool)
	cb := func() {
		mu.Lock()
		defer mu.Unlock()
		done <- true // want `send on done blocks while holding mu .*every receiver of done first locks mu`
	}
	go cb()
	mu.Lock()
	mu.Unlock()
	<-done
}

// queue sends through a buffered channel from a method; the consumer's
// callback, stored in a field by a constructor, takes the same mutex.
type tokens struct {
	mu     sync.Mutex
	keeper *ttl
}

type ttl struct {
	add      chan struct{}
	onExpire func()
}

func newTTL(onExpire func()) *ttl {
	t := &ttl{add: make(chan struct{}, 1), onExpire: onExpire}
	go t.run()
	return t
}

func (t *ttl) run() {
	for {
		<-t.add
		t.onExpire()
	}
}

func expirer(tk *tokens) func() {
	return func() {
		tk.mu.Lock()
		defer tk.mu.Unlock()
	}
}

func (tk *tokens) enable() { tk.keeper = newTTL(expirer(tk)) }

func (tk *tokens) assign() {
	tk.mu.Lock()
	tk.keeper.add <- struct{}{} // want `send on add blocks once the buffer is full while holding tk.mu`
	tk.mu.Unlock()
}

// waitInLoop waits inside the loop that starts the goroutines, but Add
// counted all of them before the loop.
func waitInLoop(items []int) {
	var wg sync.WaitGroup
	wg.Add(len(items))
	for range items {
		go func() {
			defer wg.Done()
		}()
		wg.Wait() // want `wg.Wait inside the loop that starts the goroutines blocks forever`
	}
}
