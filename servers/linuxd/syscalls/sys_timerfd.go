package syscalls

import (
	"syscall"
	"time"

	"aramid/lib/linux/dac"
	"aramid/servers/linuxd/fd"
	"aramid/servers/linuxd/file"
	"aramid/servers/linuxd/usermem"
)

// timerfd(2): a timer read as a file (file.TimerFD).

func init() {
	byName["timerfd_create"] = Entry{Fn: timerfdCreate}
	byName["timerfd_settime"] = Entry{Fn: timerfdSettime, Status: Partial, Note: "TFD_TIMER_CANCEL_ON_SET never cancels: nothing sets the wall clock"}
	byName["timerfd_gettime"] = Entry{Fn: timerfdGettime}
}

// Clocks a timerfd may use, and the flags of timerfd_settime.
const (
	clockRealtime      = 0
	clockMonotonic     = 1
	clockBoottime      = 7
	clockRealtimeAlarm = 8
	clockBoottimeAlarm = 9

	tfdTimerAbstime     = 1
	tfdTimerCancelOnSet = 2
)

func timerfdCreate(c *Ctx) (uint64, error) {
	clock, flags := int(int32(c.Arg(0))), c.Arg(1)
	if flags&^(oNonblock|oCloexec) != 0 {
		return 0, syscall.EINVAL
	}
	switch clock {
	case clockRealtime, clockMonotonic, clockBoottime:
	case clockRealtimeAlarm, clockBoottimeAlarm:
		if !c.P().Cred.Capable(dac.CapWakeAlarm) {
			return 0, syscall.EPERM
		}
	default:
		return 0, syscall.EINVAL
	}
	f := file.NewTimerFD(c.K.Cond, clock)
	// Read-write, as Linux opens it, so that a write is EINVAL, not EBADF.
	n, err := c.P().FDs.Install(fd.NewDescription(f, syscall.O_RDWR|uint32(flags&oNonblock)), 0, flags&oCloexec != 0)
	return uint64(n), err
}

// timerfdOf returns the timerfd that descriptor n names: EBADF if none,
// EINVAL if it is another kind of file.
func timerfdOf(c *Ctx, n uint64) (*file.TimerFD, error) {
	d, err := c.P().FDs.Get(int(int32(n)))
	if err != nil {
		return nil, err
	}
	f, ok := d.File.(*file.TimerFD)
	if !ok {
		return nil, syscall.EINVAL
	}
	return f, nil
}

// timerfdSettime checks in Linux's order: the new setting's memory
// (EFAULT), then the flags and its times (EINVAL), then the descriptor.
func timerfdSettime(c *Ctx) (uint64, error) {
	var its [2][2]int64 // it_interval, it_value
	if err := usermem.Read(c.T.Mem(), c.Arg(2), &its); err != nil {
		return 0, err
	}
	if c.Arg(1)&^(tfdTimerAbstime|tfdTimerCancelOnSet) != 0 {
		return 0, syscall.EINVAL
	}
	interval, err := fromTimespec(its[0])
	if err != nil {
		return 0, err
	}
	value, err := fromTimespec(its[1])
	if err != nil {
		return 0, err
	}
	f, err := timerfdOf(c, c.Arg(0))
	if err != nil {
		return 0, err
	}
	var at time.Time
	switch {
	case value == 0: // disarmed
	case c.Arg(1)&tfdTimerAbstime == 0:
		at = time.Now().Add(value)
	default:
		at = absTime(f.Clock == clockRealtime || f.Clock == clockRealtimeAlarm, value)
	}
	left, oldInterval := f.Set(at, interval)
	if old := c.Arg(3); old != 0 {
		return 0, putItimerspec(c.T.Mem(), old, left, oldInterval)
	}
	return 0, nil
}

func timerfdGettime(c *Ctx) (uint64, error) {
	f, err := timerfdOf(c, c.Arg(0))
	if err != nil {
		return 0, err
	}
	left, interval := f.Get()
	return 0, putItimerspec(c.T.Mem(), c.Arg(1), left, interval)
}

// putItimerspec writes a struct itimerspec: the interval, then the value.
func putItimerspec(m usermem.Memory, addr uint64, value, interval time.Duration) error {
	if err := putTimespec(m, addr, interval); err != nil {
		return err
	}
	return putTimespec(m, addr+16, value)
}
