// Package sched runs threads: the kernel runtime's Ms and the threads of
// user processes. It is a small preemptive round-robin scheduler whose only
// state is a fixed table of thread records, each holding a complete
// register state (Frame with its FS base, and FX area). Threads never run
// kernel code on their own stacks: a thread that blocks in a system call is
// simply not resumed until it is woken, with the result it will see in RAX.
// So there are no per-thread kernel stacks, and all of this runs with
// interrupts disabled on the trap stack, under the kernel lock (smp.Lock):
// every CPU that runs threads picks them from the one table, and each has
// its own current thread and idle thread (docs/smp.md).
package sched

import (
	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/clock"
	"aramid/microkernel/smp"
)

// MaxThreads bounds the thread table.
const MaxThreads = 256

// MaxProcs bounds the process table (proc.MaxProcs), so a thread's Proc.
const MaxProcs = 64

// Quantum is how many ticks a thread runs before preemption.
const Quantum = 10

type state uint8

const (
	free state = iota
	runnable
	running
	blocked
	dead
)

// Wait reasons, so that a wake finds only the threads waiting for it.
const (
	WaitNone  = iota
	WaitFutex // key: futex address
	WaitSleep
	WaitEvent // key: event object id (epoll, console)
	WaitLinux // key: syscall port; a Linux thread waiting for linuxd's reply
)

// Thread is one kernel thread.
type Thread struct {
	Frame amd64.Frame
	FX    amd64.FXArea
	TID   int32
	// Proc is the owning process (0: the kernel); CR3 its page-table root,
	// loaded when the thread is switched in (0: any address space will do,
	// because kernel threads only use the shared upper half).
	Proc   int32
	CR3    uint64
	state  state
	reason uint8
	// interrupt is set (Interrupt) when the thread must go to its
	// personality server before it next runs user code (interrupt.go);
	// beside state, which every trap's end reads with it (Leaving).
	interrupt uint8
	key       uint64
	// deadline is the monotonic time at which a blocked thread is woken
	// with timeoutResult; 0 means never.
	deadline      int64
	timeoutResult uint64
	// restart means the thread re-executes its system call when woken
	// (its RIP was wound back over SYSCALL), so the call sees the new state.
	restart bool
	// WaitStart is when a restartable wait with a timeout began, so that
	// restarts do not extend it; cleared when the wait ends.
	WaitStart int64
	ran       uint64 // ticks in the current quantum
	// mask is the set of CPUs the thread may run on (bit i: CPU i); last
	// is the CPU it last ran on (noCPU before it first runs), and queue
	// the CPU it waits for while runnable (place.go).
	mask        uint64
	last, queue int8
	// holder is the CPU (index plus one) that keeps this blocked thread
	// as its current one and spins for its wake-up (hold.go): no other
	// CPU may pick it.
	holder int32
	// woke is the thread this one last woke with a message (a server's
	// reply wakes its caller), to which its next block hands the CPU.
	woke int32
}

var (
	// threads holds MaxThreads slots for threads (slot 0 unused), then
	// each CPU's idle thread, which is never in the run rotation.
	threads [MaxThreads + smp.MaxCPUs]Thread
	// cur is each CPU's running thread; switches counts its context
	// switches.
	cur      [smp.MaxCPUs]int
	switches [smp.MaxCPUs]uint64
	// Into counts, per process (a thread's Proc), the switches to one of
	// its threads, for the monitor's call profile; IntoIdle those to an idle
	// thread.
	Into     [MaxProcs]uint64
	IntoIdle uint64
	// gens counts the threads each slot has held; a thread's id is its
	// slot plus MaxThreads times that count, so Find is one lookup.
	gens [MaxThreads]int32
	rr   int
	// woke says a thread became runnable since the last Kick.
	woke bool
)

// The boot CPU's idle thread runs on idleStack; an AP's on the stack it
// started on (StartCPU).
var idleStack [4096]byte

// me is the calling CPU's index.
//
//go:nosplit
func me() int { return int(amd64.ThisCPU().Index) }

// current is the calling CPU's running thread.
//
//go:nosplit
func current() int { return cur[me()] }

//go:nosplit
func idleOf(cpu int) int { return MaxThreads + cpu }

//go:nosplit
func isIdle(i int) bool { return i >= MaxThreads }

