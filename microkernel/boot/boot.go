// Package boot is how QEMU gets into the kernel's Go code: the PVH entry
// (entry_amd64.s) takes the CPU from 32-bit protected mode to long mode at
// the kernel's linked address, early brings up the machine (console, traps,
// memory, clock, scheduler) without the Go runtime, and the entry code then
// starts the runtime through its ordinary Linux entry point, _rt0_amd64_linux,
// with a Linux-style initial stack. See docs/boot.md.
package boot

import (
	"unsafe"

	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/boot/pvh"
	"aramid/microkernel/clock"
	"aramid/microkernel/console"
	"aramid/microkernel/hosting"
	"aramid/microkernel/irq"
	"aramid/microkernel/mm"
	"aramid/microkernel/sched"
	"aramid/microkernel/smp"
	"aramid/microkernel/trap"
)

// Entry32 is the kernel's ELF entry point (link with -E aramid/microkernel/boot.Entry32);
// imagetool turns its address into the PVH entry note.
func Entry32()

//lint:ignore U1000 jumped to from Entry32
func entryHigh()

//lint:ignore U1000 set and used by entry_amd64.s
var entryHighAddr uintptr

var (
	imageEndAddr uintptr

	//lint:ignore U1000 the stack entry_amd64.s gives early
	earlyStack [64 << 10]byte
	earlyTLS   [128]byte // FS points here until the runtime's settls
	// g0Stack becomes the runtime's first thread stack (rt0_go takes 64 KiB
	// below the initial SP as g0's stack).
	g0Stack   [256 << 10]byte
	startInfo pvh.StartInfo
	random    [16]byte
)

const env = "GODEBUG=asyncpreemptoff=1,decoratemappings=0\x00"

// Linux auxiliary vector keys.
const (
	atNull   = 0
	atPagesz = 6
	atRandom = 25
)

// early runs before the Go runtime with no g: everything it calls must be
// nosplit. It returns the stack pointer to enter the runtime with.
//
//lint:ignore U1000 called from entry_amd64.s
//go:nosplit
func early(si uintptr) uintptr {
	console.Init()
	console.Print("aramid: PVH entry, long mode\n")
	smp.SetBootCPU()
	trap.Init()
	mem := (*[1 << 30]byte)(mm.Ptr(mm.KernelBase))[:]
	if err := pvh.Parse(mem, uint64(si), &startInfo); err != nil {
		console.Print("aramid: cannot read the boot information: ")
		if e, ok := err.(pvh.Error); ok {
			console.Print(string(e))
		}
		console.Print("\n")
		amd64.Stop()
	}
	mm.Init(&startInfo, uint64(imageEndAddr)-mm.KernelBase)
	irq.Init()
	clock.Init()
	irq.Unmask(4) // COM1 input
	smp.Init(&startInfo, hasWord(&startInfo.Cmdline, "aramid.smp"))
	tls := uint64(uintptr(unsafe.Pointer(&earlyTLS[64])))
	sched.Init(tls)
	amd64.SetKernelTLS(tls)
	console.Print("aramid: memory, traps, clock and threads ready; starting the Go runtime\n")
	return initialStack()
}

// hasWord reports whether the command line has w as one of its words.
//
//go:nosplit
func hasWord(cmd *[256]byte, w string) bool {
	for start := 0; start < len(cmd) && cmd[start] != 0; start++ {
		if start > 0 && cmd[start-1] != ' ' {
			continue
		}
		end := start + len(w)
		if end < len(cmd) && (cmd[end] == ' ' || cmd[end] == 0) && equal(cmd[start:end], w) {
			return true
		}
	}
	return false
}

//go:nosplit
func equal(b []byte, s string) bool {
	for i := range b {
		if b[i] != s[i] {
			return false
		}
	}
	return true
}

// initialStack lays out argc, argv (aramid and the words of the command
// line), envp and auxv at the top of g0Stack, as Linux does for a new
// program, and returns its address.
//
//go:nosplit
func initialStack() uintptr {
	for i := 0; i < len(random); i += 8 {
		v := hosting.Random()
		for j := 0; j < 8; j++ {
			random[i+j] = byte(v >> (8 * j))
		}
	}
	sp := (*[128]uintptr)(unsafe.Pointer(&g0Stack[len(g0Stack)-1024]))
	n := 1
	sp[n] = uintptr(unsafe.Pointer(unsafe.StringData("aramid\x00")))
	n++
	cmd := &startInfo.Cmdline
	for i := 0; i < len(cmd) && cmd[i] != 0 && n < 100; i++ {
		if cmd[i] == ' ' {
			cmd[i] = 0
		} else if i == 0 || cmd[i-1] == 0 {
			sp[n] = uintptr(unsafe.Pointer(&cmd[i]))
			n++
		}
	}
	sp[0] = uintptr(n - 1)
	sp[n] = 0
	sp[n+1] = uintptr(unsafe.Pointer(unsafe.StringData(env)))
	sp[n+2] = 0
	aux := sp[n+3:]
	aux[0], aux[1] = atPagesz, mm.PageSize
	aux[2], aux[3] = atRandom, uintptr(unsafe.Pointer(&random))
	aux[4], aux[5] = atNull, 0
	return uintptr(unsafe.Pointer(sp))
}

// BootInfo is what the boot path learned, for the kernel's banner.
func BootInfo() *pvh.StartInfo { return &startInfo }

// Bundle returns the boot bundle (the first boot module, QEMU's -initrd),
// or nil.
func Bundle() []byte {
	if startInfo.NModules == 0 {
		return nil
	}
	m := startInfo.Modules[0]
	return unsafe.Slice((*byte)(mm.Ptr(mm.PhysToVirt(m.Base))), m.Size)
}
