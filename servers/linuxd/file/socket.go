package file

import (
	"context"
	"sync"
	"syscall"

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
}

// NewNet returns the connection over client c, whose waits use cond.
func NewNet(c *netpb.NetClient, cond *sync.Cond) *Net {
	return &Net{C: c, cond: cond, sockets: map[uint64]*Socket{}}
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
	n            *Net
	ID, Inode    uint64
	Domain, Type int
	ready        uint32 // what netd last said, less what linuxd saw gone
	gen          uint64 // counts readiness edges, for edge-triggered epoll
}

func bg() context.Context { return context.Background() }

// NewSocket makes a socket in netd and subscribes to its readiness.
func (n *Net) NewSocket(domain, typ, proto int) (*Socket, error) {
	r, err := n.C.Socket(bg(), &netpb.SocketRequest{Cred: RootCred(), Domain: uint32(domain), Type: uint32(typ), Protocol: uint32(proto)})
	if err != nil {
		return nil, err
	}
	return n.adopt(r.GetSocket(), r.GetInode(), domain, typ)
}

func (n *Net) adopt(id, inode uint64, domain, typ int) (*Socket, error) {
	s := &Socket{n: n, ID: id, Inode: inode, Domain: domain, Type: typ}
	sub, err := n.C.Subscribe(bg(), &netpb.SubscribeRequest{Socket: id, Events: EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI, Cookie: id})
	if err != nil {
		n.C.Close(bg(), &netpb.CloseRequest{Socket: id})
		return nil, err
	}
	s.ready = sub.GetReady()
	n.sockets[id] = s
	return s, nil
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
func (s *Socket) again(want uint32, w Wait, op func() error) error {
	for {
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

// Recv receives up to n bytes (MSG_* flags).
func (s *Socket) Recv(n int, flags uint32, w Wait) (*netpb.RecvReply, error) {
	var r *netpb.RecvReply
	err := s.again(EPOLLIN|EPOLLRDHUP, w, func() (err error) {
		r, err = s.n.C.Recv(bg(), &netpb.RecvRequest{Socket: s.ID, Length: uint64(min(n, maxInline)), Flags: flags})
		return err
	})
	return r, err
}

// Send sends b (MSG_* flags) to to (datagram sockets) or the peer.
func (s *Socket) Send(b []byte, flags uint32, to *netpb.SockAddr, w Wait) (int, error) {
	b = b[:min(len(b), maxInline)]
	var count int
	err := s.again(EPOLLOUT, w, func() error {
		r, err := s.n.C.Send(bg(), &netpb.SendRequest{Socket: s.ID, Data: &rpc.Data{Where: &rpc.Data_Inline{Inline: b}}, Flags: flags, To: to})
		count = int(r.GetCount())
		return err
	})
	return count, err
}

// Accept takes a connection from a listening socket.
func (s *Socket) Accept(w Wait) (*Socket, *netpb.SockAddr, error) {
	var r *netpb.AcceptReply
	err := s.again(EPOLLIN, w, func() (err error) {
		r, err = s.n.C.Accept(bg(), &netpb.AcceptRequest{Socket: s.ID})
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	c, err := s.n.adopt(r.GetSocket(), r.GetInode(), s.Domain, s.Type)
	return c, r.GetPeer(), err
}

// Connect connects to addr; a blocking connect waits for the outcome.
func (s *Socket) Connect(addr *netpb.SockAddr, w Wait) error {
	_, err := s.n.C.Connect(bg(), &netpb.ConnectRequest{Socket: s.ID, Addr: addr})
	if err != syscall.EINPROGRESS || w.NonBlock {
		return err
	}
	s.ready &^= EPOLLOUT | EPOLLERR | EPOLLHUP // what an unconnected socket reported
	if err := s.await(EPOLLOUT|EPOLLERR|EPOLLHUP, w); err != nil {
		return err
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
	delete(s.n.sockets, s.ID)
	_, err := s.n.C.Close(bg(), &netpb.CloseRequest{Socket: s.ID})
	return err
}
