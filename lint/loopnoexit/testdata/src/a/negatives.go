package a

import (
	"context"
	"time"
)

// ctx.Done returns: ok.
func withCtx(ctx context.Context, jobs <-chan int) {
	go func() {
		for {
			select {
			case j := <-jobs:
				handle(j)
			case <-ctx.Done():
				return
			}
		}
	}()
}

// labelled break leaves the loop: ok.
func labelled(quit <-chan struct{}, jobs <-chan int) {
	go func() {
	loop:
		for {
			select {
			case j := <-jobs:
				handle(j)
			case <-quit:
				break loop
			}
		}
	}()
}

// range over a channel the caller may close: ok here (blockedrecv judges it).
func rangeParam(jobs <-chan int) {
	go func() {
		for j := range jobs {
			handle(j)
		}
	}()
}

// comma-ok receive that notices close: ok.
func commaOk(jobs <-chan int) {
	go func() {
		for {
			j, ok := <-jobs
			if !ok {
				return
			}
			handle(j)
		}
	}()
}

// ticker with a stop channel: ok.
func tickerStop(stop <-chan struct{}) {
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				handle(2)
			case <-stop:
				return
			}
		}
	}()
}

// time.After in a loop that exits: ok.
func afterLoop(ctx context.Context) {
	go func() {
		for i := 0; i < 3; i++ {
			select {
			case <-time.After(time.Millisecond):
			case <-ctx.Done():
				return
			}
		}
	}()
}

// an infinite loop that is not run as a goroutine is not this rule's concern.
func mainLoop(jobs <-chan int) {
	for {
		handle(<-jobs)
	}
}

// the quit channel is closed by stop: ok.
type pump2 struct {
	in   chan int
	quit chan struct{}
}

func newPump2() *pump2 { return &pump2{in: make(chan int), quit: make(chan struct{})} }

func (p *pump2) start() {
	go func() {
		for {
			select {
			case v := <-p.in:
				handle(v)
			case <-p.quit:
				return
			}
		}
	}()
}

func (p *pump2) stop() { close(p.quit) }
