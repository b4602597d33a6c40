//go:build linux && (amd64 || arm64 || riscv64 || loong64)

package wal

import (
	"os"
	"syscall"
)

// writeBack writes the file range [off, off+n) to disk and waits for it
// (sync_file_range(2)), without the cache flush of an fdatasync. It is
// pacing only: the caller's fsync makes the file durable, so a file system
// that refuses the call loses nothing.
func writeBack(f *os.File, off, n int64) {
	const flags = 1 | 2 | 4 // SYNC_FILE_RANGE_WAIT_BEFORE | _WRITE | _WAIT_AFTER
	for {
		_, _, e := syscall.Syscall6(syscall.SYS_SYNC_FILE_RANGE, f.Fd(), uintptr(off), uintptr(n), flags, 0, 0)
		if e != syscall.EINTR {
			return
		}
	}
}
