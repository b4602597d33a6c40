package a

import (
	"context"
	"time"
)

type conn struct {
	cancel context.CancelFunc
}

// Close cancels from another goroutine's code path: ok.
func (c *conn) start() {
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go func() {
		<-ctx.Done()
	}()
}

func (c *conn) Close() { c.cancel() }

// the parent comes from the caller and may be cancelled: ok.
func watch(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	_ = cancel
	go func() {
		<-ctx.Done()
	}()
}

// a deadline ends the wait: ok.
func deadline() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	go func() {
		<-ctx.Done()
	}()
}

// cancel passed to another function: not followed, ok.
func handoff(register func(context.CancelFunc)) {
	ctx, cancel := context.WithCancel(context.Background())
	register(cancel)
	go func() { <-ctx.Done() }()
}
