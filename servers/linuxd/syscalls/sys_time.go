package syscalls

import (
	"encoding/binary"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"aramid/servers/linuxd/usermem"
)

func init() {
	byName["nanosleep"] = Entry{Fn: nanosleep, MayBlock: always}
	byName["clock_nanosleep"] = Entry{Fn: clockNanosleep, MayBlock: always, Status: Partial, Note: "TIMER_ABSTIME for CLOCK_REALTIME and CLOCK_MONOTONIC alike"}
	byName["time"] = Entry{Fn: timeCall}
	byName["clock_getres"] = Entry{Fn: clockGetres}
}

// readTimespec reads a struct timespec and checks it as Linux does.
func readTimespec(m usermem.Memory, addr uint64) (time.Duration, error) {
	var ts [2]int64
	if err := usermem.Read(m, addr, &ts); err != nil {
		return 0, err
	}
	return fromTimespec(ts)
}

// fromTimespec checks a struct timespec's seconds and nanoseconds as
// Linux does and returns them as a duration.
func fromTimespec(ts [2]int64) (time.Duration, error) {
	if ts[0] < 0 || ts[1] < 0 || ts[1] >= 1e9 {
		return 0, syscall.EINVAL
	}
	if ts[0] > int64(time.Duration(1<<62)/time.Second) {
		return 1 << 62, nil
	}
	return time.Duration(ts[0])*time.Second + time.Duration(ts[1]), nil
}

func putTimespec(m usermem.Memory, addr uint64, d time.Duration) error {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:], uint64(d/time.Second))
	binary.LittleEndian.PutUint64(b[8:], uint64(d%time.Second))
	return m.WriteAt(b[:], addr)
}

// wakeAt wakes every waiter at deadline, so that a wait on K.Cond with a
// timeout ends; the caller stops the returned timer when it is done.
func wakeAt(c *Ctx, deadline time.Time) *time.Timer {
	return time.AfterFunc(time.Until(deadline), func() {
		c.K.Mu.Lock()
		c.K.Cond.Broadcast()
		c.K.Mu.Unlock()
	})
}

// sleepUntil waits until deadline or a signal; it returns the time left.
func sleepUntil(c *Ctx, deadline time.Time) time.Duration {
	defer wakeAt(c, deadline).Stop()
	for time.Now().Before(deadline) {
		if c.T.Interrupted() {
			return time.Until(deadline)
		}
		c.K.Cond.Wait()
	}
	return 0
}

func nanosleep(c *Ctx) (uint64, error) {
	d, err := readTimespec(c.T.Mem(), c.Arg(0))
	if err != nil {
		return 0, err
	}
	if left := sleepUntil(c, time.Now().Add(d)); left > 0 {
		if rem := c.Arg(1); rem != 0 {
			putTimespec(c.T.Mem(), rem, left)
		}
		return 0, syscall.EINTR
	}
	return 0, nil
}

const timerAbstime = 1

func clockNanosleep(c *Ctx) (uint64, error) {
	clock, flags := c.Arg(0), c.Arg(1)
	if clock > 7 {
		return 0, syscall.EINVAL
	}
	d, err := readTimespec(c.T.Mem(), c.Arg(2))
	if err != nil {
		return 0, err
	}
	deadline := time.Now().Add(d)
	if flags&timerAbstime != 0 {
		deadline = absTime(clock == clockRealtime, d)
	}
	if left := sleepUntil(c, deadline); left > 0 {
		if rem := c.Arg(3); rem != 0 && flags&timerAbstime == 0 {
			putTimespec(c.T.Mem(), rem, left)
		}
		return 0, syscall.EINTR
	}
	return 0, nil
}

// absTime is the time an absolute time t of a clock names: t since the
// Unix epoch on CLOCK_REALTIME (realtime), else since the kernel's boot,
// CLOCK_MONOTONIC's origin, which Go's clock does not expose.
func absTime(realtime bool, t time.Duration) time.Time {
	if realtime {
		return time.Unix(0, int64(t))
	}
	return time.Now().Add(t - monotonic())
}

// monotonic is CLOCK_MONOTONIC now, as the kernel's clock_gettime gives it.
func monotonic() time.Duration {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return time.Duration(ts.Nano())
}

func timeCall(c *Ctx) (uint64, error) {
	now := uint64(time.Now().Unix())
	if c.Arg(0) != 0 {
		if err := usermem.PutU64(c.T.Mem(), c.Arg(0), now); err != nil {
			return 0, err
		}
	}
	return now, nil
}

func clockGetres(c *Ctx) (uint64, error) {
	if c.Arg(0) > 11 {
		return 0, syscall.EINVAL
	}
	if c.Arg(1) == 0 {
		return 0, nil
	}
	return 0, putTimespec(c.T.Mem(), c.Arg(1), time.Nanosecond)
}
