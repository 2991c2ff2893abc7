package service

import (
	"context"
	"errors"
	"net/netip"
	"syscall"
	"testing"

	"aramid/proto/inproc"
	"aramid/proto/netpb"
	"aramid/proto/rpc"
	"aramid/servers/netd/config"
	"aramid/servers/netd/sockets"
)

// A sockaddr's family decides its length: a mismatch is EINVAL, as a
// short addrlen is to bind(2); an unknown family is EAFNOSUPPORT.
func TestAddrOf(t *testing.T) {
	v4, v6 := []byte{10, 0, 2, 15}, netip.MustParseAddr("fe80::1").AsSlice()
	for _, c := range []struct {
		a    *netpb.SockAddr
		want netip.AddrPort
		err  error
	}{
		{&netpb.SockAddr{Family: syscall.AF_INET, Addr: v4, Port: 80}, netip.MustParseAddrPort("10.0.2.15:80"), nil},
		{&netpb.SockAddr{Family: syscall.AF_INET, Addr: v4, Port: 65535}, netip.MustParseAddrPort("10.0.2.15:65535"), nil},
		{&netpb.SockAddr{Family: syscall.AF_INET, Addr: v4, Port: 65536}, netip.AddrPort{}, syscall.EINVAL},
		{&netpb.SockAddr{Family: syscall.AF_INET, Addr: v6, Port: 80}, netip.AddrPort{}, syscall.EINVAL},
		{&netpb.SockAddr{Family: syscall.AF_INET}, netip.AddrPort{}, syscall.EINVAL},
		{&netpb.SockAddr{Family: syscall.AF_INET6, Addr: v6, Port: 443}, netip.MustParseAddrPort("[fe80::1]:443"), nil},
		{&netpb.SockAddr{Family: syscall.AF_INET6, Addr: v6, Port: 443, ScopeId: 2}, netip.MustParseAddrPort("[fe80::1%2]:443"), nil},
		{&netpb.SockAddr{Family: syscall.AF_INET6, Addr: v4, Port: 443}, netip.AddrPort{}, syscall.EINVAL},
		{&netpb.SockAddr{Family: syscall.AF_UNIX, Addr: v4}, netip.AddrPort{}, syscall.EAFNOSUPPORT},
	} {
		got, err := addrOf(c.a)
		if got != c.want || !errors.Is(err, c.err) || (err != nil) != (c.err != nil) {
			t.Errorf("addrOf(%v) = %v, %v; want %v, %v", c.a, got, err, c.want, c.err)
		}
	}
}

// A socket number netd never issued is EBADF, even one whose low 32
// bits name a socket.
func TestSocketNumbers(t *testing.T) {
	h := newHost(t, config.Config{}, nil)
	ctx := context.Background()
	s := h.lx.mustSocket(syscall.AF_INET, syscall.SOCK_DGRAM)
	// A new datagram socket is writable, and Subscribe says so.
	if r, err := h.lx.c.Subscribe(ctx, &netpb.SubscribeRequest{Socket: s, Cookie: 9, Events: sockets.PollOut}); err != nil || r.Ready != sockets.PollOut {
		t.Fatalf("Subscribe(POLLOUT) = %v, %v; want POLLOUT", r, err)
	}
	if _, err := h.lx.c.Close(ctx, &netpb.CloseRequest{Socket: 1<<32 | s}); !errors.Is(err, syscall.EBADF) {
		t.Errorf("close of socket %#x = %v, want EBADF", 1<<32|s, err)
	}
	if _, err := h.lx.c.GetSockName(ctx, &netpb.GetSockNameRequest{Socket: s}); err != nil {
		t.Errorf("socket %d gone after closing %#x: %v", s, 1<<32|s, err)
	}
}

