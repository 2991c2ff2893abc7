package sockets

import (
	"context"
	"io"
	"net/netip"
	"syscall"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// Send sends the size bytes at the start of src, as sendto(2) does; to is
// the destination of a datagram or the zero AddrPort for the connected
// peer. netstack reads src directly into its segments, so a src that is
// shared memory is copied once. A blocking stream send returns only when
// all is queued, or with the count sent so far when SO_SNDTIMEO runs out
// or ctx ends after some of it went.
func (n *Stack) Send(ctx context.Context, id ID, src io.ReaderAt, size int, to netip.AddrPort, flags int) (int, error) {
	s, err := n.lookup(id)
	if err != nil {
		return 0, err
	}
	if flags&msgOOB != 0 {
		return 0, syscall.EOPNOTSUPP
	}
	opts := tcpip.WriteOptions{More: flags&MsgMore != 0, Atomic: !s.stream()}
	if to.IsValid() && !s.stream() {
		fa, err := fullAddr(s.family, to)
		if err != nil {
			return 0, err
		}
		opts.To = &fa
	}
	sent := 0
	_, snd := s.timeouts()
	err = s.block(ctx, flags&MsgDontWait != 0, waiter.WritableEvents, snd, func() tcpip.Error {
		m, werr := s.ep.Write(&payload{r: src, off: int64(sent), end: int64(size)}, opts)
		sent += int(m)
		if werr == nil && s.stream() && sent < size {
			return &tcpip.ErrWouldBlock{}
		}
		return werr
	})
	if sent > 0 && s.stream() {
		return sent, nil
	}
	return sent, err
}

// payload is a tcpip.Payloader over bytes [off, end) of r.
type payload struct {
	r        io.ReaderAt
	off, end int64
}

func (p *payload) Len() int { return int(p.end - p.off) }

func (p *payload) Read(b []byte) (int, error) {
	if p.off >= p.end {
		return 0, io.EOF
	}
	b = b[:min(int64(len(b)), p.end-p.off)]
	n, err := p.r.ReadAt(b, p.off)
	p.off += int64(n)
	if err == io.EOF && n == len(b) {
		err = nil
	}
	return n, err
}

// Received is what Recv and RecvTo return.
type Received struct {
	Data  []byte         // Recv only: the bytes received
	N     int            // how many bytes were stored
	From  netip.AddrPort // datagram sockets only
	Flags int            // MsgTrunc when a datagram was cut short
	// Len is the length recvmsg(2) returns: N, or for a datagram read
	// with MSG_TRUNC its full length.
	Len int
}

// Recv receives up to size bytes, as recvfrom(2) does, honouring
// MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL and MSG_TRUNC. SO_RCVTIMEO bounds
// the wait. End of stream is a zero-length result and no error.
func (n *Stack) Recv(ctx context.Context, id ID, size int, flags int) (Received, error) {
	if size < 0 {
		return Received{}, syscall.EINVAL
	}
	buf := make([]byte, size)
	r, err := n.RecvTo(ctx, id, sliceAt(buf), 0, size, flags)
	r.Data = buf[:r.N]
	return r, err
}

// RecvTo is Recv storing the bytes at off in dst, which may be shared
// memory: netstack copies its segments straight there.
func (n *Stack) RecvTo(ctx context.Context, id ID, dst io.WriterAt, off int64, size int, flags int) (Received, error) {
	s, err := n.lookup(id)
	if err != nil {
		return Received{}, err
	}
	if flags&msgOOB != 0 {
		return Received{}, syscall.EINVAL // no urgent data is ever queued
	}
	if size < 0 {
		return Received{}, syscall.EINVAL
	}
	if size == 0 && s.stream() {
		return Received{}, nil
	}
	got := 0
	var res tcpip.ReadResult
	waitAll := s.stream() && flags&(MsgWaitAll|MsgPeek) == MsgWaitAll
	rcv, _ := s.timeouts()
	err = s.block(ctx, flags&MsgDontWait != 0, waiter.ReadableEvents, rcv, func() tcpip.Error {
		w := tcpip.LimitedWriter{W: &writerAt{dst, off + int64(got)}, N: int64(size - got)}
		var rerr tcpip.Error
		res, rerr = s.ep.Read(&w, tcpip.ReadOptions{Peek: flags&MsgPeek != 0, NeedRemoteAddr: !s.stream()})
		if _, eof := rerr.(*tcpip.ErrClosedForReceive); eof {
			return nil
		}
		if _, full := rerr.(*tcpip.ErrBadBuffer); full && w.N == 0 {
			// A zero-length read of a datagram: netstack took it but
			// found no room; Linux returns 0 and MSG_TRUNC.
			return nil
		}
		got += res.Count
		if rerr == nil && waitAll && got < size && res.Count > 0 {
			return &tcpip.ErrWouldBlock{}
		}
		return rerr
	})
	if err != nil && !(got > 0 && s.stream()) {
		return Received{}, err
	}
	r := Received{N: got, Len: got}
	if !s.stream() {
		r.From = addrPort(s.family, res.RemoteAddr)
		if res.Total > res.Count {
			r.Flags |= MsgTrunc
		}
		if flags&MsgTrunc != 0 {
			r.Len = res.Total
		}
	}
	return r, nil
}

// writerAt writes sequentially from off in an io.WriterAt.
type writerAt struct {
	w   io.WriterAt
	off int64
}

func (w *writerAt) Write(p []byte) (int, error) {
	n, err := w.w.WriteAt(p, w.off)
	w.off += int64(n)
	return n, err
}

// sliceAt is an io.WriterAt over a byte slice.
type sliceAt []byte

func (b sliceAt) WriteAt(p []byte, off int64) (int, error) {
	if off > int64(len(b)) {
		return 0, io.ErrShortWrite
	}
	n := copy(b[off:], p)
	if n < len(p) {
		return n, io.ErrShortWrite
	}
	return n, nil
}

// Shutdown shuts down part of a full-duplex connection, as shutdown(2).
func (n *Stack) Shutdown(id ID, how int) error {
	s, err := n.lookup(id)
	if err != nil {
		return err
	}
	var f tcpip.ShutdownFlags
	switch how {
	case syscall.SHUT_RD:
		f = tcpip.ShutdownRead
	case syscall.SHUT_WR:
		f = tcpip.ShutdownWrite
	case syscall.SHUT_RDWR:
		f = tcpip.ShutdownRead | tcpip.ShutdownWrite
	default:
		return syscall.EINVAL
	}
	return errno(s.ep.Shutdown(f))
}

// Close releases a socket, as the last close(2) of its fd does. With
// SO_LINGER on and a zero timeout a connection is reset; with a positive
// timeout Close waits, up to it, until the peer has acknowledged all
// data and the FIN (the connection has left FIN_WAIT1, CLOSING and
// LAST_ACK), as Linux does. The linger wait ends early when ctx does.
func (n *Stack) Close(ctx context.Context, id ID) error {
	n.mu.Lock()
	s, ok := n.sockets[id]
	delete(n.sockets, id)
	if ok && s.stream() {
		n.closing = append(n.closing, s)
		if len(n.closing) >= 2*n.pruned+64 {
			n.pruneClosingLocked()
		}
	}
	n.mu.Unlock()
	if !ok {
		return syscall.EBADF
	}
	e, ch := waiter.NewChannelEntry(waiter.AllEvents)
	s.wq.EventRegister(&e)
	defer s.wq.EventUnregister(&e)
	s.ep.Close()
	l := s.ep.SocketOptions().GetLinger()
	if !s.stream() || !l.Enabled || l.Timeout <= 0 {
		return nil
	}
	// netstack signals nothing when the FIN is acknowledged (FIN_WAIT1
	// to FIN_WAIT2), so besides its events this wait rechecks the state
	// on a backoff from 1 ms to 100 ms: the one place netd looks rather
	// than being told, and only for a linger close.
	deadline := time.NewTimer(l.Timeout)
	defer deadline.Stop()
	for check := time.Millisecond; unacked(s); check = min(2*check, 100*time.Millisecond) {
		recheck := time.NewTimer(check)
		select {
		case <-ch:
		case <-recheck.C:
		case <-deadline.C:
			return nil
		case <-ctx.Done():
			return nil
		}
		recheck.Stop()
	}
	return nil
}

// unacked reports whether a closed TCP socket still waits for the peer
// to acknowledge its data and FIN.
func unacked(s *socket) bool {
	switch tcp.EndpointState(s.ep.State()) {
	case tcp.StateFinWait1, tcp.StateClosing, tcp.StateLastAck:
		return true
	}
	return false
}

// SockName returns the local address, as getsockname(2) does.
func (n *Stack) SockName(id ID) (netip.AddrPort, error) {
	s, err := n.lookup(id)
	if err != nil {
		return netip.AddrPort{}, err
	}
	fa, terr := s.ep.GetLocalAddress()
	if terr != nil {
		return netip.AddrPort{}, errno(terr)
	}
	return addrPort(s.family, fa), nil
}

// PeerName returns the peer's address, as getpeername(2) does.
func (n *Stack) PeerName(id ID) (netip.AddrPort, error) {
	s, err := n.lookup(id)
	if err != nil {
		return netip.AddrPort{}, err
	}
	fa, terr := s.ep.GetRemoteAddress()
	if terr != nil {
		return netip.AddrPort{}, errno(terr)
	}
	return addrPort(s.family, fa), nil
}
