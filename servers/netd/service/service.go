// Package service is netd's protocol adapter: it serves the net protocol
// (proto/netpb) on a sockets.Stack, one Session per client channel.
package service

import (
	"bytes"
	"context"
	"io"
	"math"
	"net/netip"
	"strconv"
	"sync"
	"syscall"

	"aramid/lib/linux/dac"
	"aramid/proto/authpb"
	"aramid/proto/netpb"
	"aramid/proto/rpc"
	"aramid/servers/netd/sockets"
)

// capNetBindService is CAP_NET_BIND_SERVICE's bit in a capability set.
const capNetBindService = 1 << dac.CapNetBindService

// maxInline caps an inline Recv so that its reply fits in one message.
const maxInline = rpc.MaxMessageSize - 1024

// Memory is a memory object a client registered for bulk data.
type Memory = rpc.Memory

// Session serves the net protocol to one client, normally linuxd, on a
// Stack. Every call is non-blocking, as the protocol says: the client
// blocks by subscribing to readiness and retrying when told.
type Session struct {
	n *sockets.Stack
	h rpc.Handles
	w *sockets.Watcher
	*rpc.Buffers

	mu   sync.Mutex
	stop context.CancelFunc // ends the notifier; nil until Watch
}

var _ netpb.NetServer = (*Session)(nil)

// New returns a Session for one client whose handles h resolves.
func New(n *sockets.Stack, h rpc.Handles) *Session {
	return &Session{n: n, h: h, w: n.NewWatcher(), Buffers: rpc.NewBuffers(h)}
}

// Release ends the client's subscriptions and releases its buffers. Its
// sockets stay: they belong to the processes, not to the channel.
func (s *Session) Release() {
	s.mu.Lock()
	stop := s.stop
	s.mu.Unlock()
	if stop != nil {
		stop()
	}
	s.w.Close()
	s.ReleaseBuffers()
}

// region returns the bytes a Region names, or EFAULT as the kernel gives
// for a bad user pointer.
func (s *Session) region(r *rpc.Region) (*io.SectionReader, Memory, error) {
	mem, off, n, err := s.Region(r)
	if err != nil {
		return nil, nil, err
	}
	return io.NewSectionReader(mem, off, n), mem, nil
}

func (s *Session) Socket(_ context.Context, req *netpb.SocketRequest) (*netpb.SocketReply, error) {
	id, err := s.n.Socket(credOf(req.GetCred()), int(req.GetDomain()), int(req.GetType()), int(req.GetProtocol()))
	if err != nil {
		return nil, err
	}
	return &netpb.SocketReply{Socket: uint64(id), Inode: s.n.Inode(id)}, nil
}

// credOf keeps what netd needs of a Linux credential: the fsuid, which
// Linux records as a socket's owner, and CAP_NET_BIND_SERVICE.
func credOf(c *authpb.Cred) sockets.Cred {
	return sockets.Cred{UID: c.GetFsuid(), BindService: c.GetCapEffective()&capNetBindService != 0}
}

// socketID converts a protocol socket number; one netd never issued is
// EBADF, like a bad fd.
func socketID(v uint64) sockets.ID {
	if v > math.MaxUint32 {
		return 0
	}
	return sockets.ID(v)
}

// addrOf converts a SockAddr. Its family must match its address length.
func addrOf(a *netpb.SockAddr) (netip.AddrPort, error) {
	ip, ok := netip.AddrFromSlice(a.GetAddr())
	switch a.GetFamily() {
	case syscall.AF_INET:
		ok = ok && ip.Is4()
	case syscall.AF_INET6:
		ok = ok && ip.Is6()
		if a.GetScopeId() != 0 {
			ip = ip.WithZone(strconv.FormatUint(uint64(a.GetScopeId()), 10))
		}
	default:
		return netip.AddrPort{}, syscall.EAFNOSUPPORT
	}
	if !ok || a.GetPort() > math.MaxUint16 {
		return netip.AddrPort{}, syscall.EINVAL
	}
	return netip.AddrPortFrom(ip, uint16(a.GetPort())), nil
}

