package sockets

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"syscall"
	"testing"

	"gvisor.dev/gvisor/pkg/tcpip/faketime"

	"aramid/servers/netd/config"
	"aramid/servers/netd/link"
)

// socket(2)'s family, type and protocol, and what SO_TYPE, SO_PROTOCOL
// and SO_DOMAIN then say.
func TestSocketKinds(t *testing.T) {
	n := loopbackServer(t)
	for _, c := range []struct {
		family, typ, proto int
		err                error
		wantProto          int
	}{
		{syscall.AF_INET, syscall.SOCK_STREAM, 0, nil, syscall.IPPROTO_TCP},
		{syscall.AF_INET, syscall.SOCK_STREAM, syscall.IPPROTO_TCP, nil, syscall.IPPROTO_TCP},
		{syscall.AF_INET6, syscall.SOCK_DGRAM, 0, nil, syscall.IPPROTO_UDP},
		{syscall.AF_INET6, syscall.SOCK_DGRAM, syscall.IPPROTO_UDP, nil, syscall.IPPROTO_UDP},
		{syscall.AF_INET, syscall.SOCK_DGRAM, syscall.IPPROTO_TCP, syscall.EPROTONOSUPPORT, 0},
		{syscall.AF_INET, syscall.SOCK_STREAM, syscall.IPPROTO_UDP, syscall.EPROTONOSUPPORT, 0},
		{syscall.AF_INET, syscall.SOCK_RAW, 0, syscall.ESOCKTNOSUPPORT, 0},
		{syscall.AF_UNIX, syscall.SOCK_STREAM, 0, syscall.EAFNOSUPPORT, 0},
	} {
		id, err := n.Socket(Cred{}, c.family, c.typ, c.proto)
		if !errors.Is(err, c.err) || (c.err != nil) != (err != nil) {
			t.Errorf("socket(%d, %d, %d) = %v, want %v", c.family, c.typ, c.proto, err, c.err)
			continue
		}
		if err != nil {
			continue
		}
		for _, o := range [][2]int{{syscall.SO_TYPE, c.typ}, {soProtocol, c.wantProto}, {soDomain, c.family}} {
			if v, err := n.GetSockOpt(id, syscall.SOL_SOCKET, o[0]); err != nil || string(v) != string(intBytes(o[1])) {
				t.Errorf("socket(%d, %d, %d): option %d = %x, %v; want %d", c.family, c.typ, c.proto, o[0], v, err, o[1])
			}
		}
	}
}

// Ports below 1024 need CAP_NET_BIND_SERVICE; port 0 picks a free one.
func TestBindPorts(t *testing.T) {
	n := loopbackServer(t)
	user, admin := Cred{UID: 1000}, Cred{BindService: true}
	for _, c := range []struct {
		cred Cred
		addr string
		want error
	}{
		{user, "127.0.0.1:80", syscall.EACCES},
		{user, "127.0.0.1:1023", syscall.EACCES},
		{user, "127.0.0.1:1024", nil},
		{user, "127.0.0.1:0", nil},
		{admin, "127.0.0.1:80", nil},
		{user, "[::1]:2000", syscall.EAFNOSUPPORT},
	} {
		s, _ := n.Socket(c.cred, syscall.AF_INET, syscall.SOCK_STREAM, 0)
		if err := n.Bind(c.cred, s, netip.MustParseAddrPort(c.addr)); !errors.Is(err, c.want) || (err != nil) != (c.want != nil) {
			t.Errorf("bind(%s) with %+v = %v, want %v", c.addr, c.cred, err, c.want)
		}
	}
	s6, _ := n.Socket(user, syscall.AF_INET6, syscall.SOCK_STREAM, 0)
	if err := n.Bind(user, s6, netip.MustParseAddrPort("[fe80::1%eth0]:2000")); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("bind with a scope that is no interface index = %v, want EINVAL", err)
	}
	if err := n.Bind(user, s6, netip.MustParseAddrPort("127.0.0.1:2000")); !errors.Is(err, syscall.EAFNOSUPPORT) {
		t.Errorf("bind of AF_INET6 to an IPv4 address = %v, want EAFNOSUPPORT", err)
	}
	if err := n.Bind(user, 7777, netip.MustParseAddrPort("127.0.0.1:2000")); !errors.Is(err, syscall.EBADF) {
		t.Errorf("bind of an unknown socket = %v, want EBADF", err)
	}
	// Socket inode numbers increase, as Linux's do.
	a, _ := n.Socket(user, syscall.AF_INET, syscall.SOCK_STREAM, 0)
	b, _ := n.Socket(user, syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if n.Inode(a) == 0 || n.Inode(b) <= n.Inode(a) || n.Inode(7777) != 0 {
		t.Errorf("inodes %d then %d, unknown socket %d; want increasing, and 0", n.Inode(a), n.Inode(b), n.Inode(7777))
	}
}

