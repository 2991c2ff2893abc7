package file

import (
	"bytes"
	"encoding/binary"
	"sync"
	"syscall"
	"testing"

	"aramid/servers/linuxd/fd"
)

var interrupted = Wait{Interrupted: func() bool { return true }}

func u64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// TestEventFD follows eventfd(2): 8-byte reads and writes (shorter ones
// are EINVAL), a read takes the whole count (EFD_SEMAPHORE: 1), a write of
// 2^64-1 is EINVAL, the count tops out at 2^64-2, and a read of 0 or a
// write past the top waits (EAGAIN when non-blocking, EINTR when
// interrupted).
func TestEventFD(t *testing.T) {
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	mu.Lock()
	defer mu.Unlock()
	e := NewEventFD(cond, 3, false)
	b := make([]byte, 8)
	if _, err := e.ReadWait(b[:7], Wait{}); err != syscall.EINVAL {
		t.Errorf("7-byte read: %v, want EINVAL", err)
	}
	if _, err := e.WriteWait(b[:7], Wait{}); err != syscall.EINVAL {
		t.Errorf("7-byte write: %v, want EINVAL", err)
	}
	ev, gen := e.Poll()
	if ev != EPOLLIN|EPOLLOUT {
		t.Errorf("count 3: poll %#x, want EPOLLIN|EPOLLOUT", ev)
	}
	// Non-blocking: a count that is not 0 is read at once either way.
	if n, err := e.ReadWait(b, Wait{NonBlock: true}); n != 8 || err != nil || binary.LittleEndian.Uint64(b) != 3 {
		t.Fatalf("read = %d, %v, value %d; want 8 bytes of 3", n, err, binary.LittleEndian.Uint64(b))
	}
	if ev, g := e.Poll(); ev != EPOLLOUT || g == gen {
		t.Errorf("count 0: poll %#x (gen %d after %d), want EPOLLOUT and a new generation", ev, g, gen)
	}
	if _, err := e.ReadWait(b, Wait{NonBlock: true}); err != syscall.EAGAIN {
		t.Errorf("read of 0: %v, want EAGAIN", err)
	}
	if _, err := e.ReadWait(b, interrupted); err != syscall.EINTR {
		t.Errorf("interrupted read of 0: %v, want EINTR", err)
	}
	if _, err := e.Write(u64(1<<64 - 1)); err != syscall.EINVAL {
		t.Errorf("write of 2^64-1: %v, want EINVAL", err)
	}
	if n, err := e.Write(u64(1<<64 - 2)); n != 8 || err != nil {
		t.Fatalf("write up to the top = %d, %v", n, err)
	}
	if ev, _ := e.Poll(); ev != EPOLLIN {
		t.Errorf("count at the top: poll %#x, want EPOLLIN only", ev)
	}
	if _, err := e.WriteWait(u64(1), Wait{NonBlock: true}); err != syscall.EAGAIN {
		t.Errorf("write past the top: %v, want EAGAIN", err)
	}
	if _, err := e.WriteWait(u64(1), interrupted); err != syscall.EINTR {
		t.Errorf("interrupted write past the top: %v, want EINTR", err)
	}
	if n, err := e.WriteWait(u64(0), Wait{NonBlock: true}); n != 8 || err != nil {
		t.Errorf("write of 0 at the top = %d, %v; want 8", n, err)
	}

	s := NewEventFD(cond, 2, true)
	for _, want := range []error{nil, nil, syscall.EAGAIN} {
		_, err := s.ReadWait(b, Wait{NonBlock: true})
		if err != want || err == nil && binary.LittleEndian.Uint64(b) != 1 {
			t.Errorf("semaphore read: %v, value %d; want %v and 1", err, binary.LittleEndian.Uint64(b), want)
		}
	}

	// A read that waits ends when a write arrives (or, if the write
	// comes first, finds its count).
	got := make(chan uint64)
	mu.Unlock()
	go func() {
		mu.Lock()
		defer mu.Unlock()
		r := make([]byte, 8)
		s.Read(r)
		got <- binary.LittleEndian.Uint64(r)
	}()
	mu.Lock()
	s.Write(u64(5))
	mu.Unlock()
	if v := <-got; v != 1 {
		t.Errorf("semaphore read %d, want 1", v)
	}
	mu.Lock()
}

