//go:build unix

package js

import (
	"errors"
	"net"
	"syscall"

	"github.com/gocli/gocli/consensus/rawconn"
)

// idleConnAlive peeks at an idle connection's socket without blocking: a
// closed or reset connection reads EOF or an error at once, a live idle
// one has nothing to read (EAGAIN). Anything unexpected counts as dead.
func idleConnAlive(c net.Conn) bool {
	raw := rawconn.Socket(c)
	if raw == nil {
		return true // not a socket we can look at: let the request find out
	}
	alive := false
	var buf [1]byte
	err := raw.Read(func(fd uintptr) bool {
		// Data (n = 1) on an idle connection or EOF (n = 0) both mean
		// it cannot carry a new request.
		_, _, rerr := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		alive = errors.Is(rerr, syscall.EAGAIN) || errors.Is(rerr, syscall.EWOULDBLOCK)
		return true // never wait for readiness: this is a poll
	})
	return err == nil && alive
}
