package amd64

import "unsafe"

// Application processors start in real mode at the page a startup IPI
// names. The trampoline copied there goes straight to long mode (PE and PG
// set together) on temporary page tables that map its page one to one and
// share the kernel's upper half, far-jumps into 64-bit code, and jumps to
// apEntry at the kernel's linked address, which switches to the kernel's
// page tables and its own stack, GS and FS, and calls the start handler.
// docs/smp.md has the whole path.

// TrampolinePage is the physical page application processors start at; a
// startup IPI carries its page number.
const TrampolinePage = 0x8000

// Vectors of the parked CPUs' IDT.
const (
	VectorAPTimer   = 0xf0 // the local APIC timer
	VectorAPWake    = 0xf1 // the wake-up IPI
	VectorShootdown = 0xf2 // a TLB shootdown request (docs/smp.md)
	VectorSpurious  = 0xff // the local APIC's spurious vector
)

// Offsets in the trampoline page of the data the code reads; the code
// below names them in its displacements, and trampoline_test.go checks
// that the two agree.
const (
	trampGDT   = 0x80 // null, 64-bit code (0x08), data (0x10)
	trampGDTR  = 0x98 // limit, 32-bit base
	trampCR4   = 0xa0
	trampCR3   = 0xa4 // the temporary page tables
	trampEFER  = 0xa8 // low, then high half
	trampCR0   = 0xb0
	trampEntry = 0xb8 // apEntry's linked address
)

// trampoline is the code at TrampolinePage, hand-encoded because the Go
// assembler emits neither 16-bit code nor code for a fixed address. It runs
// with CS = DS = TrampolinePage>>4 until the far jump.
var trampoline = [...]byte{
	0xfa,       // cli
	0xfc,       // cld
	0x8c, 0xc8, // mov ax, cs
	0x8e, 0xd8, // mov ds, ax
	0x66, 0x0f, 0x01, 0x16, trampGDTR, 0x00, // lgdtd [trampGDTR]
	0x66, 0xa1, trampCR4, 0x00, // mov eax, [trampCR4]
	0x0f, 0x22, 0xe0, // mov cr4, eax
	0x66, 0xa1, trampCR3, 0x00, // mov eax, [trampCR3]
	0x0f, 0x22, 0xd8, // mov cr3, eax
	0x66, 0xb9, 0x80, 0x00, 0x00, 0xc0, // mov ecx, 0xc0000080 (EFER)
	0x66, 0xa1, trampEFER, 0x00, // mov eax, [trampEFER]
	0x66, 0x8b, 0x16, trampEFER + 4, 0x00, // mov edx, [trampEFER+4]
	0x0f, 0x30, // wrmsr
	0x66, 0xa1, trampCR0, 0x00, // mov eax, [trampCR0]
	0x0f, 0x22, 0xc0, // mov cr0, eax: protected mode and paging at once
	0x66, 0xea, 0x3a, 0x80, 0x00, 0x00, 0x08, 0x00, // jmp 0x08:TrampolinePage+0x3a
	// 64-bit mode, at TrampolinePage+0x3a.
	0xb8, 0x10, 0x00, 0x00, 0x00, // mov eax, 0x10
	0x8e, 0xd8, // mov ds, eax
	0x8e, 0xc0, // mov es, eax
	0x8e, 0xd0, // mov ss, eax
	0x48, 0x8b, 0x04, 0x25, trampEntry, 0x80, 0x00, 0x00, // mov rax, [TrampolinePage+trampEntry]
	0xff, 0xe0, // jmp rax
}

// The AP being started: what apEntry loads before it calls apMain.
//
//lint:ignore U1000 read by ap_amd64.s
var apKernelCR3, apStack, apCPU uintptr

// Addresses of ap_amd64.s's entry points, taken in assembly.
var (
	apEntryAddr uintptr
	apStubs     [4]uintptr // timer, wake, spurious, fault
)

var (
	apIDT  [256][2]uint64
	apIDTR [10]byte
	// apStart runs on each AP once it is in the kernel; apFault when a
	// parked CPU takes any vector it does not expect.
	apStart, apFault func()
)

// Entry points whose addresses are taken in assembly.
//
//lint:ignore U1000 referenced from assembly
func apEntry()

//lint:ignore U1000 referenced from assembly
func apTick()

//lint:ignore U1000 referenced from assembly
func apWake()

//lint:ignore U1000 referenced from assembly
func apSpurious()

//lint:ignore U1000 referenced from assembly
func apTrap()

// InstallTrampoline writes the trampoline and its data into page, the
// kernel's view of TrampolinePage; tables is the physical address (below
// 4 GiB) of its temporary page tables. The APs get the calling CPU's CR0,
// CR4 and EFER, and the IDT of parked CPUs, whose timer and wake-up vectors
// only count and acknowledge, and whose every other vector calls fault.
// start runs on each AP, on its own stack, once it is in the kernel.
//
//go:nosplit
func InstallTrampoline(page *[4096]byte, tables uint32, start, fault func()) {
	apStart, apFault = start, fault
	copy(page[:], trampoline[:])
	le64(page, trampGDT, 0)
	le64(page, trampGDT+8, 0x00af9a000000ffff)
	le64(page, trampGDT+16, 0x00cf92000000ffff)
	le64(page, trampGDTR, uint64(TrampolinePage+trampGDT)<<16|23)
	le64(page, trampCR4, ReadCR4()&0xffffffff|uint64(tables)<<32)
	le64(page, trampEFER, Rdmsr(MSREFER)&^(1<<10)) // LMA is the CPU's to set
	le64(page, trampCR0, ReadCR0()&0xffffffff)
	le64(page, trampEntry, uint64(apEntryAddr))
	for v := range apIDT {
		stub := apStubs[3]
		switch v {
		case VectorAPTimer:
			stub = apStubs[0]
		case VectorAPWake:
			stub = apStubs[1]
		case VectorSpurious:
			stub = apStubs[2]
		}
		setGate(&apIDT, v, uint64(stub), istFor(v))
	}
	loadTable(&apIDTR, uintptr(unsafe.Pointer(&apIDT)), len(apIDT)*16)
}

// PrepareAP makes c and the stack below stackTop the next AP's: the one
// whose startup IPI comes next. APs start one at a time.
//
//go:nosplit
func PrepareAP(c *CPU, stackTop uintptr) {
	c.self = uintptr(unsafe.Pointer(c))
	apCPU, apStack, apKernelCR3 = c.self, stackTop, uintptr(ReadCR3())
}

//go:nosplit
func le64(b *[4096]byte, off int, v uint64) {
	for i := 0; i < 8; i++ {
		b[off+i] = byte(v >> (8 * i))
	}
}

// apMain and apTrapped are where the assembly enters Go.
//
//lint:ignore U1000 called from ap_amd64.s
//go:nosplit
func apMain() { apStart() }

//lint:ignore U1000 called from ap_amd64.s
//go:nosplit
func apTrapped() { apFault() }
