package sockets

import (
	"context"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"

	"aramid/lib/linux"
)

// Linux message flags netd acts on. MSG_NOSIGNAL is accepted and left to
// linuxd, which raises SIGPIPE on EPIPE unless it is set.
const (
	MsgPeek     = linux.MSG_PEEK
	MsgTrunc    = linux.MSG_TRUNC
	MsgDontWait = linux.MSG_DONTWAIT
	MsgWaitAll  = linux.MSG_WAITALL
	MsgNoSignal = linux.MSG_NOSIGNAL
	MsgMore     = linux.MSG_MORE
	msgOOB      = linux.MSG_OOB
)

// socket is one netd socket: a netstack endpoint and what Linux keeps
// beside it.
type socket struct {
	id     ID
	inode  uint64
	family int // AF_INET or AF_INET6
	typ    int // SOCK_STREAM or SOCK_DGRAM
	proto  int // IPPROTO_TCP or IPPROTO_UDP
	uid    uint32
	ep     tcpip.Endpoint
	wq     *waiter.Queue

	mu         sync.Mutex
	rcvTimeout time.Duration
	sndTimeout time.Duration
	backlog    uint32 // as given to listen
}

func (s *socket) stream() bool { return s.typ == syscall.SOCK_STREAM }

func (s *socket) timeouts() (rcv, snd time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rcvTimeout, s.sndTimeout
}

// Socket creates a socket, as socket(2) does. SOCK_NONBLOCK and
// SOCK_CLOEXEC belong to the fd and stay in linuxd: pass typ without them.
func (n *Stack) Socket(cred Cred, family, typ, protocol int) (ID, error) {
	var netProto tcpip.NetworkProtocolNumber
	switch family {
	case syscall.AF_INET:
		netProto = ipv4.ProtocolNumber
	case syscall.AF_INET6:
		netProto = ipv6.ProtocolNumber
	default:
		return 0, syscall.EAFNOSUPPORT
	}
	var trans tcpip.TransportProtocolNumber
	switch {
	case typ == syscall.SOCK_STREAM && (protocol == 0 || protocol == syscall.IPPROTO_TCP):
		trans, protocol = tcp.ProtocolNumber, syscall.IPPROTO_TCP
	case typ == syscall.SOCK_DGRAM && (protocol == 0 || protocol == syscall.IPPROTO_UDP):
		trans, protocol = udp.ProtocolNumber, syscall.IPPROTO_UDP
	case typ == syscall.SOCK_STREAM || typ == syscall.SOCK_DGRAM:
		return 0, syscall.EPROTONOSUPPORT
	default:
		return 0, syscall.ESOCKTNOSUPPORT
	}
	wq := new(waiter.Queue)
	ep, err := n.stack.NewEndpoint(trans, netProto, wq)
	if err != nil {
		return 0, errno(err)
	}
	if trans == tcp.ProtocolNumber {
		// Linux starts with Nagle's algorithm on (TCP_NODELAY 0);
		// netstack starts with it off.
		ep.SocketOptions().SetDelayOption(true)
	}
	s := &socket{family: family, typ: typ, proto: protocol, uid: cred.UID, ep: ep, wq: wq}
	return n.add(s), nil
}

// Bind binds a local address, as bind(2) does: EADDRINUSE unless
// SO_REUSEADDR or SO_REUSEPORT let the two sockets share it, EACCES for a
// port below 1024 without CAP_NET_BIND_SERVICE.
func (n *Stack) Bind(cred Cred, id ID, addr netip.AddrPort) error {
	s, err := n.lookup(id)
	if err != nil {
		return err
	}
	fa, err := fullAddr(s.family, addr)
	if err != nil {
		return err
	}
	if p := addr.Port(); p != 0 && p < 1024 && !cred.BindService {
		return syscall.EACCES
	}
	return errno(s.ep.Bind(fa))
}

// somaxconn is Linux's default net.core.somaxconn since 5.4.
const somaxconn = 4096

// Listen marks a stream socket passive, as listen(2) does. As on Linux,
// the backlog is read as unsigned and clamped to somaxconn (so -1 means
// the maximum), and the accept queue holds backlog+1 connections: Linux
// tests for a full queue with > rather than >=. Connections beyond it
// have their SYNs dropped and retry.
func (n *Stack) Listen(id ID, backlog int) error {
	s, err := n.lookup(id)
	if err != nil {
		return err
	}
	if !s.stream() {
		return syscall.EOPNOTSUPP
	}
	b := min(uint32(backlog), somaxconn)
	if err := s.ep.Listen(int(b) + 1); err != nil {
		return errno(err)
	}
	s.mu.Lock()
	s.backlog = b
	s.mu.Unlock()
	return nil
}

