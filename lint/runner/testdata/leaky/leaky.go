package leaky

import "context"

// First leaks its sender when ctx ends first.
func First(ctx context.Context) int {
	ch := make(chan int)
	go func() { ch <- 1 }()
	select {
	case v := <-ch:
		return v
	case <-ctx.Done():
		return 0
	}
}

// Second is suppressed with a reason.
func Second(ctx context.Context) int {
	ch := make(chan int)
	go func() { ch <- 2 }() //nolint:goroutine-leak // the caller never cancels ctx
	select {
	case v := <-ch:
		return v
	case <-ctx.Done():
		return 0
	}
}

// Third has a directive without a reason, which does not count.
func Third(ctx context.Context) int {
	ch := make(chan int)
	go func() { ch <- 3 }() //nolint:goroutine-leak
	select {
	case v := <-ch:
		return v
	case <-ctx.Done():
		return 0
	}
}

//nolint:abandonedsend // nothing to suppress here
func Clean() int { return 4 }
