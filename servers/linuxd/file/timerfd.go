package file

import (
	"encoding/binary"
	"sync"
	"syscall"
	"time"
)

// TimerFD is a timerfd(2): a timer whose expirations a read returns as a
// count. Its times are Go's, whose clock is the kernel's CLOCK_MONOTONIC;
// the system calls turn absolute times of the file's clock into it. All
// of it runs with linuxd's lock held (cond.L), the timer's function too.
type TimerFD struct {
	// Clock is the clock whose absolute times the file is set with.
	Clock    int
	cond     *sync.Cond
	timer    *time.Timer
	next     time.Time     // the next expiration; zero when disarmed
	interval time.Duration // 0: one expiration only
	expired  uint64        // expirations not yet read
	gen      uint64
	// armed counts the arming of timer: a timer function that finds it
	// changed belongs to a setting since replaced, or to a closed file.
	armed uint64
}

// NewTimerFD returns a disarmed timer of clock.
func NewTimerFD(cond *sync.Cond, clock int) *TimerFD { return &TimerFD{Clock: clock, cond: cond} }

// Set arms the timer to expire at at (the zero time disarms it) and then
// every interval, dropping expirations not yet read, and returns what
// Get returned before.
func (f *TimerFD) Set(at time.Time, interval time.Duration) (left, oldInterval time.Duration) {
	left, oldInterval = f.Get()
	f.stop()
	f.next, f.interval, f.expired = at, interval, 0
	if !at.IsZero() {
		f.arm()
	}
	f.changed()
	return left, oldInterval
}

// Get returns the time until the next expiration (0 when disarmed) and
// the interval.
func (f *TimerFD) Get() (left, interval time.Duration) {
	if f.next.IsZero() {
		return 0, f.interval
	}
	return max(time.Until(f.next), time.Nanosecond), f.interval
}

// arm starts the Go timer for f.next. Its function counts every
// expiration up to now: a host that ran the function late loses none.
func (f *TimerFD) arm() {
	f.armed++
	armed := f.armed
	f.timer = time.AfterFunc(time.Until(f.next), func() {
		f.cond.L.Lock()
		defer f.cond.L.Unlock()
		if f.armed == armed {
			f.expire(time.Now())
		}
	})
}

// stop stops the Go timer, and any run of its function already waiting
// for the lock.
func (f *TimerFD) stop() {
	if f.timer != nil {
		f.timer.Stop()
		f.timer = nil
	}
	f.armed++
}

// expire counts the expirations up to now and arms the timer for the
// next one, if there is an interval.
func (f *TimerFD) expire(now time.Time) {
	if f.interval == 0 {
		f.expired++
		f.next, f.timer = time.Time{}, nil
	} else {
		n := 1 + uint64(now.Sub(f.next)/f.interval)
		f.expired += n
		f.next = f.next.Add(time.Duration(n) * f.interval)
		f.arm()
	}
	f.changed()
}

func (f *TimerFD) changed() {
	f.gen++
	f.cond.Broadcast()
}

// ReadWait implements Waiter: the expirations since the last read, as an
// 8-byte count, waiting for one if there is none.
func (f *TimerFD) ReadWait(b []byte, w Wait) (int, error) {
	if len(b) < 8 {
		return 0, syscall.EINVAL
	}
	for f.expired == 0 {
		if err := w.block(f.cond); err != nil {
			return 0, err
		}
	}
	binary.LittleEndian.PutUint64(b, f.expired)
	f.expired = 0
	f.changed()
	return 8, nil
}

// WriteWait implements Waiter: a timerfd cannot be written.
func (f *TimerFD) WriteWait([]byte, Wait) (int, error) { return 0, syscall.EINVAL }

// Read implements fd.File.
func (f *TimerFD) Read(b []byte) (int, error) { return f.ReadWait(b, Wait{}) }

// Write implements fd.File.
func (f *TimerFD) Write([]byte) (int, error) { return 0, syscall.EINVAL }

// Readable implements Waiter.
func (f *TimerFD) Readable() bool { return f.expired > 0 }

// Writable implements Waiter.
func (f *TimerFD) Writable() bool { return false }

// Poll implements Pollable.
func (f *TimerFD) Poll() (uint32, uint64) { return readiness(f), f.gen }

// Close implements fd.File: the timer stops.
func (f *TimerFD) Close() error {
	f.stop()
	return nil
}
