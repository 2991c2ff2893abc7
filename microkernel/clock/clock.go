// Package clock keeps time: the PIT drives a 1 kHz tick on legacy line 0
// (package irq) for preemption and timeouts, the TSC (calibrated against the PIT at
// boot) gives nanosecond monotonic time, and the CMOS RTC gives the wall
// clock at boot.
package clock

import (
	"time"

	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/irq"
)

// HZ is the tick rate.
const HZ = 1000

const pitHz = 1193182

var (
	tscPerMs  uint64
	tscBoot   uint64
	bootEpoch int64 // wall-clock seconds at tscBoot
	ticks     uint64
)

// Init calibrates the TSC against PIT channel 2, reads the RTC, and
// starts the periodic tick on IRQ 0.
//
//go:nosplit
func Init() {
	tscBoot = amd64.Rdtsc()
	tscPerMs = calibrate()
	bootEpoch = readRTC()
	div := uint16(pitHz / HZ)
	amd64.Outb(0x43, 0x34) // channel 0, lo/hi, rate generator
	amd64.Outb(0x40, uint8(div))
	amd64.Outb(0x40, uint8(div>>8))
	irq.Unmask(0)
}

// calibrate measures the TSC against PIT channel 2 five times and keeps the
// lowest rate: under emulation the virtual CPU can be descheduled during a
// measurement, which only ever inflates it.
//
//go:nosplit
func calibrate() uint64 {
	best := ^uint64(0)
	for i := 0; i < 5; i++ {
		if r := calibrateOnce(); r < best {
			best = r
		}
	}
	return best
}

// calibrateOnce counts TSC cycles over 10 ms of PIT channel 2 (one-shot
// mode, gated by port 0x61) and returns cycles per millisecond.
//
//go:nosplit
func calibrateOnce() uint64 {
	const ms = 10
	count := uint16(pitHz * ms / 1000)
	amd64.Outb(0x61, amd64.Inb(0x61)&^0x02|0x01) // gate on, speaker off
	amd64.Outb(0x43, 0xb0)                       // channel 2, lo/hi, mode 0
	amd64.Outb(0x42, uint8(count))
	amd64.Outb(0x42, uint8(count>>8))
	start := amd64.Rdtsc()
	for amd64.Inb(0x61)&0x20 == 0 {
	}
	return (amd64.Rdtsc() - start) / ms
}

// Nanotime is monotonic time since boot in nanoseconds.
//
//go:nosplit
func Nanotime() int64 {
	d := amd64.Rdtsc() - tscBoot
	return int64(d/tscPerMs*1e6 + d%tscPerMs*1e6/tscPerMs)
}

// Walltime is the wall clock in nanoseconds since the Unix epoch.
//
//go:nosplit
func Walltime() int64 { return bootEpoch*1e9 + Nanotime() }

// TSCPerMs is the calibrated TSC rate.
//
//go:nosplit
func TSCPerMs() uint64 { return tscPerMs }

// Tick counts a timer interrupt and acknowledges it.
//
//go:nosplit
func Tick() {
	ticks++
	irq.EOI(0)
}

// Ticks is the number of timer interrupts since boot.
//
//go:nosplit
func Ticks() uint64 { return ticks }

// Uptime is the time since the CPU was reset (the TSC starts at zero), so it
// includes firmware and boot time.
func Uptime() time.Duration {
	return time.Duration(amd64.Rdtsc() / tscPerMs * 1e6)
}
