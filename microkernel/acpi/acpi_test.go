package acpi

import (
	"encoding/binary"
	"errors"
	"os"
	"testing"
)

// machine is a fake physical memory with tables placed at fixed addresses.
type machine []byte

func newMachine() machine { return make(machine, 2<<20) }

func (m machine) put(addr uint64, b []byte) { copy(m[addr:], b) }

// sdt builds a table with signature s and body, its checksum fixed.
func sdt(s string, body []byte) []byte {
	t := make([]byte, headerLen+len(body))
	copy(t, s)
	binary.LittleEndian.PutUint32(t[4:], uint32(len(t)))
	t[8] = 1
	copy(t[10:], "ARAMID")
	copy(t[headerLen:], body)
	fix(t, 9, len(t))
	return t
}

// fix sets the byte at i so that the first n bytes of b sum to zero.
func fix(b []byte, i, n int) {
	b[i] = 0
	var s byte
	for _, c := range b[:n] {
		s += c
	}
	b[i] = -s
}

// rsdp builds an RSDP of the given revision naming rsdt and xsdt.
func rsdp(rev byte, rsdt uint32, xsdt uint64) []byte {
	b := make([]byte, rsdpExtLen)
	copy(b, "RSD PTR ")
	b[15] = rev
	binary.LittleEndian.PutUint32(b[16:], rsdt)
	binary.LittleEndian.PutUint32(b[20:], rsdpExtLen)
	binary.LittleEndian.PutUint64(b[24:], xsdt)
	fix(b, 8, rsdpLen)
	fix(b, 32, rsdpExtLen)
	return b
}

