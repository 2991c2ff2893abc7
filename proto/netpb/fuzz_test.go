package netpb_test

import (
	"testing"

	"aramid/proto/netpb"
	"aramid/proto/rpc/rpctest"
)

func FuzzNetDispatcher(f *testing.F) {
	rpctest.FuzzDispatcher(f, netpb.NewNetDispatcher(netpb.UnimplementedNetServer{}), netpb.NetMethods)
}

func FuzzReadinessDispatcher(f *testing.F) {
	rpctest.FuzzDispatcher(f, netpb.NewReadinessDispatcher(netpb.UnimplementedReadinessServer{}), netpb.ReadinessMethods)
}