// ready makes t runnable, waiting for its last CPU if its mask allows
// it, else for the CPU Kick chooses (place.go), and for Kick to wake that
// CPU (or another it may run on) if idle. A CPU that holds t (hold.go)
// sees the new state itself, and Kick leaves t to it.
//
//go:nosplit
func ready(t *Thread) {
	t.state = runnable
	t.queue = t.last
	if t.mask>>uint8(t.last)&1 == 0 { // noCPU shifts the mask out
		t.queue = noCPU
	}
	woke = true
}

// handOff reports whether the calling CPU may switch straight to t, a
// thread its caller just woke: t is runnable, no other CPU holds it, and
// its mask allows this CPU.
//
//go:nosplit
func handOff(t *Thread) bool { return t.state == runnable && t.holder == 0 && t.allows(me()) }

// Init makes the caller (the boot thread) thread 1 with the given FS base,
// and prepares the idle thread.
//
//go:nosplit
func Init(fsBase uint64) {
	it := &threads[idleOf(0)]
	it.state = running
	it.Frame.RIP = amd64.IdleRIP()
	it.Frame.CS = amd64.KernelCS
	it.Frame.SS = amd64.KernelSS
	it.Frame.RFLAGS = amd64.FlagIF | amd64.FlagReserved
	it.Frame.RSP = uint64(addrOf(&idleStack[len(idleStack)-16]))
	// Traps taken while idle go through the ABI wrapper, which reads g
	// from TLS: the idle thread needs a valid FS base too.
	it.Frame.FSBase = fsBase
	defaultFX(&it.FX)
	boot := &threads[1]
	boot.state = running
	boot.Frame.FSBase = fsBase
	boot.TID = 1
	boot.mask = AnyCPU
	cur[0] = 1
}

// StartCPU makes the calling CPU, an AP joining the scheduler, run its idle
// thread: whatever the CPU runs now, which will be saved as that thread
// when it is first switched away from. The caller holds the kernel lock.
//
//go:nosplit
func StartCPU() {
	c := me()
	threads[idleOf(c)] = Thread{state: running, mask: 1 << c, last: int8(c)}
	cur[c] = idleOf(c)
}

// Switches counts the context switches of every CPU.
//
//go:nosplit
func Switches() uint64 {
	n := uint64(0)
	for _, s := range switches {
		n += s
	}
	return n
}

// SwitchesOn counts CPU cpu's context switches.
//
//go:nosplit
func SwitchesOn(cpu int) uint64 { return switches[cpu] }

// defaultFX sets the FXSAVE image of a fresh thread: default x87 control
// word and MXCSR with all exceptions masked.
//
//go:nosplit
func defaultFX(fx *amd64.FXArea) {
	*fx = amd64.FXArea{}
	fx[0], fx[1] = 0x7f, 0x03   // FCW 0x037f
	fx[24], fx[25] = 0x80, 0x1f // MXCSR 0x1f80
}

// Current returns the running thread.
//
//go:nosplit
func Current() *Thread { return &threads[current()] }

// TID returns the running thread's id.
//
//go:nosplit
func TID() int32 { return threads[current()].TID }

// Clone creates a thread that starts with the trapped frame f (the parent's
// state at its SYSCALL), but on stack sp, with FS base tls and RAX = 0, and
// the parent's CPU mask. It returns the new thread's id, or -1 when the
// table is full.
//
//go:nosplit
func Clone(f *amd64.Frame, fx *amd64.FXArea, sp, tls uint64) int32 {
	return clone(f, fx, sp, tls, threads[current()].Proc, threads[current()].CR3, threads[current()].mask)
}

// clone is Clone into process proc's address space cr3, with CPU mask.
//
//go:nosplit
func clone(f *amd64.Frame, fx *amd64.FXArea, sp, tls uint64, proc int32, cr3, mask uint64) int32 {
	for i := 1; i < MaxThreads; i++ {
		t := &threads[i]
		if !reusable(i) {
			continue
		}
		*t = Thread{}
		t.Frame = *f
		t.Frame.RSP = sp
		t.Frame.RAX = 0
		t.Frame.FSBase = tls
		amd64.FullFX(fx)
		t.FX = *fx
		t.Proc, t.CR3 = proc, cr3
		t.mask, t.last = mask, noCPU
		t.TID = newTID(i)
		ready(t)
		return t.TID
	}
	return -1
}

