package hosting

import (
	"syscall"
	"unsafe"

	"aramid/lib/linux"
	"aramid/lib/linux/sysno"
	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/clock"
	"aramid/microkernel/console"
	"aramid/microkernel/dev"
	"aramid/microkernel/proc"
	"aramid/microkernel/sched"
)

// clone creates a runtime thread (an M). Only thread creation in the same
// address space is supported: the kernel has no processes of its own.
//
//go:nosplit
func clone(f *amd64.Frame, fx *amd64.FXArea) uint64 {
	flags := f.RDI
	if flags&(linux.CLONE_VM|linux.CLONE_THREAD) != linux.CLONE_VM|linux.CLONE_THREAD {
		return errno(syscall.EINVAL)
	}
	tls := f.FSBase
	if flags&linux.CLONE_SETTLS != 0 {
		tls = f.R8
	}
	tid := sched.Clone(f, fx, f.RSI, tls)
	if tid < 0 {
		return errno(syscall.EAGAIN)
	}
	return uint64(tid)
}

// futex implements FUTEX_WAIT and FUTEX_WAKE, the two operations the Go
// runtime uses, with relative timeouts.
//
//go:nosplit
func futex(f *amd64.Frame, fx *amd64.FXArea) (uint64, bool) {
	addr, op, val, ts := f.RDI, f.RSI&^(linux.FUTEX_PRIVATE_FLAG|linux.FUTEX_CLOCK_REALTIME), f.RDX, f.R10
	if !valid(addr, 4, false) || addr%4 != 0 {
		return errno(syscall.EFAULT), false
	}
	switch op {
	case linux.FUTEX_WAIT:
		if get32(addr) != uint32(val) {
			return errno(syscall.EAGAIN), false
		}
		deadline := int64(0)
		if ts != 0 {
			d, ok := duration(ts)
			if !ok {
				return errno(syscall.EINVAL), false
			}
			deadline = clock.Nanotime() + d
		}
		sched.Block(f, fx, sched.WaitFutex, proc.FutexKey(addr), deadline, 0, errno(syscall.ETIMEDOUT))
		return 0, true
	case linux.FUTEX_WAKE:
		return uint64(sched.Wake(sched.WaitFutex, proc.FutexKey(addr), int(int32(val)))), false
	}
	return errno(syscall.ENOSYS), false
}

// sleep implements nanosleep and clock_nanosleep.
//
//go:nosplit
func sleep(f *amd64.Frame, fx *amd64.FXArea) (uint64, bool) {
	ts, abs := f.RDI, false
	if f.RAX == sysno.ClockNanosleep { // (clock, flags, req, rem)
		ts, abs = f.RDX, f.RSI&linux.TIMER_ABSTIME != 0
	}
	d, ok := duration(ts)
	if !ok {
		return errno(syscall.EINVAL), false
	}
	deadline := clock.Nanotime() + d
	if abs {
		deadline = d
	}
	if deadline <= clock.Nanotime() {
		f.RAX = 0
		sched.Yield(f, fx)
		return 0, true
	}
	sched.Block(f, fx, sched.WaitSleep, 0, deadline, 0, 0)
	return 0, true
}

// duration reads a struct timespec as nanoseconds.
//
//go:nosplit
func duration(ts uint64) (int64, bool) {
	if !valid(ts, uint64(unsafe.Sizeof(linux.Timespec{})), false) {
		return 0, false
	}
	t := *(*linux.Timespec)(ptr(ts))
	if !t.Valid() {
		return 0, false
	}
	return t.ToNsec(), true
}

// exitGroup ends a user process, or the kernel itself: main returned, or
// the runtime died (a panic exits with status 2 after printing its
// traceback).
//
//go:nosplit
func exitGroup(f *amd64.Frame, fx *amd64.FXArea, code int) {
	if p := proc.Current(); p != 0 {
		proc.Kill(p, int64(code&0xff))
		sched.Reschedule(f, fx)
		return
	}
	if code == 0 {
		console.Print("kernel: exited normally\n")
		dev.QEMUExit(dev.ExitSuccess)
	} else {
		console.Print("kernel panic: the Go runtime exited with status ")
		console.Dec(uint64(code))
		console.Print("\n")
		dev.QEMUExit(dev.ExitFailure)
	}
	amd64.Stop()
}
