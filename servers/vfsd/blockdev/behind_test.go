package blockdev

import (
	"bytes"
	"errors"
	"syscall"
	"testing"
	"time"
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

// counting is a device that counts its writes.
type counting struct {
	*Mem
	writes int
}

func (c *counting) WriteAt(p []byte, off int64) (int, error) {
	c.writes++
	return c.Mem.WriteAt(p, off)
}

// TestWriteBehindMerges: writes that overlap or touch the last one queued
// reach the device as one, with the later bytes; a write apart from it
// stays a write of its own, after it.
func TestWriteBehindMerges(t *testing.T) {
	dev := &counting{Mem: NewMem(make([]byte, 4096))}
	w := NewWriteBehind(dev)
	w.gather = time.Hour // only Flush starts the writer
	want := make([]byte, 4096)
	for i, c := range []struct{ off, n int }{{512, 512}, {512, 512}, {600, 10}, {1024, 100}, {400, 200}, {3000, 8}} {
		p := bytes.Repeat([]byte{byte(i + 1)}, c.n)
		if _, err := w.WriteAt(p, int64(c.off)); err != nil {
			t.Fatal(err)
		}
		copy(want[c.off:], p)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dev.Bytes(), want) {
		t.Error("the device holds different contents")
	}
	if dev.writes != 2 {
		t.Errorf("%d writes reached the device, want 2", dev.writes)
	}
	if w.bytes != 0 {
		t.Errorf("%d bytes still counted as queued", w.bytes)
	}
}
