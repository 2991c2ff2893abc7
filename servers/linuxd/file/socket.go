package file

import (
	"context"
	"sync"
	"syscall"

	"aramid/proto/authpb"
	"aramid/proto/netpb"
	"aramid/proto/rpc"
)

// Readiness bits, as epoll and netd report them.
const (
	EPOLLIN    = 0x1
	EPOLLPRI   = 0x2
	EPOLLOUT   = 0x4
	EPOLLERR   = 0x8
	EPOLLHUP   = 0x10
	EPOLLRDHUP = 0x2000
)

// Net is linuxd's connection to netd. netd's calls never wait; linuxd
// waits on the readiness netd pushes (Notify), so that one blocked
// accept does not hold up every other process.
type Net struct {
	C       *netpb.NetClient
	cond    *sync.Cond
	sockets map[uint64]*Socket
	// Bulk and BulkID are memory shared with netd (a registered buffer)
	// for large sends and receives, as VFS's are with vfsd.
	Bulk   []byte
	BulkID uint32
	// down is set from netd's death (Lost) until its successor is
	// connected (Restore).
	down bool
}

// NewNet returns the connection over client c, whose waits use cond.
func NewNet(c *netpb.NetClient, cond *sync.Cond) *Net {
	return &Net{C: c, cond: cond, sockets: map[uint64]*Socket{}}
}

// Lost is called, with the lock held, when netd has died: every socket
// with a connection loses it (calls fail: see Socket.lost) and every
// waiter wakes to find that out; the sockets Restore can make again
// (listening, or not yet connected) wait for it, unready.
func (n *Net) Lost() {
	n.down = true
	for _, s := range n.sockets {
		if s.restorable() {
			s.ready = 0
		} else {
			s.lost = true
			s.ready = EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP
		}
		s.gen++
	}
	n.cond.Broadcast()
}

// Restore is called, with the lock held, once netd's successor is
// connected through c (and watched): it makes each socket that survives
// again, as the program made it, under the same file: the socket, its
// options, its address, its listen. netd's socket numbers are its own,
// so each gets a new one. A socket that cannot be made again is lost.
func (n *Net) Restore(c *netpb.NetClient) {
	n.C, n.down = c, false
	old := n.sockets
	n.sockets = map[uint64]*Socket{}
	for _, s := range old {
		if !s.lost {
			if err := s.restore(); err != nil {
				s.n.C.Close(bg(), &netpb.CloseRequest{Socket: s.ID})
				s.lost = true
				s.ready = EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP
			}
		}
		s.gen++
	}
	n.cond.Broadcast()
}

// Notify implements netpb.ReadinessServer; the caller holds the lock.
func (n *Net) Notify(_ context.Context, req *netpb.NotifyRequest) (*netpb.NotifyReply, error) {
	for _, ev := range req.GetEvents() {
		if s := n.sockets[ev.GetSocket()]; s != nil {
			s.ready = ev.GetReady()
			s.gen++
		}
	}
	n.cond.Broadcast()
	return &netpb.NotifyReply{}, nil
}

// Socket is an AF_INET or AF_INET6 socket of netd.
type Socket struct {
	n                   *Net
	ID, Inode           uint64
	Domain, Type, Proto int
	ready               uint32 // what netd last said, less what linuxd saw gone
	gen                 uint64 // counts readiness edges, for edge-triggered epoll

	// What Restore replays on netd's successor: the options set, the
	// address bound (with the binder's credential), the listen backlog.
	// A socket that has connected, or was accepted, has state only netd
	// had, and is lost with it.
	opts      []*netpb.SetSockOptRequest
	bind      *netpb.BindRequest
	backlog   int32
	listening bool
	connected bool
	lost      bool // netd died with this socket's connection
}

// restorable reports whether Restore can make s again on a new netd.
func (s *Socket) restorable() bool { return !s.connected }

