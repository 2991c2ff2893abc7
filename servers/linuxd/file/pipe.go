package file

import (
	"sync"
	"syscall"

	"aramid/servers/linuxd/fd"
)

// Wait says how a read or write that cannot go on at once behaves.
type Wait struct {
	// NonBlock makes it EAGAIN instead of waiting.
	NonBlock bool
	// Interrupted, when set, is checked before each wait: true ends the
	// wait with EINTR (a signal arrived, or the caller is gone).
	Interrupted func() bool
}

func (w Wait) interrupted() bool { return w.Interrupted != nil && w.Interrupted() }

// block waits once on cond for a read or write that cannot go on yet:
// EAGAIN instead for a non-blocking one, EINTR when it is interrupted.
// The caller loops until it can go on.
func (w Wait) block(cond *sync.Cond) error {
	if w.NonBlock {
		return syscall.EAGAIN
	}
	if w.interrupted() {
		return syscall.EINTR
	}
	cond.Wait()
	return nil
}

// Pollable is a file whose readiness changes: its poll mask (EPOLLIN,
// EPOLLOUT, ...) and a count of its changes, so edge-triggered epoll can
// tell a new edge from an old state.
type Pollable interface {
	Poll() (ready uint32, gen uint64)
}

// Waiter is a file whose reads and writes may wait.
type Waiter interface {
	ReadWait(b []byte, w Wait) (int, error)
	WriteWait(b []byte, w Wait) (int, error)
	Readable() bool
	Writable() bool
}

// PipeSize is a pipe's capacity, Linux's default.
const PipeSize = 64 << 10

// Pipe is the buffer between a pipe's two ends. Waiting happens on the
// caller's condition variable (linuxd's one lock), so a blocked reader or
// writer releases that lock while it waits.
type Pipe struct {
	cond             *sync.Cond
	buf              []byte
	readers, writers int
	gen              uint64 // counts changes, for edge-triggered epoll
	// rights are descriptors in flight (SCM_RIGHTS, socketpair only).
	rights [][]*fd.Description
}

// NewPipe returns the read and write ends of a new pipe whose waits use
// cond.
func NewPipe(cond *sync.Cond) (*PipeEnd, *PipeEnd) {
	p := &Pipe{cond: cond, readers: 1, writers: 1}
	return &PipeEnd{p: p}, &PipeEnd{p: p, write: true}
}

// PipeEnd is one end of a pipe.
type PipeEnd struct {
	p     *Pipe
	write bool
}

// Read implements fd.File.
func (e *PipeEnd) Read(b []byte) (int, error) { return e.ReadWait(b, Wait{}) }

// Write implements fd.File.
func (e *PipeEnd) Write(b []byte) (int, error) { return e.WriteWait(b, Wait{}) }

// ReadWait waits for data or for the last writer to go.
func (e *PipeEnd) ReadWait(b []byte, w Wait) (int, error) {
	if e.write {
		return 0, syscall.EBADF
	}
	p := e.p
	for len(p.buf) == 0 {
		if p.writers == 0 || len(b) == 0 {
			return 0, nil
		}
		if err := w.block(p.cond); err != nil {
			return 0, err
		}
	}
	n := copy(b, p.buf)
	p.buf = p.buf[n:]
	p.gen++
	p.cond.Broadcast()
	return n, nil
}

// WriteWait waits for room; with no reader left it is EPIPE (the caller
// raises SIGPIPE).
func (e *PipeEnd) WriteWait(b []byte, w Wait) (int, error) {
	if !e.write {
		return 0, syscall.EBADF
	}
	p := e.p
	done := 0
	for done < len(b) {
		if p.readers == 0 {
			return done, syscall.EPIPE
		}
		room := PipeSize - len(p.buf)
		if room == 0 {
			if w.NonBlock {
				if done > 0 {
					return done, nil
				}
				return 0, syscall.EAGAIN
			}
			if w.interrupted() {
				if done > 0 {
					return done, nil
				}
				return 0, syscall.EINTR
			}
			p.cond.Wait()
			continue
		}
		n := min(room, len(b)-done)
		p.buf = append(p.buf, b[done:done+n]...)
		done += n
		p.gen++
		p.cond.Broadcast()
	}
	return done, nil
}

// Readable reports whether a read would not block (poll).
func (e *PipeEnd) Readable() bool { return len(e.p.buf) > 0 || e.p.writers == 0 }

