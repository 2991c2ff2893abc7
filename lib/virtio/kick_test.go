package virtio

import "testing"

// TestKickHonoursNoNotify checks that Kick notifies the device unless the
// used ring's flags say it needs no notification.
func TestKickHonoursNoNotify(t *testing.T) {
	const size = 8
	q := newQueue(0, size, Memory{Bytes: make([]byte, ringBytes(size))})
	kicks := 0
	q.kick = func() { kicks++ }
	for _, tc := range []struct {
		flags uint32
		want  int
	}{{0, 1}, {usedNoNotify, 0}, {0, 1}} {
		*q.word(q.usedOff) = tc.flags
		if err := q.Add([]Buf{{Phys: 0x1000, Len: 16}}, 0); err != nil {
			t.Fatal(err)
		}
		kicks = 0
		q.Kick()
		if kicks != tc.want {
			t.Errorf("used flags %#x: %d notifications, want %d", tc.flags, kicks, tc.want)
		}
	}
}

// TestNoInterruptsPublished checks that NoInterrupts' flag goes out with
// the next Add's index.
func TestNoInterruptsPublished(t *testing.T) {
	const size = 8
	q := newQueue(0, size, Memory{Bytes: make([]byte, ringBytes(size))})
	for _, noint := range []bool{false, true} {
		if noint {
			q.NoInterrupts()
		}
		if err := q.Add([]Buf{{Phys: 0x1000, Len: 16}}, 0); err != nil {
			t.Fatal(err)
		}
		w := *q.word(q.availOff)
		if got := w&availNoInterrupt != 0; got != noint || uint16(w>>16) != q.availIdx {
			t.Errorf("after NoInterrupts %v: available ring word %#x", noint, w)
		}
	}
}
