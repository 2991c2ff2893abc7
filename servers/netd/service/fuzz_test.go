package service

import (
	"aramid/servers/netd/config"
	"aramid/servers/netd/sockets"
	"syscall"
	"testing"

	"aramid/proto/inproc"
	"aramid/proto/netpb"
	"aramid/proto/rpc/rpctest"
)

// FuzzService feeds arbitrary request frames to netd's real dispatcher,
// on a stack that already has a TCP and a UDP socket to act on.
func FuzzService(f *testing.F) {
	n, err := sockets.New(config.Config{}, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(n.Stop)
	for _, typ := range []int{syscall.SOCK_STREAM, syscall.SOCK_DGRAM} {
		if _, err := n.Socket(sockets.Cred{}, syscall.AF_INET6, typ, 0); err != nil {
			f.Fatal(err)
		}
	}
	svc := New(n, inproc.NewTable())
	f.Cleanup(svc.Release)
	rpctest.FuzzDispatcher(f, netpb.NewNetDispatcher(svc), netpb.NetMethods)
}
