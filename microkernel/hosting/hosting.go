// Package hosting answers the Linux system calls that a Go runtime makes:
// the kernel's own, in ring 0, and those of Aramid's native processes (our
// Go servers), in ring 3, each in its own address space. Wherever such a
// runtime would ask Linux for memory, threads, time or sleep, it asks this
// package instead (docs/runtime-hosting.md, docs/user-space.md).
//
// Everything here runs on the trap path: interrupts disabled, on the
// syscall stack, go:nosplit, no allocation, no Go pointer stores.
package hosting

import (
	"syscall"

	"aramid/lib/linux"
	"aramid/lib/linux/sysno"
	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/console"
	"aramid/microkernel/proc"
	"aramid/microkernel/sched"
)

// Trace prints every system call and its result (kernel command line
// aramid.strace).
var Trace bool

// errno is what RAX holds when a call fails with e: -e, as in Linux.
//
//go:nosplit
func errno(e syscall.Errno) uint64 { return -uint64(e) }

// Syscall handles one system call trapped in f. Calls that block park the
// thread and leave another thread's state in f.
//
//go:nosplit
func Syscall(f *amd64.Frame, fx *amd64.FXArea) {
	if Trace {
		console.Print("sys ")
		console.Dec(f.RAX)
		console.Print(" ")
		console.Print(sysno.Name(f.RAX))
		console.Print(" ")
		console.Hex(f.RDI)
		console.Print(" ")
		console.Hex(f.RSI)
		console.Print(" tid ")
		console.Dec(uint64(sched.TID()))
		console.Print("\n")
	}
	r, parked := call(f, fx)
	if Trace && !parked {
		console.Print("  = ")
		console.Hex(r)
		console.Print("\n")
	}
	if !parked {
		f.RAX = r
	}
}

// call dispatches on the system call number. a1..a6 are RDI, RSI, RDX, R10,
// R8, R9, as in the Linux ABI.
//
//go:nosplit
func call(f *amd64.Frame, fx *amd64.FXArea) (uint64, bool) {
	a1, a2, a3, a4 := f.RDI, f.RSI, f.RDX, f.R10
	switch f.RAX {
	case sysno.Read:
		return sysRead(f, fx, int(a1), a2, a3)
	case sysno.Write:
		return sysWrite(int(a1), a2, a3), false
	case sysno.Writev:
		return writev(int(a1), a2, a3), false
	case sysno.Ioctl:
		if lookup(int(a1)) == nil {
			return errno(syscall.EBADF), false
		}
		return errno(syscall.ENOTTY), false
	case sysno.SetTidAddress:
		return uint64(sched.TID()), false
	case sysno.Close:
		return closeFD(int(a1)), false
	case sysno.Openat, sysno.Readlinkat:
		// Native processes have no files (os.Executable probes
		// /proc/self/exe); Linux processes will get linuxd's answers.
		return errno(syscall.ENOENT), false
	case sysno.Pread64:
		return preadFD(int(a1)), false
	case sysno.Fcntl:
		return fcntl(int(a1), int(a2)), false
	case sysno.Mmap, sysno.Munmap, sysno.Madvise, sysno.Mprotect:
		return memoryCall(f), false
	case sysno.RtSigaction, sysno.RtSigprocmask, sysno.Sigaltstack:
		return signalCall(f), false
	case sysno.Clone:
		return clone(f, fx), false
	case sysno.Exit:
		sched.Exit(f, fx)
		return 0, true
	case sysno.ExitGroup:
		exitGroup(f, fx, int(a1))
		return 0, true
	case sysno.Futex:
		return futex(f, fx)
	case sysno.Nanosleep, sysno.ClockNanosleep:
		return sleep(f, fx)
	case sysno.SchedYield:
		f.RAX = 0
		sched.Yield(f, fx)
		return 0, true
	case sysno.ClockGettime, sysno.Gettimeofday:
		return timeCall(f), false
	case sysno.Getpid:
		if p := proc.Current(); p != 0 {
			return uint64(proc.Procs[p].PID), false
		}
		return 1, false
	case sysno.Gettid:
		return uint64(sched.TID()), false
	case sysno.Tkill, sysno.Tgkill:
		return signalTo(f, fx)
	case sysno.ArchPrctl:
		return archPrctl(f, a1, a2), false
	case sysno.SchedGetaffinity:
		return affinity(a2, a3), false
	case sysno.Getcpu:
		return getcpu(a1, a2), false
	case sysno.Prlimit64:
		return prlimit(int(a2), a4), false
	case sysno.Prctl:
		return errno(syscall.EINVAL), false
	case sysno.Uname:
		return uname(a1), false
	case sysno.Getrandom:
		return getrandom(a1, a2), false
	case sysno.EpollCreate1:
		return newFD(kindEpoll), false
	case sysno.Eventfd2:
		return eventfd(a1), false
	case sysno.EpollCtl:
		return epollCtl(int(a1), int(a2), int(a3), a4), false
	case sysno.EpollPwait, sysno.EpollWait:
		return epollWait(f, fx, int(a1), a2, int(a3), int(int32(a4)))
	}
	unimplemented(f)
	return errno(syscall.ENOSYS), false
}

