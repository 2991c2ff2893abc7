package linux

// Resources of getrlimit(2) and prlimit(2).
const (
	RLIMIT_CPU        = 0
	RLIMIT_FSIZE      = 1
	RLIMIT_DATA       = 2
	RLIMIT_STACK      = 3
	RLIMIT_CORE       = 4
	RLIMIT_RSS        = 5
	RLIMIT_NPROC      = 6
	RLIMIT_NOFILE     = 7
	RLIMIT_MEMLOCK    = 8
	RLIMIT_AS         = 9
	RLIMIT_LOCKS      = 10
	RLIMIT_SIGPENDING = 11
	RLIMIT_MSGQUEUE   = 12
	RLIMIT_NICE       = 13
	RLIMIT_RTPRIO     = 14
	RLIMIT_RTTIME     = 15
)

// RLIM_INFINITY is an unlimited resource.
const RLIM_INFINITY = 1<<64 - 1

// RLimit is struct rlimit.
type RLimit struct {
	Cur uint64
	Max uint64
}

// MaxErrno is the largest errno a system call returns: results in
// [-MaxErrno, -1] are errors, any other value is a result.
const MaxErrno = 4095
