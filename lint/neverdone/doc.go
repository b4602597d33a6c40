// Package neverdone defines an Analyzer that reports goroutines waiting on
// a context that is never cancelled.
//
// # Analyzer neverdone
//
// neverdone: report waits on contexts nobody cancels
//
// A goroutine that waits for <-ctx.Done() on a context made with
// context.WithCancel leaks when the cancel function is never called: kept
// in a struct field and called only from a Close method nobody calls, or
// called only by the waiting goroutine itself after the wait. vet's
// lostcancel check covers cancel functions in local variables; this rule
// follows them through struct fields, closures and parameters.
//
//	func (r *Rows) init(ctx context.Context) {
//		ctx, r.cancel = context.WithCancel(ctx)
//		go r.awaitDone(ctx) // waits for a cancel that only awaitDone calls
//	}
//
//	func (r *Rows) awaitDone(ctx context.Context) {
//		<-ctx.Done()
//		r.close()
//	}
//
//	func (r *Rows) close() { r.cancel() }
//
// Contexts whose parent can be cancelled by the caller, and contexts with a
// deadline, are not reported.
package neverdone
