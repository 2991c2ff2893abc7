package amd64

import "unsafe"

// IST stack assignment. Every vector runs on an IST stack so no handler ever
// runs on a goroutine stack; the double fault, NMI and machine check get
// their own so that they survive a fault on the common one.
const (
	istCommon = 1
	istDouble = 2
	istNMI    = 3
	istMC     = 4
	istSize   = 32 << 10
	// ISTCount is how many IST stacks each CPU has.
	ISTCount = 4
)

var (
	bspTables Descriptors
	idt       [256][2]uint64
	istStacks [ISTCount][istSize]byte
	idtr      [10]byte
)

// Descriptors is one CPU's GDT and TSS. Every CPU needs a TSS of its own:
// it holds that CPU's IST stack pointers, and loading it marks it busy. The
// GDT is per CPU only because its TSS descriptor names the TSS.
type Descriptors struct {
	gdt  [7]uint64
	tss  [26]uint32 // 104 bytes
	gdtr [10]byte
}

// Init loads the kernel's GDT, TSS and IDT on the boot CPU, routes SYSCALL
// to the trap path, and installs h as the handler of every trap. The boot
// CPU's GS must already point at its CPU (SetThisCPU).
//
//go:nosplit
func Init(h Handler) {
	handler = h
	var ist [ISTCount]uintptr
	for i := range ist {
		ist[i] = uintptr(unsafe.Pointer(&istStacks[i][istSize-16]))
	}
	bspTables.Load(&ist)
	for v := range idt {
		setGate(&idt, v, uint64(vectorStubs[v]), istFor(v))
	}
	loadTable(&idtr, uintptr(unsafe.Pointer(&idt)), len(idt)*16)
	lidt(uintptr(unsafe.Pointer(&idtr)))
	enableSyscall(ThisCPU(), uintptr(unsafe.Pointer(&syscallStack[len(syscallStack)-16])))
}

// Load fills d with the kernel's segments and a TSS whose IST entries are
// the tops of ist, and loads both on this CPU. The selectors are those of
// the boot GDT, so CS and SS stay valid across the switch.
//
//go:nosplit
func (d *Descriptors) Load(ist *[ISTCount]uintptr) {
	d.gdt[1] = 0x00af9a000000ffff // kernel code, 64-bit
	d.gdt[2] = 0x00cf92000000ffff // kernel data
	d.gdt[3] = 0x00cff2000000ffff // user data
	d.gdt[4] = 0x00affa000000ffff // user code, 64-bit
	base := uint64(uintptr(unsafe.Pointer(&d.tss)))
	limit := uint64(unsafe.Sizeof(d.tss) - 1)
	d.gdt[5] = limit&0xffff | (base&0xffffff)<<16 | 0x89<<40 | (base>>24&0xff)<<56
	d.gdt[6] = base >> 32
	for i, top := range ist {
		d.setTSS64(36+8*i, uint64(top))
	}
	d.tss[25] = 104 << 16 // I/O map base beyond the limit: no port access from ring 3
	loadTable(&d.gdtr, uintptr(unsafe.Pointer(&d.gdt)), len(d.gdt)*8)
	lgdt(uintptr(unsafe.Pointer(&d.gdtr)))
	ltr(tssSel)
}

// istFor is the IST stack a vector runs on.
//
//go:nosplit
func istFor(v int) uint64 {
	switch v {
	case 2:
		return istNMI
	case 8:
		return istDouble
	case 18:
		return istMC
	}
	return istCommon
}

//go:nosplit
func (d *Descriptors) setTSS64(off int, v uint64) {
	d.tss[off/4] = uint32(v)
	d.tss[off/4+1] = uint32(v >> 32)
}

// setGate writes a 64-bit interrupt gate (DPL 0, interrupts masked on entry).
//
//go:nosplit
func setGate(idt *[256][2]uint64, v int, addr, ist uint64) {
	idt[v][0] = addr&0xffff | uint64(KernelCS)<<16 | ist<<32 | 0x8e<<40 | (addr>>16&0xffff)<<48
	idt[v][1] = addr >> 32
}

//go:nosplit
func loadTable(r *[10]byte, base uintptr, size int) {
	lim := uint16(size - 1)
	r[0], r[1] = byte(lim), byte(lim>>8)
	for i := 0; i < 8; i++ {
		r[2+i] = byte(uint64(base) >> (8 * i))
	}
}