// restore makes s again on the current netd.
func (s *Socket) restore() error {
	r, err := s.n.C.Socket(bg(), &netpb.SocketRequest{Cred: RootCred(), Domain: uint32(s.Domain), Type: uint32(s.Type), Protocol: uint32(s.Proto)})
	if err != nil {
		return err
	}
	s.ID, s.Inode = r.GetSocket(), r.GetInode()
	s.n.sockets[s.ID] = s
	for _, o := range s.opts {
		o.Socket = s.ID
		if _, err := s.n.C.SetSockOpt(bg(), o); err != nil {
			return err
		}
	}
	if s.bind != nil {
		s.bind.Socket = s.ID
		if _, err := s.n.C.Bind(bg(), s.bind); err != nil {
			return err
		}
	}
	if s.listening {
		if _, err := s.n.C.Listen(bg(), &netpb.ListenRequest{Socket: s.ID, Backlog: s.backlog}); err != nil {
			return err
		}
	}
	return s.Refresh()
}

// What a socket whose connection died with netd answers: reads see the
// reset, writes the broken pipe, anything else no connection; closing it
// succeeds (docs/netd.md).
const (
	errLostRead  = syscall.ECONNRESET
	errLostWrite = syscall.EPIPE
	errLost      = syscall.ENOTCONN
)

// check fails a call on a socket that netd's death took, with errno; and
// while no netd is connected, a call that would reach it with ENETDOWN.
func (s *Socket) check(errno syscall.Errno) error {
	switch {
	case s.lost:
		return errno
	case s.n.down:
		return syscall.ENETDOWN
	}
	return nil
}

func bg() context.Context { return context.Background() }

// NewSocket makes a socket in netd and subscribes to its readiness.
func (n *Net) NewSocket(domain, typ, proto int) (*Socket, error) {
	if n.down {
		return nil, syscall.ENETDOWN
	}
	r, err := n.C.Socket(bg(), &netpb.SocketRequest{Cred: RootCred(), Domain: uint32(domain), Type: uint32(typ), Protocol: uint32(proto)})
	if err != nil {
		return nil, err
	}
	return n.adopt(r.GetSocket(), r.GetInode(), domain, typ, proto)
}

func (n *Net) adopt(id, inode uint64, domain, typ, proto int) (*Socket, error) {
	s := &Socket{n: n, ID: id, Inode: inode, Domain: domain, Type: typ, Proto: proto}
	if err := s.Refresh(); err != nil {
		n.C.Close(bg(), &netpb.CloseRequest{Socket: id})
		return nil, err
	}
	n.sockets[id] = s
	return s, nil
}

// Refresh subscribes to the socket's readiness, or subscribes again,
// which also reads what it is now. netd notifies only gains, so a state
// change that takes readiness away (listen ends the EPOLLHUP of a fresh
// socket) needs this.
func (s *Socket) Refresh() error {
	sub, err := s.n.C.Subscribe(bg(), &netpb.SubscribeRequest{Socket: s.ID, Events: EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI, Cookie: s.ID})
	if err != nil {
		return err
	}
	s.ready = sub.GetReady()
	s.gen++
	return nil
}

// Poll returns the socket's readiness and its edge count.
func (s *Socket) Poll() (uint32, uint64) { return s.ready, s.gen }

// Readable implements Waiter.
func (s *Socket) Readable() bool { return s.ready&(EPOLLIN|EPOLLHUP|EPOLLERR|EPOLLRDHUP) != 0 }

// Writable implements Waiter.
func (s *Socket) Writable() bool { return s.ready&(EPOLLOUT|EPOLLHUP|EPOLLERR) != 0 }

// again runs op until it does not answer EAGAIN, waiting for the
// readiness in want in between, unless the caller must not wait. EAGAIN
// proves want is not there now, whatever was last heard; EPOLLHUP and
// EPOLLERR do not end the wait (an unconnected socket reports EPOLLHUP
// for ever), because an operation they affect fails instead of EAGAIN.
func (s *Socket) again(want uint32, lostErr syscall.Errno, w Wait, op func() error) error {
	for {
		if s.lost {
			return lostErr
		}
		if s.n.down {
			// Only a surviving socket is here: it waits for netd's
			// successor like it waits for readiness.
			if w.NonBlock {
				return syscall.EAGAIN
			}
			if err := s.await(want, w); err != nil {
				return err
			}
			continue
		}
		err := op()
		if err != syscall.EAGAIN {
			return err
		}
		s.ready &^= want
		if w.NonBlock {
			return err
		}
		if err := s.await(want, w); err != nil {
			return err
		}
	}
}

