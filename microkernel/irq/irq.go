// Package irq owns the machine's legacy interrupt lines (ISA IRQs 0-15,
// which PCI INTx lines also arrive on): they reach vectors Base..Base+15
// through the 8259 PIC pair at first, and through the I/O APICs the MADT
// lists once SwitchToIOAPIC has run, which every boot does when the MADT
// names one (docs/smp.md). Then a line is routed to one CPU, chosen by
// SetCPU, and acknowledged at that CPU's local APIC; the PIC stays
// remapped but fully masked. A machine without an I/O APIC keeps the PIC,
// whose lines all reach the boot CPU. Callers hold the kernel lock, or run
// before the other CPUs start.
package irq

import (
	"sync/atomic"

	"aramid/microkernel/acpi"
	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/console"
	"aramid/microkernel/mm"
)

// Base is the vector of line 0.
const Base = 32

// Lines is the number of legacy lines.
const Lines = 16

// I/O APIC registers (82093AA datasheet): an index and a data window, the
// version register (its bits 16-23: the last redirection entry) and the
// redirection table, two registers per pin.
const (
	regSelect   = 0x00
	regWindow   = 0x10
	regVersion  = 0x01
	regRedirect = 0x10
)

// ioapic is one I/O APIC: its mapped registers and the GSIs of its pins.
type ioapic struct {
	regs          uintptr
	gsiBase, pins uint32
}

// line is a legacy line's routing under the I/O APIC.
type line struct {
	apic    int8 // index into ioapics; -1: no I/O APIC has its GSI
	pin     uint8
	route   Route
	dest    uint32 // local APIC ID of the CPU it is delivered to
	enabled bool
}

var (
	useIOAPIC bool
	ioapics   [acpi.MaxIOAPICs]ioapic
	lines     [Lines]line
	// unmasked records the lines enabled before the switch, to carry
	// them over to the I/O APIC.
	unmasked uint16
)

// Init remaps the PIC; every line starts masked.
//
//go:nosplit
func Init() { remapPIC() }

// Unmask enables line n.
//
//go:nosplit
func Unmask(n uint8) { enable(n, true) }

// Mask disables line n.
//
//go:nosplit
func Mask(n uint8) { enable(n, false) }

//go:nosplit
func enable(n uint8, on bool) {
	if useIOAPIC {
		lines[n].enabled = on
		program(n)
		return
	}
	if on {
		unmasked |= 1 << n
		picUnmask(n)
	} else {
		unmasked &^= 1 << n
		picMask(n)
	}
}

// EOI acknowledges line n's interrupt on the calling CPU.
//
//go:nosplit
func EOI(n uint8) {
	if !useIOAPIC {
		picEOI(n)
		return
	}
	atomic.StoreUint32((*uint32)(mm.Ptr(amd64.ThisCPU().EOI)), 0)
}

// SetCPU delivers line n to the CPU whose local APIC ID is dest from now
// on (under the PIC, always the boot CPU).
//
//go:nosplit
func SetCPU(n uint8, dest uint32) {
	if useIOAPIC && lines[n].dest != dest {
		lines[n].dest = dest
		program(n)
	}
}

// IOAPIC reports whether the I/O APIC delivers the lines.
//
//go:nosplit
func IOAPIC() bool { return useIOAPIC }

// program writes line n's redirection entry: the high half (destination)
// first, so the entry is never live with a stale one.
//
//go:nosplit
func program(n uint8) {
	l := &lines[n]
	if l.apic < 0 {
		return
	}
	e := entry(l.route, Base+n, l.dest, !l.enabled)
	a := &ioapics[l.apic]
	write(a, regRedirect+2*uint32(l.pin)+1, uint32(e>>32))
	write(a, regRedirect+2*uint32(l.pin), uint32(e))
}

//go:nosplit
func write(a *ioapic, reg, v uint32) {
	atomic.StoreUint32((*uint32)(mm.Ptr(a.regs+regSelect)), reg)
	atomic.StoreUint32((*uint32)(mm.Ptr(a.regs+regWindow)), v)
}

//go:nosplit
func read(a *ioapic, reg uint32) uint32 {
	atomic.StoreUint32((*uint32)(mm.Ptr(a.regs+regSelect)), reg)
	return atomic.LoadUint32((*uint32)(mm.Ptr(a.regs + regWindow)))
}

// SwitchToIOAPIC moves the legacy lines from the PIC to the I/O APICs of
// m, delivered to the CPU with local APIC ID boot, whose local APIC the
// caller has enabled and whose EOI register is in its amd64.CPU. Every pin
// is masked first; the lines enabled so far stay enabled. It reports
// whether it switched: not if m lists no I/O APIC or one cannot be mapped.
// It runs in early boot, interrupts off.
//
//go:nosplit
func SwitchToIOAPIC(m *acpi.MADT, boot uint32) bool {
	if m.NIOAPICs == 0 {
		return false
	}
	for i := 0; i < m.NIOAPICs; i++ {
		va, ok := mm.Kernel.MapDevice(uint64(m.IOAPICs[i].Addr), mm.PageSize)
		if !ok {
			console.Print("irq: cannot map the I/O APIC; the PIC stays\n")
			return false
		}
		a := &ioapics[i]
		a.regs, a.gsiBase = uintptr(va), m.IOAPICs[i].GSIBase
		a.pins = read(a, regVersion)>>16&0xff + 1
		for p := uint32(0); p < a.pins; p++ {
			write(a, regRedirect+2*p, entryMasked)
		}
	}
	for n := uint8(0); n < Lines; n++ {
		r, ok := ISARoute(m, n)
		lines[n] = line{apic: -1, route: r, dest: boot, enabled: unmasked&(1<<n) != 0}
		for i := 0; i < m.NIOAPICs && ok; i++ {
			if a := &ioapics[i]; r.GSI >= a.gsiBase && r.GSI < a.gsiBase+a.pins {
				lines[n].apic, lines[n].pin = int8(i), uint8(r.GSI-a.gsiBase)
			}
		}
	}
	picOff()
	useIOAPIC = true
	for n := uint8(0); n < Lines; n++ {
		program(n)
	}
	return true
}
