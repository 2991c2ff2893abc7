// Package dev holds the kernel's few built-in device drivers that must stay
// in ring 0: the QEMU exit port used by tests.
package dev

import "aramid/microkernel/arch/amd64"

// isa-debug-exit at port 0xf4: QEMU exits with status (value<<1)|1.
const debugExitPort = 0xf4

// Exit statuses the test harness sees (docs/testing.md).
const (
	ExitSuccess = 0 // QEMU status 1
	ExitFailure = 1 // QEMU status 3
)

// QEMUExit ends the virtual machine. Without the isa-debug-exit device it
// falls through, and the caller halts.
//
//go:nosplit
func QEMUExit(code uint8) {
	amd64.Outb(debugExitPort, code)
}
