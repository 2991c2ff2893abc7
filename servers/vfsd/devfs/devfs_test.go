package devfs

import (
	"bytes"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestMkdevMatchesGlibc(t *testing.T) {
	for _, d := range [][2]uint32{{1, 3}, {5, 1}, {259, 70000}, {4095, 255}, {4096, 256}, {1<<20 - 1, 1<<20 - 1}} {
		if got, want := Mkdev(d[0], d[1]), unix.Mkdev(d[0], d[1]); got != want {
			t.Errorf("Mkdev(%d, %d) = %#x, want %#x", d[0], d[1], got, want)
		}
	}
}

func TestConsole(t *testing.T) {
	var out bytes.Buffer
	reg := Standard(&out, bytes.NewBufferString("typed"))
	reg[Console].WriteAt([]byte("hello"), 0)
	b := make([]byte, 10)
	n, _ := reg[TTY].ReadAt(b, 0)
	if out.String() != "hello" || string(b[:n]) != "typed" {
		t.Errorf("console out %q in %q", out.String(), b[:n])
	}
	if n, _ := reg[TTY].ReadAt(b, 0); n != 0 {
		t.Errorf("read after input ended: %d", n)
	}
	if n, err := reg[Full].WriteAt(b, 0); n != 0 || err != syscall.ENOSPC {
		t.Errorf("/dev/full write: %d %v", n, err)
	}
}
