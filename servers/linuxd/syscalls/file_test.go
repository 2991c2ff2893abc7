package syscalls

import (
	"syscall"
	"testing"

	"aramid/lib/abi"
	"aramid/servers/linuxd/task"
	"aramid/servers/linuxd/usermem"
)

// TestPipeIO: read and write check the descriptor's access mode (EBADF
// on the wrong end), readv fills buffers in order and stops at a short
// read, writev gathers; an iovec count above 1024 (IOV_MAX) is EINVAL; seeking or
// positioned I/O on a pipe is ESPIPE; a write with no reader is EPIPE and
// raises SIGPIPE.
func TestPipeIO(t *testing.T) {
	f := newFixture(t)
	m := f.p.Proc
	r, w := f.pipeFDs()
	m.WriteAt([]byte("abcdefgh"), scratch)
	for _, c := range []struct {
		name string
		nr   uint64
		args []uint64
		want int64
	}{
		{"read of the write end", nr("read"), []uint64{w, scratch + 64, 8}, errno(syscall.EBADF)},
		{"write of the read end", nr("write"), []uint64{r, scratch, 8}, errno(syscall.EBADF)},
		{"write from a bad buffer", nr("write"), []uint64{w, 0x1000, 8}, errno(syscall.EFAULT)},
		{"write", nr("write"), []uint64{w, scratch, 8}, 8},
		{"lseek", nr("lseek"), []uint64{r, 0, 0}, errno(syscall.ESPIPE)},
		{"pread64", nr("pread64"), []uint64{r, scratch + 64, 1, 0}, errno(syscall.ESPIPE)},
		{"pwrite64", nr("pwrite64"), []uint64{w, scratch, 1, 0}, errno(syscall.ESPIPE)},
		{"free fd", nr("read"), []uint64{55, scratch, 1}, errno(syscall.EBADF)},
		{"write to a free fd", nr("write"), []uint64{55, scratch, 1}, errno(syscall.EBADF)},
	} {
		if got := f.result(1, c.nr, c.args...); got != c.want {
			t.Errorf("%s = %d, want %d", c.name, got, c.want)
		}
	}
	iov := uint64(scratch + 0x400)
	usermem.Write(m, iov, [4][2]uint64{{scratch + 0x100, 3}, {scratch + 0x200, 0}, {scratch + 0x300, 3}, {scratch + 0x380, 8}})
	if got := f.result(1, nr("readv"), r, iov, 4); got != 8 {
		t.Fatalf("readv = %d, want all 8 bytes", got)
	}
	for a, want := range map[uint64]string{scratch + 0x100: "abc", scratch + 0x300: "def", scratch + 0x380: "gh"} {
		b := make([]byte, len(want))
		m.ReadAt(b, a)
		if string(b) != want {
			t.Errorf("readv put %q at %#x, want %q", b, a, want)
		}
	}
	usermem.Write(m, iov, [2][2]uint64{{scratch + 4, 4}, {scratch, 4}})
	if got := f.result(1, nr("writev"), w, iov, 2); got != 8 {
		t.Fatalf("writev = %d", got)
	}
	if got := f.result(1, nr("read"), r, scratch+0x100, 100); got != 8 {
		t.Fatalf("read = %d", got)
	}
	b := make([]byte, 8)
	m.ReadAt(b, scratch+0x100)
	if string(b) != "efghabcd" {
		t.Errorf("writev wrote %q, want the buffers in order", b)
	}
	m.WriteAt(make([]byte, 1024*16), scratch+0x8000)
	for _, c := range []struct {
		name string
		nr   uint64
		args []uint64
		want int64
	}{
		{"readv of 1025", nr("readv"), []uint64{r, iov, 1025}, errno(syscall.EINVAL)},
		{"writev of 1025", nr("writev"), []uint64{w, iov, 1025}, errno(syscall.EINVAL)},
		{"readv, bad array", nr("readv"), []uint64{r, 0x1000, 1}, errno(syscall.EFAULT)},
		{"writev of an empty buffer", nr("writev"), []uint64{w, iov + 0x800, 1}, 0},
		{"writev of 1024 empty buffers", nr("writev"), []uint64{w, scratch + 0x8000, 1024}, 0},
		{"readv of a free fd", nr("readv"), []uint64{55, iov, 1}, errno(syscall.EBADF)},
	} {
		if got := f.result(1, c.nr, c.args...); got != c.want {
			t.Errorf("%s = %d, want %d", c.name, got, c.want)
		}
	}
	// O_NONBLOCK: an empty pipe's read and readv are EAGAIN.
	f.result(1, nr("fcntl"), r, fSetfl, oNonblock)
	usermem.Write(m, iov, [1][2]uint64{{scratch + 0x100, 4}})
	if got := f.result(1, nr("readv"), r, iov, 1); got != errno(syscall.EAGAIN) {
		t.Errorf("readv of an empty non-blocking pipe = %d, want EAGAIN", got)
	}
	if got := f.result(1, nr("read"), r, scratch, 4); got != errno(syscall.EAGAIN) {
		t.Errorf("read of an empty non-blocking pipe = %d, want EAGAIN", got)
	}
	// No reader: EPIPE, and SIGPIPE (ignored here, so the process lives).
	usermem.Write(m, scratch+0x800, task.SigAction{Handler: 0x400100})
	f.result(1, nr("rt_sigaction"), task.SIGPIPE, scratch+0x800, 0, 8)
	f.result(1, nr("close"), r)
	rep := f.call(1, nr("write"), w, scratch, 1)
	if rep.Action != abi.ReplyRegs || rep.Regs.RDI != task.SIGPIPE {
		t.Fatalf("write with no reader replied %+v, want SIGPIPE's handler", rep)
	}
	if rax, _ := usermem.U64(m, rep.Regs.RDX+40+8*13); int64(rax) != errno(syscall.EPIPE) {
		t.Errorf("the write returned %d, want EPIPE", int64(rax))
	}
}

