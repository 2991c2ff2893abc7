package procpb_test

import (
	"testing"

	"aramid/proto/procpb"
	"aramid/proto/rpc/rpctest"
)

func FuzzProcDispatcher(f *testing.F) {
	rpctest.FuzzDispatcher(f, procpb.NewProcDispatcher(procpb.UnimplementedProcServer{}), procpb.ProcMethods)
}

func FuzzProcessSourceDispatcher(f *testing.F) {
	rpctest.FuzzDispatcher(f, procpb.NewProcessSourceDispatcher(procpb.UnimplementedProcessSourceServer{}), procpb.ProcessSourceMethods)
}

func FuzzSocketSourceDispatcher(f *testing.F) {
	rpctest.FuzzDispatcher(f, procpb.NewSocketSourceDispatcher(procpb.UnimplementedSocketSourceServer{}), procpb.SocketSourceMethods)
}
