// Package sysno names Linux x86-64 system calls, for messages about calls
// that Aramid does not implement and for tests that compare Aramid's
// coverage with what real programs call.
package sysno

//go:generate go run gen.go

// Name returns the system call's name, or "" for a number Linux does not
// define. It is safe on the kernel's trap path.
//
//go:nosplit
func Name(n uint64) string {
	if n < uint64(len(names)) {
		return names[n]
	}
	return ""
}

// Number returns the number of the named system call.
func Number(name string) (uint64, bool) {
	for i, n := range names {
		if n == name && n != "" {
			return uint64(i), true
		}
	}
	return 0, false
}

// Linux x86-64 numbers of the calls the kernel answers itself.
const (
	Read             = 0
	Write            = 1
	Close            = 3
	Ioctl            = 16
	Writev           = 20
	Mmap             = 9
	Mprotect         = 10
	Munmap           = 11
	RtSigaction      = 13
	RtSigprocmask    = 14
	Pread64          = 17
	SchedYield       = 24
	Madvise          = 28
	Nanosleep        = 35
	Getpid           = 39
	Clone            = 56
	Exit             = 60
	Uname            = 63
	Fcntl            = 72
	Gettimeofday     = 96
	Sigaltstack      = 131
	Prctl            = 157
	ArchPrctl        = 158
	Gettid           = 186
	SetTidAddress    = 218
	Tkill            = 200
	Futex            = 202
	SchedGetaffinity = 204
	ClockGettime     = 228
	ClockNanosleep   = 230
	ExitGroup        = 231
	EpollWait        = 232
	EpollCtl         = 233
	Tgkill           = 234
	Openat           = 257
	Readlinkat       = 267
	EpollPwait       = 281
	Eventfd2         = 290
	EpollCreate1     = 291
	Prlimit64        = 302
	Getcpu           = 309
	Getrandom        = 318
)