// sockAddr converts back. Every address netd reports has a family.
func sockAddr(ap netip.AddrPort) *netpb.SockAddr {
	a := &netpb.SockAddr{Family: syscall.AF_INET6, Addr: ap.Addr().AsSlice(), Port: uint32(ap.Port())}
	if ap.Addr().Is4() {
		a.Family = syscall.AF_INET
	}
	return a
}

func (s *Session) Bind(_ context.Context, req *netpb.BindRequest) (*netpb.BindReply, error) {
	ap, err := addrOf(req.GetAddr())
	if err != nil {
		return nil, err
	}
	return &netpb.BindReply{}, s.n.Bind(credOf(req.GetCred()), socketID(req.GetSocket()), ap)
}

func (s *Session) Listen(_ context.Context, req *netpb.ListenRequest) (*netpb.ListenReply, error) {
	return &netpb.ListenReply{}, s.n.Listen(socketID(req.GetSocket()), int(req.GetBacklog()))
}

func (s *Session) Accept(ctx context.Context, req *netpb.AcceptRequest) (*netpb.AcceptReply, error) {
	id, peer, err := s.n.Accept(ctx, socketID(req.GetSocket()), true)
	if err != nil {
		return nil, err
	}
	return &netpb.AcceptReply{Socket: uint64(id), Inode: s.n.Inode(id), Peer: sockAddr(peer)}, nil
}

func (s *Session) Connect(ctx context.Context, req *netpb.ConnectRequest) (*netpb.ConnectReply, error) {
	id := socketID(req.GetSocket())
	if req.GetAddr().GetFamily() == syscall.AF_UNSPEC {
		return &netpb.ConnectReply{}, s.n.Disconnect(id)
	}
	ap, err := addrOf(req.GetAddr())
	if err != nil {
		return nil, err
	}
	return &netpb.ConnectReply{}, s.n.Connect(ctx, id, ap, true)
}

func (s *Session) Send(ctx context.Context, req *netpb.SendRequest) (*netpb.SendReply, error) {
	var to netip.AddrPort
	if req.GetTo() != nil {
		var err error
		if to, err = addrOf(req.GetTo()); err != nil {
			return nil, err
		}
	}
	var src io.ReaderAt
	var size int
	if r := req.GetData().GetRegion(); r != nil {
		sec, _, err := s.region(r)
		if err != nil {
			return nil, err
		}
		src, size = sec, int(sec.Size())
	} else {
		b := req.GetData().GetInline()
		src, size = bytes.NewReader(b), len(b)
	}
	n, err := s.n.Send(ctx, socketID(req.GetSocket()), src, size, to, int(req.GetFlags())|sockets.MsgDontWait)
	if err != nil {
		return nil, err
	}
	return &netpb.SendReply{Count: uint64(n)}, nil
}

// Recv returns the data inline, or with a Dest region stores it there
// straight from netstack's segments.
func (s *Session) Recv(ctx context.Context, req *netpb.RecvRequest) (*netpb.RecvReply, error) {
	id := socketID(req.GetSocket())
	flags := int(req.GetFlags()) | sockets.MsgDontWait
	var r sockets.Received
	var err error
	if d := req.GetDest(); d != nil {
		sec, mem, rerr := s.region(d)
		if rerr != nil {
			return nil, rerr
		}
		size := min(req.GetLength(), uint64(sec.Size()))
		r, err = s.n.RecvTo(ctx, id, mem, int64(d.GetOffset()), int(size), flags)
	} else {
		r, err = s.n.Recv(ctx, id, int(min(req.GetLength(), maxInline)), flags)
	}
	if err != nil {
		return nil, err
	}
	reply := &netpb.RecvReply{Count: uint64(r.Len), Flags: uint32(r.Flags), Data: r.Data}
	if r.From.IsValid() {
		reply.From = sockAddr(r.From)
	}
	return reply, nil
}

func (s *Session) Shutdown(_ context.Context, req *netpb.ShutdownRequest) (*netpb.ShutdownReply, error) {
	return &netpb.ShutdownReply{}, s.n.Shutdown(socketID(req.GetSocket()), int(req.GetHow()))
}

// Close closes the socket and ends this client's subscriptions to it.
// It is the one call that may wait: for SO_LINGER, as close(2) does.
func (s *Session) Close(ctx context.Context, req *netpb.CloseRequest) (*netpb.CloseReply, error) {
	id := socketID(req.GetSocket())
	s.w.UnwatchSocket(id)
	return &netpb.CloseReply{}, s.n.Close(ctx, id)
}

