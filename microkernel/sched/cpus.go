package sched

import (
	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/smp"
)

// Kick sends the wake-up IPI to idle CPUs, as many as there are threads
// that became runnable, so a thread woken on one CPU need not wait for
// another's timer tick. The caller holds the kernel lock and is about to
// let it go.
//
//go:nosplit
func Kick() {
	if !woke {
		return
	}
	woke = false
	self, n := me(), smp.Running()
	idle := 0
	for c := 0; c < n; c++ {
		if c != self && isIdle(cur[c]) {
			idle++
		}
	}
	if idle == 0 {
		return
	}
	waiting := 0
	for i := 1; i < MaxThreads && waiting < idle; i++ {
		if threads[i].state == runnable && threads[i].holder == 0 {
			waiting++
		}
	}
	for c := 0; c < n && waiting > 0; c++ {
		if c != self && isIdle(cur[c]) {
			smp.Wake(c)
			waiting--
		}
	}
}

// Lock enters a critical section of goroutine code that shares state with
// the trap path: interrupts off and the kernel lock held. It returns what
// Unlock needs.
//
//go:nosplit
func Lock() uint64 {
	fl := amd64.DisableInterrupts()
	smp.Lock()
	return fl
}

// Unlock leaves a critical section entered by Lock.
//
//go:nosplit
func Unlock(fl uint64) {
	Kick()
	smp.Unlock()
	amd64.RestoreInterrupts(fl)
}

// Idle reports whether the calling CPU runs its idle thread.
//
//go:nosplit
func Idle() bool { return isIdle(current()) }
