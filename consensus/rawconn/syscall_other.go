//go:build !unix

package rawconn

import "syscall"

// supported is false: Wrap returns connections unchanged, Socket nil.
const supported = false

func readFD(uintptr, []byte) (int, error)    { return 0, syscall.EINVAL }
func writeOnce(uintptr, []byte) (int, error) { return 0, syscall.EINVAL }
