//go:build !unix

package rawconn

import "syscall"

// supported is false: Wrap returns connections unchanged.
const supported = false

func readFD(uintptr, []byte) (int, error)  { return 0, syscall.EINVAL }
func writeFD(uintptr, []byte) (int, error) { return 0, syscall.EINVAL }
