package service

import (
	"aramid/servers/netd/config"
	"context"
	"errors"
	"net/netip"
	"syscall"
	"testing"

	"aramid/proto/netpb"
)

func TestIPv6TCPBetweenHosts(t *testing.T) {
	a, b := newPair(t)
	ln := b.lx.listener(syscall.AF_INET6, netip.AddrPortFrom(netip.IPv6Unspecified(), 80), 8)
	echoServer(t, b.lx, ln)
	c := a.lx.dial(syscall.AF_INET6, netip.AddrPortFrom(addrB6, 80))
	ctx := context.Background()
	if err := a.lx.write(ctx, c, []byte("over ipv6")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, err := a.lx.read(ctx, c, buf)
	if err != nil || string(buf[:n]) != "over ipv6" {
		t.Fatalf("echo = %q, %v", buf[:n], err)
	}
	name, err := a.lx.c.GetSockName(ctx, &netpb.GetSockNameRequest{Socket: c})
	if err != nil || ap(name.Addr).Addr() != addrA6 {
		t.Errorf("getsockname = %v, %v; want %v", name, err, addrA6)
	}
}

// A [::] listener takes IPv4 connections too and shows their peers
// IPv4-mapped, unless IPV6_V6ONLY is set: nginx's `listen [::]:80`.
func TestIPv6DualStack(t *testing.T) {
	h := newHost(t, config.Config{}, nil)
	l := h.lx
	ctx := context.Background()
	ln := l.listener(syscall.AF_INET6, netip.MustParseAddrPort("[::]:80"), 8)
	c := l.dial(syscall.AF_INET, netip.MustParseAddrPort("127.0.0.1:80"))
	s, peer, err := l.accept(ctx, ln)
	if err != nil {
		t.Fatal(err)
	}
	if want := netip.MustParseAddr("::ffff:127.0.0.1"); peer.Addr() != want {
		t.Errorf("peer of an IPv4 client = %v, want %v", peer, want)
	}
	for _, x := range []uint64{c, s, ln} {
		l.closeSocket(x)
	}

	v6 := l.mustSocket(syscall.AF_INET6, syscall.SOCK_STREAM)
	if err := l.setInt(v6, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 1); err != nil {
		t.Fatal(err)
	}
	if err := l.bind(v6, netip.MustParseAddrPort("[::]:81")); err != nil {
		t.Fatal(err)
	}
	if err := l.setInt(v6, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 0); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("IPV6_V6ONLY after bind = %v, want EINVAL", err)
	}
	if err := l.listen(v6, 8); err != nil {
		t.Fatal(err)
	}
	c4 := l.mustSocket(syscall.AF_INET, syscall.SOCK_STREAM)
	if err := l.connect(ctx, c4, netip.MustParseAddrPort("127.0.0.1:81")); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("IPv4 connect to a V6ONLY listener = %v, want ECONNREFUSED", err)
	}
	c6 := l.dial(syscall.AF_INET6, netip.MustParseAddrPort("[::1]:81"))
	if _, peer, err := l.accept(ctx, v6); err != nil || peer.Addr() != netip.IPv6Loopback() {
		t.Errorf("accept over ::1 = %v, %v", peer, err)
	}
	l.closeSocket(c6)
}

func TestIPv6UDP(t *testing.T) {
	a, b := newPair(t)
	ctx := context.Background()
	srv := b.lx.mustSocket(syscall.AF_INET6, syscall.SOCK_DGRAM)
	if err := b.lx.bind(srv, netip.AddrPortFrom(addrB6, 53)); err != nil {
		t.Fatal(err)
	}
	cli := a.lx.mustSocket(syscall.AF_INET6, syscall.SOCK_DGRAM)
	if err := a.lx.sendTo(cli, []byte("query"), netip.AddrPortFrom(addrB6, 53), 0); err != nil {
		t.Fatal(err)
	}
	r, err := b.lx.recvFrom(ctx, srv, 512, 0)
	if err != nil || string(r.Data) != "query" || ap(r.From).Addr() != addrA6 {
		t.Fatalf("recvfrom = %v, %v", r, err)
	}
}