// newTID returns a fresh thread id for slot i: ids never repeat (until
// 2^31 / MaxThreads threads have used the slot) and Find maps an id back
// to its slot with one division.
//
//go:nosplit
func newTID(i int) int32 {
	gens[i]++
	return gens[i]*MaxThreads + int32(i)
}

// SpawnUser creates a thread of process proc with CPU mask: it starts in
// ring 3 at rip with stack sp, in the address space rooted at cr3.
//
//go:nosplit
func SpawnUser(proc int32, cr3, rip, sp, mask uint64) int32 {
	for i := 1; i < MaxThreads; i++ {
		t := &threads[i]
		if !reusable(i) {
			continue
		}
		*t = Thread{Proc: proc, CR3: cr3, mask: mask, last: noCPU}
		t.Frame.RIP, t.Frame.RSP = rip, sp
		t.Frame.CS, t.Frame.SS = amd64.UserCS, amd64.UserSS
		t.Frame.RFLAGS = amd64.FlagIF | amd64.FlagReserved
		defaultFX(&t.FX)
		t.TID = newTID(i)
		ready(t)
		return t.TID
	}
	return -1
}

// reusable reports whether slot i may take a new thread: it is free, or
// its thread is dead and no CPU still has it as its current thread (one
// killed while it ran elsewhere, until that CPU switches away).
//
//go:nosplit
func reusable(i int) bool {
	switch threads[i].state {
	case free:
		return true
	case dead:
		for c := 0; c < smp.Running(); c++ {
			if cur[c] == i {
				return false
			}
		}
		return true
	}
	return false
}

// ForkThread creates the only thread of a forked process: a copy of the
// thread trapped in f that returns 0 from its system call, in process
// proc's address space, with CPU mask.
//
//go:nosplit
func ForkThread(f *amd64.Frame, fx *amd64.FXArea, proc int32, cr3, mask uint64) int32 {
	return clone(f, fx, f.RSP, f.FSBase, proc, cr3, mask)
}

// KillProc ends every thread of process proc. The caller switches away if
// the current thread was one of them.
//
//go:nosplit
func KillProc(proc int32) { kill(proc, 0) }

// kill ends every thread of process proc but keep, and waits until no
// other CPU runs one of them any more: each such CPU is stopped in the
// kernel, where it will see its thread dead (trap.Handle) and switch away.
//
//go:nosplit
func kill(proc, keep int32) {
	for i := 1; i < MaxThreads; i++ {
		if t := &threads[i]; t.Proc == proc && t.TID != keep && t.state != free {
			t.state = dead
		}
	}
	var others uint32
	for c := 0; c < smp.Running(); c++ {
		if t := &threads[cur[c]]; c != me() && t.state == dead && t.Proc == proc {
			others |= 1 << c
		}
	}
	smp.Stop(others)
}

// CurrentDead reports whether the running thread has been killed.
//
//go:nosplit
func CurrentDead() bool { return threads[current()].state == dead }

// Reschedule switches to another thread after the current one was killed.
//
//go:nosplit
func Reschedule(f *amd64.Frame, fx *amd64.FXArea) { switchTo(pick(), f, fx) }

// save records the trapped state as thread t's, the current one. The
// caller passes t, which it has at hand: looking it up again here would
// add bounds checks to the trap path's deepest nosplit chain.
//
//go:nosplit
func save(t *Thread, f *amd64.Frame, fx *amd64.FXArea) {
	t.Frame = *f
	amd64.FullFX(fx)
	t.FX = *fx
}

// TimeSwitches makes switchTo add the cycles of its CR3 writes to
// SwitchCycles, for trap.Stages (kernel command line aramid.stages).
var (
	TimeSwitches bool
	SwitchCycles uint64
)

// idleTimer is smp.IdleTimer, called through a function value so that the
// linker checks its nosplit chain (APIC accesses) apart from the deep
// chains that switch threads (docs/runtime-hosting.md).
var idleTimer = smp.IdleTimer

