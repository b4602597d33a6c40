package a

// Negatives: the receiver drains everything; the buffer holds every value
// the producer can send; the sender stops when the receiver leaves.

func drainAll(jobs []int) error {
	results := make(chan error)
	go func() {
		defer close(results)
		for _, j := range jobs {
			results <- check(j)
		}
	}()
	var first error
	for err := range results {
		if err != nil && first == nil {
			first = err
		}
	}
	return first
}

func bufferedForAll(jobs []int) error {
	results := make(chan error, len(jobs))
	go func() {
		defer close(results)
		for _, j := range jobs {
			results <- check(j)
		}
	}()
	for err := range results {
		if err != nil {
			return err
		}
	}
	return nil
}

func twoValues() int {
	vals := make(chan int, 1)
	go func() {
		defer close(vals)
		vals <- 1
		vals <- 2
	}()
	for v := range vals {
		if v > 0 {
			return v
		}
	}
	return 0
}

func stoppable(jobs []int) error {
	results := make(chan error)
	quit := make(chan struct{})
	defer close(quit)
	go func() {
		defer close(results)
		for _, j := range jobs {
			select {
			case results <- check(j):
			case <-quit:
				return
			}
		}
	}()
	for err := range results {
		if err != nil {
			return err
		}
	}
	return nil
}
