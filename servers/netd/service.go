package netd

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
	"aramid/proto/procpb"
	"aramid/proto/rpc"
)

// capNetBindService is CAP_NET_BIND_SERVICE's bit in a capability set.
const capNetBindService = 1 << dac.CapNetBindService

// maxInline caps an inline Recv so that its reply fits in one message.
const maxInline = rpc.MaxMessageSize - 1024

// Memory is a memory object a client registered for bulk data.
type Memory = rpc.Memory

// Handles turns the handles netd receives into objects: channels to call
// back on, and memory objects. The kernel and the in-process test
// transport each provide one.
type Handles interface {
	rpc.Dialer
	Memory(h uint32) (Memory, error)
	Close(h uint32) error
}

// Service serves the net protocol (proto/netpb) to one client, normally
// linuxd, on a Server. Every call is non-blocking, as the protocol says:
// the client blocks by subscribing to readiness and retrying when told.
// A Service also serves procd's SocketSource.
type Service struct {
	n *Server
	h Handles
	w *Watcher

	bufs rpc.Buffers

	mu   sync.Mutex
	stop context.CancelFunc // ends the notifier; nil until Watch
}

var (
	_ netpb.NetServer           = (*Service)(nil)
	_ procpb.SocketSourceServer = (*Service)(nil)
)

// NewService returns a Service for one client whose handles h resolves.
func (n *Server) NewService(h Handles) *Service {
	return &Service{n: n, h: h, w: n.NewWatcher()}
}

// Release ends the client's subscriptions and releases its buffers. Its
// sockets stay: they belong to the processes, not to the channel.
func (s *Service) Release() {
	s.mu.Lock()
	stop := s.stop
	s.mu.Unlock()
	if stop != nil {
		stop()
	}
	s.w.Close()
	for _, h := range s.bufs.Clear() {
		s.h.Close(h)
	}
}

func (s *Service) RegisterBuffer(_ context.Context, req *rpc.RegisterBufferRequest) (*rpc.RegisterBufferReply, error) {
	h := req.GetMemory().GetValue()
	mem, err := s.h.Memory(h)
	if err != nil {
		s.h.Close(h)
		return nil, err
	}
	return &rpc.RegisterBufferReply{Buffer: s.bufs.Add(mem, h)}, nil
}

func (s *Service) UnregisterBuffer(_ context.Context, req *rpc.UnregisterBufferRequest) (*rpc.UnregisterBufferReply, error) {
	h, ok := s.bufs.Remove(req.GetBuffer())
	if !ok {
		return nil, syscall.EINVAL
	}
	s.h.Close(h)
	return &rpc.UnregisterBufferReply{}, nil
}

// region returns the bytes a Region names, or EFAULT as the kernel gives
// for a bad user pointer.
func (s *Service) region(r *rpc.Region) (*io.SectionReader, Memory, error) {
	mem, off, n, err := s.bufs.Region(r)
	if err != nil {
		return nil, nil, err
	}
	return io.NewSectionReader(mem, off, n), mem, nil
}

func (s *Service) Socket(_ context.Context, req *netpb.SocketRequest) (*netpb.SocketReply, error) {
	id, err := s.n.Socket(credOf(req.GetCred()), int(req.GetDomain()), int(req.GetType()), int(req.GetProtocol()))
	if err != nil {
		return nil, err
	}
	return &netpb.SocketReply{Socket: uint64(id), Inode: s.n.inode(id)}, nil
}

// credOf keeps what netd needs of a Linux credential: the fsuid, which
// Linux records as a socket's owner, and CAP_NET_BIND_SERVICE.
func credOf(c *authpb.Cred) Cred {
	return Cred{UID: c.GetFsuid(), BindService: c.GetCapEffective()&capNetBindService != 0}
}

// socketID converts a protocol socket number; one netd never issued is
// EBADF, like a bad fd.
func socketID(v uint64) ID {
	if v > math.MaxUint32 {
		return 0
	}
	return ID(v)
}

