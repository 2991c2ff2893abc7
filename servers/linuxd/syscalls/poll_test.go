package syscalls

import (
	"encoding/binary"
	"syscall"
	"testing"
	"time"

	"aramid/lib/abi"
	"aramid/servers/linuxd/task"
	"aramid/servers/linuxd/usermem"
)

// pipeFDs makes a pipe and returns its read and write descriptors.
func (f *fixture) pipeFDs() (uint64, uint64) {
	f.t.Helper()
	if got := f.result(1, nr("pipe"), scratch+0xf000); got != 0 {
		f.t.Fatalf("pipe = %d", got)
	}
	r, _ := usermem.U32(f.p.Proc, scratch+0xf000)
	w, _ := usermem.U32(f.p.Proc, scratch+0xf004)
	return uint64(r), uint64(w)
}

// pollfds writes struct pollfd entries (fd, events) at addr.
func (f *fixture) pollfds(addr uint64, fds ...[2]int32) {
	b := make([]byte, 8*len(fds))
	for i, p := range fds {
		binary.LittleEndian.PutUint32(b[8*i:], uint32(p[0]))
		binary.LittleEndian.PutUint16(b[8*i+4:], uint16(p[1]))
		binary.LittleEndian.PutUint16(b[8*i+6:], 0xffff) // revents must be overwritten
	}
	f.p.Proc.WriteAt(b, addr)
}

func (f *fixture) revents(addr uint64, n int) []uint16 {
	out := make([]uint16, n)
	for i := range out {
		b := make([]byte, 2)
		f.p.Proc.ReadAt(b, addr+8*uint64(i)+6)
		out[i] = binary.LittleEndian.Uint16(b)
	}
	return out
}

// TestPoll follows poll(2): revents holds the requested events that are
// ready plus POLLERR, POLLHUP and POLLNVAL whether asked or not; a
// negative fd is skipped; the result counts the entries with revents.
func TestPoll(t *testing.T) {
	f := newFixture(t)
	r, w := f.pipeFDs()
	f.pollfds(scratch, [2]int32{int32(r), pollIn}, [2]int32{int32(w), pollOut | pollIn}, [2]int32{-1, pollIn}, [2]int32{99, pollIn})
	if got := f.result(1, nr("poll"), scratch, 4, 0); got != 2 {
		t.Errorf("poll = %d, want 2 (the write end and the bad fd)", got)
	}
	if ev := f.revents(scratch, 4); ev[0] != 0 || ev[1] != pollOut || ev[2] != 0 || ev[3] != pollNval {
		t.Errorf("revents %#x", ev)
	}
	f.p.Proc.WriteAt([]byte("x"), scratch+0x800)
	f.result(1, nr("write"), w, scratch+0x800, 1)
	f.pollfds(scratch, [2]int32{int32(r), pollIn | pollOut}, [2]int32{int32(w), pollIn})
	if got := f.result(1, nr("poll"), scratch, 2, 0); got != 1 {
		t.Errorf("poll with data = %d, want 1", got)
	}
	if ev := f.revents(scratch, 2); ev[0] != pollIn || ev[1] != 0 {
		t.Errorf("revents with data %#x", ev)
	}
	f.result(1, nr("close"), w)
	f.pollfds(scratch, [2]int32{int32(r), 0})
	if got := f.result(1, nr("poll"), scratch, 1, 0); got != 1 || f.revents(scratch, 1)[0] != pollHup {
		t.Errorf("poll of a pipe without writers = %d, revents %#x; want POLLHUP unasked", got, f.revents(scratch, 1))
	}

	// ppoll with a zero timeout, or none and something ready, answers at once.
	putTS(f, scratch+0x900, 0, 0)
	f.pollfds(scratch, [2]int32{int32(r), pollIn})
	if got := f.result(1, nr("ppoll"), scratch, 1, scratch+0x900, 0, 8); got != 1 {
		t.Errorf("ppoll = %d", got)
	}
	if got := f.result(1, nr("ppoll"), scratch, 1, 0, 0, 8); got != 1 {
		t.Errorf("ppoll without timeout, fd ready = %d", got)
	}
	putTS(f, scratch+0x900, 0, 1e9)
	if got := f.result(1, nr("ppoll"), scratch, 1, scratch+0x900, 0, 8); got != errno(syscall.EINVAL) {
		t.Errorf("ppoll with tv_nsec 10^9 = %d", got)
	}
	for _, c := range []struct {
		name string
		args []uint64
		want int64
	}{
		{"1025 entries", []uint64{scratch, 1025, 0}, errno(syscall.EINVAL)},
		{"bad pointer", []uint64{0x1000, 1, 0}, errno(syscall.EFAULT)},
		{"nothing, no timeout", []uint64{0, 0, ^uint64(0)}, errno(syscall.EINTR)},
		{"nothing, timeout 0", []uint64{0, 0, 0}, 0},
	} {
		if got := f.result(1, nr("poll"), c.args...); got != c.want {
			t.Errorf("poll %s = %d, want %d", c.name, got, c.want)
		}
	}
	many := make([][2]int32, 1024)
	for i := range many {
		many[i] = [2]int32{-1, pollIn}
	}
	f.pollfds(scratch, many...)
	if got := f.result(1, nr("poll"), scratch, 1024, 0); got != 0 {
		t.Errorf("poll of 1024 skipped entries = %d, want 0", got)
	}
}

