package sched

import "aramid/microkernel/smp"

// Interrupting a thread: a Linux thread that runs user code never enters
// linuxd by itself, so a signal for it would wait for its next system
// call, forever in a loop that makes none. linuxd asks the kernel to
// interrupt it (proc.threadInterrupt): the thread is marked, a futex wait
// it is in ends, a CPU that runs it enters the kernel, and the trap that
// would next return to its user code sends it to linuxd instead
// (sched.Leaving, proc.Interrupted).

// Values of Thread.interrupt.
const (
	interruptNone = iota
	interruptUser // interrupted where it runs user code
	interruptCall // interrupted in a futex wait, which it left
)

// Interrupt marks t to be interrupted. If t waits on a futex, the wait
// ends with result (the caller's -EINTR); if another CPU runs t, that CPU
// enters the kernel, where its trap's end sees the mark. A thread blocked
// for any other reason (waiting for linuxd's reply) keeps waiting: the
// mark makes it come back once it has its reply. The caller holds the
// kernel lock.
//
//go:nosplit
func (t *Thread) Interrupt(result uint64) {
	if t.interrupt == interruptNone {
		t.interrupt = interruptUser
	}
	switch t.state {
	case blocked:
		if t.reason == WaitFutex {
			t.Frame.RAX = result
			t.interrupt = interruptCall
			ready(t)
		}
	case running:
		if c := t.elsewhere(); c >= 0 {
			smp.Stop(1 << c)
		}
	}
}

// TakeInterrupt clears the running thread's mark (Leaving found it) and
// reports whether the mark ended a futex wait.
//
//go:nosplit
func TakeInterrupt() (call bool) {
	t := &threads[current()]
	call = t.interrupt == interruptCall
	t.interrupt = interruptNone
	return call
}
