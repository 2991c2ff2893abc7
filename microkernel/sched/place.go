package sched

import "aramid/microkernel/smp"

// Placement (docs/smp.md): every thread has a CPU mask and the CPU it
// last ran on. A thread that becomes runnable waits for its last CPU if
// its mask allows it, since that CPU's caches and TLB may still hold its
// state (ready); otherwise for the least loaded CPU it allows, which Kick
// chooses before the kernel lock is let go (until then any CPU it allows
// may take it). A CPU runs the threads that wait for it first, and takes
// one waiting for another CPU only if its mask allows and that CPU is
// busy, so no thread waits while a CPU it may run on is idle.

// AnyCPU is the mask of a thread or process that was never placed: every
// CPU, including those that start running threads later.
const AnyCPU = ^uint64(0)

// noCPU is the last CPU of a thread that has not run yet.
const noCPU = -1

// Online is the mask of the CPUs that run threads.
//
//go:nosplit
func Online() uint64 { return 1<<smp.Running() - 1 }

//go:nosplit
func (t *Thread) allows(c int) bool { return c >= 0 && t.mask>>c&1 != 0 }

// Mask returns t's CPU mask.
//
//go:nosplit
func (t *Thread) Mask() uint64 { return t.mask }

// placeByLoad is byLoad, called through a function value so that the
// linker checks its nosplit chain on its own (docs/runtime-hosting.md).
var placeByLoad = byLoad

// byLoad returns the least loaded CPU t allows, counting each CPU's
// running thread and the threads that wait for it.
//
//go:nosplit
func byLoad(t *Thread) int8 {
	n := smp.Running()
	load := &loadScratch
	for c := 0; c < n; c++ {
		load[c] = 0
		if !isIdle(cur[c]) {
			load[c]++
		}
	}
	for i := 1; i < MaxThreads; i++ {
		if u := &threads[i]; u.state == runnable && u != t && u.queue != noCPU {
			load[u.queue]++
		}
	}
	return int8(leastLoaded(t.mask, load, n))
}

// loadScratch is byLoad's count of threads per CPU, kept out of its frame;
// the kernel lock serializes its use.
var loadScratch [smp.MaxCPUs]int

// leastLoaded returns the CPU among the first n that mask allows with the
// smallest load (the lowest-numbered on a tie), or CPU 0 if mask allows
// none of them, which the affinity call's checks rule out.
//
//go:nosplit
func leastLoaded(mask uint64, load *[smp.MaxCPUs]int, n int) int {
	best := -1
	for c := 0; c < n; c++ {
		if mask>>c&1 != 0 && (best < 0 || load[c] < load[best]) {
			best = c
		}
	}
	if best < 0 {
		return 0
	}
	return best
}

// takes reports whether CPU c may run a runnable thread with mask that
// waits for CPU q: its own, another's that is busy (running a thread
// other than its idle one) or does not run threads, or none yet (noCPU).
//
//go:nosplit
func takes(c, q int, mask uint64, busy uint64) bool {
	if mask>>c&1 == 0 {
		return false
	}
	return q == c || q == noCPU || busy>>q&1 != 0
}

// busyCPUs is the mask of CPUs that cannot take a waiting thread at once:
// those running a thread, and every CPU that does not run threads.
//
//go:nosplit
func busyCPUs() uint64 {
	busy := ^Online()
	for c := 0; c < smp.Running(); c++ {
		if !isIdle(cur[c]) {
			busy |= 1 << c
		}
	}
	return busy
}

// SetMask gives t the CPU mask m, which the caller has limited to CPUs
// that run threads and found not empty. A thread that waits for a CPU m
// excludes is placed again; one running on another CPU that m excludes
// gets the wake-up IPI and switches away in that trap (Leaving), as the
// calling thread does when its call returns.
//
//go:nosplit
func (t *Thread) SetMask(m uint64) {
	t.mask = m
	switch t.state {
	case runnable:
		if !t.allows(int(t.queue)) {
			ready(t)
		}
	case running:
		if c := t.elsewhere(); c >= 0 && !t.allows(c) {
			smp.Wake(c)
		}
	}
}

// elsewhere returns the CPU other than the calling one that runs t, or -1.
//
//go:nosplit
func (t *Thread) elsewhere() int {
	for c := 0; c < smp.Running(); c++ {
		if &threads[cur[c]] == t && c != me() {
			return c
		}
	}
	return -1
}

// SetProcMask gives every thread of process proc the CPU mask m (SetMask).
//
//go:nosplit
func SetProcMask(proc int32, m uint64) {
	for i := 1; i < MaxThreads; i++ {
		if t := &threads[i]; t.Proc == proc && t.state != free && t.state != dead {
			t.SetMask(m)
		}
	}
}

// What a trap must do before it returns to the current thread (Leaving).
const (
	LeaveNone        = iota
	LeaveDead        // the thread was killed: switch away (Reschedule)
	LeaveInterrupted // it must go to its personality server (interrupt.go)
	LeaveMisplaced   // it may no longer run here, or the CPU idles with work waiting (Yield)
)

// Leaving says what the trap that ends on the calling CPU must do before
// it returns to the current thread; user is whether the trap came from
// ring 3, where only a thread can be dead or interrupted. Misplaced: its
// thread may no longer run on this CPU, or the CPU is idle and a thread
// became runnable during the trap (a device interrupt on an idle CPU,
// whose timer is stopped). One function with one look at the thread,
// since every trap asks.
//
//go:nosplit
func Leaving(user bool) int {
	c := current()
	if isIdle(c) {
		if woke {
			return LeaveMisplaced
		}
		return LeaveNone
	}
	t := &threads[c]
	switch {
	case user && t.state == dead:
		return LeaveDead
	case user && t.interrupt != interruptNone:
		return LeaveInterrupted
	case !t.allows(me()):
		return LeaveMisplaced
	}
	return LeaveNone
}
