package linux

// Clocks of clock_gettime(2) and clock_nanosleep(2).
const (
	CLOCK_REALTIME           = 0
	CLOCK_MONOTONIC          = 1
	CLOCK_PROCESS_CPUTIME_ID = 2
	CLOCK_THREAD_CPUTIME_ID  = 3
	CLOCK_MONOTONIC_RAW      = 4
	CLOCK_REALTIME_COARSE    = 5
	CLOCK_MONOTONIC_COARSE   = 6
	CLOCK_BOOTTIME           = 7
)

// TIMER_ABSTIME makes clock_nanosleep's time a deadline.
const TIMER_ABSTIME = 1

// Timespec is struct timespec.
type Timespec struct {
	Sec  int64
	Nsec int64
}

// NsecToTimespec splits ns into seconds and nanoseconds.
//
//go:nosplit
func NsecToTimespec(ns int64) Timespec { return Timespec{Sec: ns / 1e9, Nsec: ns % 1e9} }

// ToNsec is ts in nanoseconds.
//
//go:nosplit
func (ts Timespec) ToNsec() int64 { return ts.Sec*1e9 + ts.Nsec }

// Valid reports whether ts is a time or duration Linux accepts: neither
// part negative, nanoseconds below a second.
//
//go:nosplit
func (ts Timespec) Valid() bool { return ts.Sec >= 0 && ts.Nsec >= 0 && ts.Nsec < 1e9 }

// Timeval is struct timeval.
type Timeval struct {
	Sec  int64
	Usec int64
}

// NsecToTimeval splits ns into seconds and microseconds.
//
//go:nosplit
func NsecToTimeval(ns int64) Timeval { return Timeval{Sec: ns / 1e9, Usec: ns % 1e9 / 1e3} }
