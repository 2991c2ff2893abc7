package blockdev

import (
	"bytes"
	"errors"
	"syscall"
	"testing"
)

// gated is a device whose writes wait for a token, or fail with err.
type gated struct {
	*Mem
	gate chan struct{}
	err  error
}

func (g *gated) WriteAt(p []byte, off int64) (int, error) {
	<-g.gate
	if g.err != nil {
		return 0, g.err
	}
	return g.Mem.WriteAt(p, off)
}

// TestWriteBehind: writes return before the device has them, land in
// order, and a read or Flush sees them all.
func TestWriteBehind(t *testing.T) {
	dev := &gated{Mem: NewMem(make([]byte, 4096)), gate: make(chan struct{})}
	w := NewWriteBehind(dev)
	want := make([]byte, 4096)
	for i, c := range []struct{ off, n int }{{0, 100}, {50, 100}, {1000, 3000}, {10, 5}} {
		p := bytes.Repeat([]byte{byte(i + 1)}, c.n)
		if n, err := w.WriteAt(p, int64(c.off)); n != c.n || err != nil {
			t.Fatalf("WriteAt = %d, %v", n, err)
		}
		copy(want[c.off:], p)
	}
	close(dev.gate) // the writes were queued: none could reach the device yet
	got := make([]byte, len(want))
	if _, err := w.ReadAt(got, 0); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("ReadAt: %v, or different contents", err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

// TestWriteBehindError: a write that fails fails the next Flush, once.
func TestWriteBehindError(t *testing.T) {
	dev := &gated{Mem: NewMem(make([]byte, 512)), gate: make(chan struct{}), err: syscall.EIO}
	close(dev.gate)
	w := NewWriteBehind(dev)
	if _, err := w.WriteAt([]byte{1}, 0); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Flush after a failed write: %v, want EIO", err)
	}
	if err := w.Flush(); err != nil {
		t.Fatalf("second Flush: %v", err)
	}
}