// Writable reports whether a write would not block (poll).
func (e *PipeEnd) Writable() bool { return len(e.p.buf) < PipeSize || e.p.readers == 0 }

// Buffered is how many bytes wait in the pipe (FIONREAD).
func (e *PipeEnd) Buffered() int { return len(e.p.buf) }

// Close implements fd.File.
func (e *PipeEnd) Close() error {
	if e.write {
		e.p.writers--
	} else {
		e.p.readers--
	}
	e.p.gen++
	e.p.cond.Broadcast()
	return nil
}

// Poll implements Pollable, with Linux's events for a pipe: a read end
// is readable with data and hung up without writers; a write end is
// writable with room and in error without readers.
func (e *PipeEnd) Poll() (uint32, uint64) {
	var ev uint32
	if e.write {
		if len(e.p.buf) < PipeSize {
			ev |= EPOLLOUT
		}
		if e.p.readers == 0 {
			ev |= EPOLLERR
		}
		return ev, e.p.gen
	}
	if len(e.p.buf) > 0 {
		ev |= EPOLLIN
	}
	if e.p.writers == 0 {
		ev |= EPOLLHUP
	}
	return ev, e.p.gen
}

// readiness is the poll mask of a Waiter.
func readiness(w Waiter) uint32 {
	var m uint32
	if w.Readable() {
		m |= EPOLLIN
	}
	if w.Writable() {
		m |= EPOLLOUT
	}
	return m
}

// UnixEnd is one end of a socketpair(AF_UNIX, SOCK_STREAM): two pipes,
// one each way. Descriptors passed with SCM_RIGHTS travel beside the
// bytes: each sendmsg's set is taken by the next recvmsg at the other end
// (which is how programs that pass them, like nginx, read them).
type UnixEnd struct{ in, out *PipeEnd }

// SendRights queues descriptions for the other end; the caller has taken
// a reference to each.
func (u *UnixEnd) SendRights(ds []*fd.Description) {
	u.out.p.rights = append(u.out.p.rights, ds)
}

// TakeRights returns the next set of descriptions sent to this end, with
// their references, or nil.
func (u *UnixEnd) TakeRights() []*fd.Description {
	p := u.in.p
	if len(p.rights) == 0 {
		return nil
	}
	ds := p.rights[0]
	p.rights = p.rights[1:]
	return ds
}

// NewSocketPair returns the two connected ends.
func NewSocketPair(cond *sync.Cond) (*UnixEnd, *UnixEnd) {
	ar, aw := NewPipe(cond)
	br, bw := NewPipe(cond)
	return &UnixEnd{in: ar, out: bw}, &UnixEnd{in: br, out: aw}
}

// Read implements fd.File.
func (u *UnixEnd) Read(b []byte) (int, error) { return u.in.Read(b) }

// Write implements fd.File.
func (u *UnixEnd) Write(b []byte) (int, error) { return u.out.Write(b) }

// ReadWait implements Waiter.
func (u *UnixEnd) ReadWait(b []byte, w Wait) (int, error) { return u.in.ReadWait(b, w) }

// WriteWait implements Waiter.
func (u *UnixEnd) WriteWait(b []byte, w Wait) (int, error) { return u.out.WriteWait(b, w) }

// Readable implements Waiter.
func (u *UnixEnd) Readable() bool { return u.in.Readable() }

// Writable implements Waiter.
func (u *UnixEnd) Writable() bool { return u.out.Writable() }

// Poll implements Pollable, with Linux's events for a stream socket
// (unix_poll): once the peer can no longer write, EPOLLRDHUP beside
// EPOLLIN, and EPOLLHUP when neither direction is open. Programs test
// for EPOLLRDHUP this way: nginx closes one end of a socketpair and, only
// if epoll reports it, trusts a short read to have drained a socket (and
// goes back to epoll_wait instead of reading again).
func (u *UnixEnd) Poll() (uint32, uint64) {
	m := readiness(u)
	if u.in.p.writers == 0 {
		m |= EPOLLRDHUP
		if u.out.p.readers == 0 {
			m |= EPOLLHUP
		}
	}
	return m, u.in.p.gen + u.out.p.gen
}

// Close implements fd.File. Descriptors never received are closed.
func (u *UnixEnd) Close() error {
	for ds := u.TakeRights(); ds != nil; ds = u.TakeRights() {
		for _, d := range ds {
			d.DecRef()
		}
	}
	u.in.Close()
	return u.out.Close()
}
