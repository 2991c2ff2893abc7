package sockets

import (
	"aramid/servers/netd/config"
	"bytes"
	"context"
	"errors"
	"net/netip"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/waiter"
)

// These tests use the Stack's own blocking calls, which linuxd does not
// need (the protocol is non-blocking) but netd-internal clients may.

func loopbackServer(t *testing.T) *Stack {
	n, err := New(config.Config{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	return n
}

// connectedPair returns both ends of a loopback TCP connection; the
// listener gets the options in opts first.
func connectedPair(t *testing.T, n *Stack, port uint16, opts ...[3]int) (client, server ID) {
	ctx := context.Background()
	addr := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
	ln, err := n.Socket(Cred{}, syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range opts {
		if err := n.SetSockOpt(ln, o[0], o[1], intBytes(o[2])); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.Bind(Cred{}, ln, addr); err != nil {
		t.Fatal(err)
	}
	if err := n.Listen(ln, 1); err != nil {
		t.Fatal(err)
	}
	client, _ = n.Socket(Cred{}, syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err := n.Connect(ctx, client, addr, false); err != nil {
		t.Fatal("blocking connect:", err)
	}
	// A blocking connect returns connected.
	if peer, err := n.PeerName(client); err != nil || peer != addr {
		t.Fatalf("getpeername after connect = %v, %v; want %v", peer, err, addr)
	}
	server, _, err = n.Accept(ctx, ln, false)
	if err != nil {
		t.Fatal("blocking accept:", err)
	}
	n.Close(ctx, ln)
	return client, server
}

// listen(fd, 0) still queues one connection: Linux's queue holds
// backlog+1.
func TestListenZeroQueuesOne(t *testing.T) {
	n := loopbackServer(t)
	ctx := context.Background()
	addr := netip.MustParseAddrPort("127.0.0.1:9040")
	ln := listener(t, n, syscall.AF_INET, addr, 0)
	c, _ := n.Socket(Cred{}, syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err := n.Connect(ctx, c, addr, true); !errors.Is(err, syscall.EINPROGRESS) {
		t.Fatalf("connect = %v, want EINPROGRESS", err)
	}
	// The connection lands in the queue (netstack may answer with a SYN
	// cookie on the way), or its SYN is dropped for a full one.
	drops := n.Stats().TCP.ListenOverflowSynDrop
	for {
		_, _, err := n.Accept(ctx, ln, true)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EAGAIN) || drops.Value() != 0 {
			t.Fatalf("accept after listen(0) = %v, %d SYNs dropped", err, drops.Value())
		}
		runtime.Gosched()
	}
}

// blocked waits until a call on socket id sleeps on the socket's wait
// queue for mask, and fails the test if the call returns on done first:
// a blocking call must wait, not report EAGAIN.
func blocked[T any](t *testing.T, n *Stack, id ID, mask waiter.EventMask, done <-chan T) {
	t.Helper()
	s, err := n.lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	for s.wq.Events()&mask == 0 {
		select {
		case r := <-done:
			t.Fatalf("blocking call returned %+v without waiting", r)
		default:
			runtime.Gosched()
		}
	}
}

type recvResult struct {
	r   Received
	err error
}

// A blocking recv(2) and accept(2) sleep until there is something to
// take, with no timeout set.
func TestBlockingCallsWait(t *testing.T) {
	n := loopbackServer(t)
	ctx := context.Background()
	c, s := connectedPair(t, n, 9010)
	got := make(chan recvResult, 1)
	go func() {
		r, err := n.Recv(ctx, s, 3, 0)
		got <- recvResult{r, err}
	}()
	blocked(t, n, s, waiter.ReadableEvents, got)
	if m, err := n.Send(ctx, c, strings.NewReader("abc"), 3, netip.AddrPort{}, 0); m != 3 || err != nil {
		t.Fatalf("send = %d, %v; want 3", m, err)
	}
	if r := <-got; r.err != nil || string(r.r.Data) != "abc" {
		t.Errorf("blocking recv = %q, %v; want abc", r.r.Data, r.err)
	}

	addr := netip.MustParseAddrPort("127.0.0.1:9011")
	ln := listener(t, n, syscall.AF_INET, addr, 1)
	accepted := make(chan error, 1)
	go func() {
		_, _, err := n.Accept(ctx, ln, false)
		accepted <- err
	}()
	blocked(t, n, ln, waiter.ReadableEvents, accepted)
	cl, _ := n.Socket(Cred{}, syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err := n.Connect(ctx, cl, addr, false); err != nil {
		t.Fatal(err)
	}
	if err := <-accepted; err != nil {
		t.Errorf("blocking accept = %v", err)
	}
}

func listener(t *testing.T, n *Stack, family int, addr netip.AddrPort, backlog int) ID {
	t.Helper()
	ln, err := n.Socket(Cred{}, family, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Bind(Cred{}, ln, addr); err != nil {
		t.Fatal(err)
	}
	if got, err := n.SockName(ln); err != nil || got != addr {
		t.Fatalf("bound to %v, getsockname = %v, %v", addr, got, err)
	}
	if err := n.Listen(ln, backlog); err != nil {
		t.Fatal(err)
	}
	return ln
}

func TestBlockingCalls(t *testing.T) {
	n := loopbackServer(t)
	c, s := connectedPair(t, n, 9000)
	// An accepted socket inherits the listener's options: Nagle stays on.
	if v, err := n.GetSockOpt(s, syscall.IPPROTO_TCP, syscall.TCP_NODELAY); err != nil || string(v) != string(intBytes(0)) {
		t.Errorf("accepted socket's TCP_NODELAY = %v, %v; want 0", v, err)
	}
	ctx := context.Background()

	// MSG_WAITALL waits for all the bytes, across two sends.
	got := make(chan Received, 1)
	go func() {
		r, err := n.Recv(ctx, s, 6, MsgWaitAll)
		if err != nil {
			t.Error(err)
		}
		got <- r
	}()
	for _, p := range []string{"abc", "def"} {
		if _, err := n.Send(ctx, c, bytesReader(p), 3, netip.AddrPort{}, 0); err != nil {
			t.Fatal(err)
		}
	}
	if r := <-got; string(r.Data) != "abcdef" {
		t.Errorf("MSG_WAITALL read %q, want abcdef", r.Data)
	}

	// SO_RCVTIMEO ends a blocking read with EAGAIN.
	if err := n.SetSockOpt(s, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, timevalBytes(0, 20000)); err != nil {
		t.Fatal(err)
	}
	if v, err := n.GetSockOpt(s, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO); err != nil || string(v) != string(timevalBytes(0, 20000)) {
		t.Fatalf("SO_RCVTIMEO = %x, %v; want 20 ms", v, err)
	}
	if _, err := n.Recv(ctx, s, 1, 0); !errors.Is(err, syscall.EAGAIN) {
		t.Errorf("read past SO_RCVTIMEO = %v, want EAGAIN", err)
	}
	// A negative timeout means "do not wait".
	if err := n.SetSockOpt(s, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, timevalBytes(-1, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Recv(ctx, s, 1, 0); !errors.Is(err, syscall.EAGAIN) {
		t.Errorf("read with negative SO_RCVTIMEO = %v, want EAGAIN", err)
	}

	// Cancelling the context, as linuxd does for a signal, is EINTR.
	n.SetSockOpt(s, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, timevalBytes(0, 0))
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := n.Recv(cctx, s, 1, 0)
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, syscall.EINTR) {
		t.Errorf("interrupted read = %v, want EINTR", err)
	}

	// A blocking send of more than the buffers hold returns only when all
	// of it is queued, while the peer reads.
	big := bytes.Repeat([]byte("x"), 4<<20)
	read := make(chan struct{})
	go func() {
		defer close(read)
		total := 0
		for total < len(big) {
			r, err := n.Recv(ctx, s, 1<<16, 0)
			if err != nil || len(r.Data) == 0 {
				t.Errorf("reader stopped at %d: %v", total, err)
				return
			}
			total += len(r.Data)
		}
	}()
	if m, err := n.Send(ctx, c, bytes.NewReader(big), len(big), netip.AddrPort{}, 0); m != len(big) || err != nil {
		t.Fatalf("blocking send = %d, %v; want %d", m, err, len(big))
	}
	<-read
}

// Close with SO_LINGER waits for the peer to acknowledge the end of the
// stream; it must return, not hang, when the peer is alive.
func TestCloseWithLinger(t *testing.T) {
	n := loopbackServer(t)
	c, s := connectedPair(t, n, 9001)
	local, _ := n.SockName(c)
	if err := n.SetSockOpt(c, syscall.SOL_SOCKET, syscall.SO_LINGER, append(intBytes(1), intBytes(60)...)); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	// The FIN is acknowledged when close returns: the connection has left
	// FIN_WAIT1, CLOSING and LAST_ACK (4, 11 and 9 in tcp_states.h).
	for _, e := range n.SocketTable() {
		if e.Local == local && (e.State == 4 || e.State == 11 || e.State == 9) {
			t.Errorf("lingering close returned in state %d", e.State)
		}
	}
	r, err := n.Recv(context.Background(), s, 8, 0)
	if err != nil || len(r.Data) != 0 {
		t.Errorf("read after peer's close = %q, %v; want end of stream", r.Data, err)
	}
}

// netstack tells a connection's wait queue of each segment before it
// queues the next one: once a later segment's byte is read, the Watcher
// holds the event of an earlier one for both subscriptions, and Wait
// hands them over at once, no more than it is asked for.
func TestWatcherHoldsEvent(t *testing.T) {
	n := loopbackServer(t)
	ctx := context.Background()
	c, s := connectedPair(t, n, 9005)
	w := n.NewWatcher()
	defer w.Close()
	if _, err := w.Watch(7777, 1, PollIn); !errors.Is(err, syscall.EBADF) {
		t.Fatalf("Watch of an unknown socket = %v, want EBADF", err)
	}
	for _, cookie := range []uint64{1, 2} {
		if _, err := w.Watch(s, cookie, PollIn); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range []string{"x", "y"} {
		if m, err := n.Send(ctx, c, strings.NewReader(b), 1, netip.AddrPort{}, 0); m != 1 || err != nil {
			t.Fatalf("send = %d, %v; want 1", m, err)
		}
		if r, err := n.Recv(ctx, s, 1, 0); string(r.Data) != b || err != nil {
			t.Fatalf("recv = %q, %v; want %q", r.Data, err, b)
		}
	}
	for _, cookie := range []uint64{1, 2} {
		if evs, err := w.Wait(cancelled(), 1); err != nil || len(evs) != 1 || evs[0] != (Event{Socket: s, Cookie: cookie, Events: PollIn}) {
			t.Fatalf("Wait(1) = %v, %v; want POLLIN for cookie %d", evs, err, cookie)
		}
	}
}

// Each arrival of data is an edge, reported again even while the socket
// stays readable, as EPOLLET reports it.
func TestWatcherEdges(t *testing.T) {
	n := loopbackServer(t)
	ctx := context.Background()
	c, s := connectedPair(t, n, 9002)
	w := n.NewWatcher()
	defer w.Close()
	ready, err := w.Watch(s, 42, PollIn)
	if err != nil || ready&PollIn != 0 {
		t.Fatalf("Watch = %#x, %v; want not readable", ready, err)
	}
	for i := range 2 {
		if _, err := n.Send(ctx, c, bytesReader("x"), 1, netip.AddrPort{}, 0); err != nil {
			t.Fatal(err)
		}
		evs, err := w.Wait(ctx, 8)
		if err != nil || len(evs) != 1 || evs[0] != (Event{Socket: s, Cookie: 42, Events: PollIn}) {
			t.Fatalf("edge %d: %v, %v; want POLLIN for cookie 42", i, evs, err)
		}
	}
	// Unwatching drops the subscription: a later event wakes no one.
	w.Unwatch(s, 42)
	n.Send(ctx, c, bytesReader("x"), 1, netip.AddrPort{}, 0)
	tctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if evs, err := w.Wait(tctx, 8); !errors.Is(err, syscall.EINTR) {
		t.Errorf("Wait after Unwatch = %v, %v; want nothing", evs, err)
	}
	if r, _ := n.Readiness(s, PollIn|PollOut); r != PollIn|PollOut {
		t.Errorf("Readiness = %#x, want POLLIN|POLLOUT", r)
	}
}

// Linux clones an accepted socket from its listener, options included.
func TestAcceptInheritsOptions(t *testing.T) {
	n := loopbackServer(t)
	opts := [][3]int{
		{syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1},
		{syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, 1},
		{syscall.IPPROTO_TCP, tcpKeepIdle, 30},
		{syscall.IPPROTO_TCP, tcpKeepCnt, 3},
	}
	_, s := connectedPair(t, n, 9003, opts...)
	for _, o := range opts {
		if v, err := n.GetSockOpt(s, o[0], o[1]); err != nil || string(v) != string(intBytes(o[2])) {
			t.Errorf("accepted socket's option %d/%d = %v, %v; want %d", o[0], o[1], v, err, o[2])
		}
	}
}

func bytesReader(s string) *strings.Reader { return strings.NewReader(s) }

// Linux reads l_linger as unsigned: a negative time lingers for ever, so
// the close is graceful (the peer reads end of stream), not the reset of
// a zero time.
func TestNegativeLinger(t *testing.T) {
	n := loopbackServer(t)
	c, s := connectedPair(t, n, 9004)
	if err := n.SetSockOpt(c, syscall.SOL_SOCKET, syscall.SO_LINGER, append(intBytes(1), intBytes(-1)...)); err != nil {
		t.Fatal(err)
	}
	if v, err := n.GetSockOpt(c, syscall.SOL_SOCKET, syscall.SO_LINGER); err != nil || string(v[:4]) != string(intBytes(1)) {
		t.Errorf("SO_LINGER = %x, %v; want on", v, err)
	}
	if err := n.Close(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if r, err := n.Recv(context.Background(), s, 8, 0); err != nil || r.N != 0 {
		t.Errorf("read after peer's close = %q, %v; want end of stream", r.Data, err)
	}
}