func (s *Session) GetSockName(_ context.Context, req *netpb.GetSockNameRequest) (*netpb.SockAddrReply, error) {
	ap, err := s.n.SockName(socketID(req.GetSocket()))
	if err != nil {
		return nil, err
	}
	return &netpb.SockAddrReply{Addr: sockAddr(ap)}, nil
}

func (s *Session) GetPeerName(_ context.Context, req *netpb.GetPeerNameRequest) (*netpb.SockAddrReply, error) {
	ap, err := s.n.PeerName(socketID(req.GetSocket()))
	if err != nil {
		return nil, err
	}
	return &netpb.SockAddrReply{Addr: sockAddr(ap)}, nil
}

func (s *Session) SetSockOpt(_ context.Context, req *netpb.SetSockOptRequest) (*netpb.SetSockOptReply, error) {
	return &netpb.SetSockOptReply{}, s.n.SetSockOpt(socketID(req.GetSocket()), int(req.GetLevel()), int(req.GetName()), req.GetValue())
}

// GetSockOpt truncates the value to the caller's optlen, as Linux does.
func (s *Session) GetSockOpt(_ context.Context, req *netpb.GetSockOptRequest) (*netpb.GetSockOptReply, error) {
	v, err := s.n.GetSockOpt(socketID(req.GetSocket()), int(req.GetLevel()), int(req.GetName()))
	if err != nil {
		return nil, err
	}
	return &netpb.GetSockOptReply{Value: v[:min(len(v), int(req.GetLength()))]}, nil
}

// Watch dials the client's Readiness channel and starts the notifier,
// the one goroutine that carries this client's events to it.
func (s *Session) Watch(_ context.Context, req *netpb.WatchRequest) (*netpb.WatchReply, error) {
	h := req.GetChannel().GetValue()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop != nil {
		s.h.Close(h)
		return nil, syscall.EBUSY
	}
	t, err := s.h.Dial(h)
	if err != nil {
		s.h.Close(h)
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	go s.notify(ctx, netpb.NewReadinessClient(t))
	return &netpb.WatchReply{}, nil
}

// notify forwards events until the client goes away. Each event carries
// the socket's readiness when it is sent; an edge whose readiness is
// already gone again (another reader took the data) is not sent.
func (s *Session) notify(ctx context.Context, c *netpb.ReadinessClient) {
	for {
		evs, err := s.w.Wait(ctx, 256)
		if err != nil {
			return
		}
		req := s.stillReady(evs)
		if len(req.Events) == 0 {
			continue
		}
		if _, err := c.Notify(ctx, req); err != nil {
			return
		}
	}
}

// stillReady keeps the events whose readiness has not gone again, each
// with the socket's readiness now.
func (s *Session) stillReady(evs []sockets.Event) *netpb.NotifyRequest {
	req := &netpb.NotifyRequest{Events: make([]*netpb.Event, 0, len(evs))}
	for _, ev := range evs {
		ready, err := s.n.Readiness(ev.Socket, sockets.PollAll)
		if err != nil || ready&ev.Events == 0 {
			continue
		}
		req.Events = append(req.Events, &netpb.Event{Cookie: ev.Cookie, Socket: uint64(ev.Socket), Ready: ready})
	}
	return req
}

func (s *Session) Subscribe(_ context.Context, req *netpb.SubscribeRequest) (*netpb.SubscribeReply, error) {
	s.mu.Lock()
	watching := s.stop != nil
	s.mu.Unlock()
	if !watching {
		return nil, syscall.EINVAL // Watch first: there is nowhere to notify
	}
	ready, err := s.w.Watch(socketID(req.GetSocket()), req.GetCookie(), req.GetEvents())
	if err != nil {
		return nil, err
	}
	return &netpb.SubscribeReply{Ready: ready}, nil
}

func (s *Session) Unsubscribe(_ context.Context, req *netpb.UnsubscribeRequest) (*netpb.UnsubscribeReply, error) {
	s.w.Unwatch(socketID(req.GetSocket()), req.GetCookie())
	return &netpb.UnsubscribeReply{}, nil
}
