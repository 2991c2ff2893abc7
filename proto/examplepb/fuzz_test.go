package examplepb_test

import (
	"testing"

	"aramid/proto/examplepb"
	"aramid/proto/rpc/rpctest"
)

func FuzzStoreDispatcher(f *testing.F) {
	rpctest.FuzzDispatcher(f, examplepb.NewStoreDispatcher(examplepb.NewMemStore(func(uint32) error { return nil })), examplepb.StoreMethods)
}
