package netpb_test

import (
	"context"
	"sync"
	"testing"

	"aramid/proto/inproc"
	"aramid/proto/netpb"
	"aramid/proto/rpc"
)

// fakeNet implements the readiness half of Net: enough to show that the
// subscribe/notify design works over a channel passed as a handle.
type fakeNet struct {
	netpb.UnimplementedNetServer
	dial rpc.Dialer

	mu      sync.Mutex
	watcher *netpb.ReadinessClient
	subs    map[uint64]*netpb.SubscribeRequest
}

func (n *fakeNet) Watch(_ context.Context, in *netpb.WatchRequest) (*netpb.WatchReply, error) {
	t, err := n.dial.Dial(in.Channel.GetValue())
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.watcher = netpb.NewReadinessClient(t)
	return &netpb.WatchReply{}, nil
}

func (n *fakeNet) Subscribe(_ context.Context, in *netpb.SubscribeRequest) (*netpb.SubscribeReply, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.subs[in.Socket] = in
	return &netpb.SubscribeReply{Ready: 0}, nil
}

// becomeReady is what netd's stack would do when data arrives.
func (n *fakeNet) becomeReady(socket uint64, ready uint32) error {
	n.mu.Lock()
	sub, w := n.subs[socket], n.watcher
	n.mu.Unlock()
	if sub == nil || sub.Events&ready == 0 {
		return nil
	}
	_, err := w.Notify(context.Background(), &netpb.NotifyRequest{
		Events: []*netpb.Event{{Cookie: sub.Cookie, Socket: socket, Ready: ready}}})
	return err
}

// waiter is linuxd's side: it serves Readiness.
type waiter struct {
	netpb.UnimplementedReadinessServer
	events chan *netpb.Event
}

func (w waiter) Notify(_ context.Context, in *netpb.NotifyRequest) (*netpb.NotifyReply, error) {
	for _, e := range in.Events {
		w.events <- e
	}
	return &netpb.NotifyReply{}, nil
}

func TestReadinessNotify(t *testing.T) {
	const epollin = 0x1
	linuxd, netd := inproc.NewTable(), inproc.NewTable()
	n := &fakeNet{dial: netd, subs: map[uint64]*netpb.SubscribeRequest{}}
	netCh := inproc.NewChannel(netd, netpb.NewNetDispatcher(n))
	defer netCh.Close()
	c := netpb.NewNetClient(netCh.Transport(linuxd))

	// linuxd makes a channel it serves and hands its client end to netd.
	w := waiter{events: make(chan *netpb.Event, 1)}
	events := inproc.NewChannel(linuxd, netpb.NewReadinessDispatcher(w))
	defer events.Close()
	ctx := context.Background()
	if _, err := c.Watch(ctx, &netpb.WatchRequest{Channel: &rpc.Handle{Value: linuxd.Install(events)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Subscribe(ctx, &netpb.SubscribeRequest{Socket: 7, Events: epollin, Cookie: 99}); err != nil {
		t.Fatal(err)
	}
	if err := n.becomeReady(7, epollin); err != nil {
		t.Fatal(err)
	}
	e := <-w.events
	if e.Cookie != 99 || e.Socket != 7 || e.Ready != epollin {
		t.Errorf("notified %v, want cookie 99, socket 7, EPOLLIN", e)
	}
}
