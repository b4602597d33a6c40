package a

import (
	"context"
	"sync"
)

// buffered to the number of sends: ok.
func buffered(ctx context.Context) int {
	ch := make(chan int, 1)
	go func() { ch <- compute() }()
	select {
	case v := <-ch:
		return v
	case <-ctx.Done():
		return 0
	}
}

// always received: ok.
func always() int {
	ch := make(chan int)
	go func() { ch <- compute() }()
	return <-ch
}

// the sender selects on ctx.Done too: ok.
func senderSelects(ctx context.Context) int {
	ch := make(chan int)
	go func() {
		select {
		case ch <- compute():
		case <-ctx.Done():
		}
	}()
	select {
	case v := <-ch:
		return v
	case <-ctx.Done():
		return 0
	}
}

// received in a loop that only leaves after receiving: ok.
func loopUntilReceived(tick <-chan struct{}) int {
	ch := make(chan int)
	go func() { ch <- compute() }()
	for {
		select {
		case v := <-ch:
			return v
		case <-tick:
		}
	}
}

// a deferred receive drains the channel on every return: ok.
func deferredDrain(err error) error {
	ch := make(chan int)
	go func() { ch <- compute() }()
	defer func() { <-ch }()
	if err != nil {
		return err
	}
	return nil
}

// the channel is returned to the caller, who may receive: ok (not visible here).
func Start() <-chan int {
	ch := make(chan int)
	go func() { ch <- compute() }()
	return ch
}

// another goroutine receives: ok.
func otherReceiver(wg *sync.WaitGroup) {
	ch := make(chan int)
	go func() { ch <- compute() }()
	go func() { <-ch }()
}

// receive through a helper: ok.
func recvHelper(ch chan int) int { return <-ch }

func viaHelper() int {
	ch := make(chan int)
	go func() { ch <- compute() }()
	return recvHelper(ch)
}

// closed-then-ranged pattern with a collector: ok.
func collector(items []int) []int {
	out := make(chan int)
	go func() {
		defer close(out)
		for _, it := range items {
			out <- it
		}
	}()
	var got []int
	for v := range out {
		got = append(got, v)
	}
	return got
}

// receive first, then wait: ok.
func recvThenWait() int {
	ch := make(chan int)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ch <- compute()
	}()
	v := <-ch
	wg.Wait()
	return v
}
