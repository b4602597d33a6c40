package a

import "context"

// A request channel served by a loop that stops on a quit signal: a
// request sent after the loop returned blocks forever.

type node struct {
	status chan chan int
	stop   chan struct{}
}

func (n *node) Status() int {
	c := make(chan int)
	n.status <- c // want `send on unbuffered channel status blocks forever once its receiver run has returned`
	return <-c
}

func (n *node) run() {
	for {
		select {
		case c := <-n.status:
			c <- 1
		case <-n.stop:
			return
		}
	}
}

func (n *node) Stop() { n.stop <- struct{}{} }

func startNode() *node {
	n := &node{status: make(chan chan int), stop: make(chan struct{})}
	go n.run()
	go n.Status()
	go n.Stop()
	return n
}

// The receiver stops when its context is done.
type agent struct{ results chan int }

func (a *agent) loop(ctx context.Context) {
	for {
		select {
		case <-a.results:
		case <-ctx.Done():
			return
		}
	}
}

func (a *agent) report(v int) {
	a.results <- v // want `send on unbuffered channel results blocks forever once its receiver loop has returned`
}

func startAgent(ctx context.Context) {
	a := &agent{results: make(chan int)}
	go a.loop(ctx)
	go a.report(1)
}
