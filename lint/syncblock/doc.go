// Package syncblock defines an Analyzer that reports goroutines that can
// block forever on sync primitives.
//
// # Analyzer syncblock
//
// syncblock: report locks and waits that can never be released
//
// The analyzer follows each Lock, RLock and WaitGroup.Wait along the
// control-flow paths of its function (and into the package's functions it
// calls, mapping receivers and parameters) and reports:
//
//   - a mutex locked again while it is still held, directly, through a
//     called function, or around a loop (Go's mutexes are not reentrant, and
//     a recursive RLock deadlocks as soon as a writer waits);
//
//   - a return that leaves a mutex locked when other paths unlock it, so the
//     next Lock blocks forever;
//
//   - two mutexes taken in opposite orders in different places (lock-order
//     inversion: two goroutines can each hold one and wait for the other);
//
//   - WaitGroup.Wait with no Done for its Add, or a goroutine that can
//     return without calling Done;
//
//   - Cond.Wait on a condition that nothing signals or broadcasts;
//
//   - a WaitGroup.Wait inside the loop that starts the goroutines, when the
//     Add before the loop counted all of them;
//
//   - hold and wait: a send or receive that blocks while a mutex is held,
//     when every goroutine that could complete it (the receivers of a send,
//     the senders and closers of a receive) takes that mutex on its way
//     there, including through the package's functions, closures and
//     callbacks stored in fields. The holder waits for the partner, the
//     partner for the mutex.
//
//     func (s *Store) Put(k, v string) error {
//     s.mu.Lock()
//     if k == "" {
//     return errEmptyKey // s.mu stays locked
//     }
//     s.m[k] = v
//     s.mu.Unlock()
//     return nil
//     }
//
// The suggested fix for a return that leaves a mutex locked unlocks it just
// before that return.
package syncblock
