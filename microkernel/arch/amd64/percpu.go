package amd64

import (
	"sync/atomic"
	"unsafe"
)

// CPU is the part of a processor's per-CPU data that this package and its
// assembly use. The GS base of every CPU points at its CPU, whose first word
// is its own address, so ThisCPU is one load. Ring 3 can change the GS
// base (WRGSBASE, or loading a GS selector), so the trap path swaps GS
// (SWAPGS) on every entry from ring 3 and again on the way back
// (docs/smp.md).
type CPU struct {
	self uintptr
	// EOI is the address of the CPU's local APIC end-of-interrupt register.
	EOI uintptr
	// Ticks and Wakes count the local timer interrupts and wake-up IPIs the
	// CPU took while parked.
	Ticks, Wakes uint64
	// Index is the CPU's number in the kernel's CPU table (0 is the boot CPU).
	Index uint32
	// Space is the page-table root this CPU has loaded (SetSpace), which a
	// TLB shootdown reads to find the CPUs that may cache a space.
	Space uint64
	// tls is the block FS points at while the CPU runs kernel Go code
	// without a goroutine: Go's ABI wrappers read g from FS-8 (tls[0], nil).
	tls  [2]uint64
	desc Descriptors
	// The trap path's own state: traps being dispatched (runawayMsg is
	// printed when they nest too deep), and the stack syscallEntry
	// switches to with the caller's stack pointer while it does.
	trapDepth  uint64
	syscallTop uintptr
	syscallSP  uintptr
	// fxArea is the current trap's FX area; fxFull is 1 while it holds a
	// whole FXSAVE image rather than only the XMM registers (FullFX,
	// LoadedFX), and the exit path then loads it with FXRSTOR. fxScratch
	// is where FullFX saves, 16-byte aligned within it.
	fxArea    uintptr
	fxFull    uint64
	fxScratch [512 + 16]byte
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

// Run moves the calling AP from the parked CPUs' IDT to the kernel's, and
// points its SYSCALL at the trap path with the syscall stack below
// syscallTop: from then on it takes traps as the boot CPU does.
//
//go:nosplit
func (c *CPU) Run(syscallTop uintptr) {
	lidt(uintptr(unsafe.Pointer(&idtr)))
	Wrmsr(MSRKernelGSBase, 0)
	enableSyscall(c, syscallTop)
}

// SetSpace loads the page-table root cr3 on this CPU and records it.
//
//go:nosplit
func SetSpace(cr3 uint64) {
	WriteCR3(cr3)
	atomic.StoreUint64(&ThisCPU().Space, cr3)
}
