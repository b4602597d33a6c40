package a

import "context"

// Negatives: the sender selects on the stop signal too; the receiver only
// stops when the channel is closed; the sender stops the receiver itself
// after its sends; a buffered channel.

type server struct {
	reqs chan int
	quit chan struct{}
	jobs chan int
	buf  chan int
}

func (s *server) serve() {
	for {
		select {
		case <-s.reqs:
		case <-s.quit:
			return
		}
	}
}

func (s *server) submit(ctx context.Context, v int) error {
	select {
	case s.reqs <- v:
		return nil
	case <-s.quit:
		return context.Canceled
	}
}

// work ranges over jobs: it stops only when the senders close it.
func (s *server) work() {
	for range s.jobs {
	}
}

func (s *server) enqueue(v int) { s.jobs <- v }

func (s *server) drainBuf(ctx context.Context) {
	for {
		select {
		case <-s.buf:
		case <-ctx.Done():
			return
		}
	}
}

func (s *server) fill(v int) { s.buf <- v }

func startServer(ctx context.Context) *server {
	s := &server{reqs: make(chan int), quit: make(chan struct{}), jobs: make(chan int), buf: make(chan int, 4)}
	go s.serve()
	go s.submit(ctx, 1)
	go s.work()
	go s.enqueue(2)
	go s.drainBuf(ctx)
	go s.fill(3)
	return s
}

// runBatch starts its own loop, feeds it, then stops it: the stop comes
// after every send.
func runBatch(items []int) {
	in := make(chan int)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-in:
			case <-done:
				return
			}
		}
	}()
	for _, it := range items {
		in <- it
	}
	close(done)
}
