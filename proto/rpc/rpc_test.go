package rpc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"syscall"
	"testing"

	"google.golang.org/protobuf/proto"
)

func TestOrdinalIsFNV1a(t *testing.T) {
	// Reference values of 32-bit FNV-1a.
	for in, want := range map[string]uint32{"": 0x811c9dc5, "a": 0xe40c292c, "foobar": 0xbf9cf968} {
		if got := Ordinal(in); got != want {
			t.Errorf("Ordinal(%q) = %#x, want %#x", in, got, want)
		}
	}
}

func TestHandleName(t *testing.T) {
	if got := (&Handle{}).ProtoReflect().Descriptor().FullName(); got != handleName {
		t.Errorf("Handle's full name is %s, handleName says %s", got, handleName)
	}
}

func TestErrno(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want syscall.Errno
	}{
		{nil, 0},
		{syscall.ENOENT, syscall.ENOENT},
		{fmt.Errorf("open x: %w", syscall.EACCES), syscall.EACCES},
		{context.Canceled, syscall.EINTR},
		{context.DeadlineExceeded, syscall.ETIMEDOUT},
		{errors.New("disk on fire"), syscall.EIO},
		{syscall.Errno(5000), syscall.EIO},
		{syscall.Errno(4095), syscall.Errno(4095)}, // linux.MaxErrno
		{syscall.Errno(4096), syscall.EIO},
	} {
		if got := Errno(tc.err); got != tc.want {
			t.Errorf("Errno(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestEncodeLeavesHandlesAlone(t *testing.T) {
	req := &RegisterBufferRequest{Memory: &Handle{Value: 77}}
	msg, err := encode(9, req)
	if err != nil {
		t.Fatal(err)
	}
	if req.Memory.Value != 77 {
		t.Errorf("encode changed the caller's handle to %d", req.Memory.Value)
	}
	if len(msg.Handles) != 1 || msg.Handles[0] != 77 {
		t.Errorf("handles = %v, want [77]", msg.Handles)
	}
	got := new(RegisterBufferRequest)
	if err := Unmarshal(msg.Data[headerSize:], []uint32{5}, got); err != nil || got.Memory.GetValue() != 5 {
		t.Errorf("Unmarshal = %v, %v; want handle 5", got, err)
	}
}

func TestDecodeReply(t *testing.T) {
	ok, _ := encode(0, &RegisterBufferReply{Buffer: 3})
	for _, tc := range []struct {
		name string
		rep  Message
		want error
	}{
		{"ok", ok, nil},
		{"errno", ErrorReply(syscall.ENOENT), syscall.ENOENT},
		{"short", Message{Data: []byte{0}}, syscall.EBADMSG},
		{"largest errno", Message{Data: header(4095)}, syscall.Errno(4095)},
		{"errno out of range", Message{Data: header(4096)}, syscall.EBADMSG},
		{"errno with body", Message{Data: append(header(2), 1)}, syscall.EBADMSG},
		{"errno with handle", Message{Data: header(2), Handles: []uint32{1}}, syscall.EBADMSG},
		{"stray handle", Message{Data: ok.Data, Handles: []uint32{1}}, syscall.EBADMSG},
		{"oversized", Message{Data: make([]byte, MaxMessageSize+1)}, syscall.EMSGSIZE},
	} {
		if got := decodeReply(tc.rep, new(RegisterBufferReply)); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

type echo struct{ ord uint32 }

func (e echo) Dispatch(context.Context, Message) (Message, []uint32) {
	return Message{Data: header(e.ord)}, nil
}

func TestMux(t *testing.T) {
	m := NewMux()
	if err := m.Add([]Method{{Ordinal: 1, Name: "/a.A/X"}}, echo{1}); err != nil {
		t.Fatal(err)
	}
	if err := m.Add([]Method{{Ordinal: 2, Name: "/b.B/Y"}}, echo{2}); err != nil {
		t.Fatal(err)
	}
	if err := m.Add([]Method{{Ordinal: 1, Name: "/c.C/Z"}}, echo{3}); err == nil {
		t.Error("Add of a routed ordinal succeeded")
	}
	for ord, want := range map[uint32]uint32{1: 1, 2: 2, 3: uint32(syscall.ENOSYS)} {
		rep, _ := m.Dispatch(context.Background(), Message{Data: header(ord)})
		if string(rep.Data) != string(header(want)) {
			t.Errorf("ordinal %d: reply %x, want %x", ord, rep.Data, header(want))
		}
	}
	if got := m.Services(); !slices.Equal(got, []string{"a.A", "b.B"}) {
		t.Errorf("services %q, want a.A and b.B", got)
	}
}

// FuzzDecodeReply feeds arbitrary reply frames to the client's decoder,
// the other place where bytes from another process are parsed.
func FuzzDecodeReply(f *testing.F) {
	ok, _ := encode(0, &RegisterBufferRequest{Memory: &Handle{Value: 1}})
	f.Add(byte(1), ok.Data)
	f.Add(byte(0), header(2))
	f.Fuzz(func(t *testing.T, nh byte, data []byte) {
		hs := make([]uint32, int(nh)%(MaxHandles+2))
		m := new(RegisterBufferRequest)
		err := decodeReply(Message{Data: data, Handles: hs}, m)
		var errno syscall.Errno
		if err != nil && !errors.As(err, &errno) {
			t.Fatalf("error %v is not an errno", err)
		}
		if err == nil && len(hs) == 1 && m.Memory == nil {
			t.Fatalf("decoded without naming its handle: %v", m)
		}
		_ = proto.Size(m)
	})
}
