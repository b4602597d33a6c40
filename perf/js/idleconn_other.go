//go:build !unix

package js

import "net"

// idleConnAlive cannot peek at a socket here: the request finds out, and
// an idempotent one is retried on a new connection.
func idleConnAlive(net.Conn) bool { return true }
