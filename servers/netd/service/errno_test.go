package service

import (
	"aramid/servers/netd/config"
	"aramid/servers/netd/link"
	"context"
	"encoding/binary"
	"errors"
	"golang.org/x/sys/unix"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"aramid/proto/authpb"
	"aramid/proto/netpb"
	"aramid/proto/rpc"
	"gvisor.dev/gvisor/pkg/tcpip/faketime"
)

func TestConnectRefused(t *testing.T) {
	a, _ := newPair(t)
	c := a.lx.mustSocket(syscall.AF_INET, syscall.SOCK_STREAM)
	if err := a.lx.connect(context.Background(), c, netip.AddrPortFrom(addrB4, 9)); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("connect to a closed port = %v, want ECONNREFUSED", err)
	}
}

// A peer closing with SO_LINGER {1, 0} resets the connection: the next
// read fails with ECONNRESET, and the write after that with EPIPE.
func TestConnectionReset(t *testing.T) {
	a, b := newPair(t)
	ctx := context.Background()
	ln := b.lx.listener(syscall.AF_INET, netip.AddrPortFrom(addrB4, 8000), 4)
	c := a.lx.dial(syscall.AF_INET, netip.AddrPortFrom(addrB4, 8000))
	s, _, err := b.lx.accept(ctx, ln)
	if err != nil {
		t.Fatal(err)
	}
	linger := binary.LittleEndian.AppendUint32(intBytes(1), 0)
	if _, err := b.lx.c.SetSockOpt(ctx, &netpb.SetSockOptRequest{Socket: s, Level: syscall.SOL_SOCKET, Name: syscall.SO_LINGER, Value: linger}); err != nil {
		t.Fatal(err)
	}
	b.lx.closeSocket(s)
	if _, err := a.lx.read(ctx, c, make([]byte, 8)); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("read after reset = %v, want ECONNRESET", err)
	}
	if err := a.lx.write(ctx, c, []byte("x")); !errors.Is(err, syscall.EPIPE) {
		t.Errorf("write after reset = %v, want EPIPE", err)
	}
}

// SYNs into a black hole: after the SYN retransmissions (1 s doubling,
// 127 s in all, as Linux's default tcp_syn_retries of 6 gives) connect
// fails with ETIMEDOUT. A manual clock runs the timers at once.
func TestConnectTimeout(t *testing.T) {
	clock := faketime.NewManualClock()
	da, _ := link.Pipe(macA, macB, 1500)
	cfg, _ := config.ParseArgs(nil)
	a := newHostClock(t, cfg, da, clock)
	hole := netip.MustParseAddr("10.0.2.77")
	// A static neighbour entry to a MAC nobody has: no ARP failure, the
	// SYNs just vanish.
	if err := a.srv.AddNeighbor(hole, net.HardwareAddr("\x02\x00\x00\x00\x00\x77")); err != nil {
		t.Fatal(err)
	}
	c := a.lx.mustSocket(syscall.AF_INET, syscall.SOCK_STREAM)
	ctx := context.Background()
	if _, err := a.lx.c.Connect(ctx, &netpb.ConnectRequest{Socket: c, Addr: sa(netip.AddrPortFrom(hole, 80))}); !errors.Is(err, syscall.EINPROGRESS) {
		t.Fatalf("connect = %v, want EINPROGRESS", err)
	}
	clock.Advance(126 * time.Second)
	if got := a.lx.getInt(c, syscall.SOL_SOCKET, syscall.SO_ERROR); got != 0 {
		t.Fatalf("SO_ERROR after 126 s = %v, want still connecting", syscall.Errno(got))
	}
	clock.Advance(2 * time.Second)
	if err := a.lx.finishConnect(ctx, c); !errors.Is(err, syscall.ETIMEDOUT) {
		t.Errorf("connect into a black hole = %v, want ETIMEDOUT", err)
	}
}