// TestPollWaits: a poll without timeout ends when the pipe gets data, or
// with EINTR when a signal is waiting.
func TestPollWaits(t *testing.T) {
	f := newFixture(t)
	r, w := f.pipeFDs()
	go func() {
		f.k.Mu.Lock()
		defer f.k.Mu.Unlock()
		d, _ := f.p.FDs.Get(int(w))
		d.File.Write([]byte("x"))
	}()
	f.pollfds(scratch, [2]int32{int32(r), pollIn})
	if got := f.result(1, nr("poll"), scratch, 1, ^uint64(0)); got != 1 || f.revents(scratch, 1)[0] != pollIn {
		t.Errorf("poll woken by a write = %d, revents %#x", got, f.revents(scratch, 1))
	}
	usermem.Write(f.p.Proc, scratch+0x800, task.SigAction{Handler: 1})
	f.result(1, nr("rt_sigaction"), task.SIGINT, scratch+0x800, 0, 8)
	f.p.Threads[1].Post(task.SIGINT, task.SigInfo{})
	f.pollfds(scratch, [2]int32{int32(w), pollIn})
	if got := f.result(1, nr("poll"), scratch, 1, ^uint64(0)); got != errno(syscall.EINTR) {
		t.Errorf("poll with a signal waiting = %d, want EINTR", got)
	}
}

