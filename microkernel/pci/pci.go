// Package pci finds the machine's PCI functions at boot through
// configuration mechanism #1 (ports 0xCF8/0xCFC, ring 0 only): bus 0 and
// every bus behind a PCI-to-PCI bridge. It records each function's
// identity, interrupt line and memory BARs (sized by the usual write of
// all ones), so that the kernel can grant one function to one driver
// process (microkernel/proc, docs/devices.md).
//
// Like the rest of the kernel's device path it is go:nosplit and
// allocation-free: the table is fixed.
package pci

import "aramid/microkernel/arch/amd64"

// MaxFunctions bounds the table of functions found.
const MaxFunctions = 32

const (
	addrPort = 0xcf8
	dataPort = 0xcfc
	maxBuses = 8

	regID       = 0x00
	regCommand  = 0x04
	regClass    = 0x08
	regHeader   = 0x0c
	regBAR0     = 0x10
	regBusNums  = 0x18 // bridges: primary, secondary, subordinate
	regInterupt = 0x3c

	cmdMemory    = 1 << 1
	cmdBusMaster = 1 << 2
	cmdIntxOff   = 1 << 10
)

// BAR is a memory base address register of a function. I/O-space BARs
// are not recorded: drivers in ring 3 cannot use port I/O.
type BAR struct {
	Base, Size uint64
}

// Function is one PCI function.
type Function struct {
	Bus, Dev, Fn   uint8
	Vendor, Device uint16
	Class          uint32 // class, subclass, programming interface
	IRQ            uint8  // legacy interrupt line (PIC IRQ); 0xff if none
	BARs           [6]BAR
}

// Functions holds the functions found by Scan; Count says how many.
var (
	Functions [MaxFunctions]Function
	Count     int
)

//go:nosplit
func address(bus, dev, fn uint8, off uint16) uint32 {
	return 1<<31 | uint32(bus)<<16 | uint32(dev)<<11 | uint32(fn)<<8 | uint32(off&0xfc)
}

// Read32 reads the configuration dword at off (rounded down to 4) of
// a function.
//
//go:nosplit
func Read32(bus, dev, fn uint8, off uint16) uint32 {
	amd64.Outl(addrPort, address(bus, dev, fn, off))
	return amd64.Inl(dataPort)
}

// Write32 writes a configuration dword.
//
//go:nosplit
func Write32(bus, dev, fn uint8, off uint16, v uint32) {
	amd64.Outl(addrPort, address(bus, dev, fn, off))
	amd64.Outl(dataPort, v)
}

// Scan enumerates bus 0 and the buses behind its bridges.
//
//go:nosplit
func Scan() {
	Count = 0
	var buses [maxBuses]uint8
	nb := 1
	for i := 0; i < nb; i++ {
		bus := buses[i]
		for dev := uint8(0); dev < 32; dev++ {
			for fn := uint8(0); fn < 8; fn++ {
				id := Read32(bus, dev, fn, regID)
				if id&0xffff == 0xffff {
					if fn == 0 {
						break
					}
					continue
				}
				hdr := uint8(Read32(bus, dev, fn, regHeader) >> 16)
				if hdr&0x7f == 1 && nb < maxBuses {
					buses[nb] = uint8(Read32(bus, dev, fn, regBusNums) >> 8)
					nb++
				} else if hdr&0x7f == 0 {
					add(bus, dev, fn, id)
				}
				if fn == 0 && hdr&0x80 == 0 {
					break // not a multi-function device
				}
			}
		}
	}
}

//go:nosplit
func add(bus, dev, fn uint8, id uint32) {
	if Count == MaxFunctions {
		return
	}
	f := &Functions[Count]
	Count++
	*f = Function{Bus: bus, Dev: dev, Fn: fn, Vendor: uint16(id), Device: uint16(id >> 16)}
	f.Class = Read32(bus, dev, fn, regClass) >> 8
	f.IRQ = uint8(Read32(bus, dev, fn, regInterupt))
	if f.IRQ == 0 || f.IRQ >= 16 || uint8(Read32(bus, dev, fn, regInterupt)>>8) == 0 {
		f.IRQ = 0xff // no pin, or a line the firmware did not route
	}
	cmd := Read32(bus, dev, fn, regCommand)
	Write32(bus, dev, fn, regCommand, cmd&^cmdMemory) // no decoding while sizing
	for i := 0; i < 6; i++ {
		off := uint16(regBAR0 + 4*i)
		lo := Read32(bus, dev, fn, off)
		if lo&1 != 0 {
			continue // I/O space
		}
		wide := lo&6 == 4
		Write32(bus, dev, fn, off, 0xffffffff)
		size := uint64(Read32(bus, dev, fn, off) &^ 0xf)
		Write32(bus, dev, fn, off, lo)
		base := uint64(lo &^ 0xf)
		if wide && i < 5 {
			hi := Read32(bus, dev, fn, off+4)
			Write32(bus, dev, fn, off+4, 0xffffffff)
			size |= uint64(Read32(bus, dev, fn, off+4)) << 32
			Write32(bus, dev, fn, off+4, hi)
			base |= uint64(hi) << 32
		} else if size != 0 {
			size |= 0xffffffff << 32
		}
		if size != 0 && base != 0 {
			f.BARs[i] = BAR{Base: base, Size: ^size + 1}
		}
		if wide {
			i++
		}
	}
	Write32(bus, dev, fn, regCommand, cmd)
}

// Grant prepares function i for a driver: memory decoding and bus
// mastering on, legacy interrupts enabled. Revoke turns bus mastering
// off, so a device whose driver is gone stops reaching memory that may
// be reused.
//
//go:nosplit
func Grant(i int) { setCommand(i, cmdMemory|cmdBusMaster, cmdIntxOff) }

// Revoke is the inverse of Grant (see there).
//
//go:nosplit
func Revoke(i int) { setCommand(i, 0, cmdBusMaster) }

//go:nosplit
func setCommand(i int, set, clear uint32) {
	f := &Functions[i]
	cmd := Read32(f.Bus, f.Dev, f.Fn, regCommand) & 0xffff // not the status half
	Write32(f.Bus, f.Dev, f.Fn, regCommand, cmd&^clear|set)
}

// ReadConfig copies the first len(buf) bytes (at most 256) of function
// i's configuration space.
//
//go:nosplit
func ReadConfig(i int, buf []byte) {
	f := &Functions[i]
	for off := 0; off < len(buf) && off < 256; off += 4 {
		v := Read32(f.Bus, f.Dev, f.Fn, uint16(off))
		for b := 0; b < 4 && off+b < len(buf); b++ {
			buf[off+b] = byte(v >> (8 * b))
		}
	}
}