// TestDupAndFcntl: dup takes the lowest free number, dup2 to itself is a
// no-op and replaces a descriptor in use, dup3 refuses the same number
// and unknown flags; fcntl's F_DUPFD bound, F_SETFD, F_GETFL/F_SETFL's
// settable flags, locks reported as free, and EINVAL for unknown commands.
func TestDupAndFcntl(t *testing.T) {
	f := newFixture(t)
	r, w := f.pipeFDs()
	for _, c := range []struct {
		name string
		nr   uint64
		args []uint64
		want int64
	}{
		{"dup", nr("dup"), []uint64{r}, int64(w) + 1},
		{"dup of a free fd", nr("dup"), []uint64{55}, errno(syscall.EBADF)},
		{"dup2 to itself", nr("dup2"), []uint64{r, r}, int64(r)},
		{"dup2 of a free fd to itself", nr("dup2"), []uint64{55, 55}, errno(syscall.EBADF)},
		{"dup2 onto w+1", nr("dup2"), []uint64{w, w + 1}, int64(w) + 1},
		{"dup2 to 1024", nr("dup2"), []uint64{w, 1024}, errno(syscall.EBADF)},
		{"dup3 to itself", nr("dup3"), []uint64{r, r, 0}, errno(syscall.EINVAL)},
		{"dup3 with flag 1", nr("dup3"), []uint64{r, 9, 1}, errno(syscall.EINVAL)},
		{"dup3 of a free fd", nr("dup3"), []uint64{55, 9, 0}, errno(syscall.EBADF)},
		{"dup3 O_CLOEXEC", nr("dup3"), []uint64{r, 9, oCloexec}, 9},
		{"F_GETFD of 9", nr("fcntl"), []uint64{9, fGetfd}, 1},
		{"F_SETFD 0", nr("fcntl"), []uint64{9, fSetfd, 0}, 0},
		{"F_GETFD after", nr("fcntl"), []uint64{9, fGetfd}, 0},
		{"F_SETFD 3", nr("fcntl"), []uint64{9, fSetfd, 3}, 0},
		{"F_GETFD after 3", nr("fcntl"), []uint64{9, fGetfd}, 1},
		{"F_DUPFD from 1023", nr("fcntl"), []uint64{r, fDupfd, 1023}, 1023},
		{"F_DUPFD from 1024", nr("fcntl"), []uint64{r, fDupfd, 1024}, errno(syscall.EINVAL)},
		{"F_DUPFD from 1023 again", nr("fcntl"), []uint64{r, fDupfd, 1023}, errno(syscall.EMFILE)},
		{"F_GETFL", nr("fcntl"), []uint64{w, fGetfl}, syscall.O_WRONLY},
		{"F_SETFL", nr("fcntl"), []uint64{w, fSetfl, syscall.O_APPEND | oNonblock | syscall.O_RDWR | oCloexec}, 0},
		{"F_GETFL after", nr("fcntl"), []uint64{w, fGetfl}, syscall.O_WRONLY | syscall.O_APPEND | oNonblock},
		{"F_SETOWN", nr("fcntl"), []uint64{w, fSetown, 5}, 0},
		{"F_GETOWN", nr("fcntl"), []uint64{w, fGetown}, 0},
		{"F_SETSIG", nr("fcntl"), []uint64{w, fSetsig, 5}, 0},
		{"F_GETSIG", nr("fcntl"), []uint64{w, fGetsig}, 0},
		{"F_SETLK", nr("fcntl"), []uint64{w, fSetlk, scratch}, 0},
		{"F_SETLKW", nr("fcntl"), []uint64{w, fSetlkw, scratch}, 0},
		{"F_GETLK", nr("fcntl"), []uint64{w, fGetlk, scratch}, 0},
		{"F_GETLK, bad pointer", nr("fcntl"), []uint64{w, fGetlk, 0x1000}, errno(syscall.EFAULT)},
		{"command 99", nr("fcntl"), []uint64{w, 99}, errno(syscall.EINVAL)},
		{"free fd", nr("fcntl"), []uint64{55, fGetfd}, errno(syscall.EBADF)},
	} {
		if got := f.result(1, c.nr, c.args...); got != c.want {
			t.Errorf("%s = %d, want %d", c.name, got, c.want)
		}
	}
	if typ, _ := usermem.U32(f.p.Proc, scratch); typ&0xffff != 2 {
		t.Errorf("F_GETLK l_type %d, want F_UNLCK", typ&0xffff)
	}
	if got := f.result(1, nr("fcntl"), 9, fGetfl); got != syscall.O_RDONLY {
		t.Errorf("F_GETFL of the dup3 copy = %#o: O_CLOEXEC is not a status flag", got)
	}
}

