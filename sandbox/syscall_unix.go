package sandbox

import "syscall"

const syscallEADDRINUSE = syscall.EADDRINUSE
