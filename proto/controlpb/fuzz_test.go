package controlpb_test

import (
	"testing"

	"aramid/proto/controlpb"
	"aramid/proto/rpc/rpctest"
)

func FuzzControlDispatcher(f *testing.F) {
	rpctest.FuzzDispatcher(f, controlpb.NewControlDispatcher(controlpb.UnimplementedControlServer{}), controlpb.ControlMethods)
}