// TestErrnos checks the errno of each misuse Linux names.
func TestErrnos(t *testing.T) {
	h := newHost(t, config.Config{}, nil)
	l := h.lx
	ctx := context.Background()
	lo := netip.MustParseAddrPort("127.0.0.1:7000")
	ln := l.listener(syscall.AF_INET, lo, 4)
	tcp := l.mustSocket(syscall.AF_INET, syscall.SOCK_STREAM)
	udp := l.mustSocket(syscall.AF_INET, syscall.SOCK_DGRAM)
	user := &authpb.Cred{Fsuid: 1000, Euid: 1000}

	cases := []struct {
		name string
		err  error
		want syscall.Errno
	}{
		{"socket(AF_UNIX)", sockErr(l, syscall.AF_UNIX, syscall.SOCK_STREAM, 0), syscall.EAFNOSUPPORT},
		{"socket(SOCK_RAW)", sockErr(l, syscall.AF_INET, syscall.SOCK_RAW, 0), syscall.ESOCKTNOSUPPORT},
		{"socket(SOCK_STREAM, IPPROTO_UDP)", sockErr(l, syscall.AF_INET, syscall.SOCK_STREAM, syscall.IPPROTO_UDP), syscall.EPROTONOSUPPORT},
		{"bind in use", bindErr(l, lo), syscall.EADDRINUSE},
		{"bind foreign address", bindErr(l, netip.MustParseAddrPort("192.0.2.1:80")), syscall.EADDRNOTAVAIL},
		{"bind IPv6 to AF_INET", l.bind(tcp, netip.MustParseAddrPort("[::1]:1")), syscall.EAFNOSUPPORT},
		{"bind port 80 unprivileged", errOf(l.c.Bind(ctx, &netpb.BindRequest{Cred: user, Socket: tcp, Addr: sa(netip.MustParseAddrPort("127.0.0.1:80"))})), syscall.EACCES},
		{"listen on UDP", l.listen(udp, 1), syscall.EOPNOTSUPP},
		{"accept on unlistened socket", errOf(l.c.Accept(ctx, &netpb.AcceptRequest{Socket: tcp})), syscall.EINVAL},
		{"accept with empty queue", errOf(l.c.Accept(ctx, &netpb.AcceptRequest{Socket: ln})), syscall.EAGAIN},
		{"recv unconnected", errOf(l.c.Recv(ctx, recvReq(tcp, 1))), syscall.ENOTCONN},
		{"send unconnected", l.sendTo(tcp, []byte("x"), netip.AddrPort{}, 0), syscall.EPIPE},
		{"getpeername unconnected", errOf(l.c.GetPeerName(ctx, &netpb.GetPeerNameRequest{Socket: tcp})), syscall.ENOTCONN},
		{"shutdown unconnected", errOf(l.c.Shutdown(ctx, shutdownReq(tcp, syscall.SHUT_RDWR))), syscall.ENOTCONN},
		{"shutdown how=7", errOf(l.c.Shutdown(ctx, shutdownReq(tcp, 7))), syscall.EINVAL},
		{"unknown socket", l.closeSocket(99999), syscall.EBADF},
		{"unknown option", l.setInt(tcp, syscall.SOL_SOCKET, 999, 1), syscall.ENOPROTOOPT},
		{"TCP option on UDP", l.setInt(udp, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1), syscall.ENOPROTOOPT},
		{"IPv6 option on AF_INET", l.setInt(tcp, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 1), syscall.ENOPROTOOPT},
		{"short option value", errOf(l.c.SetSockOpt(ctx, &netpb.SetSockOptRequest{Socket: tcp, Level: syscall.SOL_SOCKET, Name: syscall.SO_KEEPALIVE, Value: []byte{1}})), syscall.EINVAL},
		{"short timeval", errOf(l.c.SetSockOpt(ctx, &netpb.SetSockOptRequest{Socket: tcp, Level: syscall.SOL_SOCKET, Name: syscall.SO_RCVTIMEO, Value: make([]byte, 8)})), syscall.EINVAL},
		{"timeval usec 1e6", errOf(l.c.SetSockOpt(ctx, &netpb.SetSockOptRequest{Socket: tcp, Level: syscall.SOL_SOCKET, Name: syscall.SO_RCVTIMEO, Value: binary.LittleEndian.AppendUint64(make([]byte, 8), 1e6)})), syscall.EDOM},
		{"TCP_KEEPCNT 0", l.setInt(tcp, syscall.IPPROTO_TCP, unix.TCP_KEEPCNT, 0), syscall.EINVAL},
	}
	for _, c := range cases {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.err, c.want)
		}
	}

	// connect: EINPROGRESS, then EALREADY while in progress, EISCONN after.
	c := l.mustSocket(syscall.AF_INET, syscall.SOCK_STREAM)
	if _, err := l.c.Connect(ctx, &netpb.ConnectRequest{Socket: c, Addr: sa(lo)}); !errors.Is(err, syscall.EINPROGRESS) {
		t.Errorf("non-blocking connect = %v, want EINPROGRESS", err)
	}
	if _, err := l.c.Connect(ctx, &netpb.ConnectRequest{Socket: c, Addr: sa(lo)}); err != nil && !errors.Is(err, syscall.EALREADY) {
		t.Errorf("second connect = %v, want EALREADY (or success if already done)", err)
	}
	if err := l.finishConnect(ctx, c); err != nil {
		t.Fatal(err)
	}
	// As on Linux, a later connect says EISCONN (the first one after an
	// asynchronous connect completed may report its success instead).
	if err := l.connect(ctx, c, lo); err != nil && !errors.Is(err, syscall.EISCONN) {
		t.Errorf("connect after completion = %v, want success or EISCONN", err)
	}
	if err := l.connect(ctx, c, lo); !errors.Is(err, syscall.EISCONN) {
		t.Errorf("connect when connected = %v, want EISCONN", err)
	}
	// A write after shutdown(SHUT_WR) is EPIPE.
	if _, err := l.c.Shutdown(ctx, shutdownReq(c, syscall.SHUT_WR)); err != nil {
		t.Fatal(err)
	}
	if err := l.sendTo(c, []byte("x"), netip.AddrPort{}, 0); !errors.Is(err, syscall.EPIPE) {
		t.Errorf("send after SHUT_WR = %v, want EPIPE", err)
	}
	// SO_REUSEADDR lets a second socket bind while the first is only
	// bound, as Linux allows for sockets that both set it.
	r1, r2 := l.mustSocket(syscall.AF_INET, syscall.SOCK_STREAM), l.mustSocket(syscall.AF_INET, syscall.SOCK_STREAM)
	for _, s := range []uint64{r1, r2} {
		if err := l.setInt(s, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.bind(r1, netip.MustParseAddrPort("127.0.0.1:7001")); err != nil {
		t.Fatal(err)
	}
	if err := l.bind(r2, netip.MustParseAddrPort("127.0.0.1:7001")); err != nil {
		t.Errorf("second bind with SO_REUSEADDR = %v, want success", err)
	}
}

func sockErr(l *lx, family, typ, proto int) error {
	_, err := l.c.Socket(context.Background(), &netpb.SocketRequest{Cred: root, Domain: uint32(family), Type: uint32(typ), Protocol: uint32(proto)})
	return err
}

func bindErr(l *lx, a netip.AddrPort) error {
	return l.bind(l.mustSocket(syscall.AF_INET, syscall.SOCK_STREAM), a)
}

func errOf[T any](_ T, err error) error { return err }

// Protocol-level misuse: a region outside the registered buffer is
// EFAULT, as a bad user pointer is; a second Watch is EBUSY.
func TestServiceErrnos(t *testing.T) {
	h := newHost(t, config.Config{}, nil)
	l := h.lx
	ctx := context.Background()
	u := l.mustSocket(syscall.AF_INET, syscall.SOCK_DGRAM)
	bad := &rpc.Region{Buffer: l.buf, Offset: uint64(l.mem.Size()) - 1, Length: 2}
	if _, err := l.c.Send(ctx, &netpb.SendRequest{Socket: u, Data: &rpc.Data{Where: &rpc.Data_Region{Region: bad}}, To: sa(netip.MustParseAddrPort("127.0.0.1:9"))}); !errors.Is(err, syscall.EFAULT) {
		t.Errorf("send from outside the buffer = %v, want EFAULT", err)
	}
	if _, err := l.c.Recv(ctx, &netpb.RecvRequest{Socket: u, Length: 2, Dest: &rpc.Region{Buffer: 77, Length: 2}}); !errors.Is(err, syscall.EFAULT) {
		t.Errorf("recv into an unregistered buffer = %v, want EFAULT", err)
	}
	if _, err := l.c.Watch(ctx, &netpb.WatchRequest{}); !errors.Is(err, syscall.EBUSY) {
		t.Errorf("second Watch = %v, want EBUSY", err)
	}
}
