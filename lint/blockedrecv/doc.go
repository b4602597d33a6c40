// Package blockedrecv defines an Analyzer that reports receives that can
// never complete.
//
// # Analyzer blockedrecv
//
// blockedrecv: report receives with no sender or closer
//
// A receive blocks until a value is sent or the channel is closed. The
// analyzer reports three shapes:
//
//   - a range over a channel that nothing in the package closes: the loop
//     never ends, and the goroutine running it leaks once the senders stop;
//
//   - a receive on a channel that nothing sends on or closes;
//
//   - a receive whose only sender is a goroutine that can return without
//     sending (an early return on error, a missing send on one branch).
//
//     results := make(chan int)
//     for i := 0; i < n; i++ {
//     go func() { results <- work(i) }()
//     }
//     for r := range results { // never ends: nothing closes results
//     sum += r
//     }
//
// Channels that leave the package (passed to another package, stored in an
// exported field, returned from an exported function) are not reported: code
// the analyzer cannot see may close them.
package blockedrecv
