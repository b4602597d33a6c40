// Package abandonedsend defines an Analyzer that reports goroutines that
// send on a channel whose only receiver can leave without receiving.
//
// # Analyzer abandonedsend
//
// abandonedsend: report senders abandoned by their receiver
//
// A goroutine that sends on an unbuffered channel blocks until someone
// receives. When the function that started it can return first (a select
// with a timeout, ctx.Done or default case, or an early return on error),
// the send never completes and the goroutine leaks:
//
//	ch := make(chan result)
//	go func() { ch <- compute() }() // leaks when ctx is done first
//	select {
//	case r := <-ch:
//		return r, nil
//	case <-ctx.Done():
//		return result{}, ctx.Err()
//	}
//
// Two more shapes leave a sender with no way out:
//
//   - the receiver ranges over the channel and can return (or break) from
//     inside the loop, while the goroutine can send more values than the
//     buffer holds;
//
//   - every receiver is a service loop's select that can take another case
//     and return (a quit channel, ctx.Done): a plain send made after the
//     loop has returned blocks forever. Send in a select with the same stop
//     signal.
//
// The analyzer follows the channel through closures, parameters, return
// values and struct fields within the package. It stays silent when the
// channel is buffered for every send the goroutine makes, or when the
// channel reaches code it cannot see.
//
// The suggested fix buffers the channel to the number of values the
// goroutine can send, so the send completes even when nobody receives.
package abandonedsend
