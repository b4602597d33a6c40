//go:build unix

package js

import (
	"net"
	"syscall"
	"unsafe"
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
		m, err := rawWriteCall(fd, p[n:])
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

// rawWriteCall is write(2) without telling the scheduler: the socket is
// non-blocking, so the call cannot block, and a P held through it is not
// handed to another thread (which costs a wake-up) when the kernel's
// loopback path takes a while.
func rawWriteCall(fd uintptr, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if e != 0 {
		return int(n), e
	}
	return int(n), nil
}
