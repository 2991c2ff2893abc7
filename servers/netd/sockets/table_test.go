package sockets

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"

	"aramid/servers/netd/config"
)

// The lines of /proc/net/{tcp,udp}: Linux's state numbers, the owner,
// the inode, and the queues.
func TestSocketTableEntries(t *testing.T) {
	n := loopbackServer(t)
	ctx := context.Background()
	user := Cred{UID: 1000}
	bound, _ := n.Socket(user, syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err := n.Bind(user, bound, netip.MustParseAddrPort("127.0.0.1:9050")); err != nil {
		t.Fatal(err)
	}
	udp, _ := n.Socket(user, syscall.AF_INET6, syscall.SOCK_DGRAM, 0)
	conn, _ := n.Socket(user, syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err := n.Connect(ctx, conn, netip.MustParseAddrPort("127.0.0.1:53"), false); err != nil {
		t.Fatal(err)
	}
	c, s := connectedPair(t, n, 9051)
	if _, err := n.Send(ctx, c, strings.NewReader("12345"), 5, netip.AddrPort{}, 0); err != nil {
		t.Fatal(err)
	}
	if r, err := n.Recv(ctx, s, 5, MsgPeek); err != nil || r.N != 5 {
		t.Fatalf("peek = %+v, %v; want the 5 bytes", r, err)
	}
	for _, w := range []struct {
		id     ID
		family int
		proto  int
		state  int
		uid    uint32
		rx     uint32
	}{
		{bound, syscall.AF_INET, syscall.IPPROTO_TCP, TCPClose, 1000, 0},
		{udp, syscall.AF_INET6, syscall.IPPROTO_UDP, TCPClose, 1000, 0},
		{conn, syscall.AF_INET, syscall.IPPROTO_UDP, TCPEstablished, 1000, 0},
		{s, syscall.AF_INET, syscall.IPPROTO_TCP, TCPEstablished, 0, 5},
	} {
		e := entryOf(t, n, w.id)
		if e.Family != w.family || e.Protocol != w.proto || e.State != w.state || e.UID != w.uid || e.RxQueue != w.rx {
			t.Errorf("socket %d: %+v; want family %d, protocol %d, state %d, uid %d, rx_queue %d", w.id, e, w.family, w.proto, w.state, w.uid, w.rx)
		}
	}
	table := n.SocketTable()
	for i := 1; i < len(table); i++ {
		if table[i].Inode <= table[i-1].Inode {
			t.Errorf("table not sorted by inode: %d after %d", table[i].Inode, table[i-1].Inode)
		}
	}
}

// Closed TCP connections stay listed while the protocol still has them,
// with no owner and no inode; a socket that never connected goes at once.
func TestSocketTableClosing(t *testing.T) {
	n := loopbackServer(t)
	ctx := context.Background()
	c, s := connectedPair(t, n, 9052)
	local, _ := n.SockName(c)
	idle, _ := n.Socket(Cred{}, syscall.AF_INET, syscall.SOCK_STREAM, 0)
	for _, id := range []ID{idle, c, s} {
		if err := n.Close(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	var found bool
	for _, e := range n.SocketTable() {
		if e.Inode != 0 || e.UID != 0 {
			t.Errorf("closed socket listed with an owner: %+v", e)
		}
		if e.Local == netip.AddrPortFrom(netip.IPv4Unspecified(), 0) {
			t.Errorf("socket that never connected still listed: %+v", e)
		}
		found = found || (e.Local == local && e.Remote == netip.MustParseAddrPort("127.0.0.1:9052") && e.State != TCPClose)
	}
	if !found {
		t.Errorf("the connection closed first vanished from the table: %+v", n.SocketTable())
	}
}

func TestNewStack(t *testing.T) {
	bad := config.Config{Gateways: []netip.Addr{netip.MustParseAddr("10.0.2.2")}}
	if n, err := New(bad, nil, nil); err == nil {
		n.Stop()
		t.Error("New with a gateway on no subnet succeeded")
	}
	n := loopbackServer(t)
	if err := n.AddNeighbor(netip.MustParseAddr("10.0.2.2"), net.HardwareAddr{2, 0, 0, 0, 0, 2}); !errors.Is(err, syscall.ENODEV) {
		t.Errorf("AddNeighbor without a card = %v, want ENODEV", err)
	}
	if len(n.Config().Addrs) != 0 {
		t.Errorf("loopback-only stack's config = %+v", n.Config())
	}
}
