package kchan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"testing"

	"aramid/lib/abi"
	"aramid/lib/ipc"
	"aramid/proto/examplepb"
	"aramid/proto/rpc"
)

// fakeKernel models the channel calls of docs/native-abi.md on the host:
// message and handle limits, handles that move on a successful write and
// stay with the sender on a failed one, EPIPE once the peer is closed.
type fakeKernel struct {
	mu   sync.Mutex
	cond *sync.Cond
	next ipc.Handle
	objs map[ipc.Handle]any
}

type endpoint struct {
	queue []fakeMsg
	peer  *endpoint
	gone  bool
}

type fakeMsg struct {
	data []byte
	objs []any
}

func newFake() *fakeKernel {
	k := &fakeKernel{objs: map[ipc.Handle]any{}}
	k.cond = sync.NewCond(&k.mu)
	return k
}

func (k *fakeKernel) install(obj any) ipc.Handle {
	k.next++
	k.objs[k.next] = obj
	return k.next
}

func (k *fakeKernel) channel() (ipc.Handle, ipc.Handle) {
	k.mu.Lock()
	defer k.mu.Unlock()
	a, b := &endpoint{}, &endpoint{}
	a.peer, b.peer = b, a
	return k.install(a), k.install(b)
}

func (k *fakeKernel) Install(obj any) ipc.Handle {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.install(obj)
}

func (k *fakeKernel) get(h ipc.Handle) any {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.objs[h]
}

func (k *fakeKernel) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.objs)
}

func (k *fakeKernel) Write(h ipc.Handle, data []byte, hs []ipc.Handle) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	ep, ok := k.objs[h].(*endpoint)
	switch {
	case !ok:
		return syscall.EBADF
	case len(data) > abi.MaxMsg:
		return syscall.EMSGSIZE
	case len(hs) > abi.MaxMsgHandles:
		return syscall.E2BIG
	case ep.peer.gone:
		return syscall.EPIPE
	}
	m := fakeMsg{data: bytes.Clone(data)}
	for _, x := range hs {
		if _, ok := k.objs[x]; !ok {
			return syscall.EBADF
		}
	}
	for _, x := range hs {
		m.objs = append(m.objs, k.objs[x])
		delete(k.objs, x)
	}
	ep.peer.queue = append(ep.peer.queue, m)
	k.cond.Broadcast()
	return nil
}

func (k *fakeKernel) Read(h ipc.Handle, buf []byte, hs []ipc.Handle) (int, int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	ep, ok := k.objs[h].(*endpoint)
	if !ok {
		return 0, 0, syscall.EBADF
	}
	for len(ep.queue) == 0 {
		if ep.peer.gone {
			return 0, 0, syscall.EPIPE
		}
		k.cond.Wait()
	}
	m := ep.queue[0]
	if len(m.data) > len(buf) || len(m.objs) > len(hs) {
		return len(m.data), len(m.objs), syscall.EMSGSIZE
	}
	ep.queue = ep.queue[1:]
	for i, obj := range m.objs {
		hs[i] = k.install(obj)
	}
	return copy(buf, m.data), len(m.objs), nil
}

func (k *fakeKernel) Call(h ipc.Handle, req []byte, reqHs []ipc.Handle, resp []byte, respHs []ipc.Handle) (int, int, error) {
	if err := k.Write(h, req, reqHs); err != nil {
		return 0, 0, err
	}
	return k.Read(h, resp, respHs)
}

func (k *fakeKernel) Ready(h ipc.Handle) (bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	ep, ok := k.objs[h].(*endpoint)
	if !ok {
		return false, syscall.EBADF
	}
	return len(ep.queue) > 0 || ep.peer.gone, nil
}

func (k *fakeKernel) Close(h ipc.Handle) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	obj, ok := k.objs[h]
	if !ok {
		return syscall.EBADF
	}
	delete(k.objs, h)
	if ep, ok := obj.(*endpoint); ok {
		ep.gone = true
		k.cond.Broadcast()
	}
	return nil
}

// start serves d on a fake channel and returns the client end's
// Transport, the fake kernel and a channel that reports Serve's result.
func start(t *testing.T, d rpc.Dispatcher) (*Client, *fakeKernel, <-chan error) {
	k := newFake()
	cli, srv := k.channel()
	done := make(chan error, 1)
	go func() { done <- serve(context.Background(), k, srv, d) }()
	t.Cleanup(func() { k.Close(cli) })
	return newClient(k, cli), k, done
}