// TestPipeEnds covers pipe(7): the wrong end is EBADF, an empty pipe
// without writers reads 0 (end of file), a zero-length read returns 0, a
// write that fills the pipe returns what fit when non-blocking or
// interrupted, and poll reports EPOLLIN, EPOLLOUT, EPOLLHUP and EPOLLERR
// as Linux does.
func TestPipeEnds(t *testing.T) {
	var mu sync.Mutex
	r, w := NewPipe(sync.NewCond(&mu))
	mu.Lock()
	defer mu.Unlock()
	if _, err := w.Read(make([]byte, 1)); err != syscall.EBADF {
		t.Errorf("read of the write end: %v, want EBADF", err)
	}
	if _, err := r.Write([]byte("x")); err != syscall.EBADF {
		t.Errorf("write of the read end: %v, want EBADF", err)
	}
	if ev, _ := r.Poll(); ev != 0 {
		t.Errorf("empty read end: poll %#x", ev)
	}
	if ev, _ := w.Poll(); ev != EPOLLOUT {
		t.Errorf("empty write end: poll %#x, want EPOLLOUT", ev)
	}
	if _, err := r.ReadWait(make([]byte, 1), interrupted); err != syscall.EINTR {
		t.Errorf("interrupted read: %v, want EINTR", err)
	}
	if n, err := w.Write(make([]byte, PipeSize-1)); n != PipeSize-1 || err != nil {
		t.Fatalf("write = %d, %v", n, err)
	}
	if !w.Writable() || r.Buffered() != PipeSize-1 {
		t.Error("one byte of room: not writable")
	}
	if n, err := w.WriteWait([]byte("ab"), interrupted); n != 1 || err != nil {
		t.Errorf("interrupted write with room for 1 of 2 bytes = %d, %v; want 1", n, err)
	}
	if ev, _ := w.Poll(); ev != 0 || w.Writable() {
		t.Errorf("full write end: poll %#x", ev)
	}
	if _, err := w.WriteWait([]byte("x"), Wait{NonBlock: true}); err != syscall.EAGAIN {
		t.Errorf("write to a full pipe: %v, want EAGAIN", err)
	}
	if n, err := r.Read(nil); n != 0 || err != nil {
		t.Errorf("zero-length read = %d, %v", n, err)
	}
	buf := make([]byte, PipeSize)
	_, gen := r.Poll()
	if n, err := r.Read(buf); n != PipeSize || err != nil {
		t.Fatalf("read = %d, %v; want the whole pipe", n, err)
	}
	if _, g := r.Poll(); g == gen {
		t.Error("a read does not change the generation")
	}
	_, gen = r.Poll()
	w.Close()
	if ev, g := r.Poll(); ev != EPOLLHUP || g == gen || !r.Readable() {
		t.Errorf("read end without writers: poll %#x, want EPOLLHUP and a new generation", ev)
	}
	if n, err := r.Read(buf); n != 0 || err != nil {
		t.Errorf("read without writers = %d, %v; want end of file", n, err)
	}

	r, w = NewPipe(sync.NewCond(&mu))
	w.Write([]byte("data"))
	if ev, _ := r.Poll(); ev != EPOLLIN {
		t.Errorf("read end with data: poll %#x, want EPOLLIN", ev)
	}
	r.Close()
	if ev, _ := w.Poll(); ev != EPOLLOUT|EPOLLERR || !w.Writable() {
		t.Errorf("write end without readers: poll %#x, want EPOLLOUT|EPOLLERR", ev)
	}
}

// TestSocketPairRights: bytes and descriptor sets cross a socketpair in
// both directions; each set goes to one receive, in order; closing an end
// drops the sets it never took.
func TestSocketPairRights(t *testing.T) {
	var mu sync.Mutex
	a, b := NewSocketPair(sync.NewCond(&mu))
	mu.Lock()
	defer mu.Unlock()
	if _, err := a.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	if n, _ := b.Read(buf); string(buf[:n]) != "ping" {
		t.Errorf("b read %q", buf[:n])
	}
	b.Write([]byte("pong"))
	if !a.Readable() || !a.Writable() || b.Readable() {
		t.Error("readiness of the ends")
	}
	if ev, _ := a.Poll(); ev != EPOLLIN|EPOLLOUT {
		t.Errorf("a: poll %#x", ev)
	}
	if n, err := a.ReadWait(buf, Wait{}); string(buf[:n]) != "pong" || err != nil {
		t.Errorf("a read %q, %v", buf[:n], err)
	}
	if _, err := a.WriteWait([]byte("x"), Wait{}); err != nil {
		t.Error(err)
	}
	files := make([]*closeCount, 3)
	descs := make([]*fd.Description, 3)
	for i := range files {
		files[i] = &closeCount{}
		descs[i] = fd.NewDescription(files[i], 0)
	}
	a.SendRights(descs[:1])
	a.SendRights(descs[1:])
	if got := a.TakeRights(); got != nil {
		t.Error("the sender received its own descriptors")
	}
	if got := b.TakeRights(); len(got) != 1 || got[0] != descs[0] {
		t.Errorf("first set %v", got)
	}
	b.Close()
	if files[0].n != 0 || files[1].n != 1 || files[2].n != 1 {
		t.Errorf("closes %d %d %d: the set never received must be closed, the received one not", files[0].n, files[1].n, files[2].n)
	}
	if _, err := a.Write([]byte("x")); err != syscall.EPIPE {
		t.Errorf("write to a closed peer: %v, want EPIPE", err)
	}
}

