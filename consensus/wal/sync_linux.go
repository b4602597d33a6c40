package wal

import (
	"os"
	"syscall"
)

// fdatasync flushes file data and the metadata needed to read it back (the
// size), skipping timestamps: cheaper than fsync for an append-only log.
func fdatasync(f *os.File) error {
	return syscall.Fdatasync(int(f.Fd()))
}
