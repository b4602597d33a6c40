package a

import (
	"context"
	"time"
)

func handle(int) {}

// break inside select leaves the select, not the loop.
func breakInSelect(ctx context.Context, jobs <-chan int) {
	go func() {
		for { // want `goroutine started at a.go:12 never exits: this for loop has no return, break, ctx.Done or closed-channel path out`
			select {
			case j := <-jobs:
				handle(j)
			case <-ctx.Done():
				break
			}
		}
	}()
}

// a worker with no quit case at all.
type worker struct {
	ch chan int
}

func (w *worker) loop() {
	for { // want `goroutine started at a.go:36 never exits`
		handle(<-w.ch)
	}
}

func (w *worker) Start() {
	go w.loop()
}

// range over a ticker: its channel is never closed.
func poll() {
	go func() {
		for range time.Tick(time.Second) { // want `this range loop has no return`
			handle(0)
		}
	}()
}

func tickerLoop() {
	t := time.NewTicker(time.Second)
	go func() {
		for range t.C { // want `never exits`
			handle(1)
		}
	}()
}

// the quit channel exists but nothing closes it.
type pump struct {
	in   chan int
	quit chan struct{}
}

func newPump() *pump { return &pump{in: make(chan int), quit: make(chan struct{})} }

func (p *pump) start() {
	go func() {
		for { // want `can only leave through a select case on a channel that nothing reachable sends on or closes`
			select {
			case v := <-p.in:
				handle(v)
			case <-p.quit:
				return
			}
		}
	}()
}

func (p *pump) send(v int) { p.in <- v }