// blackHole returns a stack on a link whose far end never answers, and
// an address behind it: SYNs there vanish.
func blackHole(t *testing.T) (*Stack, netip.AddrPort) {
	da, db := link.Pipe(net.HardwareAddr{2, 0, 0, 0, 0, 1}, net.HardwareAddr{2, 0, 0, 0, 0, 2}, 1500)
	t.Cleanup(func() { db.Close() })
	cfg, err := config.ParseArgs(nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(cfg, da, faketime.NewManualClock())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	hole := netip.MustParseAddr("10.0.2.77")
	if err := n.AddNeighbor(hole, net.HardwareAddr{2, 0, 0, 0, 0, 0x77}); err != nil {
		t.Fatal(err)
	}
	return n, netip.AddrPortFrom(hole, 80)
}

// A connect that cannot finish: non-blocking, or with a negative
// SO_SNDTIMEO, it is EINPROGRESS at once; blocking, SO_SNDTIMEO ends it
// with EINPROGRESS and a signal with EINTR.
func TestConnectInProgress(t *testing.T) {
	n, hole := blackHole(t)
	ctx := context.Background()
	for _, c := range []struct {
		name     string
		ctx      context.Context
		nonblock bool
		timeo    []byte
		want     error
	}{
		{"non-blocking", ctx, true, nil, syscall.EINPROGRESS},
		{"SO_SNDTIMEO negative", ctx, false, timevalBytes(-1, 0), syscall.EINPROGRESS},
		{"SO_SNDTIMEO 1 ms", ctx, false, timevalBytes(0, 1000), syscall.EINPROGRESS},
		{"interrupted", cancelled(), false, nil, syscall.EINTR},
	} {
		s, _ := n.Socket(Cred{}, syscall.AF_INET, syscall.SOCK_STREAM, 0)
		if c.timeo != nil {
			if err := n.SetSockOpt(s, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, c.timeo); err != nil {
				t.Fatal(err)
			}
		}
		if err := n.Connect(c.ctx, s, hole, c.nonblock); !errors.Is(err, c.want) {
			t.Errorf("%s connect = %v, want %v", c.name, err, c.want)
		}
		if err := n.Connect(ctx, s, hole, true); !errors.Is(err, syscall.EALREADY) {
			t.Errorf("%s: second connect = %v, want EALREADY", c.name, err)
		}
		if st := n.SocketTable(); st[len(st)-1].State != TCPSynSent {
			t.Errorf("%s: state %d, want SYN_SENT", c.name, st[len(st)-1].State)
		}
	}
	if err := n.Connect(ctx, 7777, hole, true); !errors.Is(err, syscall.EBADF) {
		t.Errorf("connect of an unknown socket = %v, want EBADF", err)
	}
	s, _ := n.Socket(Cred{}, syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err := n.Connect(ctx, s, netip.MustParseAddrPort("[::1]:80"), true); !errors.Is(err, syscall.EAFNOSUPPORT) {
		t.Errorf("connect of AF_INET to IPv6 = %v, want EAFNOSUPPORT", err)
	}
}

// listen(2) reads the backlog as unsigned and clamps it to somaxconn;
// /proc/net/tcp shows a listener's backlog in tx_queue.
func TestListenBacklog(t *testing.T) {
	n := loopbackServer(t)
	for i, c := range []struct{ backlog, want int }{{0, 0}, {10, 10}, {-1, somaxconn}, {somaxconn + 1, somaxconn}} {
		ln := listener(t, n, syscall.AF_INET, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(9030+i)), c.backlog)
		e := entryOf(t, n, ln)
		if e.State != TCPListen || e.TxQueue != uint32(c.want) {
			t.Errorf("listen(%d): state %d, tx_queue %d; want %d, %d", c.backlog, e.State, e.TxQueue, TCPListen, c.want)
		}
	}
	udp, _ := n.Socket(Cred{}, syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err := n.Listen(udp, 1); !errors.Is(err, syscall.EOPNOTSUPP) {
		t.Errorf("listen on UDP = %v, want EOPNOTSUPP", err)
	}
	if err := n.Listen(7777, 1); !errors.Is(err, syscall.EBADF) {
		t.Errorf("listen on an unknown socket = %v, want EBADF", err)
	}
	if _, _, err := n.Accept(context.Background(), 7777, true); !errors.Is(err, syscall.EBADF) {
		t.Errorf("accept on an unknown socket = %v, want EBADF", err)
	}
}

func entryOf(t *testing.T, n *Stack, id ID) SocketEntry {
	t.Helper()
	for _, e := range n.SocketTable() {
		if e.Inode == n.Inode(id) {
			return e
		}
	}
	t.Fatalf("socket %d is not in the table", id)
	return SocketEntry{}
}

// An accepted socket has the listener's options, as Linux clones it.
func TestAcceptInheritsMore(t *testing.T) {
	n := loopbackServer(t)
	opts := [][3]int{
		{syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1},
		{syscall.IPPROTO_TCP, tcpKeepIntvl, 17},
	}
	_, s := connectedPair(t, n, 9041, opts...)
	for _, o := range opts {
		if v, err := n.GetSockOpt(s, o[0], o[1]); err != nil || string(v) != string(intBytes(o[2])) {
			t.Errorf("accepted socket's option %d/%d = %v, %v; want %d", o[0], o[1], v, err, o[2])
		}
	}
}
