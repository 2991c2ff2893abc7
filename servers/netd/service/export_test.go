package service

import (
	"aramid/servers/netd/sockets"
	"context"
	"net/netip"
	"syscall"
	"testing"

	"aramid/proto/procpb"
)

// The table procd renders as /proc/net/*: bound and listening sockets
// included (the bug Kevlar had), with Linux's state numbers, the owner
// and the inode socket() returned.
func TestSocketTable(t *testing.T) {
	a, b := newPair(t)
	ctx := context.Background()
	ln4 := b.lx.listener(syscall.AF_INET, netip.AddrPortFrom(addrB4, 80), 4)
	ln6 := b.lx.listener(syscall.AF_INET6, netip.MustParseAddrPort("[::]:443"), 4)
	udp := b.lx.mustSocket(syscall.AF_INET, syscall.SOCK_DGRAM)
	if err := b.lx.bind(udp, netip.MustParseAddrPort("0.0.0.0:53")); err != nil {
		t.Fatal(err)
	}
	c := a.lx.dial(syscall.AF_INET, netip.AddrPortFrom(addrB4, 80))
	conn, peer, err := b.lx.accept(ctx, ln4)
	if err != nil {
		t.Fatal(err)
	}
	// Unread bytes show in rx_queue.
	if err := a.lx.write(ctx, c, []byte("12345")); err != nil {
		t.Fatal(err)
	}
	waitReadable(t, b.lx, conn)

	all, err := b.proc.ListSockets(ctx, &procpb.ListSocketsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	byInode := map[uint64]*procpb.SocketEntry{}
	for _, e := range all.Sockets {
		byInode[e.Inode] = e
	}
	inode := func(s uint64) uint64 { return b.srv.Inode(socketID(s)) }
	want := []struct {
		sock          uint64
		family        uint32
		proto         procpb.Protocol
		local, remote netip.AddrPort
		state         uint32
		rx            uint32
	}{
		{ln4, 4, procpb.Protocol_PROTOCOL_TCP, netip.AddrPortFrom(addrB4, 80), netip.MustParseAddrPort("0.0.0.0:0"), sockets.TCPListen, 0},
		{ln6, 6, procpb.Protocol_PROTOCOL_TCP, netip.MustParseAddrPort("[::]:443"), netip.MustParseAddrPort("[::]:0"), sockets.TCPListen, 0},
		{udp, 4, procpb.Protocol_PROTOCOL_UDP, netip.MustParseAddrPort("0.0.0.0:53"), netip.MustParseAddrPort("0.0.0.0:0"), sockets.TCPClose, 0},
		{conn, 4, procpb.Protocol_PROTOCOL_TCP, netip.AddrPortFrom(addrB4, 80), peer, sockets.TCPEstablished, 5},
	}
	for _, w := range want {
		e := byInode[inode(w.sock)]
		if e == nil {
			t.Errorf("socket %d (inode %d) missing from %v", w.sock, inode(w.sock), all.Sockets)
			continue
		}
		local := netip.AddrPortFrom(addrFromSlice(e.LocalAddr), uint16(e.LocalPort))
		remote := netip.AddrPortFrom(addrFromSlice(e.RemoteAddr), uint16(e.RemotePort))
		if e.Family != w.family || e.Protocol != w.proto || local != w.local || remote != w.remote || e.State != w.state || e.RxQueue != w.rx || e.Uid != 0 {
			t.Errorf("socket %d = %v, want family %d %v %v -> %v state %d rx %d", w.sock, e, w.family, w.proto, w.local, w.remote, w.state, w.rx)
		}
	}
	only6, err := b.proc.ListSockets(ctx, &procpb.ListSocketsRequest{Family: 6, Protocol: procpb.Protocol_PROTOCOL_TCP})
	if err != nil || len(only6.Sockets) != 1 || only6.Sockets[0].Inode != inode(ln6) {
		t.Errorf("tcp6 only = %v, %v; want the [::]:443 listener", only6, err)
	}

	// The closing side leaves a connection in the protocol with no owner.
	a.lx.closeSocket(c)
	var lingering bool
	for _, e := range a.srv.SocketTable() {
		lingering = lingering || (e.Inode == 0 && e.Remote == netip.AddrPortFrom(addrB4, 80))
	}
	if !lingering {
		t.Errorf("closed connection vanished from A's table at once; Linux lists FIN_WAIT/TIME_WAIT: %v", a.srv.SocketTable())
	}
}

func addrFromSlice(b []byte) netip.Addr {
	a, _ := netip.AddrFromSlice(b)
	return a
}

// waitReadable waits, on events, until s is readable.
func waitReadable(t *testing.T, l *lx, s uint64) {
	for {
		ch := l.waitCh(s)
		ready, err := l.c.Subscribe(context.Background(), subReq(s))
		if err != nil {
			t.Fatal(err)
		}
		if ready.Ready&sockets.PollIn != 0 {
			return
		}
		<-ch
	}
}
