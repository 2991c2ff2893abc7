package amd64

// SyscallVector is the pseudo vector number under which SYSCALL enters
// trapCommon; real vectors are 0-255.
const SyscallVector = 256

// Segment selectors of the GDT built in gdt.go.
const (
	KernelCS = 0x08
	KernelSS = 0x10
	UserSS   = 0x18 | 3
	UserCS   = 0x20 | 3
	tssSel   = 0x28
)

// RFLAGS bits.
const (
	FlagIF       = 1 << 9
	FlagReserved = 1 << 1
)

// Frame is the saved state of a trapped thread, in the order trapCommon
// pushes it: general registers, vector, error code, then the hardware frame
// that IRETQ consumes; FSBase is pushed last. A thread's whole register
// state is a Frame plus its FXArea.
type Frame struct {
	FSBase                               uint64
	R15, R14, R13, R12, R11, R10, R9, R8 uint64
	RBP, RDI, RSI, RDX, RCX, RBX, RAX    uint64
	Vector, Err                          uint64
	RIP, CS, RFLAGS, RSP, SS             uint64
}

// FXArea is the FXSAVE image of the x87/SSE state. The one a Handler
// receives holds only the XMM registers until FullFX completes it: the trap
// path saves the FPU state lazily (trap_amd64.s).
type FXArea [512]byte

// FullFX makes fx, if it is the FX area of the trap being handled, a whole
// FXSAVE image of the trapped thread's state, for a handler that keeps it
// (saves or clones the thread). It leaves a whole image, and any other
// area (a saved thread's), as it is.
//
//go:noescape
func FullFX(fx *FXArea)

// LoadedFX tells the trap path that the handler wrote a whole FXSAVE image
// (another thread's state) into the trap's FX area, so that the way out
// loads all of it.
//
//go:nosplit
func LoadedFX() { ThisCPU().fxFull = 1 }

// Handler receives every trap. It may replace the frame and FX area with
// another thread's state to switch threads. It runs with interrupts disabled
// on a kernel stack that belongs to no goroutine, so it and everything it
// calls must be go:nosplit, must not allocate, and must not store Go
// pointers (see docs/runtime-hosting.md).
type Handler func(f *Frame, fx *FXArea)

var handler Handler

// runawayMsg is printed, from assembly, when traps nest too deep
// (CPU.trapDepth).
var runawayMsg = [...]byte{'\r', '\n', 'K', 'E', 'R', 'N', 'E', 'L', ':', ' ', 'r', 'u', 'n', 'a', 'w', 'a', 'y', ' ', 'n', 'e', 's', 't', 'e', 'd', ' ', 't', 'r', 'a', 'p', 's', '\r', '\n'}

//lint:ignore U1000 used by trap_amd64.s
const runawayLen = len(runawayMsg)

// dispatch is called by trapCommon.
//
//lint:ignore U1000 called from trap_amd64.s
//go:nosplit
func dispatch(f *Frame, fx *FXArea) {
	handler(f, fx)
}

// kernelTLS is the FS base the trap path uses while it runs on behalf of a
// ring-3 thread.
//
//lint:ignore U1000 used by trap_amd64.s
var kernelTLS uint64

// SetKernelTLS sets the TLS block for traps from ring 3.
//
//go:nosplit
func SetKernelTLS(addr uint64) { kernelTLS = addr }

// SyscallStackSize is the size of each CPU's syscall stack.
const SyscallStackSize = 64 << 10

// The boot CPU's syscall stack; an AP's is allocated when it starts.
var syscallStack [SyscallStackSize]byte

// enableSyscall points SYSCALL at syscallEntry, which runs on c's syscall
// stack below top. STAR also gives the user selectors, though ring 3
// returns with IRETQ rather than SYSRET.
//
//go:nosplit
func enableSyscall(c *CPU, top uintptr) {
	c.syscallTop = top
	Wrmsr(MSREFER, Rdmsr(MSREFER)|1) // SCE
	Wrmsr(MSRSTAR, uint64(KernelCS)<<32|uint64(0x10)<<48)
	Wrmsr(MSRLSTAR, uint64(syscallEntryAddr))
	// Mask IF, TF, DF and AC on entry, as Linux does.
	Wrmsr(MSRFMASK, 0x47700)
	enableFSGSBase()
}

// fsgsbase is 1 when the trap path reads and writes FS's base with
// RDFSBASE and WRFSBASE rather than the FS_BASE MSR. It does so three
// times per trap from ring 3; under QEMU's TCG an MSR access is a helper
// call that ends the translated block, the instructions are not.
//
//lint:ignore U1000 read by trap_amd64.s
var fsgsbase uint8

// cr4FSGSBase enables RDFSBASE, WRFSBASE and their GS forms.
const cr4FSGSBase = 1 << 16

// enableFSGSBase turns on the FS and GS base instructions if the CPU has
// them (CPUID leaf 7, EBX bit 0). Every CPU that takes traps must run it
// before its first trap once fsgsbase is set.
//
//go:nosplit
func enableFSGSBase() {
	if max, _, _, _ := Cpuid(0, 0); max < 7 {
		return
	}
	if _, b, _, _ := Cpuid(7, 0); b&1 != 0 {
		writeCR4(readCR4() | cr4FSGSBase)
		fsgsbase = 1
	}
}

var vectorNames = [32]string{
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD error", "#VE virtualization",
	"#CP control protection", "", "", "", "", "", "", "", "", "#SX security", "",
}

// VectorName names a CPU exception vector.
//
//go:nosplit
func VectorName(v uint64) string {
	if v < 32 {
		return vectorNames[v]
	}
	return "interrupt"
}
