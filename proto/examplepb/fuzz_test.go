package examplepb_test

import (
	"testing"

	"aramid/proto/examplepb"
	"aramid/proto/rpc/rpctest"
)

// FuzzMemStore fuzzes the dispatcher over a real server, so decoded
// requests reach server code and replies with handles get encoded.
func FuzzMemStore(f *testing.F) {
	d := examplepb.NewStoreDispatcher(examplepb.NewMemStore(func(uint32) error { return nil }))
	rpctest.FuzzDispatcher(f, d, examplepb.StoreMethods)
}
