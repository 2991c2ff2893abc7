package authpb_test

import (
	"testing"

	"aramid/proto/authpb"
	"aramid/proto/rpc/rpctest"
)

func FuzzAuthDispatcher(f *testing.F) {
	rpctest.FuzzDispatcher(f, authpb.NewAuthDispatcher(authpb.UnimplementedAuthServer{}), authpb.AuthMethods)
}
