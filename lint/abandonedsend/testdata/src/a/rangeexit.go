package a

import "context"

// The receiver ranges over the results but returns on the first error:
// the producer blocks on its next send.
func firstError(ctx context.Context, jobs []int) error {
	results := make(chan error)
	go func() {
		defer close(results)
		for _, j := range jobs {
			results <- check(j) // want `can return at rangeexit.go:\d+ from inside its range over results`
		}
	}()
	for err := range results {
		if err != nil {
			return err
		}
	}
	return nil
}

func check(j int) error { return nil }

// A small buffer does not help when the producer can send more.
func withCancel(ctx context.Context) int {
	vals := make(chan int, 2)
	go produce(vals)
	for v := range vals {
		select {
		case <-ctx.Done():
			return v
		default:
		}
	}
	return 0
}

func produce(out chan int) {
	defer close(out)
	for i := 0; i < 10; i++ {
		out <- i // want `can return at rangeexit.go:\d+ from inside its range over vals`
	}
}