// TestPipe2Flags: pipe2 takes O_CLOEXEC, O_NONBLOCK and O_DIRECT only; the
// ends are O_RDONLY and O_WRONLY; a bad pointer leaves no descriptors.
func TestPipe2Flags(t *testing.T) {
	f := newFixture(t)
	if got := f.result(1, nr("pipe2"), scratch, oCloexec|oNonblock|0o40000); got != 0 {
		t.Fatalf("pipe2 = %d", got)
	}
	r, _ := usermem.U32(f.p.Proc, scratch)
	w, _ := usermem.U32(f.p.Proc, scratch+4)
	for _, c := range []struct {
		fd   uint32
		want int64
	}{{r, syscall.O_RDONLY | oNonblock}, {w, syscall.O_WRONLY | oNonblock}} {
		if got := f.result(1, nr("fcntl"), uint64(c.fd), fGetfl); got != c.want {
			t.Errorf("F_GETFL of %d = %#o, want %#o", c.fd, got, c.want)
		}
		if got := f.result(1, nr("fcntl"), uint64(c.fd), fGetfd); got != 1 {
			t.Errorf("F_GETFD of %d = %d", c.fd, got)
		}
	}
	if got := f.result(1, nr("pipe2"), 0x1000, 0); got != errno(syscall.EFAULT) {
		t.Errorf("pipe2(bad pointer) = %d", got)
	}
	if got := f.result(1, nr("dup"), uint64(r)); got != int64(w)+1 {
		t.Errorf("after a failed pipe2 the next fd is %d, want %d: its descriptors were not closed", got, w+1)
	}
}
