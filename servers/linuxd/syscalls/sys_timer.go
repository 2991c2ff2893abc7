package syscalls

import (
	"syscall"
	"time"

	"aramid/servers/linuxd/usermem"
)

// The real-time interval timer (ITIMER_REAL, and alarm, which is the same
// timer): SIGALRM to the process when it expires.

func init() {
	byName["alarm"] = Entry{Fn: alarm}
	byName["setitimer"] = Entry{Fn: setitimer, Status: Partial, Note: "ITIMER_REAL only; ITIMER_VIRTUAL and ITIMER_PROF are EINVAL"}
	byName["getitimer"] = Entry{Fn: getitimer, Status: Partial, Note: "ITIMER_REAL only"}
}

const itimerReal = 0

func alarm(c *Ctx) (uint64, error) {
	left, _ := c.K.SetAlarm(c.P(), time.Duration(uint32(c.Arg(0)))*time.Second, 0)
	secs, usec := uint64(left/time.Second), left%time.Second/time.Microsecond
	if secs == 0 && usec > 0 || usec >= 500000 {
		secs++ // a pending alarm never reads 0; Linux rounds to the nearest second
	}
	return secs, nil
}

// itimerval is struct itimerval: interval, then value, as timevals.
type itimerval struct {
	IntervalSec, IntervalUsec int64
	ValueSec, ValueUsec       int64
}

func fromTimeval(sec, usec int64) (time.Duration, error) {
	if sec < 0 || usec < 0 || usec >= 1e6 {
		return 0, syscall.EINVAL
	}
	return time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond, nil
}

func toItimerval(left, interval time.Duration) itimerval {
	return itimerval{int64(interval / time.Second), int64(interval % time.Second / time.Microsecond),
		int64(left / time.Second), int64(left % time.Second / time.Microsecond)}
}

func setitimer(c *Ctx) (uint64, error) {
	if c.Arg(0) != itimerReal {
		return 0, syscall.EINVAL
	}
	var v itimerval
	if c.Arg(1) != 0 {
		if err := usermem.Read(c.T.Mem(), c.Arg(1), &v); err != nil {
			return 0, err
		}
	}
	value, err := fromTimeval(v.ValueSec, v.ValueUsec)
	if err != nil {
		return 0, err
	}
	interval, err := fromTimeval(v.IntervalSec, v.IntervalUsec)
	if err != nil {
		return 0, err
	}
	left, every := c.K.SetAlarm(c.P(), value, interval)
	if c.Arg(2) != 0 {
		return 0, usermem.Write(c.T.Mem(), c.Arg(2), toItimerval(left, every))
	}
	return 0, nil
}

func getitimer(c *Ctx) (uint64, error) {
	if c.Arg(0) != itimerReal {
		return 0, syscall.EINVAL
	}
	left, every := c.K.Alarm(c.P())
	return 0, usermem.Write(c.T.Mem(), c.Arg(1), toItimerval(left, every))
}
