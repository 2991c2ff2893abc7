package file

import (
	"encoding/binary"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestTimerFD: an interval timer set to start in the past counts every
// expiration up to now at once; a read takes the count and empties it;
// setting the timer again drops what was not read and returns the old
// setting; reads shorter than 8 bytes, reads of nothing without waiting,
// and writes fail as on Linux.
func TestTimerFD(t *testing.T) {
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	f := NewTimerFD(cond, 1)
	b := make([]byte, 8)
	mu.Lock()
	defer mu.Unlock()
	if _, err := f.ReadWait(b, Wait{NonBlock: true}); err != syscall.EAGAIN {
		t.Errorf("read of an unarmed timer: %v, want EAGAIN", err)
	}
	if _, err := f.ReadWait(b[:4], Wait{}); err != syscall.EINVAL {
		t.Errorf("4-byte read: %v, want EINVAL", err)
	}
	if _, err := f.Write(b); err != syscall.EINVAL {
		t.Errorf("write: %v, want EINVAL", err)
	}
	f.Set(time.Now().Add(-35*time.Millisecond), 10*time.Millisecond)
	if n, err := f.ReadWait(b, Wait{}); n != 8 || err != nil || binary.LittleEndian.Uint64(b) < 4 {
		t.Errorf("first read: %d, %v, count %d; want at least 4 (35 ms late, every 10 ms)", n, err, binary.LittleEndian.Uint64(b))
	}
	if f.Readable() {
		t.Error("readable right after a read")
	}
	for !f.Readable() {
		cond.Wait()
	}
	left, interval := f.Set(time.Time{}, 0)
	if left <= 0 || left > 10*time.Millisecond || interval != 10*time.Millisecond {
		t.Errorf("old setting: %v left, interval %v; want at most 10 ms, 10 ms", left, interval)
	}
	if f.Readable() {
		t.Error("expirations kept after the timer was set again")
	}
	if left, interval := f.Get(); left != 0 || interval != 0 {
		t.Errorf("disarmed timer reads %v, %v", left, interval)
	}
	f.Set(time.Now().Add(time.Hour), 0)
	f.Close()
	if f.timer != nil {
		t.Error("Close left the timer running")
	}
}