// TestSelect follows select(2): nfds in [0, 1024], a closed fd in a set
// is EBADF, and each set comes back holding only its ready fds.
func TestSelect(t *testing.T) {
	f := newFixture(t)
	r, w := f.pipeFDs()
	const rd, wr, ex, tv = scratch, scratch + 128, scratch + 256, scratch + 384
	sets := func(read, write, except uint64) {
		usermem.Write(f.p.Proc, rd, [16]uint64{read})
		usermem.Write(f.p.Proc, wr, [16]uint64{write})
		usermem.Write(f.p.Proc, ex, [16]uint64{except})
	}
	usermem.Write(f.p.Proc, tv, [2]int64{0, 0})
	both := uint64(1)<<r | uint64(1)<<w
	sets(both, both, both)
	if got := f.result(1, nr("select"), w+1, rd, wr, ex, tv); got != 1 {
		t.Errorf("select = %d, want 1 (the write end writable)", got)
	}
	for _, c := range []struct {
		addr, want uint64
	}{{rd, 0}, {wr, 1 << w}, {ex, 0}} {
		if got, _ := usermem.U64(f.p.Proc, c.addr); got != c.want {
			t.Errorf("set at %#x = %#x, want %#x", c.addr, got, c.want)
		}
	}
	f.p.Proc.WriteAt([]byte("x"), scratch+0x800)
	f.result(1, nr("write"), w, scratch+0x800, 1)
	sets(both, 0, 0)
	putTS(f, scratch+0x900, 0, 0)
	if got := f.result(1, nr("pselect6"), w+1, rd, 0, 0, scratch+0x900, 0); got != 1 {
		t.Errorf("pselect6 = %d, want 1", got)
	}
	if got, _ := usermem.U64(f.p.Proc, rd); got != 1<<r {
		t.Errorf("read set %#x, want the read end", got)
	}
	// fd w+1 is beyond nfds = w+1: not looked at, so not EBADF.
	sets(uint64(1)<<(w+1)|1<<r, 0, 0)
	if got := f.result(1, nr("select"), w+1, rd, 0, 0, tv); got != 1 {
		t.Errorf("select with a bit past nfds = %d, want 1", got)
	}
	sets(uint64(1)<<(w+1), 0, 0)
	if got := f.result(1, nr("select"), w+2, rd, 0, 0, tv); got != errno(syscall.EBADF) {
		t.Errorf("select of a closed fd = %d, want EBADF", got)
	}
	usermem.Write(f.p.Proc, tv, [2]int64{-1, 0})
	putTS(f, scratch+0x900, -1, 0)
	for _, c := range []struct {
		name string
		nr   uint64
		args []uint64
		want int64
	}{
		{"nfds -1", nr("select"), []uint64{^uint64(0), 0, 0, 0, 0}, errno(syscall.EINVAL)},
		{"nfds 1025", nr("select"), []uint64{1025, 0, 0, 0, 0}, errno(syscall.EINVAL)},
		{"nfds 1024, timeout 0", nr("pselect6"), []uint64{1024, 0, 0, 0, scratch + 0x908, 0}, 0},
		{"negative timeval", nr("select"), []uint64{1, 0, 0, 0, tv}, errno(syscall.EINVAL)},
		{"negative timespec", nr("pselect6"), []uint64{1, 0, 0, 0, scratch + 0x900, 0}, errno(syscall.EINVAL)},
		{"bad set", nr("select"), []uint64{1, 0x1000, 0, 0, 0}, errno(syscall.EFAULT)},
		{"bad timeval", nr("select"), []uint64{1, 0, 0, 0, 0x1000}, errno(syscall.EFAULT)},
	} {
		if got := f.result(1, c.nr, c.args...); got != c.want {
			t.Errorf("%s = %d, want %d", c.name, got, c.want)
		}
	}
	usermem.Write(f.p.Proc, tv, [2]int64{0, -1})
	if got := f.result(1, nr("select"), 1, 0, 0, 0, tv); got != errno(syscall.EINVAL) {
		t.Errorf("negative tv_usec = %d", got)
	}
}

