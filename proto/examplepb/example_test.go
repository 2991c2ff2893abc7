package examplepb_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"syscall"
	"testing"
	"time"

	"aramid/proto/examplepb"
	"aramid/proto/inproc"
	"aramid/proto/rpc"
)

type fixture struct {
	client, server *inproc.Table
	ch             *inproc.Channel
	store          *examplepb.StoreClient
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{client: inproc.NewTable(), server: inproc.NewTable()}
	f.ch = inproc.NewChannel(f.server, examplepb.NewStoreDispatcher(examplepb.NewMemStore(f.server.Close)))
	t.Cleanup(func() { f.ch.Close() })
	f.store = examplepb.NewStoreClient(f.ch.Transport(f.client))
	return f
}

func TestPutGet(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.store.Put(ctx, &examplepb.PutRequest{Key: "k", Value: []byte("v")}); err != nil {
		t.Fatal(err)
	}
	got, err := f.store.Get(ctx, &examplepb.GetRequest{Key: "k"})
	if err != nil || string(got.Value) != "v" {
		t.Fatalf("Get = %v, %v; want v", got, err)
	}
}

func TestErrno(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.store.Get(ctx, &examplepb.GetRequest{Key: "missing"})
	if !errors.Is(err, syscall.ENOENT) {
		t.Errorf("Get(missing) = %v, want ENOENT", err)
	}
	_, err = f.store.Put(ctx, &examplepb.PutRequest{})
	if !errors.Is(err, syscall.EINVAL) {
		t.Errorf("Put(empty key) = %v, want EINVAL", err)
	}
}

func TestHandlePassing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	mem := inproc.NewMemory(16)
	a, b := f.client.Install(mem), f.client.Install("second")
	_, err := f.store.Deposit(ctx, &examplepb.DepositRequest{Key: "k", Object: &rpc.Handle{Value: a}, More: []*rpc.Handle{{Value: b}}})
	if err != nil {
		t.Fatal(err)
	}
	if f.client.Len() != 0 || f.server.Len() != 2 {
		t.Fatalf("after Deposit: client holds %d handles, server %d; want 0, 2", f.client.Len(), f.server.Len())
	}
	got, err := f.store.Withdraw(ctx, &examplepb.WithdrawRequest{Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if f.server.Len() != 0 || f.client.Len() != 2 {
		t.Fatalf("after Withdraw: client holds %d handles, server %d; want 2, 0", f.client.Len(), f.server.Len())
	}
	if obj, _ := f.client.Get(got.Object.Value); obj != mem {
		t.Errorf("Withdraw gave back %v, want the memory object", obj)
	}
	if obj, _ := f.client.Get(got.More[0].Value); obj != "second" {
		t.Errorf("Withdraw gave back %v, want %q", obj, "second")
	}
}

func TestBadHandle(t *testing.T) {
	f := newFixture(t)
	good := f.client.Install("x")
	_, err := f.store.Deposit(context.Background(), &examplepb.DepositRequest{
		Key: "k", Object: &rpc.Handle{Value: good}, More: []*rpc.Handle{{Value: 12345}}})
	if !errors.Is(err, syscall.EBADF) {
		t.Errorf("Deposit(bad handle) = %v, want EBADF", err)
	}
	if f.client.Len() != 0 || f.server.Len() != 0 {
		t.Errorf("handles left: client %d, server %d; want all consumed", f.client.Len(), f.server.Len())
	}
}

func TestOversized(t *testing.T) {
	f := newFixture(t)
	_, err := f.store.Put(context.Background(), &examplepb.PutRequest{Key: "k", Value: make([]byte, rpc.MaxMessageSize)})
	if !errors.Is(err, syscall.EMSGSIZE) {
		t.Errorf("Put(64 KiB) = %v, want EMSGSIZE", err)
	}
	var more []*rpc.Handle
	for i := 0; i <= rpc.MaxHandles; i++ {
		more = append(more, &rpc.Handle{Value: f.client.Install(i)})
	}
	_, err = f.store.Deposit(context.Background(), &examplepb.DepositRequest{Key: "k", More: more})
	if !errors.Is(err, syscall.EMSGSIZE) {
		t.Errorf("Deposit(%d handles) = %v, want EMSGSIZE", len(more), err)
	}
	if f.client.Len() != 0 || f.server.Len() != 0 {
		t.Errorf("handles left: client %d, server %d; want all released", f.client.Len(), f.server.Len())
	}
}

// rawCall sends a hand-made frame and returns the reply's errno.
func rawCall(t *testing.T, f *fixture, data []byte, handles []uint32) syscall.Errno {
	t.Helper()
	rep, err := f.ch.Transport(f.client).Call(context.Background(), rpc.Message{Data: data, Handles: handles})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Data) != 4 {
		t.Fatalf("reply %x is not an error frame", rep.Data)
	}
	return syscall.Errno(uint32(rep.Data[0]) | uint32(rep.Data[1])<<8 | uint32(rep.Data[2])<<16 | uint32(rep.Data[3])<<24)
}

