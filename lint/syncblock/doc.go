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
//   - Cond.Wait on a condition that nothing signals or broadcasts.
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