type closeCount struct{ n int }

func (*closeCount) Read([]byte) (int, error)  { return 0, nil }
func (*closeCount) Write([]byte) (int, error) { return 0, nil }
func (c *closeCount) Close() error            { c.n++; return nil }

// TestTTYPoll: the console is always writable, and readable once a line
// is complete or ^D marks end of file, not with a partial line.
func TestTTYPoll(t *testing.T) {
	tt, _, mu := newTTY()
	mu.Lock()
	defer mu.Unlock()
	f := tt.Open()
	_, gen := f.Poll()
	tt.Input([]byte("ab"))
	if ev, _ := f.Poll(); ev != EPOLLOUT || f.Readable() {
		t.Errorf("partial line: poll %#x", ev)
	}
	tt.Input([]byte("\n"))
	if ev, g := f.Poll(); ev != EPOLLIN|EPOLLOUT || g == gen {
		t.Errorf("complete line: poll %#x, generation %d after %d", ev, g, gen)
	}
	f.Read(make([]byte, 8))
	tt.Input([]byte{4})
	if ev, _ := f.Poll(); ev != EPOLLIN|EPOLLOUT {
		t.Errorf("^D on an empty line: poll %#x, want readable (end of file)", ev)
	}
}

// TestPipeGenerations: every change of a pipe gives a generation not seen
// before, so that edge-triggered epoll sees each new edge: a write, a
// read, another write, a close.
func TestPipeGenerations(t *testing.T) {
	var mu sync.Mutex
	r, w := NewPipe(sync.NewCond(&mu))
	mu.Lock()
	defer mu.Unlock()
	seen := map[uint64]bool{}
	note := func(what string) {
		_, g := r.Poll()
		if seen[g] {
			t.Errorf("after %s: generation %d seen before", what, g)
		}
		seen[g] = true
	}
	note("nothing")
	w.Write([]byte("a"))
	note("a write")
	r.Read(make([]byte, 1))
	note("a read")
	w.Write([]byte("b"))
	note("another write")
	w.Close()
	note("close")
}

// TestPipeBlockedWrite: a write larger than the pipe waits for the reader
// and then goes on where it stopped; the reader gets every byte in order.
func TestPipeBlockedWrite(t *testing.T) {
	var mu sync.Mutex
	r, w := NewPipe(sync.NewCond(&mu))
	data := make([]byte, 2*PipeSize+100)
	for i := range data {
		data[i] = byte(i / 7)
	}
	done := make(chan error)
	go func() {
		mu.Lock()
		n, err := w.Write(data)
		mu.Unlock()
		if err == nil && n != len(data) {
			err = syscall.EIO
		}
		done <- err
	}()
	var got []byte
	buf := make([]byte, 1000)
	for len(got) < len(data) {
		mu.Lock()
		n, err := r.Read(buf)
		mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
	if err := <-done; err != nil {
		t.Fatalf("write: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Error("the reader got other bytes than were written")
	}
}

// TestSocketPairHangUp follows Linux's unix_poll: an end whose peer is
// closed reports EPOLLIN, EPOLLOUT, EPOLLRDHUP and EPOLLHUP, which is how
// nginx decides whether epoll reports EPOLLRDHUP at all.
func TestSocketPairHangUp(t *testing.T) {
	var mu sync.Mutex
	a, b := NewSocketPair(sync.NewCond(&mu))
	mu.Lock()
	defer mu.Unlock()
	ev, gen := a.Poll()
	if ev != EPOLLOUT {
		t.Errorf("open, empty: poll %#x, want EPOLLOUT", ev)
	}
	b.Close()
	ev, g := a.Poll()
	if want := uint32(EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLHUP); ev != want {
		t.Errorf("peer closed: poll %#x, want %#x", ev, want)
	}
	if g == gen {
		t.Error("the peer's close is not a new edge")
	}
}
