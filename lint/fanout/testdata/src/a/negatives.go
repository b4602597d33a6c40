package a

import "sync"

// buffered to the number of goroutines: ok.
func buffered(urls []string) error {
	errc := make(chan error, len(urls))
	for _, u := range urls {
		go func() { errc <- fetch(u) }()
	}
	for range urls {
		if err := <-errc; err != nil {
			return err
		}
	}
	return nil
}

// every result is received: ok.
func gather(n int) int {
	ch := make(chan int)
	for i := 0; i < n; i++ {
		go func() { ch <- i }()
	}
	sum := 0
	for i := 0; i < n; i++ {
		sum += <-ch
	}
	return sum
}

// closed after a WaitGroup and ranged over: ok.
func collect(n int) []int {
	ch := make(chan int)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ch <- i
		}()
	}
	go func() {
		wg.Wait()
		close(ch)
	}()
	var out []int
	for v := range ch {
		out = append(out, v)
	}
	return out
}

// a fresh channel per iteration: ok here (abandonedsend's concern).
func perIteration(n int) {
	for i := 0; i < n; i++ {
		ch := make(chan int)
		go func() { ch <- i }()
		<-ch
	}
}
