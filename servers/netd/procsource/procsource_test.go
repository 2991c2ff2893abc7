package procsource

import (
	"context"
	"net/netip"
	"syscall"
	"testing"

	"aramid/proto/procpb"
	"aramid/servers/netd/config"
	"aramid/servers/netd/sockets"
)

// socketLine is what a test expects of one SocketEntry.
type socketLine struct {
	family uint32
	proto  procpb.Protocol
	local  netip.AddrPort
	state  uint32
	uid    uint32
}

func lineOf(e *procpb.SocketEntry) socketLine {
	a, _ := netip.AddrFromSlice(e.LocalAddr)
	return socketLine{e.Family, e.Protocol, netip.AddrPortFrom(a, uint16(e.LocalPort)), e.State, e.Uid}
}

// procd asks for /proc/net/tcp, tcp6, udp or udp6, or everything, and
// gets each socket once with IP versions 4 and 6 for the families.
func TestListSockets(t *testing.T) {
	n, err := sockets.New(config.Config{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	cred := sockets.Cred{UID: 1000}
	open := func(family, typ int, addr string) uint64 {
		s, err := n.Socket(cred, family, typ, 0)
		if err == nil {
			err = n.Bind(cred, s, netip.MustParseAddrPort(addr))
		}
		if err == nil && typ == syscall.SOCK_STREAM {
			err = n.Listen(s, 3)
		}
		if err != nil {
			t.Fatal(err)
		}
		return n.Inode(s)
	}
	tcp4 := open(syscall.AF_INET, syscall.SOCK_STREAM, "127.0.0.1:8080")
	tcp6 := open(syscall.AF_INET6, syscall.SOCK_STREAM, "[::1]:8443")
	udp4 := open(syscall.AF_INET, syscall.SOCK_DGRAM, "127.0.0.1:5300")
	udp6 := open(syscall.AF_INET6, syscall.SOCK_DGRAM, "[::1]:5353")
	want := map[uint64]socketLine{
		tcp4: {4, procpb.Protocol_PROTOCOL_TCP, netip.MustParseAddrPort("127.0.0.1:8080"), sockets.TCPListen, 1000},
		tcp6: {6, procpb.Protocol_PROTOCOL_TCP, netip.MustParseAddrPort("[::1]:8443"), sockets.TCPListen, 1000},
		udp4: {4, procpb.Protocol_PROTOCOL_UDP, netip.MustParseAddrPort("127.0.0.1:5300"), sockets.TCPClose, 1000},
		udp6: {6, procpb.Protocol_PROTOCOL_UDP, netip.MustParseAddrPort("[::1]:5353"), sockets.TCPClose, 1000},
	}
	for _, c := range []struct {
		family uint32
		proto  procpb.Protocol
		inodes []uint64
	}{
		{0, procpb.Protocol_PROTOCOL_UNSPECIFIED, []uint64{tcp4, tcp6, udp4, udp6}},
		{4, procpb.Protocol_PROTOCOL_TCP, []uint64{tcp4}},
		{6, procpb.Protocol_PROTOCOL_TCP, []uint64{tcp6}},
		{4, procpb.Protocol_PROTOCOL_UDP, []uint64{udp4}},
		{6, procpb.Protocol_PROTOCOL_UDP, []uint64{udp6}},
		{6, procpb.Protocol_PROTOCOL_UNSPECIFIED, []uint64{tcp6, udp6}},
		{0, procpb.Protocol_PROTOCOL_UDP, []uint64{udp4, udp6}},
	} {
		r, err := Source{Stack: n}.ListSockets(context.Background(), &procpb.ListSocketsRequest{Family: c.family, Protocol: c.proto})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Sockets) != len(c.inodes) {
			t.Errorf("family %d, %v: %d sockets, want %d: %v", c.family, c.proto, len(r.Sockets), len(c.inodes), r.Sockets)
			continue
		}
		for i, e := range r.Sockets {
			if e.Inode != c.inodes[i] || lineOf(e) != want[e.Inode] || e.TxQueue != want[e.Inode].txQueue() {
				t.Errorf("family %d, %v: entry %d = %v, want inode %d %+v", c.family, c.proto, i, e, c.inodes[i], want[c.inodes[i]])
			}
		}
	}
}

// txQueue is a listener's backlog, as Linux shows it.
func (l socketLine) txQueue() uint32 {
	if l.state == sockets.TCPListen {
		return 3
	}
	return 0
}
