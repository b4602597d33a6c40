package a

import "context"

type rows struct {
	cancel context.CancelFunc
}

// the only cancel happens in the waiting goroutine, after the wait.
func (r *rows) init() {
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go r.awaitDone(ctx)
}

func (r *rows) awaitDone(ctx context.Context) {
	<-ctx.Done() // want `goroutine started at a.go:13 blocks forever on ctx.Done\(\): nothing else cancels the context made at a.go:11`
	r.close()
}

func (r *rows) close() { r.cancel() }

// a cancel nobody calls.
type tx struct {
	ctx    context.Context
	cancel context.CancelFunc
}

func begin() *tx {
	ctx, cancel := context.WithCancel(context.Background())
	t := &tx{ctx: ctx, cancel: cancel}
	go t.await()
	return t
}

func (t *tx) await() {
	<-t.ctx.Done() // want `blocks forever on ctx.Done\(\)`
}

// a closure waits on a context whose cancel is dropped.
func forgotten() {
	ctx, cancel := context.WithCancel(context.Background())
	_ = cancel
	go func() {
		<-ctx.Done() // want `blocks forever on ctx.Done\(\)`
	}()
}
