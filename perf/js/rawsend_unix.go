//go:build unix

package js

import (
	"net"
	"syscall"
)

// rawSocket returns the socket under c (through wrappers that expose
// NetConn), or nil when c is not one the platform can reach.
func rawSocket(c net.Conn) syscall.RawConn {
	for {
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		c = u.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return raw
}

// rawWrite writes p to the non-blocking socket fd with system calls and
// returns how much of it the socket took without blocking; the caller
// writes the rest through the connection, which waits for room and
// reports an error in net's form.
func rawWrite(fd uintptr, p []byte) int {
	n := 0
	for n < len(p) {
		m, err := syscall.Write(int(fd), p[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil || m <= 0 {
			break
		}
		n += m
	}
	return n
}
