package hosting

import (
	"syscall"

	"aramid/lib/linux"
)

// WaitWord blocks the calling kernel goroutine's thread while the 32-bit
// word at addr still holds val, through this package's own futex. It may
// return early; callers re-check their condition in a loop. Unlike the rest
// of the package it runs as ordinary Go, outside the trap path.
func WaitWord(addr uintptr, val uint32) {
	syscall.Syscall6(syscall.SYS_FUTEX, addr, linux.FUTEX_WAIT|linux.FUTEX_PRIVATE_FLAG, uintptr(val), 0, 0, 0)
}
