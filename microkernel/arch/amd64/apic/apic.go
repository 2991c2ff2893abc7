// Package apic drives the local APIC in xAPIC mode, through its
// memory-mapped registers: its ID, enabling it, interprocessor interrupts
// (INIT, startup, fixed), and its timer. Every CPU sees its own local APIC
// at the same address, so one mapping serves them all. QEMU 7.2 under TCG
// has no x2APIC, hence no MSR interface here.
package apic

import (
	"sync/atomic"

	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/mm"
)

// Register offsets (Intel SDM vol. 3, table "Local APIC Register Address Map").
const (
	regID      = 0x20
	regTPR     = 0x80
	regEOI     = 0xb0
	regSVR     = 0xf0
	regICRLow  = 0x300
	regICRHigh = 0x310
	regTimer   = 0x320 // LVT timer
	regInitial = 0x380 // timer initial count
	regCurrent = 0x390 // timer current count
	regDivide  = 0x3e0 // timer divide configuration
)

// Bits of the interrupt command register and the LVT.
const (
	icrInit    = 5 << 8
	icrStartup = 6 << 8
	icrNMI     = 4 << 8
	icrAssert  = 1 << 14
	icrPending = 1 << 12 // delivery status: not yet accepted
	lvtMasked  = 1 << 16
	lvtPeriod  = 1 << 17
	svrEnable  = 1 << 8
	divideBy16 = 3
)

var regs uintptr

// Init records where the local APIC's registers are mapped.
//
//go:nosplit
func Init(virt uintptr) { regs = virt }

//go:nosplit
func read(r uintptr) uint32 { return atomic.LoadUint32((*uint32)(mm.Ptr(regs + r))) }

//go:nosplit
func write(r uintptr, v uint32) { atomic.StoreUint32((*uint32)(mm.Ptr(regs+r)), v) }

// ID is the calling CPU's local APIC ID.
//
//go:nosplit
func ID() uint32 { return read(regID) >> 24 }

// Enable software-enables the calling CPU's local APIC with spurious vector
// amd64.VectorSpurious, accepting every priority. The LVT entries keep what
// they had: on the boot CPU the firmware's LINT0 (the 8259 PIC), on an AP
// all masked since INIT.
//
//go:nosplit
func Enable() {
	write(regTPR, 0)
	write(regSVR, read(regSVR)&^0xff|svrEnable|amd64.VectorSpurious)
}

// EOIRegister is the address of the end-of-interrupt register.
//
//go:nosplit
func EOIRegister() uintptr { return regs + regEOI }

// SendInit sends an INIT IPI to the CPU with local APIC ID dest.
//
//go:nosplit
func SendInit(dest uint32) bool { return send(dest, icrInit|icrAssert) }

// SendStartup sends a startup IPI: dest starts in real mode at page.
//
//go:nosplit
func SendStartup(dest uint32, page uint64) bool {
	return send(dest, icrStartup|icrAssert|uint32(page>>12))
}

// SendIPI sends a fixed interrupt with vector v to dest. The caller keeps
// interrupts off: the command register is two writes.
//
//go:nosplit
func SendIPI(dest uint32, v uint8) bool { return send(dest, icrAssert|uint32(v)) }

// send writes the command register and waits, bounded, for the local APIC
// to accept the IPI. It reports false if it never did.
//
//go:nosplit
func send(dest, low uint32) bool {
	write(regICRHigh, dest<<24)
	write(regICRLow, low)
	for i := 0; i < 1_000_000; i++ {
		if read(regICRLow)&icrPending == 0 {
			return true
		}
	}
	return false
}

// CalibrateTimer measures the timer's rate, divided by 16, against the
// TSC (tscPerMs cycles a millisecond) and returns counts per millisecond.
// Each of three 5 ms runs reads the TSC before it starts the count and
// after it reads it back, so a register access that waits (under TCG it
// takes QEMU's global lock) or a descheduled virtual CPU can only make the
// run's rate low, never high; the highest run is kept.
//
//go:nosplit
func CalibrateTimer(tscPerMs uint64) uint64 {
	const ms = 5
	best := uint64(0)
	write(regDivide, divideBy16)
	for i := 0; i < 3; i++ {
		write(regTimer, lvtMasked)
		start := amd64.Rdtsc()
		write(regInitial, ^uint32(0))
		for amd64.Rdtsc()-start < ms*tscPerMs {
		}
		n := uint64(^uint32(0) - read(regCurrent))
		if r := n * tscPerMs / (amd64.Rdtsc() - start); r > best {
			best = r
		}
	}
	write(regInitial, 0)
	return best
}

// StartTimer makes the timer interrupt with vector v every period counts
// (at the rate CalibrateTimer measured).
//
//go:nosplit
func StartTimer(v uint8, period uint32) {
	write(regDivide, divideBy16)
	write(regTimer, lvtPeriod|uint32(v))
	write(regInitial, period)
}

// SendNMI sends a non-maskable interrupt to dest: it is taken even with
// interrupts off, so it reaches a CPU that spins or deadlocks in the
// kernel (the stuck report's way to show where the holder is).
//
//go:nosplit
func SendNMI(dest uint32) bool { return send(dest, icrNMI|icrAssert) }