func frame(ordinal uint32, body ...byte) []byte {
	return append([]byte{byte(ordinal), byte(ordinal >> 8), byte(ordinal >> 16), byte(ordinal >> 24)}, body...)
}

func TestBadFrames(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name    string
		data    []byte
		handles int
		want    syscall.Errno
	}{
		{"truncated header", []byte{1, 2}, 0, syscall.EBADMSG},
		{"unknown method", frame(0xdeadbeef), 0, syscall.ENOSYS},
		{"truncated body", frame(examplepb.StorePutOrdinal, 0x0a, 0x05, 'a'), 0, syscall.EBADMSG},
		{"unnamed handle", frame(examplepb.StorePutOrdinal), 1, syscall.EBADMSG},
		{"handle index out of range", frame(examplepb.StoreDepositOrdinal, 0x12, 0x02, 0x08, 0x01), 1, syscall.EBADMSG},
		{"handle named twice", frame(examplepb.StoreDepositOrdinal, 0x12, 0x00, 0x1a, 0x00), 1, syscall.EBADMSG},
	} {
		var hs []uint32
		for i := 0; i < tc.handles; i++ {
			hs = append(hs, f.client.Install(i))
		}
		if got := rawCall(t, f, tc.data, hs); got != tc.want {
			t.Errorf("%s: errno %v, want %v", tc.name, got, tc.want)
		}
		if f.server.Len() != 0 {
			t.Errorf("%s: server kept %d handles of a rejected request", tc.name, f.server.Len())
		}
	}
}

// slowStore blocks Get until release is closed.
type slowStore struct {
	examplepb.UnimplementedStoreServer
	release chan struct{}
}

func (s slowStore) Get(ctx context.Context, in *examplepb.GetRequest) (*examplepb.GetReply, error) {
	<-s.release
	return &examplepb.GetReply{Value: []byte(in.Key)}, nil
}

func TestConcurrentAndCancelled(t *testing.T) {
	s := slowStore{release: make(chan struct{})}
	ch := inproc.NewChannel(inproc.NewTable(), examplepb.NewStoreDispatcher(s))
	defer ch.Close()
	c := examplepb.NewStoreClient(ch.Transport(inproc.NewTable()))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := c.Get(ctx, &examplepb.GetRequest{Key: "x"}); !errors.Is(err, syscall.ETIMEDOUT) {
		t.Errorf("Get past deadline = %v, want ETIMEDOUT", err)
	}
	if _, err := c.Put(context.Background(), &examplepb.PutRequest{}); !errors.Is(err, syscall.ENOSYS) {
		t.Errorf("unimplemented Put = %v, want ENOSYS", err)
	}

	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := string(rune('a' + i))
			got, err := c.Get(context.Background(), &examplepb.GetRequest{Key: key})
			if err != nil || !bytes.Equal(got.Value, []byte(key)) {
				t.Errorf("Get(%s) = %v, %v", key, got, err)
			}
		}()
	}
	close(s.release)
	wg.Wait()
}

func TestClosedChannel(t *testing.T) {
	f := newFixture(t)
	f.ch.Close()
	_, err := f.store.Get(context.Background(), &examplepb.GetRequest{Key: "k"})
	if !errors.Is(err, syscall.EPIPE) {
		t.Errorf("Get on closed channel = %v, want EPIPE", err)
	}
}

// The transport refuses an oversized frame, like a kernel channel; the
// dispatcher refuses it too, in case a transport does not.
func TestOversizedFrame(t *testing.T) {
	f := newFixture(t)
	big := frame(examplepb.StorePutOrdinal, make([]byte, rpc.MaxMessageSize)...)
	_, err := f.ch.Transport(f.client).Call(context.Background(), rpc.Message{Data: big})
	if !errors.Is(err, syscall.EMSGSIZE) {
		t.Errorf("Call(oversized) = %v, want EMSGSIZE", err)
	}
	d := examplepb.NewStoreDispatcher(examplepb.NewMemStore(nil))
	rep, release := d.Dispatch(context.Background(), rpc.Message{Data: big, Handles: []uint32{7}})
	if !bytes.Equal(rep.Data, rpc.ErrorReply(syscall.EMSGSIZE).Data) || len(release) != 1 {
		t.Errorf("Dispatch(oversized) = %x, release %v; want EMSGSIZE, [7]", rep.Data, release)
	}
}
