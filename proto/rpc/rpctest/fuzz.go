// Package rpctest helps test code built on aramid/proto/rpc.
package rpctest

import (
	"context"
	"encoding/binary"
	"slices"
	"syscall"
	"testing"

	"aramid/lib/linux"
	"aramid/proto/rpc"
)

// FuzzDispatcher runs a fuzz target that feeds arbitrary request frames,
// with up to rpc.MaxHandles+1 handles, to d. It fails on a panic (through
// the fuzzer), on a reply that is not a well-formed frame, and on a
// rejected request whose handles are not handed back for closing.
// methods seed the corpus with one empty request per method. The check
// on handles assumes that d's server never answers EBADMSG or EMSGSIZE
// itself, which holds for the Unimplemented servers the generated fuzz
// targets use.
func FuzzDispatcher(f *testing.F, d rpc.Dispatcher, methods []rpc.Method) {
	for _, m := range methods {
		f.Add(byte(0), binary.LittleEndian.AppendUint32(nil, m.Ordinal))
		f.Add(byte(1), binary.LittleEndian.AppendUint32(nil, m.Ordinal))
	}
	f.Add(byte(0), []byte{1, 2})
	f.Fuzz(func(t *testing.T, nh byte, data []byte) {
		handles := make([]uint32, int(nh)%(rpc.MaxHandles+2))
		for i := range handles {
			handles[i] = uint32(1000 + i)
		}
		rep, release := d.Dispatch(context.Background(), rpc.Message{Data: data, Handles: slices.Clone(handles)})
		if err := CheckReply(rep); err != nil {
			t.Fatalf("reply %x: %v", rep.Data, err)
		}
		errno := syscall.Errno(binary.LittleEndian.Uint32(rep.Data))
		if rejected(errno) && !slices.Equal(release, handles) {
			t.Fatalf("request rejected with %v, but release = %v, want %v", errno, release, handles)
		}
	})
}

// rejected reports whether errno is one the rpc layer gives a request it
// refuses before any server code runs.
func rejected(errno syscall.Errno) bool {
	return errno == syscall.EBADMSG || errno == syscall.EMSGSIZE
}

// CheckReply checks that rep is a well-formed reply frame: a header
// holding 0 or an errno, and nothing after an errno.
func CheckReply(rep rpc.Message) error {
	if len(rep.Data) < 4 || len(rep.Data) > rpc.MaxMessageSize || len(rep.Handles) > rpc.MaxHandles {
		return syscall.EBADMSG
	}
	errno := binary.LittleEndian.Uint32(rep.Data)
	if errno > linux.MaxErrno || (errno != 0 && (len(rep.Data) != 4 || len(rep.Handles) != 0)) {
		return syscall.EBADMSG
	}
	return nil
}
