package link

import (
	"bytes"
	"errors"
	"net"
	"syscall"
	"testing"
)

var (
	macA = net.HardwareAddr{0x52, 0x54, 0, 0x12, 0x34, 0x56}
	macB = net.HardwareAddr{0x52, 0x55, 0x0a, 0, 2, 2}
)

// receiver starts d and returns the channel its frames arrive on.
func receiver(d Device) <-chan []byte {
	ch := make(chan []byte, pipeQueue)
	d.Start(func(f []byte) { ch <- append([]byte(nil), f...) })
	return ch
}

func TestPipe(t *testing.T) {
	a, b := Pipe(macA, macB, 1400)
	defer a.Close()
	defer b.Close()
	if !bytes.Equal(a.MAC(), macA) || !bytes.Equal(b.MAC(), macB) || a.MTU() != 1400 || b.MTU() != 1400 {
		t.Errorf("ends are %v/%d and %v/%d, want %v/1400 and %v/1400", a.MAC(), a.MTU(), b.MAC(), b.MTU(), macA, macB)
	}
	ra, rb := receiver(a), receiver(b)
	for _, c := range []struct {
		from Device
		to   <-chan []byte
		f    string
	}{{a, rb, "a to b"}, {b, ra, "b to a"}, {a, rb, "a to b again"}} {
		if err := c.from.Transmit([]byte(c.f)); err != nil {
			t.Fatalf("Transmit %s: %v", c.f, err)
		}
		if got := <-c.to; string(got) != c.f {
			t.Errorf("received %q, want %q", got, c.f)
		}
	}
}

// A full ring drops what does not fit, without blocking the sender.
func TestPipeFullRingDrops(t *testing.T) {
	a, b := Pipe(macA, macB, 1500)
	defer a.Close()
	for i := range pipeQueue + 10 {
		if err := a.Transmit([]byte{byte(i), byte(i >> 8)}); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	rb := receiver(b)
	for i := range pipeQueue {
		if f := <-rb; f[0] != byte(i) || f[1] != byte(i>>8) {
			t.Fatalf("frame %d arrived as %v", i, f)
		}
	}
	b.Close()
	select {
	case f := <-rb:
		t.Errorf("frame %v arrived past a full ring", f)
	default:
	}
}

// A closed end is a NIC that is down; a frame sent to a closed peer is
// lost on the wire, which is no error for the sender.
func TestPipeClose(t *testing.T) {
	a, b := Pipe(macA, macB, 1500)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if err := a.Transmit([]byte("x")); !errors.Is(err, syscall.ENETDOWN) {
		t.Errorf("Transmit on a closed end = %v, want ENETDOWN", err)
	}
	if err := b.Transmit([]byte("lost")); err != nil {
		t.Errorf("Transmit to a closed peer = %v, want nil", err)
	}
	rb := receiver(b)
	b.Close()
	if err := a.Transmit([]byte("x")); !errors.Is(err, syscall.ENETDOWN) {
		t.Errorf("Transmit with both ends closed = %v, want ENETDOWN", err)
	}
	select {
	case f := <-rb:
		t.Errorf("closed end received %q", f)
	default:
	}
}
