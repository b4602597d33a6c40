package rawconn

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// pair returns a wrapped client connection and the server's end of it,
// accepted through a wrapped listener.
func pair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	l := Listen(ln)
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	client = Wrap(c)
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	if supported {
		if _, ok := client.(*conn); !ok {
			t.Fatalf("Wrap returned %T", client)
		}
		if _, ok := server.(*conn); !ok {
			t.Fatalf("Accept returned %T", server)
		}
	}
	return client, server
}

// Both directions at once, each far larger than a socket buffer, so that
// writes fill the socket and wait, reads wait for data, and both run
// concurrently on one connection.
func TestCopyBothWays(t *testing.T) {
	a, b := pair(t)
	out := make([]byte, 2<<20)
	rand.Read(out)
	errc := make(chan error, 4)
	var gotA, gotB bytes.Buffer
	send := func(c net.Conn) {
		_, err := c.Write(out)
		errc <- err
	}
	recv := func(c net.Conn, into *bytes.Buffer) {
		_, err := io.CopyN(into, c, int64(len(out)))
		errc <- err
	}
	go send(a)
	go send(b)
	go recv(a, &gotA)
	go recv(b, &gotB)
	for range 4 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(gotA.Bytes(), out) || !bytes.Equal(gotB.Bytes(), out) {
		t.Fatal("data changed on the way")
	}
}

// A read past its deadline fails with the text a read of the connection
// itself gives, and is a timeout.
func TestDeadline(t *testing.T) {
	a, _ := pair(t)
	a.SetReadDeadline(time.Now().Add(-time.Second))
	_, want := a.(interface{ NetConn() net.Conn }).NetConn().Read(make([]byte, 1))
	_, err := a.Read(make([]byte, 1))
	if err == nil || want == nil || err.Error() != want.Error() || !os.IsTimeout(err) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v; the connection's own read: %v", err, want)
	}
	// A deadline in the future ends a read that waits.
	a.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := a.Read(make([]byte, 1)); !os.IsTimeout(err) {
		t.Fatalf("waiting read: %v, want a timeout", err)
	}
}

// The peer's close is io.EOF, its reset ECONNRESET, and a read waiting
// when the connection is closed here ends with net.ErrClosed.
func TestEndings(t *testing.T) {
	a, b := pair(t)
	b.Close()
	if _, err := a.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("after the peer closed: %v, want io.EOF", err)
	}

	a, b = pair(t)
	b.(interface{ NetConn() net.Conn }).NetConn().(*net.TCPConn).SetLinger(0)
	b.Close()
	_, err := a.Read(make([]byte, 1))
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("after a reset: %v, want ECONNRESET", err)
	}
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "read" {
		t.Fatalf("after a reset: %#v, want a read OpError", err)
	}
	// Writing to a reset connection fails too.
	if _, err := a.Write([]byte("x")); err == nil {
		t.Fatal("write after a reset succeeded")
	}

	a, _ = pair(t)
	done := make(chan error, 1)
	go func() {
		_, err := a.Read(make([]byte, 1))
		done <- err
	}()
	// Usually the read is waiting by then; if not, it starts on a closed
	// connection, which ends the same way.
	time.Sleep(20 * time.Millisecond)
	a.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read across Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end a waiting read")
	}
}
