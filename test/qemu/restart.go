package qemu

import (
	"fmt"
	"net/http"
	"time"
)

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
