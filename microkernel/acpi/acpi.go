// Package acpi reads the firmware's ACPI tables as far as the kernel needs
// them to find its processors and interrupt controllers: the RSDP, the
// RSDT or XSDT, and the MADT. Like pvh, it works on a view of physical
// memory, allocates nothing and is go:nosplit, so it runs before the Go
// runtime; it is host-tested on tables built by the tests.
package acpi

// Limits on what is recorded; the rest is counted in MADT.Skipped.
const (
	MaxCPUs      = 64
	MaxIOAPICs   = 8
	MaxOverrides = 16
)

// CPU is an enabled processor: its local APIC ID and ACPI processor UID.
type CPU struct {
	APICID, UID uint32
}

// IOAPIC is an I/O APIC: its ID, register address and first GSI.
type IOAPIC struct {
	ID            uint8
	Addr, GSIBase uint32
}

// Override says that ISA interrupt Source arrives at GSI, with the MPS
// polarity and trigger flags.
type Override struct {
	Source uint8
	Flags  uint16
	GSI    uint32
}

// MADT is what the Multiple APIC Description Table says.
type MADT struct {
	LocalAPIC  uint64 // physical address of every CPU's local APIC
	PCATCompat bool   // 8259 PICs are present too
	CPUs       [MaxCPUs]CPU
	NCPUs      int
	IOAPICs    [MaxIOAPICs]IOAPIC
	NIOAPICs   int
	Overrides  [MaxOverrides]Override
	NOverrides int
	Skipped    int // entries beyond the limits above
}

// Error is a failure to read the tables; a string type so a constant error
// needs no allocation.
type Error string

func (e Error) Error() string { return string(e) }

// Errors.
const (
	ErrNoRSDP    = Error("acpi: no RSDP")
	ErrChecksum  = Error("acpi: bad checksum")
	ErrTruncated = Error("acpi: table outside physical memory")
	ErrNoMADT    = Error("acpi: no MADT (APIC) table")
	ErrBadEntry  = Error("acpi: malformed MADT entry")
	ErrSignature = Error("acpi: unexpected table signature")
)

// Layout.
const (
	headerLen     = 36 // every system description table's header
	rsdpLen       = 20 // ACPI 1.0's RSDP
	rsdpExtLen    = 36 // ACPI 2.0's, with the XSDT
	madtEntries   = 44 // where the MADT's entries start
	biosAreaStart = 0xe0000
	biosAreaEnd   = 0x100000
)

// FindRSDP looks for the RSDP where a PC BIOS leaves it: in the first KiB
// of the EBDA (whose segment is at 0x40e) or in 0xE0000-0xFFFFF, on a
// 16-byte boundary, with a valid checksum. mem is a view of physical memory
// from address 0.
//
//go:nosplit
func FindRSDP(mem []byte) (uint64, error) {
	if in(mem, 0x40e, 2) {
		ebda := uint64(le16(mem, 0x40e)) << 4
		if ebda >= 0x80000 && ebda < biosAreaStart {
			if a, ok := scan(mem, ebda, ebda+1024); ok {
				return a, nil
			}
		}
	}
	if a, ok := scan(mem, biosAreaStart, biosAreaEnd); ok {
		return a, nil
	}
	return 0, ErrNoRSDP
}

//go:nosplit
func scan(mem []byte, from, to uint64) (uint64, bool) {
	for a := from; a+rsdpLen <= to && in(mem, a, rsdpLen); a += 16 {
		if sig(mem, a, "RSD PTR ") && sum(mem, a, rsdpLen) == 0 {
			return a, true
		}
	}
	return 0, false
}

// ReadMADT finds the MADT through the RSDP at rsdp (the XSDT when the RSDP
// has one, else the RSDT) and decodes it into m.
//
//go:nosplit
func ReadMADT(mem []byte, rsdp uint64, m *MADT) error {
	madt, err := findTable(mem, rsdp, "APIC")
	if err != nil {
		return err
	}
	end := madt + uint64(le32(mem, madt+4))
	if end < madt+madtEntries {
		return ErrTruncated
	}
	*m = MADT{}
	m.LocalAPIC = uint64(le32(mem, madt+36))
	m.PCATCompat = le32(mem, madt+40)&1 != 0
	for e := madt + madtEntries; e < end; {
		if e+2 > end {
			return ErrBadEntry
		}
		n := uint64(mem[e+1])
		if n < 2 || e+n > end {
			return ErrBadEntry
		}
		if err := m.entry(mem, e, n); err != nil {
			return err
		}
		e += n
	}
	return nil
}