// connect(2) with AF_UNSPEC dissolves a datagram socket's association.
func TestConnectUnspec(t *testing.T) {
	h := newHost(t, config.Config{}, nil)
	l := h.lx
	ctx := context.Background()
	peer := netip.MustParseAddrPort("127.0.0.1:5401")
	if err := l.bind(l.mustSocket(syscall.AF_INET, syscall.SOCK_DGRAM), peer); err != nil {
		t.Fatal(err)
	}
	u := l.mustSocket(syscall.AF_INET, syscall.SOCK_DGRAM)
	if _, err := l.c.Connect(ctx, connReq(u, peer)); err != nil {
		t.Fatal(err)
	}
	if err := l.sendTo(u, []byte("x"), netip.AddrPort{}, 0); err != nil {
		t.Errorf("send on a connected socket = %v", err)
	}
	if _, err := l.c.Connect(ctx, &netpb.ConnectRequest{Socket: u, Addr: &netpb.SockAddr{Family: syscall.AF_UNSPEC}}); err != nil {
		t.Fatal(err)
	}
	if err := l.sendTo(u, []byte("x"), netip.AddrPort{}, 0); !errors.Is(err, syscall.EDESTADDRREQ) {
		t.Errorf("send after disconnecting = %v, want EDESTADDRREQ", err)
	}
}

// A session that never watched has nowhere to notify: Subscribe is
// EINVAL, and releasing it is fine.
func TestSessionWithoutWatch(t *testing.T) {
	n, err := sockets.New(config.Config{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	s := New(n, inproc.NewTable())
	id, err := n.Socket(sockets.Cred{}, syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Subscribe(context.Background(), &netpb.SubscribeRequest{Socket: uint64(id), Events: sockets.PollIn}); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("Subscribe before Watch = %v, want EINVAL", err)
	}
	s.Release()
}

// Only events whose readiness still holds are sent, each with the
// socket's readiness when it is sent.
func TestStillReady(t *testing.T) {
	h := newHost(t, config.Config{}, nil)
	ctx := context.Background()
	u := h.lx.mustSocket(syscall.AF_INET, syscall.SOCK_DGRAM)
	addr := netip.MustParseAddrPort("127.0.0.1:5400")
	if err := h.lx.bind(u, addr); err != nil {
		t.Fatal(err)
	}
	if r, err := h.lx.c.Send(ctx, &netpb.SendRequest{Socket: u, Data: &rpc.Data{Where: &rpc.Data_Inline{Inline: []byte("x")}}, To: sa(addr)}); err != nil || r.Count != 1 {
		t.Fatalf("sendto = %v, %v; want 1 byte sent", r, err)
	}
	id := socketID(u)
	// A blocking peek on the Stack waits for the datagram without the
	// notifier, which is what this test is about.
	if _, err := h.srv.Recv(ctx, id, 1, sockets.MsgPeek); err != nil {
		t.Fatal(err)
	}
	req := h.svc.stillReady([]sockets.Event{
		{Socket: id, Cookie: 1, Events: sockets.PollIn},
		{Socket: id, Cookie: 2, Events: sockets.PollRdHup},
		{Socket: 7777, Cookie: 3, Events: sockets.PollIn},
		{Socket: id, Cookie: 4, Events: sockets.PollOut | sockets.PollRdHup},
	})
	want := []*netpb.Event{
		{Cookie: 1, Socket: u, Ready: sockets.PollIn | sockets.PollOut},
		{Cookie: 4, Socket: u, Ready: sockets.PollIn | sockets.PollOut},
	}
	if len(req.Events) != len(want) {
		t.Fatalf("events still ready: %v, want %v", req.Events, want)
	}
	for i, ev := range req.Events {
		const seen = sockets.PollIn | sockets.PollOut | sockets.PollErr | sockets.PollHup | sockets.PollRdHup
		if ev.Cookie != want[i].Cookie || ev.Socket != want[i].Socket || ev.Ready&seen != want[i].Ready {
			t.Errorf("event %d = %v, want %v", i, ev, want[i])
		}
	}
	if _, err := h.lx.recvFrom(ctx, u, 8, 0); err != nil {
		t.Fatal(err)
	}
	if req := h.svc.stillReady([]sockets.Event{{Socket: id, Cookie: 1, Events: sockets.PollIn}}); len(req.Events) != 0 {
		t.Errorf("POLLIN after the datagram was read: %v, want none", req.Events)
	}
}
