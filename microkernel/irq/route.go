package irq

import "aramid/microkernel/acpi"

// Route is where an ISA interrupt line arrives at the I/O APICs: a global
// system interrupt (GSI) and the pin's polarity and trigger mode.
type Route struct {
	GSI        uint32
	Low, Level bool
}

// MPS INTI flags of an interrupt source override (ACPI spec, "Interrupt
// Source Override Structure"): two bits of polarity, then two of trigger
// mode; 0 in either means the bus's default.
const (
	polarityMask = 3
	polarityLow  = 3
	triggerShift = 2
	triggerLevel = 3
)

// ISARoute returns where ISA line isa arrives: at the GSI of the same
// number, edge-triggered and active high as ISA lines are, unless the MADT
// overrides it (QEMU moves the PIT's line 0 to GSI 2, and declares the
// lines of PCI interrupts, 5, 9, 10 and 11, level-triggered active high).
// It reports false for a line whose GSI an override gives to another line
// (line 2, the PICs' cascade, under QEMU): that line reaches no pin.
//
//go:nosplit
func ISARoute(m *acpi.MADT, isa uint8) (Route, bool) {
	for i := 0; i < m.NOverrides; i++ {
		o := &m.Overrides[i]
		if o.Source == isa {
			return Route{
				GSI:   o.GSI,
				Low:   o.Flags&polarityMask == polarityLow,
				Level: o.Flags>>triggerShift&3 == triggerLevel,
			}, true
		}
	}
	for i := 0; i < m.NOverrides; i++ {
		if o := &m.Overrides[i]; o.GSI == uint32(isa) {
			return Route{}, false
		}
	}
	return Route{GSI: uint32(isa)}, true
}

// Redirection entry bits (82093AA I/O APIC datasheet, "I/O Redirection
// Table Registers"): fixed delivery to a physical APIC ID.
const (
	entryLow    = 1 << 13
	entryLevel  = 1 << 15
	entryMasked = 1 << 16
	destShift   = 56
)

// entry is the redirection entry that delivers route r as vector to the
// local APIC with ID dest.
//
//go:nosplit
func entry(r Route, vector uint8, dest uint32, masked bool) uint64 {
	e := uint64(vector) | uint64(dest&0xff)<<destShift
	if r.Low {
		e |= entryLow
	}
	if r.Level {
		e |= entryLevel
	}
	if masked {
		e |= entryMasked
	}
	return e
}
