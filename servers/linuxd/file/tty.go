package file

import (
	"encoding/binary"
	"io"
	"sync"
	"syscall"
)

// Termios flags and control characters linuxd's line discipline uses
// (asm-generic/termbits.h).
const (
	icrnl  = 0x100
	isig   = 0x1
	icanon = 0x2
	echo   = 0x8
	echoe  = 0x10
	vintr  = 0
	vquit  = 1
	verase = 2
	vkill  = 3
	veof   = 4
	vmin   = 6
	vsusp  = 10
)

// Signals the terminal raises.
const (
	SIGINT  = 2
	SIGQUIT = 3
	SIGTSTP = 20
)

// Termios is struct termios as TCGETS and TCSETS move it.
type Termios struct {
	Iflag, Oflag, Cflag, Lflag uint32
	Line                       uint8
	CC                         [19]uint8
}

// TermiosSize is its size in bytes.
const TermiosSize = 36

// Marshal returns the kernel's byte layout.
func (t *Termios) Marshal() []byte {
	b, _ := binary.Append(nil, binary.LittleEndian, t)
	return b
}

// Unmarshal reads the kernel's byte layout.
func (t *Termios) Unmarshal(b []byte) {
	binary.Decode(b, binary.LittleEndian, t)
}

// defaultTermios is what Linux gives a serial console: canonical mode with
// echo and signals, CR read as NL.
func defaultTermios() Termios {
	t := Termios{Iflag: icrnl | 0x400, Oflag: 0x5, Cflag: 0xbf, Lflag: isig | icanon | echo | echoe | 0x20 | 0x200 | 0x800 | 0x8000}
	copy(t.CC[:], []byte{3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0xf, 0x17, 0x16, 0})
	return t
}

// TTY is the console terminal: a line discipline between the serial
// console (linuxd's own standard input and output) and Linux processes.
type TTY struct {
	cond    *sync.Cond
	out     io.Writer
	Termios Termios
	Rows    uint16
	Cols    uint16
	// Pgrp is the foreground process group; SID the session it controls.
	Pgrp, SID int
	// Signal sends sig to the foreground process group; it is called
	// with linuxd's lock held.
	Signal func(pgrp, sig int)

	gen   uint64 // counts input, for edge-triggered epoll
	line  []byte // the line being edited (canonical mode)
	ready []byte // input a read can take
	eof   int    // pending end-of-file marks
}

// NewTTY returns the terminal over out, whose waits use cond.
func NewTTY(cond *sync.Cond, out io.Writer) *TTY {
	return &TTY{cond: cond, out: out, Termios: defaultTermios(), Rows: 24, Cols: 80}
}

// Input takes bytes typed at the console. The caller holds the lock.
func (t *TTY) Input(b []byte) {
	for _, c := range b {
		t.input(c)
	}
	t.gen++
	t.cond.Broadcast()
}

func (t *TTY) input(c byte) {
	tm := &t.Termios
	if c == '\r' && tm.Iflag&icrnl != 0 {
		c = '\n'
	}
	if tm.Lflag&isig != 0 {
		if sig := t.signalFor(c); sig != 0 {
			t.line = t.line[:0]
			t.echo([]byte{'^', c + '@', '\n'})
			if t.Signal != nil {
				t.Signal(t.Pgrp, sig)
			}
			return
		}
	}
	if tm.Lflag&icanon == 0 {
		t.ready = append(t.ready, c)
		t.echo([]byte{c})
		return
	}
	switch {
	case c == tm.CC[verase] || c == 8:
		if len(t.line) > 0 {
			t.line = t.line[:len(t.line)-1]
			if tm.Lflag&echoe != 0 {
				t.echo([]byte("\b \b"))
			}
		}
	case c == tm.CC[vkill]:
		for range t.line {
			t.echo([]byte("\b \b"))
		}
		t.line = t.line[:0]
	case c == tm.CC[veof]:
		t.ready = append(t.ready, t.line...)
		t.line = t.line[:0]
		if len(t.ready) == 0 {
			t.eof++
		}
	case c == '\n':
		t.line = append(t.line, c)
		t.ready = append(t.ready, t.line...)
		t.line = t.line[:0]
		t.echo([]byte{c})
	default:
		t.line = append(t.line, c)
		t.echo([]byte{c})
	}
}

func (t *TTY) signalFor(c byte) int {
	cc := &t.Termios.CC
	switch {
	case c == 0:
		return 0
	case c == cc[vintr]:
		return SIGINT
	case c == cc[vquit]:
		return SIGQUIT
	case c == cc[vsusp]:
		return SIGTSTP
	}
	return 0
}

func (t *TTY) echo(b []byte) {
	if t.Termios.Lflag&echo != 0 {
		t.out.Write(b)
	}
}

// SetTermios changes the terminal's settings (TCSETS). Leaving canonical
// mode makes the line being edited readable at once, as Linux does, so
// nothing typed ahead of a program's switch to raw mode is lost.
func (t *TTY) SetTermios(n Termios) {
	if t.Termios.Lflag&icanon != 0 && n.Lflag&icanon == 0 {
		t.ready = append(t.ready, t.line...)
		t.line = t.line[:0]
	}
	t.Termios = n
	t.cond.Broadcast()
}

// Open returns a file of the terminal.
func (t *TTY) Open() *TTYFile { return &TTYFile{T: t} }

// TTYFile is one open file of the terminal.
type TTYFile struct {
	T *TTY
}

// Read implements fd.File.
func (f *TTYFile) Read(b []byte) (int, error) { return f.ReadWait(b, Wait{}) }

// ReadWait reads typed input: in canonical mode up to the end of a line.
func (f *TTYFile) ReadWait(b []byte, w Wait) (int, error) {
	t := f.T
	for len(t.ready) == 0 {
		if t.eof > 0 {
			t.eof--
			return 0, nil
		}
		if len(b) == 0 {
			return 0, nil
		}
		if w.NonBlock {
			return 0, syscall.EAGAIN
		}
		if w.interrupted() {
			return 0, syscall.EINTR
		}
		t.cond.Wait()
	}
	n := len(t.ready)
	if t.Termios.Lflag&icanon != 0 {
		for i, c := range t.ready {
			if c == '\n' {
				n = i + 1
				break
			}
		}
	}
	n = copy(b, t.ready[:n])
	t.ready = t.ready[n:]
	return n, nil
}

// Write implements fd.File.
func (f *TTYFile) Write(b []byte) (int, error) { return f.T.out.Write(b) }

// WriteWait writes; the console never makes a writer wait.
func (f *TTYFile) WriteWait(b []byte, _ Wait) (int, error) { return f.Write(b) }

// Writable reports that a write would not block (poll).
func (f *TTYFile) Writable() bool { return true }

// Readable reports whether a read would not block (poll).
func (f *TTYFile) Readable() bool { return len(f.T.ready) > 0 || f.T.eof > 0 }

// Close implements fd.File.
func (f *TTYFile) Close() error { return nil }

// Poll implements Pollable.
func (f *TTYFile) Poll() (uint32, uint64) { return readiness(f), f.T.gen }
