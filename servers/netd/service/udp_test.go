package service

import (
	"aramid/servers/netd/sockets"
	"context"
	"errors"
	"net/netip"
	"syscall"
	"testing"
)

func TestUDPDatagrams(t *testing.T) {
	a, b := newPair(t)
	ctx := context.Background()
	srv := b.lx.mustSocket(syscall.AF_INET, syscall.SOCK_DGRAM)
	if err := b.lx.bind(srv, netip.AddrPortFrom(netip.IPv4Unspecified(), 5353)); err != nil {
		t.Fatal(err)
	}
	cli := a.lx.mustSocket(syscall.AF_INET, syscall.SOCK_DGRAM)
	to := netip.AddrPortFrom(addrB4, 5353)
	if err := a.lx.sendTo(cli, nil, netip.AddrPort{}, 0); !errors.Is(err, syscall.EDESTADDRREQ) {
		t.Errorf("send without destination = %v, want EDESTADDRREQ", err)
	}
	// UDP promises no order, and the first datagram races ARP: send the
	// next only once the last arrived.
	send := func(msg string) {
		t.Helper()
		if err := a.lx.sendTo(cli, []byte(msg), to, 0); err != nil {
			t.Fatalf("sendto %q: %v", msg, err)
		}
	}
	// MSG_PEEK leaves the datagram; a short buffer truncates it and
	// MSG_TRUNC reports its real length.
	send("one")
	r, err := b.lx.recvFrom(ctx, srv, 64, sockets.MsgPeek)
	if err != nil || string(r.Data) != "one" {
		t.Fatalf("peek = %v, %v; want one", r, err)
	}
	r, err = b.lx.recvFrom(ctx, srv, 2, sockets.MsgTrunc)
	if err != nil || string(r.Data) != "on" || r.Count != 3 || r.Flags&sockets.MsgTrunc == 0 {
		t.Fatalf("truncated recv = %+v, %v; want \"on\", count 3, MSG_TRUNC", r, err)
	}
	send("two")
	r, err = b.lx.recvFrom(ctx, srv, 64, 0)
	if err != nil || string(r.Data) != "two" {
		t.Fatalf("recv = %v, %v; want two", r, err)
	}
	from := ap(r.From)
	if from.Addr() != addrA4 || from.Port() == 0 {
		t.Errorf("from = %v, want %v with an ephemeral port", from, addrA4)
	}
	// Reply to the sender, then a datagram too large for IPv4.
	if err := b.lx.sendTo(srv, []byte("pong"), from, 0); err != nil {
		t.Fatal(err)
	}
	if r, err := a.lx.recvFrom(ctx, cli, 64, 0); err != nil || string(r.Data) != "pong" || ap(r.From) != to {
		t.Errorf("reply = %v, %v", r, err)
	}
	if err := a.lx.sendTo(cli, make([]byte, 65508), to, 0); !errors.Is(err, syscall.EMSGSIZE) {
		t.Errorf("65508-byte datagram = %v, want EMSGSIZE", err)
	}
	if _, err := a.lx.c.Recv(ctx, recvReq(cli, 64)); !errors.Is(err, syscall.EAGAIN) {
		t.Errorf("recv on an empty socket = %v, want EAGAIN", err)
	}
}

// A connected UDP socket learns from ICMP port unreachable that nobody
// listens, and reports ECONNREFUSED on its next call, as on Linux.
func TestUDPRefused(t *testing.T) {
	a, _ := newPair(t)
	ctx := context.Background()
	c := a.lx.mustSocket(syscall.AF_INET, syscall.SOCK_DGRAM)
	if err := a.lx.connect(ctx, c, netip.AddrPortFrom(addrB4, 9)); err != nil {
		t.Fatal(err)
	}
	if err := a.lx.sendTo(c, []byte("x"), netip.AddrPort{}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := a.lx.recvFrom(ctx, c, 64, 0); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("recv after ICMP unreachable = %v, want ECONNREFUSED", err)
	}
}
