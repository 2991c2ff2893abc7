package proc

import (
	"syscall"

	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/clock"
	"aramid/microkernel/sched"
)

// Waiting on several objects. A waiter blocks on one shared key, and
// marks each channel endpoint and interrupt it waits on as watched; an
// event that makes a watched object ready (and any process's exit) wakes
// all such waiters, and each re-checks its own set when its call
// restarts. Events on objects nobody watches wake nobody: without the
// marks, every message on every channel woke the drivers' interrupt loops
// (about 40 needless switches per nginx request, docs/performance.md).
// manyWaiting keeps the common case (nobody waiting) free of the
// broadcast.
const (
	maxWaitMany = 64
	waitManyKey = 5 << 32
)

var manyWaiting bool

// wakeWatchers wakes the waiters if an object's watched mark is set, and
// clears it: they mark it again if they wait on.
//
//go:nosplit
func wakeWatchers(watched *bool) {
	if *watched {
		*watched = false
		wakeManyWaiters()
	}
}

//go:nosplit
func wakeManyWaiters() {
	if manyWaiting {
		manyWaiting = false
		sched.Wake(sched.WaitEvent, waitManyKey, sched.MaxThreads)
	}
}

// ready reports whether handle h of process p is ready: a channel with a
// queued message or a closed peer, a process that has exited, or an
// interrupt not yet acknowledged.
//
//go:nosplit
func ready(p int32, h uint64) (bool, syscall.Errno) {
	hd, e := lookupHandle(p, h, KindNone, 0)
	if e != 0 {
		return false, e
	}
	switch hd.Kind {
	case KindChannel:
		ep := &endpoints[hd.Obj]
		return ep.head != 0 || ep.peer == 0, 0
	case KindProcess:
		return Procs[hd.Obj].state == pZombie, 0
	case KindIRQ:
		return devices[hd.Obj].pending, 0
	}
	return false, syscall.EINVAL
}

// watch marks the object of handle h of process p as watched by a
// wait_many. Processes need no mark: every exit wakes the waiters.
//
//go:nosplit
func watch(p int32, h uint64) {
	hd, e := lookupHandle(p, h, KindNone, 0)
	if e != 0 {
		return
	}
	switch hd.Kind {
	case KindChannel:
		endpoints[hd.Obj].watched = true
	case KindIRQ:
		devices[hd.Obj].watched = true
	}
}

// waitMany returns the index of the first ready handle among n at hs, or
// blocks until one is ready or timeout nanoseconds pass (ETIMEDOUT; a
// negative timeout waits for ever, zero polls).
//
//go:nosplit
func waitMany(p int32, f *amd64.Frame, fx *amd64.FXArea, hs, n uint64, timeout int64) (uint64, bool) {
	if n == 0 || n > maxWaitMany {
		return neg(syscall.EINVAL), false
	}
	if !space(p).Access(hs, n*4, false) {
		return neg(syscall.EFAULT), false
	}
	t := sched.Current()
	for i := uint64(0); i < n; i++ {
		ok, e := ready(p, uint64(get32(hs+4*i)))
		if e != 0 {
			t.WaitStart = 0
			return neg(e), false
		}
		if ok {
			t.WaitStart = 0
			return i, false
		}
	}
	if timeout == 0 {
		return neg(syscall.ETIMEDOUT), false
	}
	if t.WaitStart == 0 {
		t.WaitStart = clock.Nanotime() // kept across restarts
	}
	deadline := int64(0)
	if timeout > 0 {
		deadline = t.WaitStart + timeout
	}
	for i := uint64(0); i < n; i++ {
		watch(p, uint64(get32(hs+4*i)))
	}
	manyWaiting = true
	sched.BlockRestart(f, fx, sched.WaitEvent, waitManyKey, deadline, neg(syscall.ETIMEDOUT))
	return 0, true
}
