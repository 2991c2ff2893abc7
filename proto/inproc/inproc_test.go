package inproc

import (
	"context"
	"errors"
	"io"
	"syscall"
	"testing"

	"aramid/proto/rpc"
)

type closer struct{ closed *int }

func (c closer) Close() error {
	*c.closed++
	return nil
}

func TestTable(t *testing.T) {
	tab := NewTable()
	var closed int
	h := tab.Install(closer{&closed})
	if _, err := tab.Get(h); err != nil {
		t.Fatal(err)
	}
	if err := tab.Close(h); err != nil || closed != 1 {
		t.Fatalf("Close = %v, object closed %d times; want nil, 1", err, closed)
	}
	if _, err := tab.Get(h); !errors.Is(err, syscall.EBADF) {
		t.Errorf("Get after Close = %v, want EBADF", err)
	}
	if err := tab.Close(h); !errors.Is(err, syscall.EBADF) {
		t.Errorf("second Close = %v, want EBADF", err)
	}
}

func TestTakeConsumesAllOnError(t *testing.T) {
	tab := NewTable()
	var closed int
	a := tab.Install(closer{&closed})
	if _, err := tab.take([]uint32{a, a}); !errors.Is(err, syscall.EBADF) {
		t.Errorf("take of a repeated handle = %v, want EBADF", err)
	}
	if tab.Len() != 0 || closed != 1 {
		t.Errorf("after failed take: %d handles left, %d closed; want 0, 1", tab.Len(), closed)
	}
}

// echoHandles replies with the request's bytes and hands the request's
// handles back, as raw frames.
type echoHandles struct{}

func (echoHandles) Dispatch(_ context.Context, req rpc.Message) (rpc.Message, []uint32) {
	return req, nil
}

func TestDialAndRenumber(t *testing.T) {
	a, b, srv := NewTable(), NewTable(), NewTable()
	ch := NewChannel(srv, echoHandles{})
	defer ch.Close()
	// a passes the channel to b, which calls over it.
	chInB := b.Install(ch)
	tr, err := b.Dial(chInB)
	if err != nil {
		t.Fatal(err)
	}
	obj := a.Install("x")
	if _, err := tr.Call(context.Background(), rpc.Message{Handles: []uint32{obj}}); !errors.Is(err, syscall.EBADF) {
		t.Errorf("b calling with a's handle = %v, want EBADF", err)
	}
	mine := b.Install("y")
	rep, err := tr.Call(context.Background(), rpc.Message{Data: []byte("hi"), Handles: []uint32{mine}})
	if err != nil || string(rep.Data) != "hi" || len(rep.Handles) != 1 {
		t.Fatalf("Call = %v, %v", rep, err)
	}
	if got, _ := b.Get(rep.Handles[0]); got != "y" {
		t.Errorf("echoed handle names %v, want y", got)
	}
	if _, err := b.Dial(rep.Handles[0]); !errors.Is(err, syscall.ENOTSOCK) {
		t.Errorf("Dial of a non-channel = %v, want ENOTSOCK", err)
	}
}

func TestMemory(t *testing.T) {
	m := NewMemory(8)
	if n, err := m.WriteAt([]byte("abcd"), 6); !errors.Is(err, syscall.EFAULT) || n != 0 {
		t.Errorf("WriteAt past the end = %d, %v; want 0, EFAULT", n, err)
	}
	if _, err := m.WriteAt([]byte("abcd"), 4); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	n, err := m.ReadAt(buf, 4)
	if n != 4 || err != io.EOF || string(buf[:n]) != "abcd" {
		t.Errorf("ReadAt = %d %v %q; want 4, EOF, abcd", n, err, buf[:n])
	}
}

type peerEcho struct{}

func (peerEcho) Dispatch(ctx context.Context, _ rpc.Message) (rpc.Message, []uint32) {
	p, _ := rpc.PeerOf(ctx)
	return rpc.Message{Data: []byte{byte(p)}}, nil
}

func TestPeer(t *testing.T) {
	srv, cli := NewTable(), NewTable()
	a, b := NewChannel(srv, peerEcho{}), NewChannel(srv, peerEcho{})
	defer a.Close()
	defer b.Close()
	call := func(ch *Channel) byte {
		rep, err := ch.Transport(cli).Call(context.Background(), rpc.Message{})
		if err != nil || len(rep.Data) != 1 {
			t.Fatalf("Call = %v, %v", rep, err)
		}
		return rep.Data[0]
	}
	pa, pb := call(a), call(b)
	if pa == 0 || pb == 0 || pa == pb || call(a) != pa {
		t.Errorf("peers of two channels: %d, %d (and %d again); want distinct, nonzero, stable", pa, pb, call(a))
	}
}
