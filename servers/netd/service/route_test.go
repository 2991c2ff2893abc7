package service

import (
	"context"
	"errors"
	"net/netip"
	"syscall"
	"testing"
)

// With no route to the destination, connect and sendto fail at once with
// ENETUNREACH, as Linux's do; EHOSTUNREACH would mean the route exists
// but the neighbour does not answer.
func TestNoRoute(t *testing.T) {
	_, b := newPair(t) // b has no default gateway
	ctx := context.Background()
	for _, dst := range []netip.AddrPort{
		netip.MustParseAddrPort("192.0.2.1:80"),
		netip.MustParseAddrPort("[2001:db8::1]:80"),
	} {
		family := syscall.AF_INET
		if dst.Addr().Is6() {
			family = syscall.AF_INET6
		}
		c := b.lx.mustSocket(family, syscall.SOCK_STREAM)
		if err := b.lx.connect(ctx, c, dst); !errors.Is(err, syscall.ENETUNREACH) {
			t.Errorf("TCP connect to %v with no route = %v, want ENETUNREACH", dst, err)
		}
		u := b.lx.mustSocket(family, syscall.SOCK_DGRAM)
		if err := b.lx.connect(ctx, u, dst); !errors.Is(err, syscall.ENETUNREACH) {
			t.Errorf("UDP connect to %v with no route = %v, want ENETUNREACH", dst, err)
		}
		if err := b.lx.sendTo(u, []byte("x"), dst, 0); !errors.Is(err, syscall.ENETUNREACH) {
			t.Errorf("sendto %v with no route = %v, want ENETUNREACH", dst, err)
		}
	}
}