// switchTo loads thread i's state into the trap frame.
//
//go:nosplit
func switchTo(i int, f *amd64.Frame, fx *amd64.FXArea) {
	t := &threads[i]
	*f = t.Frame
	*fx = t.FX
	amd64.LoadedFX()
	if t.CR3 != 0 && t.CR3 != amd64.ReadCR3() {
		if TimeSwitches {
			t0 := amd64.Rdtsc()
			amd64.SetSpace(t.CR3)
			SwitchCycles += amd64.Rdtsc() - t0
		} else {
			amd64.SetSpace(t.CR3)
		}
	}
	t.state = running
	t.ran = 0
	t.last = int8(me())
	if c := me(); cur[c] != i {
		switches[c]++
		countInto(i)
		if c != 0 && isIdle(i) != isIdle(cur[c]) {
			idleTimer(isIdle(i))
		}
		cur[c] = i
	}
}

// countInto counts a switch to thread i in Into or IntoIdle.
//
//go:nosplit
func countInto(i int) {
	switch p := threads[i].Proc; {
	case isIdle(i):
		IntoIdle++
	case p >= 0 && p < MaxProcs:
		Into[p]++
	}
}

// pick returns the calling CPU's next thread: the next runnable one in
// round robin order that waits for this CPU or for none yet, else one
// this CPU may take from a busy CPU (place.go), else the idle thread.
//
//go:nosplit
func pick() int {
	c, busy, other := me(), busyCPUs(), 0
	for n := 1; n < MaxThreads; n++ {
		i := (rr+n-1)%(MaxThreads-1) + 1
		t := &threads[i]
		if t.state != runnable || t.holder != 0 || !takes(c, int(t.queue), t.mask, busy) {
			continue
		}
		if int(t.queue) == c || t.queue == noCPU {
			rr = i
			return i
		}
		if other == 0 {
			other = i
		}
	}
	if other != 0 {
		rr = other
		return other
	}
	return idleOf(c)
}

// reschedule saves the current thread (already marked by the caller) and
// switches to the next runnable one.
//
//go:nosplit
func reschedule(f *amd64.Frame, fx *amd64.FXArea) {
	save(&threads[current()], f, fx)
	switchTo(pick(), f, fx)
}

// Yield puts the current thread at the back of the rotation.
//
//go:nosplit
func Yield(f *amd64.Frame, fx *amd64.FXArea) {
	// A thread killed while it ran stays dead.
	if c := current(); !isIdle(c) && threads[c].state == running {
		ready(&threads[c])
	}
	reschedule(f, fx)
}

// Block parks the current thread until Wake(reason, key) or the deadline
// (monotonic ns, 0 = none). result is what the thread's system call
// returns when it is woken; timeoutResult, when the deadline passes.
//
//go:nosplit
func Block(f *amd64.Frame, fx *amd64.FXArea, reason uint8, key uint64, deadline int64, result, timeoutResult uint64) {
	threads[current()].restart = false
	park(f, fx, reason, key, deadline, result, timeoutResult, 0)
}

// BlockRestart parks the current thread like Block, but when it is woken it
// executes the same system call again instead of returning: for calls whose
// result is only known once the awaited event has happened (a read, an
// epoll wait). On timeout it returns timeoutResult.
//
//go:nosplit
func BlockRestart(f *amd64.Frame, fx *amd64.FXArea, reason uint8, key uint64, deadline int64, timeoutResult uint64) {
	blockRestart(f, fx, reason, key, deadline, timeoutResult, 0)
}

// BlockRestartOn is BlockRestart without a deadline that runs thread tid
// next, if it is runnable, instead of going round the run queue: the
// hand-off from an IPC caller to the server thread it just woke.
//
//go:nosplit
func BlockRestartOn(f *amd64.Frame, fx *amd64.FXArea, reason uint8, key uint64, tid int32) {
	blockRestart(f, fx, reason, key, 0, 0, tid)
}

// BlockRestartUntil is BlockRestartOn with a deadline (monotonic ns, 0:
// none), at which the call returns timeoutResult instead of restarting.
//
//go:nosplit
func BlockRestartUntil(f *amd64.Frame, fx *amd64.FXArea, reason uint8, key uint64, deadline int64, timeoutResult uint64, tid int32) {
	blockRestart(f, fx, reason, key, deadline, timeoutResult, tid)
}

