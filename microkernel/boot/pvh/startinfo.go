// Package pvh reads what QEMU hands the kernel at a PVH entry (the
// hvm_start_info structure: memory map, modules, command line) and writes the
// ELF note that makes QEMU choose PVH entry at all. Everything here is pure
// and host-tested; the parser is also safe to run before the Go runtime
// starts (no allocation, go:nosplit).
package pvh

// StartInfoMagic is hvm_start_info.magic.
const StartInfoMagic = 0x336ec578

// Limits on what the kernel records. A machine with more regions or modules
// than this has the extra ones ignored (and reported by the caller).
const (
	MaxRegions = 64
	MaxModules = 8
)

// Memory region types (E820).
const (
	RAM      = 1
	Reserved = 2
)

// Region is one memory map entry.
type Region struct {
	Base, Size uint64
	Type       uint32
}

// Module is a blob QEMU loaded next to the kernel (the -initrd file).
type Module struct {
	Base, Size uint64
}

// StartInfo is the parsed hvm_start_info.
type StartInfo struct {
	Regions  [MaxRegions]Region
	NRegions int
	Modules  [MaxModules]Module
	NModules int
	Cmdline  [256]byte // NUL-terminated copy of the command line
	// RSDP is the physical address of the ACPI RSDP, or 0 when the loader
	// did not say (QEMU's PVH option ROM looks for it in the BIOS area).
	RSDP uint64
}

// Error is a parse failure. It is a string type so that a constant error
// needs no allocation.
type Error string

func (e Error) Error() string { return string(e) }

// Parse errors.
const (
	ErrMagic     = Error("pvh: bad hvm_start_info magic")
	ErrVersion   = Error("pvh: hvm_start_info version 0 has no memory map")
	ErrTruncated = Error("pvh: structure outside physical memory")
)

// Parse decodes the hvm_start_info at physical address addr. mem is a view
// of physical memory starting at address 0.
//
//go:nosplit
func Parse(mem []byte, addr uint64, si *StartInfo) error {
	if !in(mem, addr, 56) {
		return ErrTruncated
	}
	if le32(mem, addr) != StartInfoMagic {
		return ErrMagic
	}
	if le32(mem, addr+4) < 1 {
		return ErrVersion
	}
	nmod := uint64(le32(mem, addr+12))
	modlist := le64(mem, addr+16)
	cmdline := le64(mem, addr+24)
	si.RSDP = le64(mem, addr+32)
	memmap := le64(mem, addr+40)
	nmap := uint64(le32(mem, addr+48))

	si.NRegions = 0
	for i := uint64(0); i < nmap && si.NRegions < MaxRegions; i++ {
		e := memmap + 24*i
		if !in(mem, e, 24) {
			return ErrTruncated
		}
		si.Regions[si.NRegions] = Region{Base: le64(mem, e), Size: le64(mem, e+8), Type: le32(mem, e+16)}
		si.NRegions++
	}
	si.NModules = 0
	for i := uint64(0); i < nmod && si.NModules < MaxModules; i++ {
		e := modlist + 32*i
		if !in(mem, e, 32) {
			return ErrTruncated
		}
		si.Modules[si.NModules] = Module{Base: le64(mem, e), Size: le64(mem, e+8)}
		si.NModules++
	}
	si.Cmdline[0] = 0
	if cmdline != 0 {
		for i := 0; i < len(si.Cmdline)-1; i++ {
			if !in(mem, cmdline+uint64(i), 1) {
				return ErrTruncated
			}
			si.Cmdline[i] = mem[cmdline+uint64(i)]
			si.Cmdline[i+1] = 0
			if si.Cmdline[i] == 0 {
				break
			}
		}
	}
	return nil
}

//go:nosplit
func in(mem []byte, addr, n uint64) bool {
	return addr+n >= addr && addr+n <= uint64(len(mem))
}

//go:nosplit
func le32(b []byte, off uint64) uint32 {
	return uint32(b[off]) | uint32(b[off+1])<<8 | uint32(b[off+2])<<16 | uint32(b[off+3])<<24
}

//go:nosplit
func le64(b []byte, off uint64) uint64 {
	return uint64(le32(b, off)) | uint64(le32(b, off+4))<<32
}
