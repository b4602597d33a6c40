//go:build !unix

package js

import (
	"net"
	"syscall"
)

// rawSocket returns nil: requests are flushed and read the ordinary way.
func rawSocket(net.Conn) syscall.RawConn { return nil }

// rawWrite is never called without a raw socket.
func rawWrite(uintptr, []byte) int { return 0 }
