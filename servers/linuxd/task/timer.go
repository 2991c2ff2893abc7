package task

import "time"

// alarmTimer is a process's ITIMER_REAL: it sends SIGALRM when it
// expires, and again every interval if that is not 0.
type alarmTimer struct {
	t        *time.Timer
	at       time.Time
	interval time.Duration
}

// Alarm returns the time left on p's real-time timer and its interval.
func (k *Kernel) Alarm(p *Process) (left, interval time.Duration) {
	a := p.alarm
	if a == nil {
		return 0, 0
	}
	return max(time.Until(a.at), time.Microsecond), a.interval
}

// SetAlarm arms p's real-time timer to expire after value (0 disarms it)
// and then every interval, and returns what was left of the old one.
func (k *Kernel) SetAlarm(p *Process, value, interval time.Duration) (left, oldInterval time.Duration) {
	left, oldInterval = k.Alarm(p)
	k.stopAlarm(p)
	if value > 0 {
		k.armAlarm(p, value, interval)
	}
	return left, oldInterval
}

func (k *Kernel) armAlarm(p *Process, after, interval time.Duration) {
	a := &alarmTimer{at: time.Now().Add(after), interval: interval}
	a.t = time.AfterFunc(after, func() {
		k.Mu.Lock()
		defer k.Mu.Unlock()
		if p.alarm != a || p.Exited {
			return
		}
		p.alarm = nil
		if a.interval > 0 {
			k.armAlarm(p, a.interval, a.interval)
		}
		k.Signal(p, SIGALRM)
	})
	p.alarm = a
}

func (k *Kernel) stopAlarm(p *Process) {
	if p.alarm != nil {
		p.alarm.t.Stop()
		p.alarm = nil
	}
}