// addrOf converts a SockAddr. Its family must match its address length.
func addrOf(a *netpb.SockAddr) (netip.AddrPort, error) {
	var ip netip.Addr
	switch {
	case a.GetFamily() == syscall.AF_INET && len(a.GetAddr()) == 4:
		ip = netip.AddrFrom4([4]byte(a.GetAddr()))
	case a.GetFamily() == syscall.AF_INET6 && len(a.GetAddr()) == 16:
		ip = netip.AddrFrom16([16]byte(a.GetAddr()))
		if a.GetScopeId() != 0 {
			ip = ip.WithZone(strconv.FormatUint(uint64(a.GetScopeId()), 10))
		}
	case a.GetFamily() == syscall.AF_INET || a.GetFamily() == syscall.AF_INET6:
		return netip.AddrPort{}, syscall.EINVAL
	default:
		return netip.AddrPort{}, syscall.EAFNOSUPPORT
	}
	if a.GetPort() > math.MaxUint16 {
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

func (s *Service) Bind(_ context.Context, req *netpb.BindRequest) (*netpb.BindReply, error) {
	ap, err := addrOf(req.GetAddr())
	if err != nil {
		return nil, err
	}
	return &netpb.BindReply{}, s.n.Bind(credOf(req.GetCred()), socketID(req.GetSocket()), ap)
}

func (s *Service) Listen(_ context.Context, req *netpb.ListenRequest) (*netpb.ListenReply, error) {
	return &netpb.ListenReply{}, s.n.Listen(socketID(req.GetSocket()), int(req.GetBacklog()))
}

func (s *Service) Accept(ctx context.Context, req *netpb.AcceptRequest) (*netpb.AcceptReply, error) {
	id, peer, err := s.n.Accept(ctx, socketID(req.GetSocket()), true)
	if err != nil {
		return nil, err
	}
	return &netpb.AcceptReply{Socket: uint64(id), Inode: s.n.inode(id), Peer: sockAddr(peer)}, nil
}

func (s *Service) Connect(ctx context.Context, req *netpb.ConnectRequest) (*netpb.ConnectReply, error) {
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

func (s *Service) Send(ctx context.Context, req *netpb.SendRequest) (*netpb.SendReply, error) {
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
	n, err := s.n.Send(ctx, socketID(req.GetSocket()), src, size, to, int(req.GetFlags())|MsgDontWait)
	if err != nil {
		return nil, err
	}
	return &netpb.SendReply{Count: uint64(n)}, nil
}

// Recv returns the data inline, or with a Dest region stores it there
// straight from netstack's segments.
func (s *Service) Recv(ctx context.Context, req *netpb.RecvRequest) (*netpb.RecvReply, error) {
	id := socketID(req.GetSocket())
	flags := int(req.GetFlags()) | MsgDontWait
	var r Received
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

func (s *Service) Shutdown(_ context.Context, req *netpb.ShutdownRequest) (*netpb.ShutdownReply, error) {
	return &netpb.ShutdownReply{}, s.n.Shutdown(socketID(req.GetSocket()), int(req.GetHow()))
}

// Close closes the socket and ends this client's subscriptions to it.
// It is the one call that may wait: for SO_LINGER, as close(2) does.
func (s *Service) Close(ctx context.Context, req *netpb.CloseRequest) (*netpb.CloseReply, error) {
	id := socketID(req.GetSocket())
	s.w.UnwatchSocket(id)
	return &netpb.CloseReply{}, s.n.Close(ctx, id)
}

func (s *Service) GetSockName(_ context.Context, req *netpb.GetSockNameRequest) (*netpb.SockAddrReply, error) {
	ap, err := s.n.SockName(socketID(req.GetSocket()))
	if err != nil {
		return nil, err
	}
	return &netpb.SockAddrReply{Addr: sockAddr(ap)}, nil
}

func (s *Service) GetPeerName(_ context.Context, req *netpb.GetPeerNameRequest) (*netpb.SockAddrReply, error) {
	ap, err := s.n.PeerName(socketID(req.GetSocket()))
	if err != nil {
		return nil, err
	}
	return &netpb.SockAddrReply{Addr: sockAddr(ap)}, nil
}

func (s *Service) SetSockOpt(_ context.Context, req *netpb.SetSockOptRequest) (*netpb.SetSockOptReply, error) {
	return &netpb.SetSockOptReply{}, s.n.SetSockOpt(socketID(req.GetSocket()), int(req.GetLevel()), int(req.GetName()), req.GetValue())
}

// GetSockOpt truncates the value to the caller's optlen, as Linux does.
func (s *Service) GetSockOpt(_ context.Context, req *netpb.GetSockOptRequest) (*netpb.GetSockOptReply, error) {
	v, err := s.n.GetSockOpt(socketID(req.GetSocket()), int(req.GetLevel()), int(req.GetName()))
	if err != nil {
		return nil, err
	}
	return &netpb.GetSockOptReply{Value: v[:min(len(v), int(req.GetLength()))]}, nil
}

// Watch dials the client's Readiness channel and starts the notifier,
// the one goroutine that carries this client's events to it.
func (s *Service) Watch(_ context.Context, req *netpb.WatchRequest) (*netpb.WatchReply, error) {
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
func (s *Service) notify(ctx context.Context, c *netpb.ReadinessClient) {
	for {
		evs, err := s.w.Wait(ctx, 256)
		if err != nil {
			return
		}
		req := &netpb.NotifyRequest{Events: make([]*netpb.Event, 0, len(evs))}
		for _, ev := range evs {
			ready, err := s.n.Readiness(ev.Socket, pollAll)
			if err != nil || ready&ev.Events == 0 {
				continue
			}
			req.Events = append(req.Events, &netpb.Event{Cookie: ev.Cookie, Socket: uint64(ev.Socket), Ready: ready})
		}
		if len(req.Events) == 0 {
			continue
		}
		if _, err := c.Notify(ctx, req); err != nil {
			return
		}
	}
}

func (s *Service) Subscribe(_ context.Context, req *netpb.SubscribeRequest) (*netpb.SubscribeReply, error) {
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

func (s *Service) Unsubscribe(_ context.Context, req *netpb.UnsubscribeRequest) (*netpb.UnsubscribeReply, error) {
	s.w.Unwatch(socketID(req.GetSocket()), req.GetCookie())
	return &netpb.UnsubscribeReply{}, nil
}

// ListSockets serves procd: the socket table, filtered as asked.
func (s *Service) ListSockets(_ context.Context, req *procpb.ListSocketsRequest) (*procpb.ListSocketsReply, error) {
	reply := &procpb.ListSocketsReply{}
	for _, e := range s.n.SocketTable() {
		fam, proto := uint32(6), procpb.Protocol_PROTOCOL_TCP
		if e.Family == syscall.AF_INET {
			fam = 4
		}
		if e.Protocol == syscall.IPPROTO_UDP {
			proto = procpb.Protocol_PROTOCOL_UDP
		}
		if (req.GetFamily() != 0 && req.GetFamily() != fam) ||
			(req.GetProtocol() != procpb.Protocol_PROTOCOL_UNSPECIFIED && req.GetProtocol() != proto) {
			continue
		}
		reply.Sockets = append(reply.Sockets, &procpb.SocketEntry{
			Family: fam, Protocol: proto,
			LocalAddr: e.Local.Addr().AsSlice(), LocalPort: uint32(e.Local.Port()),
			RemoteAddr: e.Remote.Addr().AsSlice(), RemotePort: uint32(e.Remote.Port()),
			State: uint32(e.State), TxQueue: e.TxQueue, RxQueue: e.RxQueue,
			Uid: e.UID, Inode: e.Inode,
		})
	}
	return reply, nil
}
