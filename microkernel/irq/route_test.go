package irq

import (
	"testing"

	"aramid/microkernel/acpi"
)

// qemuMADT has the overrides QEMU's pc machine declares: the PIT's line 0
// at GSI 2, and the PCI lines 5, 9, 10 and 11 level-triggered, active high.
func qemuMADT() *acpi.MADT {
	m := &acpi.MADT{NIOAPICs: 1}
	m.IOAPICs[0] = acpi.IOAPIC{ID: 0, Addr: 0xfec00000}
	m.Overrides[0] = acpi.Override{Source: 0, GSI: 2}
	for i, l := range []uint8{5, 9, 10, 11} {
		m.Overrides[1+i] = acpi.Override{Source: l, GSI: uint32(l), Flags: 0xd}
	}
	m.NOverrides = 5
	return m
}

func TestISARoute(t *testing.T) {
	m := qemuMADT()
	m.Overrides[m.NOverrides] = acpi.Override{Source: 7, GSI: 20, Flags: 0xf} // level, active low
	m.NOverrides++
	for _, c := range []struct {
		line uint8
		want Route
		ok   bool
	}{
		{0, Route{GSI: 2}, true},
		{1, Route{GSI: 1}, true},
		{2, Route{}, false}, // GSI 2 is the PIT's: the cascade reaches no pin
		{4, Route{GSI: 4}, true},
		{7, Route{GSI: 20, Low: true, Level: true}, true},
		{11, Route{GSI: 11, Level: true}, true},
		{14, Route{GSI: 14}, true},
	} {
		if got, ok := ISARoute(m, c.line); got != c.want || ok != c.ok {
			t.Errorf("ISARoute(line %d) = %+v, %v; want %+v, %v", c.line, got, ok, c.want, c.ok)
		}
	}
}

func TestEntry(t *testing.T) {
	for _, c := range []struct {
		r      Route
		vector uint8
		dest   uint32
		masked bool
		want   uint64
	}{
		{Route{GSI: 2}, 32, 0, false, 32},
		{Route{GSI: 11, Level: true}, 43, 1, false, 1<<56 | 1<<15 | 43},
		{Route{GSI: 20, Low: true, Level: true}, 39, 3, true, 3<<56 | 1<<16 | 1<<15 | 1<<13 | 39},
	} {
		if got := entry(c.r, c.vector, c.dest, c.masked); got != c.want {
			t.Errorf("entry(%+v, %d, %d, %v) = %#x, want %#x", c.r, c.vector, c.dest, c.masked, got, c.want)
		}
	}
}
