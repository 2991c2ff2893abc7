package smp

import (
	"sync/atomic"

	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/arch/amd64/apic"
	"aramid/microkernel/clock"
	"aramid/microkernel/console"
	"aramid/microkernel/dev"
)

// big is the kernel lock: whoever holds it owns every table of the trap
// path (threads, processes, handles, channels, page tables, frames, the
// runtime's futexes and fds). The trap path holds it from entry to return
// (trap.Handle), goroutines for their critical sections (sched.Lock), so
// it is only ever held with interrupts off, and never across a halt or a
// return to a thread. owner is the holder's CPU index plus one (0: free);
// depth counts a trap nested in a trap on the owner (a fault in the trap
// path), which must not wait for itself. docs/smp.md says why one lock,
// and why a plain test-and-set one without PAUSE.
var big struct {
	owner uint32
	_     [60]byte
	depth uint32
}

// lockTimeout is how long a CPU waits for the lock before it reports a
// deadlock. It is far longer than any trap takes, even a fork of a large
// process on a host so overcommitted that a virtual CPU holding the lock
// is descheduled for seconds (docs/smp.md): only a real deadlock waits
// that long.
const lockTimeout = 30e9

// Lock takes the kernel lock. While it waits it answers TLB shootdowns, so
// a holder that waits for this CPU's answer cannot deadlock with it.
//
//go:nosplit
func Lock() {
	me := amd64.ThisCPU().Index + 1
	if atomic.LoadUint32(&big.owner) == me {
		big.depth++
		return
	}
	if !atomic.CompareAndSwapUint32(&big.owner, 0, me) {
		wait(me)
	}
	big.depth = 1
}

// wait spins until this CPU takes the lock from another. The clock is
// read only here, not on Lock's uncontended path, which every trap takes.
//
//go:nosplit
func wait(me uint32) {
	since := clock.Nanotime()
	for n := 1; !atomic.CompareAndSwapUint32(&big.owner, 0, me); n++ {
		for atomic.LoadUint32(&big.owner) != 0 {
			answer()
			// Under TCG reading the TSC takes a QEMU spinlock: look at
			// the clock only now and then.
			if n++; n%4096 == 0 && clock.Nanotime()-since > lockTimeout {
				stuck("kernel lock held by cpu ", uint64(atomic.LoadUint32(&big.owner))-1)
			}
		}
	}
}

// Nested reports whether the calling CPU, which holds the kernel lock,
// took it again in a trap that interrupted a section that held it.
//
//go:nosplit
func Nested() bool { return big.depth > 1 }

// Unlock releases one level of the kernel lock.
//
//go:nosplit
func Unlock() {
	if big.depth--; big.depth == 0 {
		atomic.StoreUint32(&big.owner, 0)
	}
}

// stuck reports a CPU that waited too long for CPU other and stops the
// machine: a deadlock is a kernel bug. It sends other a non-maskable
// interrupt, whose handler prints where other is (crash.NMI) and stops
// the machine; if that report does not come within a second, stuck stops
// it. It is called through a function value so that the linker checks its
// nosplit chain apart from the deep ones it ends (docs/runtime-hosting.md).
var stuck = reportStuck

//go:nosplit
func reportStuck(what string, other uint64) {
	console.Print("\nKERNEL FAULT: cpu ")
	console.Dec(uint64(amd64.ThisCPU().Index))
	console.Print(" stuck: ")
	console.Print(what)
	console.Dec(other)
	console.Print("\n")
	if other < uint64(ncpus) && apic.SendNMI(cpus[other].apicID) {
		for end := clock.Nanotime() + 1e9; clock.Nanotime() < end; {
		}
	}
	dev.QEMUExit(dev.ExitFailure)
	amd64.Stop()
}
