// Package loopnoexit defines an Analyzer that reports goroutines whose
// blocking loop has no way out.
//
// # Analyzer loopnoexit
//
// loopnoexit: report goroutine loops with no exit
//
// A goroutine that loops over a select or a receive must have a way to stop:
// a ctx.Done or quit case that returns, a receive that notices a closed
// channel, a break out of the loop. Without one, the goroutine lives forever
// once its work stops, blocked on the channel:
//
//	go func() {
//		for {
//			select {
//			case job := <-jobs:
//				run(job)
//			case <-ctx.Done():
//				break // leaves the select, not the loop
//			}
//		}
//	}()
//
// A range over a ticker's channel (time.Tick, Ticker.C) counts as a loop
// with no exit: those channels are never closed.
package loopnoexit
