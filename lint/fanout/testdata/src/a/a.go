package a

func fetch(u string) error { return nil }

// first error wins, the rest leak.
func all(urls []string) error {
	errc := make(chan error)
	for _, u := range urls {
		go func() { errc <- fetch(u) }() // want `goroutines started in a loop at a.go:9 send on unbuffered channel errc, but the receive loop at a.go:12 can stop early \(at a.go:13\)`
	}
	for range urls {
		if err := <-errc; err != nil {
			return err
		}
	}
	return nil
}

// only the first result is taken.
func first(n int) int {
	ch := make(chan int)
	for i := 0; i < n; i++ {
		go func() { ch <- i }() // want `but it is received from only once`
	}
	return <-ch
}

// results nobody reads.
func fireAndForget(items []int) {
	done := make(chan bool)
	for range items {
		go func() { done <- true }() // want `nothing receives from it`
	}
}
