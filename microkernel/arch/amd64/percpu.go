package amd64

import "unsafe"

// CPU is the part of a processor's per-CPU data that this package and its
// assembly use. The GS base of every CPU points at its CPU, whose first word
// is its own address, so ThisCPU is one load. Ring 0 never loads a GS
// selector and CR4.FSGSBASE is off, but ring 3 can still load one and so
// change the base: nothing on the boot CPU's trap path reads GS until that
// path swaps GS on entry from ring 3 (docs/smp.md).
type CPU struct {
	self uintptr
	// EOI is the address of the CPU's local APIC end-of-interrupt register.
	EOI uintptr
	// Ticks and Wakes count the local timer interrupts and wake-up IPIs the
	// CPU took while parked.
	Ticks, Wakes uint64
	// Index is the CPU's number in the kernel's CPU table (0 is the boot CPU).
	Index uint32
	// tls is the block FS points at while the CPU runs kernel Go code
	// without a goroutine: Go's ABI wrappers read g from FS-8 (tls[0], nil).
	tls  [2]uint64
	desc Descriptors
}

// SetThisCPU points this CPU's GS base at c.
//
//go:nosplit
func SetThisCPU(c *CPU) {
	c.self = uintptr(unsafe.Pointer(c))
	Wrmsr(MSRGSBase, uint64(c.self))
}

// ThisCPU returns the CPU data of the processor it runs on (GS:0).
func ThisCPU() *CPU

// Load loads c's GDT and TSS, whose IST entries are ist, and the parked
// CPUs' IDT, on the CPU that calls it.
//
//go:nosplit
func (c *CPU) Load(ist *[ISTCount]uintptr) {
	c.desc.Load(ist)
	lidt(uintptr(unsafe.Pointer(&apIDTR)))
}
