// Package rawconn wraps TCP connections so that their reads and writes
// are raw system calls made inside the socket's syscall.RawConn.
//
// A read or write of a net.Conn enters the kernel through package
// syscall, which tells the scheduler the call may block. The runtime's
// monitor thread looks at processors in such calls every 20 µs while it
// keeps finding some, and hands each one whose call has lasted a tick to
// another thread (a futex wake and a context switch, and another when the
// call returns). A node serving many small requests over loopback is in
// such calls most of the time: three sandbox nodes serving 20000
// linearizable reads made 30000 nanosleeps of that monitor thread and
// 88000 context switches. The sockets are non-blocking, so a raw call
// never blocks; waiting for readiness stays with the runtime's poller, as
// for any net.Conn. Deadlines, Close and errors behave as for the
// connection itself.
package rawconn

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
)

// Wrap returns c with raw reads and writes, or c itself where the
// platform or the connection gives no raw socket.
func Wrap(c net.Conn) net.Conn {
	raw := socketOf(c)
	if raw == nil {
		return c
	}
	w := &conn{Conn: c, raw: raw}
	w.rfn, w.wfn = w.read, w.write
	return w
}

// Socket returns the socket under c, through wrappers that expose
// NetConn (this package's among them), or nil where the platform or the
// connection gives none.
func Socket(c net.Conn) syscall.RawConn {
	for {
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		c = u.NetConn()
	}
	return socketOf(c)
}

// socketOf returns c's own socket, or nil where the platform or c gives
// none.
func socketOf(c net.Conn) syscall.RawConn {
	if !supported {
		return nil
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

// WriteFD writes p to the non-blocking socket fd, inside a callback of
// its syscall.RawConn, with raw system calls as far as the socket takes
// it: it returns how much went and the error that stopped it short
// (syscall.EAGAIN: the socket is full).
func WriteFD(fd uintptr, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := writeOnce(fd, p[n:])
		if err != nil {
			return n, err
		}
		n += m
	}
	return n, nil
}

// Listen returns l with every accepted connection wrapped.
func Listen(l net.Listener) net.Listener { return listener{l} }

type listener struct{ net.Listener }

func (l listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return Wrap(c), nil
}

type conn struct {
	net.Conn
	raw syscall.RawConn

	// One read and one write at a time, as net serialises them; the
	// callbacks are made once, since a closure per call would allocate.
	rmu  sync.Mutex
	rfn  func(fd uintptr) bool
	rp   []byte
	rn   int
	rerr error
	wmu  sync.Mutex
	wfn  func(fd uintptr) bool
	wp   []byte
	wn   int
	werr error
}

// SyscallConn gives the socket, for socket options.
func (c *conn) SyscallConn() (syscall.RawConn, error) { return c.raw, nil }

// NetConn returns the wrapped connection.
func (c *conn) NetConn() net.Conn { return c.Conn }

func (c *conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.rmu.Lock()
	defer c.rmu.Unlock()
	c.rp, c.rn, c.rerr = p, 0, nil
	err := c.raw.Read(c.rfn)
	c.rp = nil
	switch {
	case err != nil:
		return 0, c.opError("read", unwrapRaw(err))
	case c.rerr != nil:
		return 0, c.opError("read", os.NewSyscallError("read", c.rerr))
	case c.rn == 0:
		return 0, io.EOF
	}
	return c.rn, nil
}

// read is the raw read's callback: false (wait for the socket, then call
// again) while there is nothing to read.
func (c *conn) read(fd uintptr) bool {
	n, err := readFD(fd, c.rp)
	if err == syscall.EAGAIN {
		return false
	}
	c.rn, c.rerr = n, err
	return true
}

func (c *conn) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wp, c.wn, c.werr = p, 0, nil
	err := c.raw.Write(c.wfn)
	n := c.wn
	c.wp = nil
	switch {
	case c.werr != nil:
		return n, c.opError("write", os.NewSyscallError("write", c.werr))
	case err != nil:
		return n, c.opError("write", unwrapRaw(err))
	}
	return n, nil
}

// write is the raw write's callback: it writes what the socket takes and
// returns false (wait for room, then call again) until all of it went.
func (c *conn) write(fd uintptr) bool {
	n, err := WriteFD(fd, c.wp[c.wn:])
	c.wn += n
	if err == syscall.EAGAIN {
		return false
	}
	c.werr = err
	return true
}

// unwrapRaw takes the raw read's or write's own error (a deadline, a
// closed connection) out of its "raw-read"/"raw-write" OpError.
func unwrapRaw(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Err
	}
	return err
}

// opError is err as a read or write of the connection reports it.
func (c *conn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}
