package qemu

import (
	"fmt"
	"net/http"
	"time"
)

// How soon after a server's death new connections must be answered
// again: RecoveryGoal is issue 17's goal, which the restart meets on a
// quiet machine; RecoveryLimit is what the tests require, because under
// TCG on a shared machine everything slows with the host's load (the same
// restart has taken 1.8 s at a load average of 13 on 2 cores). A restart
// that does not work at all misses both by far: the host's connections
// are never answered, or only after QEMU's SYN retransmissions, seconds
// apart.
const (
	RecoveryGoal  = time.Second
	RecoveryLimit = 3 * time.Second
)

// Recovery says how a recovery time compares with RecoveryGoal.
func Recovery(d time.Duration) string {
	if d <= RecoveryGoal {
		return fmt.Sprintf("%v, within the goal of %v", d.Round(time.Millisecond), RecoveryGoal)
	}
	return fmt.Sprintf("%v, MISSING the goal of %v", d.Round(time.Millisecond), RecoveryGoal)
}

// KillServer ends the Aramid server called name as a crash would, through
// the kernel monitor's kill typed after Ctrl-] (the monitor escape of a
// console that linuxd's terminal owns), and waits for the kernel to say
// so. It returns when that was, as the time since QEMU started.
func (vm *VM) KillServer(name string, timeout time.Duration) (time.Duration, error) {
	if err := vm.Type("\x1dkill " + name + "\r"); err != nil {
		return 0, err
	}
	_, at, err := vm.WaitFor("kernel: killed "+name, timeout)
	return at, err
}

// GetOK fetches url on a new connection and reports whether it answered
// 200 within timeout.
func GetOK(url string, timeout time.Duration) bool {
	c := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	r, err := c.Get(url)
	if err != nil {
		return false
	}
	r.Body.Close()
	return r.StatusCode == http.StatusOK
}

// FirstAnswer opens a new connection to url every 20 ms, each with its
// own request, and returns how long after since the first one answered
// 200: when new connections succeed again after a server was killed. A
// connection the host opened while the guest could not answer waits for
// QEMU's user network to retransmit its SYN, seconds later; those opened
// after the recovery answer at once.
func FirstAnswer(url string, since time.Time, timeout time.Duration) (time.Duration, error) {
	answered := make(chan time.Duration, 1)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(timeout)
	for {
		select {
		case d := <-answered:
			return d, nil
		case <-deadline:
			return 0, fmt.Errorf("no new connection to %s answered within %v", url, timeout)
		case <-tick.C:
			go func() {
				if GetOK(url, 10*time.Second) {
					select {
					case answered <- time.Since(since):
					default:
					}
				}
			}()
		}
	}
}