// unimplemented reports a call the layer does not answer, so a new runtime
// release that needs one is obvious rather than a silent hang.
//
//go:nosplit
func unimplemented(f *amd64.Frame) {
	console.Print("hosting: unimplemented system call ")
	console.Dec(f.RAX)
	console.Print(" (")
	console.Print(sysno.Name(f.RAX))
	console.Print(") from thread ")
	console.Dec(uint64(sched.TID()))
	console.Print(" at ")
	console.Hex(f.RIP)
	console.Print(": ENOSYS\n")
}

// Implemented lists the system calls this package answers. The strace
// guard test compares it with what a Go program calls on Linux.
var Implemented = []uint64{
	sysno.Read, sysno.Write, sysno.Close, sysno.Openat, sysno.Readlinkat, sysno.Pread64, sysno.Fcntl,
	sysno.Mmap, sysno.Munmap, sysno.Madvise, sysno.Mprotect,
	sysno.RtSigaction, sysno.RtSigprocmask, sysno.Sigaltstack,
	sysno.Clone, sysno.Exit, sysno.ExitGroup, sysno.Futex, sysno.Nanosleep,
	sysno.ClockNanosleep, sysno.SchedYield, sysno.ClockGettime, sysno.Gettimeofday,
	sysno.Getpid, sysno.Gettid, sysno.Tkill, sysno.Tgkill, sysno.ArchPrctl,
	sysno.SchedGetaffinity, sysno.Prlimit64, sysno.Prctl, sysno.Uname,
	sysno.Getcpu, sysno.Getrandom, sysno.EpollCreate1, sysno.Eventfd2, sysno.EpollCtl,
	sysno.EpollPwait, sysno.EpollWait, sysno.Writev, sysno.Ioctl, sysno.SetTidAddress,
}

// LocalLinux reports whether a Linux process's system call in f is one the
// kernel answers itself instead of forwarding it to linuxd: calls that
// only touch the kernel's own state (memory, futexes, time, the FS base)
// and are hot enough that two address-space switches would dominate them.
// docs/linux.md lists them and why.
//
//go:nosplit
func LocalLinux(f *amd64.Frame) bool {
	switch f.RAX {
	case sysno.Mmap:
		return f.R10&linux.MAP_ANONYMOUS != 0
	case sysno.Munmap, sysno.Mprotect, sysno.Madvise, sysno.Futex, sysno.SchedYield,
		sysno.ClockGettime, sysno.Gettimeofday, sysno.ArchPrctl, sysno.Getcpu:
		return true
	}
	return false
}