func le32b(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// qemuMADT is a MADT like QEMU's for -smp 3 with a disabled fourth slot:
// local APIC at 0xfee00000, three local APICs, an I/O APIC, two source
// overrides, a local APIC NMI and one x2APIC processor.
func qemuMADT() []byte {
	body := append(le32b(0xfee00000), le32b(1)...)
	for id := byte(0); id < 4; id++ {
		en := uint32(1)
		if id == 3 {
			en = 0
		}
		body = append(append(body, 0, 8, id, id), le32b(en)...)
	}
	body = append(append(append(body, 1, 12, 0, 0), le32b(0xfec00000)...), le32b(0)...)
	body = append(append(append(body, 2, 10, 0, 0), le32b(2)...), 0, 0)
	body = append(append(append(body, 2, 10, 0, 9), le32b(9)...), 0xd, 0)
	body = append(body, 4, 6, 0xff, 0, 0, 1)
	body = append(append(append(append(body, 9, 16, 0, 0), le32b(300)...), le32b(1)...), le32b(7)...)
	return sdt("APIC", body)
}

func check(t *testing.T, m *MADT) {
	t.Helper()
	if m.LocalAPIC != 0xfee00000 || !m.PCATCompat {
		t.Errorf("local APIC %#x, PC-AT %v", m.LocalAPIC, m.PCATCompat)
	}
	want := []CPU{{0, 0}, {1, 1}, {2, 2}, {300, 7}}
	if m.NCPUs != len(want) {
		t.Fatalf("%d CPUs, want %d: %+v", m.NCPUs, len(want), m.CPUs[:m.NCPUs])
	}
	for i, c := range want {
		if m.CPUs[i] != c {
			t.Errorf("CPU %d: %+v, want %+v", i, m.CPUs[i], c)
		}
	}
	if m.NIOAPICs != 1 || m.IOAPICs[0] != (IOAPIC{ID: 0, Addr: 0xfec00000}) {
		t.Errorf("I/O APICs %+v", m.IOAPICs[:m.NIOAPICs])
	}
	if m.NOverrides != 2 || m.Overrides[0] != (Override{Source: 0, GSI: 2}) || m.Overrides[1] != (Override{Source: 9, GSI: 9, Flags: 0xd}) {
		t.Errorf("overrides %+v", m.Overrides[:m.NOverrides])
	}
}

func TestRSDTInBIOSArea(t *testing.T) {
	mem := newMachine()
	mem.put(0x10000, qemuMADT())
	mem.put(0x11000, sdt("FACP", make([]byte, 80)))
	mem.put(0x12000, sdt("RSDT", append(le32b(0x11000), le32b(0x10000)...)))
	mem.put(0xf5a40, rsdp(0, 0x12000, 0))
	a, err := FindRSDP(mem)
	if err != nil || a != 0xf5a40 {
		t.Fatalf("FindRSDP = %#x, %v", a, err)
	}
	var m MADT
	if err := ReadMADT(mem, a, &m); err != nil {
		t.Fatal(err)
	}
	check(t, &m)
}

func TestXSDTInEBDA(t *testing.T) {
	mem := newMachine()
	mem.put(0x40e, []byte{0x00, 0x9f}) // EBDA at 0x9f000
	mem.put(0x10000, qemuMADT())
	mem.put(0x13000, sdt("XSDT", binary.LittleEndian.AppendUint64(nil, 0x10000)))
	mem.put(0x12000, sdt("RSDT", nil)) // empty: the XSDT must win
	mem.put(0x9f040, rsdp(2, 0x12000, 0x13000))
	a, err := FindRSDP(mem)
	if err != nil || a != 0x9f040 {
		t.Fatalf("FindRSDP = %#x, %v", a, err)
	}
	var m MADT
	if err := ReadMADT(mem, a, &m); err != nil {
		t.Fatal(err)
	}
	check(t, &m)
}

func TestBadTables(t *testing.T) {
	base := func() machine {
		mem := newMachine()
		mem.put(0x10000, qemuMADT())
		mem.put(0x12000, sdt("RSDT", le32b(0x10000)))
		mem.put(0xe0000, rsdp(0, 0x12000, 0))
		return mem
	}
	for _, c := range []struct {
		name  string
		spoil func(machine)
		want  error
	}{
		{"rsdp checksum", func(m machine) { m[0xe0000+9]++ }, ErrChecksum},
		{"madt checksum", func(m machine) { m[0x10000+50]++ }, ErrChecksum},
		{"no madt", func(m machine) { m.put(0x12000, sdt("RSDT", nil)) }, ErrNoMADT},
		{"madt beyond memory", func(m machine) { m.put(0x12000, sdt("RSDT", le32b(0x1ffff0))) }, ErrNoMADT},
		{"root not an RSDT", func(m machine) { m.put(0x12000, sdt("XSDT", le32b(0x10000))) }, ErrSignature},
		{"zero-length entry", func(m machine) {
			t := qemuMADT()
			t[madtEntries+1] = 0
			fix(t, 9, len(t))
			m.put(0x10000, t)
		}, ErrBadEntry},
		{"short local APIC entry", func(m machine) {
			t := sdt("APIC", append(append(le32b(0xfee00000), le32b(0)...), 0, 4, 0, 0))
			m.put(0x10000, t)
		}, ErrBadEntry},
	} {
		mem := base()
		c.spoil(mem)
		var m MADT
		if err := ReadMADT(mem, 0xe0000, &m); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := FindRSDP(newMachine()); err != ErrNoRSDP {
		t.Errorf("empty memory: %v", err)
	}
}

// TestHostMADT decodes this machine's own MADT when it is readable.
func TestHostMADT(t *testing.T) {
	madt, err := os.ReadFile("/sys/firmware/acpi/tables/APIC")
	if err != nil {
		t.Skip(err)
	}
	mem := newMachine()
	mem.put(0x10000, madt)
	mem.put(0x12000, sdt("RSDT", le32b(0x10000)))
	mem.put(0xe0000, rsdp(0, 0x12000, 0))
	var m MADT
	if err := ReadMADT(mem, 0xe0000, &m); err != nil {
		t.Fatal(err)
	}
	if m.NCPUs == 0 || m.LocalAPIC == 0 {
		t.Errorf("host MADT: %d CPUs, local APIC %#x", m.NCPUs, m.LocalAPIC)
	}
	t.Logf("host: %d CPUs %+v, local APIC %#x, I/O APICs %+v", m.NCPUs, m.CPUs[:m.NCPUs], m.LocalAPIC, m.IOAPICs[:m.NIOAPICs])
}
