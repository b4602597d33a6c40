//go:build unix

package rawconn

import (
	"syscall"
	"unsafe"
)

const supported = true

// readFD is read(2) on a non-blocking socket, again when a signal
// interrupted it; it does not tell the scheduler (see the package doc).
func readFD(fd uintptr, p []byte) (int, error) {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		switch e {
		case 0:
			return int(n), nil
		case syscall.EINTR:
			continue
		}
		return 0, e
	}
}

// writeFD is write(2) on a non-blocking socket, as readFD.
func writeFD(fd uintptr, p []byte) (int, error) {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		switch e {
		case 0:
			return int(n), nil
		case syscall.EINTR:
			continue
		}
		return 0, e
	}
}
