package sched

import (
	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/smp"
)

// Kick places the threads that became runnable without a CPU to wait
// for (place.go), then sends the wake-up IPI to idle CPUs that have a
// thread to run, so a thread woken on one CPU need not wait for another's
// timer tick: for each runnable thread, the CPU it waits for if that is
// idle, else an idle CPU its mask allows (which takes it from its busy
// CPU, pick). The caller holds the kernel lock and is about to let it go.
//
//go:nosplit
func Kick() {
	if !woke {
		return
	}
	woke = false
	self, n := me(), smp.Running()
	if n == 1 {
		return // the one CPU takes unplaced threads too (pick)
	}
	for i := 1; i < MaxThreads; i++ {
		if t := &threads[i]; t.state == runnable && t.queue == noCPU {
			t.queue = placeByLoad(t)
		}
	}
	var idle uint64
	for c := 0; c < n; c++ {
		if c != self && isIdle(cur[c]) {
			idle |= 1 << c
		}
	}
	var wake uint64
	for i := 1; i < MaxThreads && idle != 0; i++ {
		t := &threads[i]
		if t.state != runnable || t.holder != 0 {
			continue
		}
		m := idle & t.mask
		if q := uint64(1) << t.queue; idle&q != 0 {
			m = q
		}
		m &= -m
		wake |= m
		idle &^= m
	}
	for c := 0; wake != 0; c++ {
		if wake&1 != 0 {
			smp.Wake(c)
		}
		wake >>= 1
	}
}

// Lock enters a critical section of goroutine code that shares state with
// the trap path: interrupts off and the kernel lock held. It returns what
// Unlock needs. The lock belongs to the CPU, not the thread, so nothing
// in the section may block: no allocation (it may wait for a runtime
// lock), no channel, no call that can grow the stack. A trap that would
// switch threads inside a section stops the kernel (trap.nested).
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
