package sched

import (
	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/smp"
)

// Holding: a CPU that would go idle after its thread blocked in a call or
// reply wait keeps that thread as its current one and spins, without the
// kernel lock, until the thread is woken, for at most HoldCycles; then it
// resumes the thread where it is, with no address-space switch (its page
// tables are still loaded). On both sides of a forwarded Linux call on two
// CPUs this is the bounded spin of docs/smp.md: the caller's CPU spins for
// linuxd's reply, and linuxd's CPU, once it has replied and found no call
// queued, spins for the next one before it halts. Nothing is shared but
// the thread's state byte, which the waker writes under the lock and the
// holder only reads.

// HoldCycles is how long, in TSC cycles, a CPU spins for its blocked
// thread's wake-up before it runs other work or halts; 0 never holds.
// Set once at boot (kernel command line aramid.spin).
var HoldCycles uint64

// HoldCounts counts the holds that ended with the thread woken (Resumed)
// and those whose time ran out first (Expired), and the TSC cycles spent
// spinning in each kind (the CPU time the spins cost).
var HoldCounts struct {
	Resumed, Expired             uint64
	ResumedCycles, ExpiredCycles uint64
}

// holds is each CPU's hold: when its spin began and its TSC deadline (0
// when it holds nothing), how many of its holds in a row ran out, and the
// would-be holds it skipped since. Each has its own cache line, since its
// CPU polls beside it.
var holds [smp.MaxCPUs]struct {
	since, until    uint64
	misses, skipped uint32
	_               [40]byte
}

// A CPU whose last missLimit holds all ran out holds only one would-be
// hold in probeEvery until one is resumed again: spinning does not pay
// where the waker rarely runs while the holder spins (a host that does
// not give every virtual CPU a core), and costs the host the spin.
const (
	missLimit  = 4
	probeEvery = 16
)

// mayHold reports whether a CPU that would otherwise go idle should hold
// t, which just blocked for reason: only when another CPU can wake it,
// only a user thread (the kernel runtime's threads wait for timers and
// each other, which have their own wake-ups), and only for the waits a
// call or a reply ends (a Linux thread's forwarded call, a port_wait, a
// channel read, an epoll wait without a deadline), whose wake-up is
// likely to come soon. Futex waits and sleeps never hold. A CPU whose
// holds keep running out backs off (missLimit).
//
//go:nosplit
func mayHold(t *Thread, reason uint8) bool {
	if HoldCycles == 0 || smp.Running() < 2 || t.Proc == 0 || t.deadline != 0 || reason != WaitLinux && reason != WaitEvent {
		return false
	}
	h := &holds[me()]
	if h.misses < missLimit {
		return true
	}
	h.skipped++
	return h.skipped%probeEvery == 0
}

// hold makes the calling CPU keep t, which park has just saved as blocked.
// The trap path then spins (Spin) once it has let the kernel lock go.
//
//go:nosplit
func hold(t *Thread) {
	c := me()
	t.holder = int32(c) + 1
	holds[c].since = amd64.Rdtsc()
	holds[c].until = holds[c].since + HoldCycles
}

// Holding reports whether the calling CPU holds a blocked thread. The
// caller holds the kernel lock.
//
//go:nosplit
func Holding() bool { return holds[me()].until != 0 }

// Spin waits, without the kernel lock and with interrupts off, until the
// held thread's state changes (it was woken, or killed) or the hold's time
// is up. It answers TLB shootdowns and stop requests meanwhile, as the
// lock's wait loop does, and stops early for a stop request. Then the
// caller takes the lock and calls Unhold.
//
//go:nosplit
func Spin() {
	c := me()
	t := &threads[cur[c]]
	until := holds[c].until
	for n := 0; stateOf(t) == blocked; n++ {
		if smp.Answer() {
			return
		}
		// Under TCG reading the TSC takes a QEMU spinlock: now and then.
		if n%64 == 63 && amd64.Rdtsc() > until {
			return
		}
	}
}

// stateOf loads t's state for Spin, which runs without the kernel lock
// while another CPU may write it under the lock. It is not inlined, so
// the compiler cannot keep the byte in a register across Spin's turns;
// on amd64 a plain load sees the other CPU's store in order, and the lock
// Unhold takes orders everything after it.
//
//go:nosplit
//go:noinline
func stateOf(t *Thread) state { return t.state }

// Unhold ends the calling CPU's hold, under the kernel lock: if the held
// thread was woken it resumes on this CPU (unless its mask was changed
// meanwhile to exclude it: then Kick finds it a CPU), else the CPU runs
// the next thread, or its idle thread, and the held thread waits as any
// blocked thread does.
//
//go:nosplit
func Unhold(f *amd64.Frame, fx *amd64.FXArea) {
	c := me()
	spun := amd64.Rdtsc() - holds[c].since
	holds[c].until = 0
	i := cur[c]
	t := &threads[i]
	t.holder = 0
	switch {
	case t.state == runnable && t.allows(c):
		holds[c].misses = 0
		HoldCounts.Resumed++
		HoldCounts.ResumedCycles += spun
		switchTo(i, f, fx)
		return
	case t.state == runnable:
		woke = true // for Kick, which left it to this CPU
	default: // the time ran out, or the thread was killed
		holds[c].misses++
		HoldCounts.Expired++
		HoldCounts.ExpiredCycles += spun
	}
	switchTo(pick(), f, fx)
}
