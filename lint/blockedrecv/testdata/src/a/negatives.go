package a

import (
	"context"
	"sync"
)

// closed by the producer: ok.
func produce(n int) int {
	out := make(chan int)
	go func() {
		defer close(out)
		for i := 0; i < n; i++ {
			out <- i
		}
	}()
	s := 0
	for v := range out {
		s += v
	}
	return s
}

// worker pool that closes its input and waits: ok.
func pool(items []int) {
	in := make(chan int)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range in {
				_ = it
			}
		}()
	}
	for _, it := range items {
		in <- it
	}
	close(in)
	wg.Wait()
}

// the sender sends on every path: ok.
func alwaysSends(fail bool) error {
	errc := make(chan error)
	go func() {
		if fail {
			errc <- context.Canceled
			return
		}
		errc <- nil
	}()
	return <-errc
}

// the sender closes on every path: ok.
func closesOnExit(fail bool) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if fail {
			return
		}
	}()
	<-done
}

// the channel leaves the package: not ours to judge.
func Handoff() chan int {
	ch := make(chan int)
	return ch
}

func useHandoff() int {
	return <-Handoff()
}

// select with a ctx.Done case: ok.
func waitCtx(ctx context.Context) {
	c := make(chan int)
	select {
	case <-c:
	case <-ctx.Done():
	}
}

// a receive that is closed through a struct field elsewhere: ok.
type server struct {
	quit chan struct{}
}

func newServer() *server { return &server{quit: make(chan struct{})} }

func (s *server) stop() { close(s.quit) }

func (s *server) serve() {
	<-s.quit
}
