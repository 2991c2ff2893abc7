package file

import (
	"bytes"
	"sync"
	"syscall"
	"testing"
)

func newTTY() (*TTY, *bytes.Buffer, *sync.Mutex) {
	var mu sync.Mutex
	out := &bytes.Buffer{}
	t := NewTTY(sync.NewCond(&mu), out)
	return t, out, &mu
}

func TestCanonicalLine(t *testing.T) {
	tt, out, mu := newTTY()
	mu.Lock()
	defer mu.Unlock()
	f := tt.Open()
	tt.Input([]byte("ab\x7fc\rnext"))
	b := make([]byte, 64)
	n, err := f.ReadWait(b, Wait{NonBlock: true})
	if err != nil || string(b[:n]) != "ac\n" {
		t.Fatalf("read %q, %v; want the edited line \"ac\\n\"", b[:n], err)
	}
	if _, err := f.ReadWait(b, Wait{NonBlock: true}); err != syscall.EAGAIN {
		t.Fatalf("a partial line is readable: %v", err)
	}
	if got := out.String(); got != "ab\b \bc\nnext" {
		t.Errorf("echo %q", got)
	}
	tt.Input([]byte{4}) // ^D ends the line without a newline
	if n, _ := f.ReadWait(b, Wait{}); string(b[:n]) != "next" {
		t.Errorf("after ^D read %q, want \"next\"", b[:n])
	}
	tt.Input([]byte{4}) // ^D on an empty line is end of file
	if n, err := f.ReadWait(b, Wait{}); n != 0 || err != nil {
		t.Errorf("^D on an empty line read %d, %v; want end of file", n, err)
	}
}

func TestInterruptSignalsForegroundGroup(t *testing.T) {
	tt, _, mu := newTTY()
	mu.Lock()
	defer mu.Unlock()
	var got [2]int
	tt.Pgrp = 7
	tt.Signal = func(pgrp, sig int) { got = [2]int{pgrp, sig} }
	tt.Input([]byte("sleep\x03"))
	if got != [2]int{7, SIGINT} {
		t.Fatalf("^C sent %v, want SIGINT to group 7", got)
	}
	if _, err := tt.Open().ReadWait(make([]byte, 8), Wait{NonBlock: true}); err != syscall.EAGAIN {
		t.Errorf("^C left input behind: %v", err)
	}
}

func TestRawMode(t *testing.T) {
	tt, out, mu := newTTY()
	mu.Lock()
	defer mu.Unlock()
	tt.Input([]byte("ty")) // typed ahead, in canonical mode
	out.Reset()
	raw := tt.Termios
	raw.Lflag &^= icanon | echo
	tt.SetTermios(raw)
	tt.Input([]byte("x\x7f"))
	b := make([]byte, 8)
	if n, _ := tt.Open().ReadWait(b, Wait{}); string(b[:n]) != "tyx\x7f" {
		t.Errorf("raw read %q, want what was typed ahead too", b[:n])
	}
	if out.Len() != 0 {
		t.Errorf("echo with ECHO off: %q", out.String())
	}
}

func TestPipe(t *testing.T) {
	var mu sync.Mutex
	r, w := NewPipe(sync.NewCond(&mu))
	mu.Lock()
	defer mu.Unlock()
	if _, err := r.ReadWait(make([]byte, 1), Wait{NonBlock: true}); err != syscall.EAGAIN {
		t.Fatalf("empty pipe read: %v, want EAGAIN", err)
	}
	big := make([]byte, PipeSize+10)
	if n, err := w.WriteWait(big, Wait{NonBlock: true}); n != PipeSize || err != nil {
		t.Fatalf("write into a pipe = %d, %v; want %d (its capacity)", n, err, PipeSize)
	}
	if !r.Readable() || w.Writable() {
		t.Error("a full pipe must be readable and not writable")
	}
	if _, err := w.WriteWait([]byte("x"), Wait{Interrupted: func() bool { return true }}); err != syscall.EINTR {
		t.Errorf("interrupted write on a full pipe: %v, want EINTR", err)
	}
	r.Close()
	if _, err := w.Write([]byte("x")); err != syscall.EPIPE {
		t.Errorf("write with no reader: %v, want EPIPE", err)
	}
}
