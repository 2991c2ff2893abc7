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
	istCount  = 4
	istSize   = 32 << 10
)

var (
	gdt       [7]uint64
	tss       [26]uint32 // 104 bytes
	idt       [256][2]uint64
	istStacks [istCount][istSize]byte
	gdtr      [10]byte
	idtr      [10]byte
)

// Init loads the kernel's GDT, TSS and IDT, routes SYSCALL to the trap path,
// and installs h as the handler of every trap.
//
//go:nosplit
func Init(h Handler) {
	handler = h
	gdt[1] = 0x00af9a000000ffff // kernel code, 64-bit
	gdt[2] = 0x00cf92000000ffff // kernel data
	gdt[3] = 0x00cff2000000ffff // user data
	gdt[4] = 0x00affa000000ffff // user code, 64-bit
	base := uint64(uintptr(unsafe.Pointer(&tss)))
	limit := uint64(unsafe.Sizeof(tss) - 1)
	gdt[5] = limit&0xffff | (base&0xffffff)<<16 | 0x89<<40 | (base>>24&0xff)<<56
	gdt[6] = base >> 32
	for i := 1; i <= istCount; i++ {
		top := uint64(uintptr(unsafe.Pointer(&istStacks[i-1][istSize-16])))
		setTSS64(36+8*(i-1), top)
	}
	tss[25] = 104 << 16 // I/O map base beyond the limit: no port access from ring 3
	loadTable(&gdtr, uintptr(unsafe.Pointer(&gdt)), len(gdt)*8)
	lgdt(uintptr(unsafe.Pointer(&gdtr)))
	ltr(tssSel)

	for v := range idt {
		ist := uint64(istCommon)
		switch v {
		case 2:
			ist = istNMI
		case 8:
			ist = istDouble
		case 18:
			ist = istMC
		}
		setGate(v, uint64(vectorStubs[v]), ist)
	}
	loadTable(&idtr, uintptr(unsafe.Pointer(&idt)), len(idt)*16)
	lidt(uintptr(unsafe.Pointer(&idtr)))
	enableSyscall()
}

//go:nosplit
func setTSS64(off int, v uint64) {
	tss[off/4] = uint32(v)
	tss[off/4+1] = uint32(v >> 32)
}

// setGate writes a 64-bit interrupt gate (DPL 0, interrupts masked on entry).
//
//go:nosplit
func setGate(v int, addr, ist uint64) {
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