// await waits until netd reports one of the events in want.
func (s *Socket) await(want uint32, w Wait) error {
	for s.ready&want == 0 {
		if w.interrupted() {
			return syscall.EINTR
		}
		s.n.cond.Wait()
	}
	return nil
}

// Recv receives up to n bytes (MSG_* flags); large receives land in the
// shared buffer and come back as the reply's Data all the same.
func (s *Socket) Recv(n int, flags uint32, w Wait) (*netpb.RecvReply, error) {
	req := &netpb.RecvRequest{Socket: s.ID, Length: uint64(min(n, maxInline)), Flags: flags}
	bulk := n > maxInline && s.n.Bulk != nil
	if bulk {
		k := min(n, len(s.n.Bulk))
		req.Length, req.Dest = uint64(k), &rpc.Region{Buffer: s.n.BulkID, Length: uint64(k)}
	}
	var r *netpb.RecvReply
	err := s.again(EPOLLIN|EPOLLRDHUP, errLostRead, w, func() (err error) {
		r, err = s.n.C.Recv(bg(), req)
		return err
	})
	if err == nil && bulk {
		r.Data = s.n.Bulk[:min(r.GetCount(), req.Length)]
	}
	return r, err
}

// Send sends b (MSG_* flags) to to (datagram sockets) or the peer; large
// sends go through the shared buffer.
func (s *Socket) Send(b []byte, flags uint32, to *netpb.SockAddr, w Wait) (int, error) {
	data := &rpc.Data{Where: &rpc.Data_Inline{Inline: b[:min(len(b), maxInline)]}}
	if len(b) > maxInline && s.n.Bulk != nil {
		k := copy(s.n.Bulk, b)
		data = &rpc.Data{Where: &rpc.Data_Region{Region: &rpc.Region{Buffer: s.n.BulkID, Length: uint64(k)}}}
	}
	var count int
	err := s.again(EPOLLOUT, errLostWrite, w, func() error {
		r, err := s.n.C.Send(bg(), &netpb.SendRequest{Socket: s.ID, Data: data, Flags: flags, To: to})
		count = int(r.GetCount())
		return err
	})
	return count, err
}

