package trap

import (
	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/proc"
	"aramid/microkernel/sched"
)

// Profile, when not nil (kernel command line aramid.calls, which
// allocates it: 1.5 MiB the kernel does not hold otherwise), counts every
// process's system calls by number while On, the timer ticks that found each process (or
// the idle thread) running, and device interrupts by line, for the
// monitor's "calls" command: where a workload's calls, switches and time
// go (docs/performance.md). Counting costs a store per trap, so it is off
// unless asked for.
var Profile *CallProfile

// CallProfile is what Profile counts.
type CallProfile struct {
	On bool
	// Linux and Native count each process's calls by number (a native
	// call's less abi.NativeBase); the last Linux row takes larger
	// numbers.
	Linux  [proc.MaxProcs][ProfileLinux]uint32
	Native [proc.MaxProcs][ProfileNative]uint32
	IRQs   [16]uint32
	// Ticks counts the ticks that found a process's thread running (the
	// kernel's row 0: its own goroutines); IdleTicks those that found
	// the CPU idle.
	Ticks     [proc.MaxProcs]uint32
	IdleTicks uint32
	// Samples holds the last ProfileSamples user-mode RIPs a tick found,
	// with their process; NSamples counts them all.
	Samples  [ProfileSamples]Sample
	NSamples uint64
	// Events holds the last ProfileEvents traps, for the monitor's
	// "events": a timeline of one request; NEvents counts them all.
	Events  [ProfileEvents]Event
	NEvents uint64
}

// Event is one trap: its TSC, the thread and process it interrupted,
// its vector and (for a system call) its number.
type Event struct {
	TSC    uint64
	TID    int32
	Proc   int16
	Vector uint16
	Nr     uint32
}

// Sample is where a tick found a process running in user mode.
type Sample struct {
	Proc int32
	RIP  uint64
}

// The numbers of calls Profile tells apart.
const (
	ProfileLinux   = 512
	ProfileNative  = 128
	ProfileSamples = 1 << 16
	ProfileEvents  = 1 << 14
)

//go:nosplit
func profile(f *amd64.Frame) {
	pr := Profile
	p, v, nr := proc.Current(), f.Vector, f.RAX
	pr.Events[pr.NEvents%ProfileEvents] = Event{amd64.Rdtsc(), sched.TID(), int16(p), uint16(v), uint32(nr)}
	pr.NEvents++
	switch {
	case v == irqTimer && sched.Idle():
		pr.IdleTicks++
	case v == irqTimer:
		pr.Ticks[p]++
		if f.CS&3 != 0 {
			pr.Samples[pr.NSamples%ProfileSamples] = Sample{p, f.RIP}
			pr.NSamples++
		}
	case v > irqTimer && v <= irqLast:
		pr.IRQs[v-irqTimer]++
	case v != amd64.SyscallVector:
	case nr >= proc.NativeBase:
		pr.Native[p][min(nr-proc.NativeBase, ProfileNative-1)]++
	default:
		pr.Linux[p][min(nr, ProfileLinux-1)]++
	}
}

// ResetProfile zeroes the counts of Profile and of sched.Into.
func ResetProfile() {
	p := Profile
	p.Linux = [proc.MaxProcs][ProfileLinux]uint32{}
	p.Native = [proc.MaxProcs][ProfileNative]uint32{}
	p.IRQs = [16]uint32{}
	p.Ticks = [proc.MaxProcs]uint32{}
	p.IdleTicks = 0
	p.NSamples = 0
	p.NEvents = 0
	sched.Into = [proc.MaxProcs]uint64{}
	sched.IntoIdle = 0
}