func TestRoundTrip(t *testing.T) {
	var k *fakeKernel
	store := examplepb.NewMemStore(func(h uint32) error { return k.Close(ipc.Handle(h)) })
	c, k, _ := start(t, examplepb.NewStoreDispatcher(store))
	s := examplepb.NewStoreClient(c)
	ctx := context.Background()
	if _, err := s.Put(ctx, &examplepb.PutRequest{Key: "k", Value: []byte("v")}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, &examplepb.GetRequest{Key: "k"}); err != nil || string(got.Value) != "v" {
		t.Errorf("Get = %v, %v", got, err)
	}
	if _, err := s.Get(ctx, &examplepb.GetRequest{Key: "x"}); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("Get(missing) = %v, want ENOENT", err)
	}
	before := k.Len()
	obj := k.Install("object")
	if _, err := s.Deposit(ctx, &examplepb.DepositRequest{Key: "h", Object: &rpc.Handle{Value: uint32(obj)}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Withdraw(ctx, &examplepb.WithdrawRequest{Key: "h"})
	if err != nil {
		t.Fatal(err)
	}
	if o := k.get(ipc.Handle(got.Object.Value)); o != "object" || k.Len() != before+1 {
		t.Errorf("Withdraw gave %v with %d handles open; want the object, %d", o, k.Len(), before+1)
	}
}

func TestKernelLimits(t *testing.T) {
	c, k, _ := start(t, examplepb.NewStoreDispatcher(examplepb.NewMemStore(nil)))
	s := examplepb.NewStoreClient(c)
	ctx := context.Background()
	if _, err := s.Put(ctx, &examplepb.PutRequest{Key: "k", Value: make([]byte, abi.MaxMsg)}); !errors.Is(err, syscall.EMSGSIZE) {
		t.Errorf("Put over the kernel's message size = %v, want EMSGSIZE", err)
	}
	before := k.Len()
	var more []*rpc.Handle
	for i := 0; i <= abi.MaxMsgHandles; i++ {
		more = append(more, &rpc.Handle{Value: uint32(k.Install(i))})
	}
	// The kernel (E2BIG) and the rpc layer (EMSGSIZE) share the limit of 64
	// handles; either may refuse first.
	if _, err := s.Deposit(ctx, &examplepb.DepositRequest{Key: "k", More: more}); !errors.Is(err, syscall.E2BIG) && !errors.Is(err, syscall.EMSGSIZE) {
		t.Errorf("Deposit of %d handles = %v, want E2BIG or EMSGSIZE", len(more), err)
	}
	if k.Len() != before {
		t.Errorf("%d handles open after a refused call, want %d: the call must consume them", k.Len(), before)
	}
}

// bigReply answers every request with more bytes than a channel carries.
type bigReply struct{}

func (bigReply) Dispatch(context.Context, rpc.Message) (rpc.Message, []uint32) {
	return rpc.Message{Data: make([]byte, abi.MaxMsg+1)}, nil
}

func TestReplyTooLarge(t *testing.T) {
	c, _, _ := start(t, bigReply{})
	rep, err := c.Call(context.Background(), rpc.Message{Data: []byte{1, 2, 3, 4}})
	if err != nil || !bytes.Equal(rep.Data, rpc.ErrorReply(syscall.EMSGSIZE).Data) {
		t.Errorf("Call = %x, %v; want an EMSGSIZE reply", rep.Data, err)
	}
}

func TestConcurrentCallsStayMatched(t *testing.T) {
	c, _, _ := start(t, examplepb.NewStoreDispatcher(examplepb.NewMemStore(nil)))
	s := examplepb.NewStoreClient(c)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprint("k", i)
			for range 20 {
				if _, err := s.Put(ctx, &examplepb.PutRequest{Key: key, Value: []byte(key)}); err != nil {
					t.Error(err)
					return
				}
				got, err := s.Get(ctx, &examplepb.GetRequest{Key: key})
				if err != nil || string(got.Value) != key {
					t.Errorf("Get(%s) = %v, %v", key, got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestServeEndsWhenClientCloses(t *testing.T) {
	c, k, done := start(t, bigReply{})
	k.Close(c.h)
	if err := <-done; err != nil {
		t.Errorf("Serve = %v after the client closed, want nil", err)
	}
	if _, err := c.Call(context.Background(), rpc.Message{Data: []byte{0, 0, 0, 0}}); !errors.Is(err, syscall.EBADF) {
		t.Errorf("Call on a closed handle = %v, want EBADF", err)
	}
}

// TestPeerGone: a client's channel is not ready between calls while the
// server lives, and is once the server has closed its end.
func TestPeerGone(t *testing.T) {
	k := newFake()
	cli, srv := k.channel()
	c := newClient(k, cli)
	done := make(chan error, 1)
	go func() { done <- serve(context.Background(), k, srv, bigReply{}) }()
	c.Call(context.Background(), rpc.Message{Data: []byte{0, 0, 0, 0}})
	if c.PeerGone() {
		t.Fatal("PeerGone with the server serving")
	}
	k.Close(srv)
	if !c.PeerGone() {
		t.Error("not PeerGone after the server closed its end")
	}
}
