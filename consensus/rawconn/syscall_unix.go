//go:build unix

package rawconn

import (
	"syscall"
	"unsafe"
)

const supported = true

func readFD(fd uintptr, p []byte) (int, error) { return rawRW(syscall.SYS_READ, fd, p) }

func writeOnce(fd uintptr, p []byte) (int, error) { return rawRW(syscall.SYS_WRITE, fd, p) }

// rawRW is read(2) or write(2) (trap) on a non-blocking socket, again when
// a signal interrupted it; it does not tell the scheduler (see the
// package doc). p is not empty.
func rawRW(trap, fd uintptr, p []byte) (int, error) {
	for {
		n, _, e := syscall.RawSyscall(trap, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		switch e {
		case 0:
			return int(n), nil
		case syscall.EINTR:
			continue
		}
		return 0, e
	}
}
