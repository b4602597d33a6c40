// Package fanout defines an Analyzer that reports goroutines started in a
// loop whose results are not all received.
//
// # Analyzer fanout
//
// fanout: report fan-out with fewer receives than senders
//
// Starting one goroutine per item that sends its result on an unbuffered
// channel needs one receive per goroutine. When the receiver takes only the
// first result, or returns on the first error, the remaining senders block
// forever:
//
//	errc := make(chan error)
//	for _, u := range urls {
//		go func() { errc <- fetch(u) }()
//	}
//	for range urls {
//		if err := <-errc; err != nil {
//			return err // the other senders leak
//		}
//	}
//
// The suggested fix buffers the channel to the number of goroutines
// (make(chan error, len(urls))), so every send completes.
package fanout
