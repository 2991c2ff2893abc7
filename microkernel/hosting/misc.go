package hosting

import (
	"syscall"

	"aramid/lib/linux/sysno"
	"aramid/microkernel/arch/amd64"
	"aramid/microkernel/clock"
	"aramid/microkernel/console"
	"aramid/microkernel/dev"
	"aramid/microkernel/proc"
	"aramid/microkernel/sched"
)

const (
	archSetFS = 0x1002
	archGetFS = 0x1003

	clockRealtime       = 0
	clockRealtimeCoarse = 5

	rlimitNofile = 7

	sigURG = 23
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
			if !valid(f.RDX, 32, true) {
				return errno(syscall.EFAULT)
			}
			zero(f.RDX, 32)
		}
	case sysno.RtSigprocmask:
		if f.RDX != 0 {
			if !valid(f.RDX, 8, true) {
				return errno(syscall.EFAULT)
			}
			zero(f.RDX, 8)
		}
	case sysno.Sigaltstack:
		if f.RSI != 0 {
			if !valid(f.RSI, 24, true) {
				return errno(syscall.EFAULT)
			}
			zero(f.RSI, 24)
			*(*int32)(ptr(f.RSI + 8)) = 2 // SS_DISABLE
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
	if sig == sigURG || sig == 0 {
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
			if !valid(f.RDI, 16, true) {
				return errno(syscall.EFAULT)
			}
			ns := clock.Walltime()
			put64(f.RDI, uint64(ns/1e9))
			put64(f.RDI+8, uint64(ns%1e9/1e3))
		}
		return 0
	}
	if !valid(f.RSI, 16, true) {
		return errno(syscall.EFAULT)
	}
	ns := clock.Nanotime()
	if f.RDI == clockRealtime || f.RDI == clockRealtimeCoarse {
		ns = clock.Walltime()
	} else if f.RDI > 7 {
		return errno(syscall.EINVAL)
	}
	put64(f.RSI, uint64(ns/1e9))
	put64(f.RSI+8, uint64(ns%1e9))
	return 0
}

//go:nosplit
func nowPlusMs(ms int) int64 { return clock.Nanotime() + int64(ms)*1e6 }

//go:nosplit
func archPrctl(f *amd64.Frame, code, addr uint64) uint64 {
	switch code {
	case archSetFS:
		f.FSBase = addr // applied when the trap returns
		return 0
	case archGetFS:
		if !valid(addr, 8, true) {
			return errno(syscall.EFAULT)
		}
		put64(addr, f.FSBase)
		return 0
	}
	return errno(syscall.EINVAL)
}

// affinity reports one CPU: the kernel schedules runtime threads on the
// boot processor only.
//
//go:nosplit
func affinity(size, mask uint64) uint64 {
	if size < 8 {
		return errno(syscall.EINVAL)
	}
	if !valid(mask, 8, true) {
		return errno(syscall.EFAULT)
	}
	put64(mask, 1)
	return 8
}

//go:nosplit
func prlimit(resource int, old uint64) uint64 {
	if old == 0 {
		return 0
	}
	if !valid(old, 16, true) {
		return errno(syscall.EFAULT)
	}
	lim := uint64(1<<63 - 1) // RLIM_INFINITY
	if resource == rlimitNofile {
		lim = maxFDs
	}
	put64(old, lim)
	put64(old+8, lim)
	return 0
}

//go:nosplit
func uname(buf uint64) uint64 {
	const field = 65
	if !valid(buf, 6*field, true) {
		return errno(syscall.EFAULT)
	}
	zero(buf, 6*field)
	for i, s := range [...]string{"Aramid", "aramid", "0.1", "aramid microkernel", "x86_64", ""} {
		copy(bytesAt(buf+uint64(i*field), field-1), s)
	}
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
