package a

import "errors"

func work(i int) int { return i }

// range over a channel nothing closes.
func sumAll(n int) int {
	results := make(chan int)
	for i := 0; i < n; i++ {
		go func() { results <- work(i) }()
	}
	sum := 0
	for r := range results { // want `range over results never ends: nothing closes results`
		sum += r
	}
	return sum
}

// workers ranging over a channel that is never closed.
func noCloseRange(list []int, workers int) {
	ch := make(chan int)
	for i := 0; i < workers; i++ {
		go func() {
			for item := range ch { // want `goroutine started at a.go:24 leaks: range over ch never ends`
				_ = item
			}
		}()
	}
	for _, item := range list {
		ch <- item
	}
}

// nothing sends at all.
func noSender() int {
	ch := make(chan int)
	return <-ch // want `receive from ch blocks forever: nothing sends on or closes ch`
}

// the sender can return early without sending.
func earlySenderReturn(fail bool) error {
	errc := make(chan error)
	go func() {
		if fail {
			return
		}
		errc <- errors.New("done")
	}()
	return <-errc // want `receive from errc can block forever: the goroutine started at a.go:44 can return at a.go:46 without sending on or closing errc`
}

type conn struct {
	done chan struct{}
}

// the field is received but nobody sends on or closes it.
func (c *conn) wait() {
	<-c.done // want `receive from done blocks forever`
}

func newConn() *conn { return &conn{done: make(chan struct{})} }

// a select on two channels nobody writes.
func deadSelect() {
	a, b := make(chan int), make(chan int)
	select { // want `select blocks forever`
	case <-a:
	case <-b:
	}
}

// operations on nil channels and an empty select in a goroutine.
func nilChans() {
	go func() {
		var c chan int
		<-c // want `receive from a nil channel blocks forever`
	}()
	go func() {
		var c chan int
		c <- 1 // want `send on a nil channel blocks forever`
	}()
	go func() {
		select {} // want `select \{\} blocks forever`
	}()
}