// Accept takes a connection from a listening socket.
func (s *Socket) Accept(w Wait) (*Socket, *netpb.SockAddr, error) {
	var r *netpb.AcceptReply
	err := s.again(EPOLLIN, errLost, w, func() (err error) {
		r, err = s.n.C.Accept(bg(), &netpb.AcceptRequest{Socket: s.ID})
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	c, err := s.n.adopt(r.GetSocket(), r.GetInode(), s.Domain, s.Type, s.Proto)
	if c != nil {
		c.connected = true
	}
	return c, r.GetPeer(), err
}

// Connect connects to addr; a blocking connect waits for the outcome.
func (s *Socket) Connect(addr *netpb.SockAddr, w Wait) error {
	if err := s.check(errLost); err != nil {
		return err
	}
	s.connected = true
	_, err := s.n.C.Connect(bg(), &netpb.ConnectRequest{Socket: s.ID, Addr: addr})
	if err != syscall.EINPROGRESS || w.NonBlock {
		return err
	}
	s.ready &^= EPOLLOUT | EPOLLERR | EPOLLHUP // what an unconnected socket reported
	if err := s.await(EPOLLOUT|EPOLLERR|EPOLLHUP, w); err != nil {
		return err
	}
	if s.lost {
		return syscall.ECONNRESET
	}
	v, err := s.GetSockOpt(syscall.SOL_SOCKET, syscall.SO_ERROR, 4)
	if err != nil {
		return err
	}
	if len(v) == 4 && v[0]|v[1]|v[2]|v[3] != 0 {
		return syscall.Errno(uint32(v[0]) | uint32(v[1])<<8 | uint32(v[2])<<16 | uint32(v[3])<<24)
	}
	return nil
}

// GetSockOpt returns an option's bytes.
func (s *Socket) GetSockOpt(level, name, length int) ([]byte, error) {
	if err := s.check(errLost); err != nil {
		return nil, err
	}
	r, err := s.n.C.GetSockOpt(bg(), &netpb.GetSockOptRequest{Socket: s.ID, Level: uint32(level), Name: uint32(name), Length: uint32(length)})
	return r.GetValue(), err
}

// ReadWait implements Waiter.
func (s *Socket) ReadWait(b []byte, w Wait) (int, error) {
	r, err := s.Recv(len(b), 0, w)
	if err != nil {
		return 0, err
	}
	return copy(b, r.GetData()), nil
}

// WriteWait implements Waiter.
func (s *Socket) WriteWait(b []byte, w Wait) (int, error) { return s.Send(b, 0, nil, w) }

// Read implements fd.File.
func (s *Socket) Read(b []byte) (int, error) { return s.ReadWait(b, Wait{}) }

// Write implements fd.File.
func (s *Socket) Write(b []byte) (int, error) { return s.WriteWait(b, Wait{}) }

// Close implements fd.File.
func (s *Socket) Close() error {
	if s.n.sockets[s.ID] == s {
		delete(s.n.sockets, s.ID)
	}
	if s.check(errLost) != nil {
		return nil // netd has nothing of it to close
	}
	_, err := s.n.C.Close(bg(), &netpb.CloseRequest{Socket: s.ID})
	return err
}

// SetSockOpt sets an option, and keeps it to set again on netd's
// successor.
func (s *Socket) SetSockOpt(level, name int, value []byte) error {
	if err := s.check(errLost); err != nil {
		return err
	}
	req := &netpb.SetSockOptRequest{Socket: s.ID, Level: uint32(level), Name: uint32(name), Value: value}
	if _, err := s.n.C.SetSockOpt(bg(), req); err != nil {
		return err
	}
	if s.restorable() {
		s.remember(req)
	}
	return nil
}

// remember keeps an option to set again, replacing an earlier value of
// the same option.
func (s *Socket) remember(req *netpb.SetSockOptRequest) {
	for i, o := range s.opts {
		if o.GetLevel() == req.GetLevel() && o.GetName() == req.GetName() {
			s.opts[i] = req
			return
		}
	}
	s.opts = append(s.opts, req)
}

// Bind binds the socket to addr for cred, and keeps both to bind again on
// netd's successor.
func (s *Socket) Bind(cred *authpb.Cred, addr *netpb.SockAddr) error {
	if err := s.check(errLost); err != nil {
		return err
	}
	req := &netpb.BindRequest{Cred: cred, Socket: s.ID, Addr: addr}
	if _, err := s.n.C.Bind(bg(), req); err != nil {
		return err
	}
	s.bind = req
	return nil
}

// Listen makes the socket listen: a socket that Restore makes again on
// netd's successor, so that a server keeps accepting on the same file.
func (s *Socket) Listen(backlog int32) error {
	if err := s.check(errLost); err != nil {
		return err
	}
	if _, err := s.n.C.Listen(bg(), &netpb.ListenRequest{Socket: s.ID, Backlog: backlog}); err != nil {
		return err
	}
	s.listening, s.backlog = true, backlog
	return s.Refresh()
}

// Shutdown shuts down part of a connection.
func (s *Socket) Shutdown(how uint32) error {
	if err := s.check(errLost); err != nil {
		return err
	}
	_, err := s.n.C.Shutdown(bg(), &netpb.ShutdownRequest{Socket: s.ID, How: how})
	return err
}

// Name returns the socket's own address, or with peer its peer's.
func (s *Socket) Name(peer bool) (*netpb.SockAddr, error) {
	if err := s.check(errLost); err != nil {
		return nil, err
	}
	var r *netpb.SockAddrReply
	var err error
	if peer {
		r, err = s.n.C.GetPeerName(bg(), &netpb.GetPeerNameRequest{Socket: s.ID})
	} else {
		r, err = s.n.C.GetSockName(bg(), &netpb.GetSockNameRequest{Socket: s.ID})
	}
	return r.GetAddr(), err
}