//go:nosplit
func blockRestart(f *amd64.Frame, fx *amd64.FXArea, reason uint8, key uint64, deadline int64, timeoutResult uint64, next int32) {
	nr := f.RAX
	f.RIP -= 2 // SYSCALL is two bytes long
	threads[current()].restart = true
	park(f, fx, reason, key, deadline, nr, timeoutResult, next)
}

// handoffTo is the thread a blocking t hands the CPU to: next, or else
// the one it last woke (Woke). Not inlined, to keep park's frame within
// the trap path's nosplit budget.
//
//go:nosplit
//go:noinline
func handoffTo(t *Thread, next int32) int32 {
	if next == 0 {
		next = t.woke
	}
	t.woke = 0
	return next
}

// Woke records that the current thread woke thread tid with a message:
// when it next blocks, tid runs next if it is still runnable, rather than
// whatever the rotation holds. A server that replies and then waits for
// the next request so hands the CPU straight back to its caller, as the
// call handed it to the server (BlockRestartOn), instead of to the Go
// runtime's threads of every process that a tick has made runnable.
//
//go:nosplit
func Woke(tid int32) { threads[current()].woke = tid }

// WakeOne wakes the first thread blocked on (reason, key) and returns its
// id, or 0 if none was waiting.
//
//go:nosplit
func WakeOne(reason uint8, key uint64) int32 {
	tid := Waiter(reason, key)
	if tid != 0 {
		ready(&threads[tid%MaxThreads])
	}
	return tid
}

// Waiter returns the id of the thread that WakeOne(reason, key) would
// wake, or 0.
//
//go:nosplit
func Waiter(reason uint8, key uint64) int32 {
	for i := 1; i < MaxThreads; i++ {
		t := &threads[i]
		if t.state == blocked && t.reason == reason && t.key == key {
			return t.TID
		}
	}
	return 0
}

// park blocks the current thread and runs what comes next (after): the
// thread next (0: the one it last woke with a message, if any) when it
// is runnable. A hand-off passes on what is left of the current thread's
// quantum: two threads that keep handing the CPU to each other (a client
// and its server) are preempted after one quantum between them, as one
// thread would be, instead of starving every other runnable thread.
//
//go:nosplit
func park(f *amd64.Frame, fx *amd64.FXArea, reason uint8, key uint64, deadline int64, result, timeoutResult uint64, next int32) {
	t := &threads[current()]
	next = handoffTo(t, next)
	f.RAX = result
	t.state = blocked
	t.reason = reason
	t.key = key
	t.deadline = deadline
	t.timeoutResult = timeoutResult
	save(t, f, fx)
	runNext(t, reason, next, f, fx)
}

// runNext is after, called through a function value: the chains of
// nosplit calls that block a thread are already deep (a native call,
// channel_call, read, park), and an indirect call makes the linker check
// what runs next on its own (docs/runtime-hosting.md).
var runNext = after

// after switches, once thread t has blocked for reason, to thread next if
// this CPU may run it, else to the next in the rotation; if there is none
// it holds t instead of going idle, when another CPU may soon wake it
// (hold.go).
//
//go:nosplit
func after(t *Thread, reason uint8, next int32, f *amd64.Frame, fx *amd64.FXArea) {
	if i := int(next % MaxThreads); next > 0 && threads[i].TID == next && handOff(&threads[i]) {
		switchTo(i, f, fx)
		threads[i].ran = t.ran // switchTo resets only the incoming thread's
		return
	}
	i := pick()
	if isIdle(i) && mayHold(t, reason) {
		hold(t)
		return
	}
	switchTo(i, f, fx)
}

// Wake makes up to n threads blocked on (reason, key) runnable and returns
// how many it woke.
//
//go:nosplit
func Wake(reason uint8, key uint64, n int) int {
	woken := 0
	for i := 1; i < MaxThreads && woken < n; i++ {
		t := &threads[i]
		if t.state == blocked && t.reason == reason && t.key == key {
			ready(t)
			woken++
		}
	}
	return woken
}

// Exit ends the current thread and runs another.
//
//go:nosplit
func Exit(f *amd64.Frame, fx *amd64.FXArea) {
	threads[current()].state = dead
	switchTo(pick(), f, fx)
}

