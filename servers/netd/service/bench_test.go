package service

import (
	"aramid/servers/netd/config"
	"context"
	"net/netip"
	"syscall"
	"testing"
)

// The benchmarks drive netd the way linuxd will: through the generated
// client and the in-process transport, payloads in a registered buffer,
// blocking on readiness events. They include that transport's cost.

// A benchmark's network: two netd instances on a host link with an MTU,
// or one over loopback (mtu 0).
var benchNets = []struct {
	name string
	mtu  int
}{{"hostlink-mtu1500", 1500}, {"hostlink-mtu65000", 65000}, {"loopback", 0}}

// benchPeers returns the client and server sides.
func benchPeers(b *testing.B, mtu int) (cli, srv *lx, to netip.AddrPort) {
	if mtu > 0 {
		ha, hb := newPairMTU(b, mtu)
		return ha.lx, hb.lx, netip.AddrPortFrom(addrB4, 5001)
	}
	h := newHost(b, config.Config{}, nil)
	return h.lx, h.lx, netip.MustParseAddrPort("127.0.0.1:5001")
}

func BenchmarkTCPThroughput(b *testing.B) {
	for _, bc := range benchNets {
		b.Run(bc.name, func(b *testing.B) {
			cli, srv, to := benchPeers(b, bc.mtu)
			ctx := context.Background()
			ln := srv.listener(syscall.AF_INET, to, 1)
			c := cli.dial(syscall.AF_INET, to)
			s, _, err := srv.accept(ctx, ln)
			if err != nil {
				b.Fatal(err)
			}
			chunk := make([]byte, slotSize)
			total := int64(b.N) * int64(len(chunk))
			done := make(chan error, 1)
			go func() {
				buf := make([]byte, slotSize)
				for got := int64(0); got < total; {
					n, err := srv.read(ctx, s, buf)
					if err != nil || n == 0 {
						done <- err
						return
					}
					got += int64(n)
				}
				done <- nil
			}()
			b.SetBytes(int64(len(chunk)))
			b.ResetTimer()
			for range b.N {
				if err := cli.write(ctx, c, chunk); err != nil {
					b.Fatal(err)
				}
			}
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkTCPConnect measures one connection's life: socket, connect,
// accept, close on both sides.
func BenchmarkTCPConnect(b *testing.B) {
	for _, bc := range benchNets {
		b.Run(bc.name, func(b *testing.B) {
			cli, srv, to := benchPeers(b, bc.mtu)
			ctx := context.Background()
			ln := srv.listener(syscall.AF_INET, to, 128)
			b.ResetTimer()
			for range b.N {
				c := cli.mustSocket(syscall.AF_INET, syscall.SOCK_STREAM)
				if err := cli.connect(ctx, c, to); err != nil {
					b.Fatal(err)
				}
				s, _, err := srv.accept(ctx, ln)
				if err != nil {
					b.Fatal(err)
				}
				cli.closeSocket(c)
				srv.closeSocket(s)
			}
		})
	}
}