// TestEventfd2: flags EFD_SEMAPHORE, EFD_NONBLOCK and EFD_CLOEXEC only;
// the initial value is 32 bits; the descriptor reads 8-byte counts.
func TestEventfd2(t *testing.T) {
	f := newFixture(t)
	if got := f.result(1, nr("eventfd2"), 0, 0x2); got != errno(syscall.EINVAL) {
		t.Errorf("eventfd2 with flag 2 = %d, want EINVAL", got)
	}
	fd := f.result(1, nr("eventfd2"), 1<<32|5, efdSemaphore|oNonblock|oCloexec)
	if fd < 0 {
		t.Fatal(fd)
	}
	if got := f.result(1, nr("fcntl"), uint64(fd), fGetfd); got != 1 {
		t.Errorf("F_GETFD = %d, want FD_CLOEXEC", got)
	}
	if got := f.result(1, nr("fcntl"), uint64(fd), fGetfl); got&oNonblock == 0 || got&3 != syscall.O_RDWR {
		t.Errorf("F_GETFL = %#o, want O_RDWR|O_NONBLOCK", got)
	}
	for i := 0; i < 5; i++ {
		if got := f.result(1, nr("read"), uint64(fd), scratch, 8); got != 8 {
			t.Fatalf("read %d = %d", i, got)
		}
		if v, _ := usermem.U64(f.p.Proc, scratch); v != 1 {
			t.Errorf("semaphore read %d", v)
		}
	}
	if got := f.result(1, nr("read"), uint64(fd), scratch, 8); got != errno(syscall.EAGAIN) {
		t.Errorf("read of 0, non-blocking = %d, want EAGAIN", got)
	}
	fd = f.result(1, nr("eventfd"), 7)
	if got := f.result(1, nr("fcntl"), uint64(fd), fGetfd); got != 0 {
		t.Errorf("eventfd's F_GETFD = %d", got)
	}
	if got := f.result(1, nr("read"), uint64(fd), scratch, 8); got != 8 {
		t.Fatal(got)
	}
	if v, _ := usermem.U64(f.p.Proc, scratch); v != 7 {
		t.Errorf("eventfd read %d, want 7", v)
	}
}

// epollEvent writes struct epoll_event (packed on x86-64: 12 bytes).
func (f *fixture) epollEvent(addr uint64, events uint32, data uint64) {
	b := binary.LittleEndian.AppendUint32(nil, events)
	f.p.Proc.WriteAt(binary.LittleEndian.AppendUint64(b, data), addr)
}

// events reads n struct epoll_event at addr as (events, data) pairs.
func (f *fixture) events(addr uint64, n int64) map[uint64]uint32 {
	out := map[uint64]uint32{}
	for i := int64(0); i < n; i++ {
		b := make([]byte, 12)
		f.p.Proc.ReadAt(b, addr+12*uint64(i))
		out[binary.LittleEndian.Uint64(b[4:])] = binary.LittleEndian.Uint32(b)
	}
	return out
}