// Tick runs on every timer interrupt: it wakes threads whose deadline has
// passed and preempts the current thread at the end of its quantum, or the
// idle thread as soon as anything is runnable.
//
//go:nosplit
func Tick(f *amd64.Frame, fx *amd64.FXArea) {
	now := clock.Nanotime()
	for i := 1; i < MaxThreads; i++ {
		t := &threads[i]
		if t.state == blocked && t.deadline != 0 && t.deadline <= now {
			t.Frame.RAX = t.timeoutResult
			if t.restart {
				t.Frame.RIP += 2
				t.WaitStart = 0
			}
			ready(t)
		}
	}
	c := current()
	t := &threads[c]
	t.ran++
	if isIdle(c) || t.ran >= Quantum {
		Yield(f, fx)
	}
}

// Stats counts live threads and blocked ones.
//
//go:nosplit
func Stats() (live, blockedN int) {
	for i := 1; i < MaxThreads; i++ {
		switch threads[i].state {
		case runnable, running:
			live++
		case blocked:
			live++
			blockedN++
		}
	}
	return
}

// Forward parks the current thread until linuxd answers its system call
// (Resume), and runs thread next instead if it is runnable: the hand-off
// from a Linux thread to the linuxd thread that takes its call.
//
//go:nosplit
func Forward(f *amd64.Frame, fx *amd64.FXArea, key uint64, next int32) {
	threads[current()].restart = false
	park(f, fx, WaitLinux, key, 0, f.RAX, 0, next)
}

// Find returns the live thread with id tid, or nil.
//
//go:nosplit
func Find(tid int32) *Thread {
	if tid <= 0 {
		return nil
	}
	if t := &threads[tid%MaxThreads]; t.TID == tid && t.state != free && t.state != dead {
		return t
	}
	return nil
}

// AwaitsReply reports whether t is parked in Forward on key.
//
//go:nosplit
func (t *Thread) AwaitsReply(key uint64) bool {
	return t.state == blocked && t.reason == WaitLinux && t.key == key
}

// Waits reports whether t is blocked on (reason, key).
//
//go:nosplit
func (t *Thread) Waits(reason uint8, key uint64) bool {
	return t.state == blocked && t.reason == reason && t.key == key
}

// WakeIfWaiting makes thread tid runnable if it is blocked on (reason,
// key), and reports whether it did: an O(1) WakeOne for a waiter whose
// id the caller remembers.
//
//go:nosplit
func WakeIfWaiting(tid int32, reason uint8, key uint64) bool {
	if tid <= 0 {
		return false
	}
	t := &threads[tid%MaxThreads]
	if t.TID != tid || t.state != blocked || t.reason != reason || t.key != key {
		return false
	}
	ready(t)
	return true
}

// Finish ends thread tid's restartable wait on (reason, key) with result,
// as if its call had returned, and makes it runnable; it reports whether
// tid was in such a wait. The waker has done the call's work for it (a
// port_wait whose message the kernel delivered), so the thread does not
// trap again to run the call a second time.
//
//go:nosplit
func Finish(tid int32, reason uint8, key uint64, result uint64) bool {
	if tid <= 0 {
		return false
	}
	t := &threads[tid%MaxThreads]
	if t.TID != tid || t.state != blocked || t.reason != reason || t.key != key || !t.restart {
		return false
	}
	t.Frame.RIP += 2 // back over SYSCALL, which blockRestart wound back
	t.Frame.RAX = result
	t.restart = false
	ready(t)
	return true
}

// AwaitReply parks a thread that is not running as if it had called
// Forward on key: a forked Linux thread waits for linuxd to say how it
// returns from fork.
//
//go:nosplit
func (t *Thread) AwaitReply(key uint64) {
	t.state, t.reason, t.key, t.restart = blocked, WaitLinux, key, false
}

// Resume makes a parked thread runnable; its Frame is what it resumes with.
//
//go:nosplit
func (t *Thread) Resume() { ready(t) }

// End ends a thread that is not running.
//
//go:nosplit
func (t *Thread) End() { t.state = dead }

// ResetFX gives t the FPU state of a fresh thread (execve).
//
//go:nosplit
func (t *Thread) ResetFX() { defaultFX(&t.FX) }

// KillOthers ends every thread of process proc except keep.
//
//go:nosplit
func KillOthers(proc, keep int32) { kill(proc, keep) }
