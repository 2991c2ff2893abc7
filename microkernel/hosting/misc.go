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
	"aramid/microkernel/mm"
	"aramid/microkernel/proc"
	"aramid/microkernel/sched"
)

// signalCall accepts the runtime's signal set-up. The kernel never delivers
// signals to itself: faults are reported by the crash path instead. Old
// values read back as "default, empty, disabled".
//
//go:nosplit
func signalCall(f *amd64.Frame) uint64 {
	switch f.RAX {
	case sysno.RtSigaction:
		if f.RDX != 0 {
			if !valid(f.RDX, uint64(unsafe.Sizeof(linux.SigAction{})), true) {
				return errno(syscall.EFAULT)
			}
			*(*linux.SigAction)(ptr(f.RDX)) = linux.SigAction{}
		}
	case sysno.RtSigprocmask:
		if f.RDX != 0 {
			if !valid(f.RDX, uint64(unsafe.Sizeof(linux.SignalSet(0))), true) {
				return errno(syscall.EFAULT)
			}
			*(*linux.SignalSet)(ptr(f.RDX)) = 0
		}
	case sysno.Sigaltstack:
		if f.RSI != 0 {
			if !valid(f.RSI, uint64(unsafe.Sizeof(linux.SignalStack{})), true) {
				return errno(syscall.EFAULT)
			}
			*(*linux.SignalStack)(ptr(f.RSI)) = linux.SignalStack{Flags: linux.SS_DISABLE}
		}
	}
	return 0
}

// signalTo handles tkill and tgkill. The runtime sends SIGURG only for
// asynchronous preemption, which the kernel disables; any other signal
// means the runtime is aborting, so the kernel stops.
//
//go:nosplit
func signalTo(f *amd64.Frame, fx *amd64.FXArea) (uint64, bool) {
	sig := f.RSI
	if f.RAX == sysno.Tgkill {
		sig = f.RDX
	}
	if sig == linux.SIGURG || sig == 0 {
		return 0, false
	}
	if p := proc.Current(); p != 0 {
		console.Print("\n")
		proc.Report(p)
		console.Print(" killed: raised signal ")
		console.Dec(sig)
		console.Print("\n")
		proc.Kill(p, int64(proc.StatusSignal|sig))
		sched.Reschedule(f, fx)
		return 0, true
	}
	console.Print("kernel panic: the Go runtime raised signal ")
	console.Dec(sig)
	console.Print("\n")
	dev.QEMUExit(dev.ExitFailure)
	amd64.Stop()
	return 0, true
}

//go:nosplit
func timeCall(f *amd64.Frame) uint64 {
	if f.RAX == sysno.Gettimeofday {
		if f.RDI != 0 {
			if !valid(f.RDI, uint64(unsafe.Sizeof(linux.Timeval{})), true) {
				return errno(syscall.EFAULT)
			}
			*(*linux.Timeval)(ptr(f.RDI)) = linux.NsecToTimeval(clock.Walltime())
		}
		return 0
	}
	if !valid(f.RSI, uint64(unsafe.Sizeof(linux.Timespec{})), true) {
		return errno(syscall.EFAULT)
	}
	ns := clock.Nanotime()
	if f.RDI == linux.CLOCK_REALTIME || f.RDI == linux.CLOCK_REALTIME_COARSE {
		ns = clock.Walltime()
	} else if f.RDI > linux.CLOCK_BOOTTIME {
		return errno(syscall.EINVAL)
	}
	*(*linux.Timespec)(ptr(f.RSI)) = linux.NsecToTimespec(ns)
	return 0
}

//go:nosplit
func nowPlusMs(ms int) int64 { return clock.Nanotime() + int64(ms)*1e6 }

//go:nosplit
func archPrctl(f *amd64.Frame, code, addr uint64) uint64 {
	switch code {
	case linux.ARCH_SET_FS:
		if proc.Current() != 0 && addr >= mm.UserTop {
			return errno(syscall.EPERM) // WRMSR would fault in ring 0, as Linux refuses
		}
		f.FSBase = addr // applied when the trap returns
		return 0
	case linux.ARCH_GET_FS:
		if !valid(addr, 8, true) {
			return errno(syscall.EFAULT)
		}
		put64(addr, f.FSBase)
		return 0
	}
	return errno(syscall.EINVAL)
}

// affinity reports the CPUs the calling thread may run on among those
// that run threads: the boot processor, and every other once they run
// threads too (aramid.smp), unless the thread was placed (docs/smp.md).
//
//go:nosplit
func affinity(size, mask uint64) uint64 {
	if size < 8 {
		return errno(syscall.EINVAL)
	}
	if !valid(mask, 8, true) {
		return errno(syscall.EFAULT)
	}
	put64(mask, sched.Current().Mask()&sched.Online())
	return 8
}

// getcpu reports the CPU the calling thread runs on, and NUMA node 0. The
// kernel answers it for Linux processes too: only the CPU it runs on knows.
//
//go:nosplit
func getcpu(cpu, node uint64) uint64 {
	if cpu != 0 {
		if !valid(cpu, 4, true) {
			return errno(syscall.EFAULT)
		}
		*(*uint32)(ptr(cpu)) = amd64.ThisCPU().Index
	}
	if node != 0 {
		if !valid(node, 4, true) {
			return errno(syscall.EFAULT)
		}
		*(*uint32)(ptr(node)) = 0
	}
	return 0
}

//go:nosplit
func prlimit(resource int, old uint64) uint64 {
	if old == 0 {
		return 0
	}
	if !valid(old, uint64(unsafe.Sizeof(linux.RLimit{})), true) {
		return errno(syscall.EFAULT)
	}
	lim := uint64(linux.RLIM_INFINITY)
	if resource == linux.RLIMIT_NOFILE {
		lim = maxFDs
	}
	*(*linux.RLimit)(ptr(old)) = linux.RLimit{Cur: lim, Max: lim}
	return 0
}

// uname reports the one identity every part of Aramid reports (lib/linux).
//
//go:nosplit
func uname(buf uint64) uint64 {
	if !valid(buf, uint64(unsafe.Sizeof(linux.UtsName{})), true) {
		return errno(syscall.EFAULT)
	}
	(*linux.UtsName)(ptr(buf)).Fill()
	return 0
}

// getrandom fills the buffer from RDRAND. Without RDRAND it falls back to
// a TSC-seeded generator, which is not cryptographic (docs say so).
//
//go:nosplit
func getrandom(buf, n uint64) uint64 {
	if !valid(buf, n, true) {
		return errno(syscall.EFAULT)
	}
	b := bytesAt(buf, n)
	for i := 0; i < len(b); i += 8 {
		v := Random()
		for j := 0; j < 8 && i+j < len(b); j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return n
}

var fallback uint64

// Random returns 64 random bits.
//
//go:nosplit
func Random() uint64 {
	for i := 0; i < 10; i++ {
		if v, ok := amd64.Rdrand(); ok {
			return v
		}
	}
	if fallback == 0 {
		fallback = amd64.Rdtsc() | 1
	}
	fallback ^= fallback << 13
	fallback ^= fallback >> 7
	fallback ^= fallback << 17
	return fallback ^ amd64.Rdtsc()
}