// TestEpoll follows epoll(7): interest is added, changed and removed with
// EEXIST, ENOENT and EINVAL for misuse; a wait reports ready interests
// with their data, level-triggered every time, EPOLLET only on a new
// change, EPOLLONESHOT once until re-armed; maxevents bounds the answer.
func TestEpoll(t *testing.T) {
	f := newFixture(t)
	const ev, out = scratch, scratch + 0x100
	for _, c := range []struct {
		name string
		nr   uint64
		args []uint64
		want int64
	}{
		{"epoll_create(0)", nr("epoll_create"), []uint64{0}, errno(syscall.EINVAL)},
		{"epoll_create1(1)", nr("epoll_create1"), []uint64{1}, errno(syscall.EINVAL)},
	} {
		if got := f.result(1, c.nr, c.args...); got != c.want {
			t.Errorf("%s = %d, want %d", c.name, got, c.want)
		}
	}
	ep := uint64(f.result(1, nr("epoll_create1"), oCloexec))
	if got := f.result(1, nr("fcntl"), ep, fGetfd); got != 1 {
		t.Errorf("EPOLL_CLOEXEC: F_GETFD = %d", got)
	}
	old := uint64(f.result(1, nr("epoll_create"), 1))
	r, w := f.pipeFDs()
	r2, w2 := f.pipeFDs()
	f.epollEvent(ev, pollIn, 0x1111)
	for _, c := range []struct {
		name string
		args []uint64
		want int64
	}{
		{"add r", []uint64{ep, epollCtlAdd, r, ev}, 0},
		{"add r again", []uint64{ep, epollCtlAdd, r, ev}, errno(syscall.EEXIST)},
		{"modify w, not added", []uint64{ep, epollCtlMod, w, ev}, errno(syscall.ENOENT)},
		{"delete w, not added", []uint64{ep, epollCtlDel, w, 0}, errno(syscall.ENOENT)},
		{"op 4", []uint64{ep, 4, w, ev}, errno(syscall.EINVAL)},
		{"not an epoll fd", []uint64{r, epollCtlAdd, w, ev}, errno(syscall.EINVAL)},
		{"closed epoll fd", []uint64{77, epollCtlAdd, w, ev}, errno(syscall.EBADF)},
		{"closed target", []uint64{ep, epollCtlAdd, 77, ev}, errno(syscall.EBADF)},
		{"itself", []uint64{ep, epollCtlAdd, ep, ev}, errno(syscall.EINVAL)},
		{"delete itself", []uint64{ep, epollCtlDel, ep, 0}, errno(syscall.EINVAL)},
		{"another epoll", []uint64{ep, epollCtlAdd, old, ev}, errno(syscall.EPERM)},
		{"bad event", []uint64{ep, epollCtlAdd, w, 0x1000}, errno(syscall.EFAULT)},
	} {
		if got := f.result(1, nr("epoll_ctl"), c.args...); got != c.want {
			t.Errorf("epoll_ctl %s = %d, want %d", c.name, got, c.want)
		}
	}
	f.epollEvent(ev, pollOut|epollET, 0x2222)
	f.result(1, nr("epoll_ctl"), ep, epollCtlAdd, w, ev)
	f.epollEvent(ev, pollIn|epollOneshot, 0x3333)
	f.result(1, nr("epoll_ctl"), ep, epollCtlAdd, r2, ev)

	wait := func(max uint64) map[uint64]uint32 {
		t.Helper()
		n := f.result(1, nr("epoll_wait"), ep, out, max, 0)
		if n < 0 {
			t.Fatalf("epoll_wait = %d", n)
		}
		return f.events(out, n)
	}
	if got := wait(8); len(got) != 1 || got[0x2222] != pollOut {
		t.Errorf("first wait %v, want the write end's EPOLLOUT", got)
	}
	if got := wait(8); len(got) != 0 {
		t.Errorf("second wait %v: EPOLLET reported again without a change", got)
	}
	f.p.Proc.WriteAt([]byte("xy"), scratch+0x800)
	f.result(1, nr("write"), w, scratch+0x800, 1)
	f.result(1, nr("write"), w2, scratch+0x800, 1)
	got := wait(8)
	if len(got) != 3 || got[0x1111] != pollIn || got[0x2222] != pollOut || got[0x3333] != pollIn {
		t.Errorf("after writes %v, want all three", got)
	}
	if got := wait(8); len(got) != 1 || got[0x1111] != pollIn {
		t.Errorf("level-triggered again %v, want only r (EPOLLET and EPOLLONESHOT quiet)", got)
	}
	if got := wait(1); len(got) != 1 {
		t.Errorf("maxevents 1: %v", got)
	}
	f.epollEvent(ev, pollIn, 0x4444)
	if got := f.result(1, nr("epoll_ctl"), ep, epollCtlMod, r2, ev); got != 0 {
		t.Fatal(got)
	}
	if got := wait(8); len(got) != 2 || got[0x4444] != pollIn {
		t.Errorf("after re-arming %v", got)
	}
	if got := f.result(1, nr("epoll_ctl"), ep, epollCtlDel, r, 0); got != 0 {
		t.Fatal(got)
	}
	f.result(1, nr("close"), r2)
	f.result(1, nr("close"), uint64(f.result(1, nr("dup"), w)))
	if got := wait(8); len(got) != 0 {
		t.Errorf("after deleting r and closing r2: %v", got)
	}
	for _, c := range []struct {
		name string
		args []uint64
		want int64
	}{
		{"maxevents 0", []uint64{ep, out, 0, 0}, errno(syscall.EINVAL)},
		{"maxevents 65537", []uint64{ep, out, 1<<16 + 1, 0}, errno(syscall.EINVAL)},
		{"maxevents 65536", []uint64{ep, out, 1 << 16, 0}, 0},
		{"not epoll", []uint64{r, out, 8, 0}, errno(syscall.EINVAL)},
	} {
		if got := f.result(1, nr("epoll_wait"), c.args...); got != c.want {
			t.Errorf("epoll_wait %s = %d, want %d", c.name, got, c.want)
		}
	}
	// A wait with a timeout ends when data comes.
	f.epollEvent(ev, pollIn, 0x5555)
	f.result(1, nr("epoll_ctl"), ep, epollCtlAdd, old, ev) // an epoll in an epoll: EPERM
	r3, w3 := f.pipeFDs()
	f.result(1, nr("epoll_ctl"), ep, epollCtlAdd, r3, ev)
	go func() {
		f.k.Mu.Lock()
		defer f.k.Mu.Unlock()
		d, _ := f.p.FDs.Get(int(w3))
		d.File.Write([]byte("z"))
	}()
	if n := f.result(1, nr("epoll_pwait"), ep, out, 8, ^uint64(0), 0, 8); n != 1 || f.events(out, 1)[0x5555] != pollIn {
		t.Errorf("epoll_pwait woken by a write = %d, %v", n, f.events(out, n))
	}
}

