package vfspb_test

import (
	"testing"

	"aramid/proto/rpc/rpctest"
	"aramid/proto/vfspb"
)

func FuzzVfsDispatcher(f *testing.F) {
	rpctest.FuzzDispatcher(f, vfspb.NewVfsDispatcher(vfspb.UnimplementedVfsServer{}), vfspb.VfsMethods)
}