// Accept takes a connection off a listening socket's queue, as accept(2)
// does, waiting for one unless nonblock. SO_RCVTIMEO bounds the wait.
func (n *Stack) Accept(ctx context.Context, id ID, nonblock bool) (ID, netip.AddrPort, error) {
	s, err := n.lookup(id)
	if err != nil {
		return 0, netip.AddrPort{}, err
	}
	var (
		peer tcpip.FullAddress
		nep  tcpip.Endpoint
		nwq  *waiter.Queue
	)
	rcv, _ := s.timeouts()
	err = s.block(ctx, nonblock, waiter.ReadableEvents, rcv, func() tcpip.Error {
		var terr tcpip.Error
		nep, nwq, terr = s.ep.Accept(&peer)
		return terr
	})
	if err != nil {
		return 0, netip.AddrPort{}, err
	}
	inherit(s.ep, nep)
	ns := &socket{family: s.family, typ: s.typ, proto: s.proto, uid: s.uid, ep: nep, wq: nwq}
	return n.add(ns), addrPort(s.family, peer), nil
}

// inherit gives an accepted connection the listener's options, as Linux
// does by cloning the listening socket; netstack copies only a few.
func inherit(l, c tcpip.Endpoint) {
	lo, co := l.SocketOptions(), c.SocketOptions()
	co.SetDelayOption(lo.GetDelayOption())
	co.SetKeepAlive(lo.GetKeepAlive())
	co.SetLinger(lo.GetLinger())
	co.SetReuseAddress(lo.GetReuseAddress())
	co.SetSendBufferSize(lo.GetSendBufferSize(), true)
	var idle tcpip.KeepaliveIdleOption
	var intvl tcpip.KeepaliveIntervalOption
	for _, opt := range []interface {
		tcpip.GettableSocketOption
		tcpip.SettableSocketOption
	}{&idle, &intvl} {
		if l.GetSockOpt(opt) == nil {
			c.SetSockOpt(opt)
		}
	}
	if v, err := l.GetSockOptInt(tcpip.KeepaliveCountOption); err == nil {
		c.SetSockOptInt(tcpip.KeepaliveCountOption, v)
	}
}

// Connect connects a socket, as connect(2) does. A stream socket with
// nonblock set returns EINPROGRESS and later reports the outcome through
// SO_ERROR and writability; otherwise Connect waits, bounded by
// SO_SNDTIMEO (EINPROGRESS when it runs out, as on Linux).
func (n *Stack) Connect(ctx context.Context, id ID, addr netip.AddrPort, nonblock bool) error {
	s, err := n.lookup(id)
	if err != nil {
		return err
	}
	fa, err := fullAddr(s.family, addr)
	if err != nil {
		return err
	}
	if !s.stream() {
		return errno(s.ep.Connect(fa))
	}
	// Register before connecting so that a fast outcome is not missed.
	done := waiter.WritableEvents | waiter.EventErr | waiter.EventHUp
	e, ch := waiter.NewChannelEntry(done)
	s.wq.EventRegister(&e)
	defer s.wq.EventUnregister(&e)
	cerr := s.ep.Connect(fa)
	if _, started := cerr.(*tcpip.ErrConnectStarted); !started {
		return errno(cerr) // done at once, or failed
	}
	_, snd := s.timeouts()
	if nonblock || snd < 0 {
		return syscall.EINPROGRESS
	}
	var expired <-chan time.Time
	if snd > 0 {
		t := time.NewTimer(snd)
		defer t.Stop()
		expired = t.C
	}
	for s.ep.Readiness(done) == 0 {
		select {
		case <-ch:
		case <-expired:
			return syscall.EINPROGRESS
		case <-ctx.Done():
			return syscall.EINTR
		}
	}
	return errno(s.ep.LastError())
}

// Disconnect dissolves a datagram socket's association, as connect(2)
// with AF_UNSPEC does.
func (n *Stack) Disconnect(id ID) error {
	s, err := n.lookup(id)
	if err != nil {
		return err
	}
	return errno(s.ep.Disconnect())
}
