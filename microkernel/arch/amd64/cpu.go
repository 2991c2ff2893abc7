// Package amd64 is the only place where the kernel touches the processor
// directly: port I/O, control registers and MSRs, the GDT, TSS and IDT, and
// the trap path that every interrupt, exception and system call enters by.
// All of its assembly lives in this package.
package amd64

// Port I/O, control registers and MSRs, implemented in cpu_amd64.s.
func Outb(port uint16, val uint8)
func Inb(port uint16) uint8
func Outl(port uint16, val uint32)
func Inl(port uint16) uint32
func ReadCR2() uint64
func ReadCR3() uint64
func ReadCR0() uint64
func ReadCR4() uint64
func WriteCR3(v uint64)
func Invlpg(va uintptr)
func readCR4() uint64
func writeCR4(v uint64)
func Rdmsr(msr uint32) uint64
func Wrmsr(msr uint32, val uint64)
func Rdtsc() uint64
func Rdrand() (v uint64, ok bool)
func Cpuid(leaf, sub uint32) (a, b, c, d uint32)

// Stop halts the processor for good, with interrupts disabled.
func Stop()

// Halt enables interrupts, waits for one, and disables them again.
func Halt()

func lgdt(p uintptr)
func lidt(p uintptr)
func ltr(sel uint16)

// Entry points whose addresses are taken in assembly.
//
//lint:ignore U1000 referenced from assembly
func idleLoop()

//lint:ignore U1000 referenced from assembly
func trapCommon()

//lint:ignore U1000 referenced from assembly
func trapSwapped()

//lint:ignore U1000 referenced from assembly
func syscallEntry()

// Addresses of assembly entry points, taken in assembly so that they are the
// real code addresses rather than Go ABI wrappers.
var (
	idleLoopAddr     uintptr
	syscallEntryAddr uintptr
	vectorStubs      [256]uintptr
)

// Model-specific registers used by the kernel.
const (
	MSREFER   = 0xC0000080
	MSRSTAR   = 0xC0000081
	MSRLSTAR  = 0xC0000082
	MSRFMASK  = 0xC0000084
	MSRFSBase = 0xC0000100
	MSRGSBase = 0xC0000101
	// MSRKernelGSBase is the GS base SWAPGS exchanges with MSRGSBase.
	MSRKernelGSBase = 0xC0000102
)

// IdleRIP is where the idle thread runs: a loop of STI; HLT.
func IdleRIP() uint64 { return uint64(idleLoopAddr) }

// Idle becomes the calling CPU's idle thread: STI; HLT for ever, on the
// caller's stack, with every interrupt taken through the trap path.
//
//go:nosplit
func Idle() { idleLoop() }

// DisableInterrupts masks interrupts and returns the previous RFLAGS: the
// kernel's critical section for goroutine code that touches state the trap
// path also uses.
func DisableInterrupts() uint64

// RestoreInterrupts re-enables interrupts if flags had them enabled.
func RestoreInterrupts(flags uint64)