// entry decodes one MADT entry of length n at e. Processors that are
// neither enabled nor online-capable are not there at all; online-capable
// but disabled ones (hot-pluggable) are not recorded either.
//
//go:nosplit
func (m *MADT) entry(mem []byte, e, n uint64) error {
	switch typ := mem[e]; {
	case typ == 0 && n >= 8: // processor local APIC
		if le32(mem, e+4)&1 != 0 {
			m.addCPU(uint32(mem[e+3]), uint32(mem[e+2]))
		}
	case typ == 9 && n >= 16: // processor local x2APIC
		if le32(mem, e+8)&1 != 0 {
			m.addCPU(le32(mem, e+4), le32(mem, e+12))
		}
	case typ == 1 && n >= 12: // I/O APIC
		if m.NIOAPICs == MaxIOAPICs {
			m.Skipped++
			break
		}
		m.IOAPICs[m.NIOAPICs] = IOAPIC{ID: mem[e+2], Addr: le32(mem, e+4), GSIBase: le32(mem, e+8)}
		m.NIOAPICs++
	case typ == 2 && n >= 10: // interrupt source override
		if m.NOverrides == MaxOverrides {
			m.Skipped++
			break
		}
		m.Overrides[m.NOverrides] = Override{Source: mem[e+3], GSI: le32(mem, e+4), Flags: le16(mem, e+8)}
		m.NOverrides++
	case typ == 5 && n >= 12: // local APIC address override
		m.LocalAPIC = le64(mem, e+4)
	case typ == 0 || typ == 1 || typ == 2 || typ == 5 || typ == 9:
		return ErrBadEntry
	}
	return nil
}

//go:nosplit
func (m *MADT) addCPU(apicID, uid uint32) {
	if m.NCPUs == MaxCPUs {
		m.Skipped++
		return
	}
	m.CPUs[m.NCPUs] = CPU{APICID: apicID, UID: uid}
	m.NCPUs++
}

// findTable returns the address of the table with signature s listed in
// the root table of the RSDP at rsdp, after checking every checksum on
// the way.
//
//go:nosplit
func findTable(mem []byte, rsdp uint64, s string) (uint64, error) {
	if !in(mem, rsdp, rsdpLen) || !sig(mem, rsdp, "RSD PTR ") {
		return 0, ErrNoRSDP
	}
	if sum(mem, rsdp, rsdpLen) != 0 {
		return 0, ErrChecksum
	}
	root, width, rootSig := uint64(le32(mem, rsdp+16)), uint64(4), "RSDT"
	if mem[rsdp+15] >= 2 {
		if !in(mem, rsdp, rsdpExtLen) {
			return 0, ErrTruncated
		}
		if sum(mem, rsdp, rsdpExtLen) != 0 {
			return 0, ErrChecksum
		}
		if x := le64(mem, rsdp+24); x != 0 {
			root, width, rootSig = x, 8, "XSDT"
		}
	}
	n, err := table(mem, root)
	if err != nil {
		return 0, err
	}
	if !sig(mem, root, rootSig) {
		return 0, ErrSignature
	}
	for e := root + headerLen; e+width <= root+n; e += width {
		t := uint64(le32(mem, e))
		if width == 8 {
			t = le64(mem, e)
		}
		if in(mem, t, 4) && sig(mem, t, s) {
			if _, err := table(mem, t); err != nil {
				return 0, err
			}
			return t, nil
		}
	}
	return 0, ErrNoMADT
}

// table checks the header and checksum of the table at t and returns its
// length.
//
//go:nosplit
func table(mem []byte, t uint64) (uint64, error) {
	if !in(mem, t, headerLen) {
		return 0, ErrTruncated
	}
	n := uint64(le32(mem, t+4))
	if n < headerLen || !in(mem, t, n) {
		return 0, ErrTruncated
	}
	if sum(mem, t, n) != 0 {
		return 0, ErrChecksum
	}
	return n, nil
}

//go:nosplit
func sum(mem []byte, a, n uint64) byte {
	var s byte
	for i := uint64(0); i < n; i++ {
		s += mem[a+i]
	}
	return s
}

//go:nosplit
func sig(mem []byte, a uint64, s string) bool {
	for i := 0; i < len(s); i++ {
		if mem[a+uint64(i)] != s[i] {
			return false
		}
	}
	return true
}

//go:nosplit
func in(mem []byte, a, n uint64) bool {
	return a+n >= a && a+n <= uint64(len(mem))
}

//go:nosplit
func le16(b []byte, off uint64) uint16 { return uint16(b[off]) | uint16(b[off+1])<<8 }

//go:nosplit
func le32(b []byte, off uint64) uint32 {
	return uint32(le16(b, off)) | uint32(le16(b, off+2))<<16
}

//go:nosplit
func le64(b []byte, off uint64) uint64 {
	return uint64(le32(b, off)) | uint64(le32(b, off+4))<<32
}