// TestEpollRegularFile: a regular file cannot wait, so epoll_ctl refuses
// it with EPERM whatever the op, as Linux does.
func TestEpollRegularFile(t *testing.T) {
	f := newFixture(t)
	f.withVFS()
	const ev = scratch + 0x100
	ep := uint64(f.result(1, nr("epoll_create1"), 0))
	reg := uint64(f.result(1, nr("openat"), cwd, f.str(scratch, "/file"), syscall.O_CREAT|syscall.O_RDWR, 0o666))
	f.epollEvent(ev, pollIn, 1)
	for _, op := range []uint64{epollCtlAdd, epollCtlMod, epollCtlDel} {
		f.step("epoll_ctl", errno(syscall.EPERM), ep, op, reg, ev)
	}
}

// TestEpollWaitThreads: an epoll_wait that has to sleep goes on to a
// goroutine of its own, so that linuxd goes on serving other threads,
// and ends when an event comes; one that need not sleep (timeout 0, or
// an event ready) is answered at once. A timeout bounds the sleep.
func TestEpollWaitThreads(t *testing.T) {
	f := newFixture(t)
	f.k.AddThread(f.p, 2)
	const ev, out, buf = scratch, scratch + 0x100, scratch + 0x800
	ep := uint64(f.result(1, nr("epoll_create1"), 0))
	r, w := f.pipeFDs()
	f.epollEvent(ev, pollIn, 7)
	f.step("epoll_ctl", 0, ep, epollCtlAdd, r, ev)
	handle := func(timeout uint64) *abi.LinuxReply {
		m := abi.LinuxMsg{TID: 1, Regs: abi.Regs{RAX: nr("epoll_wait"), RDI: ep, RSI: out, RDX: 8, R10: timeout, RSP: scratch + 60<<10}}
		f.k.Mu.Lock()
		defer f.k.Mu.Unlock()
		if r := f.d.Handle(&m); r != nil {
			c := *r
			return &c
		}
		return nil
	}
	if rep := handle(0); rep == nil || rep.Value != 0 {
		t.Fatalf("epoll_wait(timeout 0) with nothing ready = %+v, want 0 at once", rep)
	}
	replied := make(chan *abi.LinuxReply, 1)
	go func() { replied <- handle(^uint64(0)) }()
	select {
	case rep := <-replied:
		if rep != nil {
			t.Fatalf("epoll_wait(-1) with nothing ready = %+v, want no reply yet", rep)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("epoll_wait(-1) with nothing ready held the dispatcher")
	}
	f.p.Proc.WriteAt([]byte("x"), buf)
	if n := f.result(2, nr("write"), w, buf, 1); n != 1 {
		t.Fatalf("write from thread 2 = %d", n)
	}
	select {
	case rep := <-f.h.Woken:
		if rep.TID != 1 || rep.Value != 1 || f.events(out, 1)[7] != pollIn {
			t.Errorf("epoll_wait woken by a write: thread %d value %d %v", rep.TID, int64(rep.Value), f.events(out, 1))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the write did not end epoll_wait")
	}
	if rep := handle(^uint64(0)); rep == nil || rep.Value != 1 {
		t.Errorf("epoll_wait(-1) with an event ready = %+v, want 1 at once", rep)
	}
	f.result(1, nr("read"), r, buf, 1)
	start := time.Now()
	if n := f.result(1, nr("epoll_wait"), ep, out, 8, 30); n != 0 || time.Since(start) < 30*time.Millisecond {
		t.Errorf("epoll_wait(30 ms) with nothing ready = %d after %v", n, time.Since(start))
	}
}

// TestPollTimeout: poll with nothing ready returns 0 once its timeout in
// milliseconds has passed, not before.
func TestPollTimeout(t *testing.T) {
	f := newFixture(t)
	r, _ := f.pipeFDs()
	f.pollfds(scratch, [2]int32{int32(r), pollIn})
	start := time.Now()
	if got := f.result(1, nr("poll"), scratch, 1, 30); got != 0 || time.Since(start) < 30*time.Millisecond {
		t.Errorf("poll(30 ms) with nothing ready = %d after %v", got, time.Since(start))
	}
}

// TestEpollMaxEvents: a wait reports at most maxevents of the ready
// interests.
func TestEpollMaxEvents(t *testing.T) {
	f := newFixture(t)
	const ev, out, buf = scratch, scratch + 0x100, scratch + 0x800
	ep := uint64(f.result(1, nr("epoll_create1"), 0))
	f.p.Proc.WriteAt([]byte("x"), buf)
	for i := uint64(1); i <= 3; i++ {
		r, w := f.pipeFDs()
		f.step("write", 1, w, buf, 1)
		f.epollEvent(ev, pollIn, i)
		f.step("epoll_ctl", 0, ep, epollCtlAdd, r, ev)
	}
	if n := f.result(1, nr("epoll_wait"), ep, out, 2, 0); n != 2 {
		t.Errorf("epoll_wait(maxevents 2) with 3 ready = %d", n)
	}
}

// TestSelectTimeout: select with no fds sleeps for its timeout, as
// programs use it; one that waits for a pipe ends when data comes,
// before its timeout. It reads only the words of the sets that nfds
// covers, so a set may end where the caller's memory ends.
func TestSelectTimeout(t *testing.T) {
	f := newFixture(t)
	const tv, rd = scratch, scratch + 64<<10 - 8
	usermem.Write(f.p.Proc, tv, [2]int64{0, 30000})
	start := time.Now()
	if got := f.result(1, nr("select"), 0, 0, 0, 0, tv); got != 0 || time.Since(start) < 30*time.Millisecond {
		t.Errorf("select(0, 30 ms) = %d after %v", got, time.Since(start))
	}
	r, w := f.pipeFDs()
	usermem.Write(f.p.Proc, rd, uint64(1)<<r)
	usermem.Write(f.p.Proc, tv, [2]int64{1, 0})
	go func() {
		time.Sleep(30 * time.Millisecond)
		f.k.Mu.Lock()
		defer f.k.Mu.Unlock()
		d, _ := f.p.FDs.Get(int(w))
		d.File.Write([]byte("z"))
	}()
	if got := f.result(1, nr("select"), r+1, rd, 0, 0, tv); got != 1 {
		t.Errorf("select(1 s) on a pipe written after 30 ms = %d, want 1", got)
	}
}
