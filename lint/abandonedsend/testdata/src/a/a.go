package a

import (
	"context"
	"errors"
	"sync"
	"time"
)

func compute() int { return 1 }

// Timeout: the select can take ctx.Done, abandoning the sender.
func timeout(ctx context.Context) int {
	ch := make(chan int)
	go func() {
		ch <- compute() // want `goroutine started at a.go:15 can block forever sending on unbuffered channel ch: timeout can return at a.go:22 without receiving`
	}()
	select {
	case v := <-ch:
		return v
	case <-ctx.Done():
		return 0
	}
}

// earlyReturn returns on error before receiving.
func earlyReturn(err error) int {
	ch := make(chan int)
	go func() {
		ch <- compute() // want `can block forever sending on unbuffered channel ch: earlyReturn can return`
	}()
	if err != nil {
		return 0
	}
	return <-ch
}

// timeAfter is the classic time.After race.
func timeAfter(d time.Duration) error {
	errc := make(chan error)
	go func() {
		errc <- errors.New("x") // want `sending on unbuffered channel errc`
	}()
	select {
	case err := <-errc:
		return err
	case <-time.After(d):
		return errors.New("timeout")
	}
}

// viaParam sends through a helper that receives the channel as a parameter.
func send(out chan<- int) { out <- compute() } // want `goroutine started at a.go:57 can block forever sending on unbuffered channel`

func viaParam(ctx context.Context) int {
	ch := make(chan int)
	go send(ch)
	select {
	case v := <-ch:
		return v
	case <-ctx.Done():
		return -1
	}
}

type job struct {
	done chan error
}

func (j *job) run() { j.done <- nil } // want `sending on unbuffered channel done`

func viaField(ctx context.Context) error {
	j := &job{done: make(chan error)}
	go j.run()
	select {
	case err := <-j.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// nobody receives at all.
func noReceiver() {
	ch := make(chan int)
	go func() { ch <- 1 }() // want `nothing receives from it`
}

// conditional sends: at most one per run, fix buffers to 1.
func twoBranches(ctx context.Context, ok bool) {
	ch := make(chan bool)
	go func() {
		if ok {
			ch <- true // want `sending on unbuffered channel ch`
			return
		}
		ch <- false // want `sending on unbuffered channel ch`
	}()
	select {
	case <-ch:
	case <-time.After(time.Second):
	}
}

type watcher struct {
	result chan int
}

// the result channel is sent on but never read.
func newWatcher(size int) *watcher {
	w := &watcher{result: make(chan int, size)}
	go w.process()
	return w
}

func (w *watcher) process() {
	w.result <- 1 // want `send on channel result blocks once its buffer is full: nothing receives from result`
}

// the spawner waits before it receives; the goroutine sends before Done.
func waitFirst() int {
	ch := make(chan int)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		ch <- compute() // want `waits on the WaitGroup at a.go:\d+ before receiving`
		wg.Done()
	}()
	wg.Wait()
	return <-ch
}
