package service

import (
	"aramid/servers/netd/config"
	"aramid/servers/netd/link"
	"aramid/servers/netd/procsource"
	"aramid/servers/netd/sockets"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"testing"

	"aramid/proto/authpb"
	"aramid/proto/inproc"
	"aramid/proto/netpb"
	"aramid/proto/procpb"
	"aramid/proto/rpc"
	"gvisor.dev/gvisor/pkg/tcpip"
)

// This file is the test harness: a netd host reached through the
// generated client over the in-process transport, and a small stand-in
// for linuxd (lx) that builds blocking sockets on readiness events the
// way linuxd must.

// host is one netd instance with a client connected to it.
type host struct {
	srv  *sockets.Stack
	svc  *Session
	proc *procpb.SocketSourceClient
	lx   *lx
}

var (
	macA = net.HardwareAddr{0x52, 0x54, 0, 0x12, 0x34, 0x56}
	macB = net.HardwareAddr{0x52, 0x55, 0x0a, 0, 2, 2}
)

// The two hosts of a pair: the guest at QEMU's user-net address and a
// peer at the gateway's.
var (
	addrA4 = netip.MustParseAddr("10.0.2.15")
	addrB4 = netip.MustParseAddr("10.0.2.2")
	addrA6 = netip.MustParseAddr("fec0::15")
	addrB6 = netip.MustParseAddr("fec0::2")
)

// newPair starts two netd instances joined by a Pipe with virtio-net's
// MTU.
func newPair(t testing.TB) (a, b *host) { return newPairMTU(t, 1500) }

func newPairMTU(t testing.TB, mtu int) (a, b *host) {
	da, db := link.Pipe(macA, macB, mtu)
	ca, err := config.ParseArgs(nil)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := config.ParseArgs([]string{"-addr", "10.0.2.2/24,fec0::2/64", "-gw", "", "-dns", ""})
	if err != nil {
		t.Fatal(err)
	}
	return newHost(t, ca, da), newHost(t, cb, db)
}

// newHost starts a netd on dev (nil for loopback only) and connects a
// client to it through the generated client.
func newHost(t testing.TB, cfg config.Config, dev link.Device) *host {
	return newHostClock(t, cfg, dev, nil)
}

func newHostClock(t testing.TB, cfg config.Config, dev link.Device, clock tcpip.Clock) *host {
	srv, err := sockets.New(cfg, dev, clock)
	if err != nil {
		t.Fatal(err)
	}
	srvTab, cliTab := inproc.NewTable(), inproc.NewTable()
	svc := New(srv, srvTab)
	mux := rpc.NewMux()
	if err := mux.Add(netpb.NetMethods, netpb.NewNetDispatcher(svc)); err != nil {
		t.Fatal(err)
	}
	if err := mux.Add(procpb.SocketSourceMethods, procpb.NewSocketSourceDispatcher(procsource.Source{Stack: srv})); err != nil {
		t.Fatal(err)
	}
	ch := inproc.NewChannel(srvTab, mux)
	tr := ch.Transport(cliTab)
	h := &host{srv: srv, svc: svc, proc: procpb.NewSocketSourceClient(tr)}
	h.lx = newLx(t, netpb.NewNetClient(tr), cliTab)
	t.Cleanup(func() {
		ch.Close()
		h.lx.close()
		svc.Release()
		srv.Stop()
	})
	return h
}

// lx is what linuxd does with netd: it watches readiness once, subscribes
// each socket, and turns EAGAIN into a wait for the next notification.
type lx struct {
	t   testing.TB
	c   *netpb.NetClient
	ch  *inproc.Channel // where netd calls Notify
	mem *inproc.Memory
	buf uint32
	// slots are free 64 KiB pieces of mem, one per call in flight.
	slots chan int64

	mu     sync.Mutex
	wake   map[uint64]chan struct{} // closed by the next notification
	closed bool
}

// root is the credential lx's calls carry: uid 0 with every capability.
var root = &authpb.Cred{CapEffective: ^uint64(0)}

const slotSize = 64 << 10

func newLx(t testing.TB, c *netpb.NetClient, tab *inproc.Table) *lx {
	l := &lx{t: t, c: c, wake: map[uint64]chan struct{}{}, slots: make(chan int64, 16)}
	l.ch = inproc.NewChannel(tab, netpb.NewReadinessDispatcher(l))
	ctx := context.Background()
	if _, err := c.Watch(ctx, &netpb.WatchRequest{Channel: &rpc.Handle{Value: tab.Install(l.ch)}}); err != nil {
		t.Fatal("Watch:", err)
	}
	l.mem = inproc.NewMemory(16 * slotSize)
	reg, err := c.RegisterBuffer(ctx, &rpc.RegisterBufferRequest{Memory: &rpc.Handle{Value: tab.Install(l.mem)}})
	if err != nil {
		t.Fatal("RegisterBuffer:", err)
	}
	l.buf = reg.Buffer
	for i := range 16 {
		l.slots <- int64(i) * slotSize
	}
	return l
}

// close stops serving Notify and wakes every waiter, whose next call
// then fails because the host is gone.
func (l *lx) close() {
	l.ch.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	for _, ch := range l.wake {
		close(ch)
	}
	clear(l.wake)
}

// Notify implements netpb.ReadinessServer.
func (l *lx) Notify(_ context.Context, req *netpb.NotifyRequest) (*netpb.NotifyReply, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ev := range req.Events {
		if ch, ok := l.wake[ev.Cookie]; ok {
			close(ch)
			l.wake[ev.Cookie] = make(chan struct{})
		}
	}
	return &netpb.NotifyReply{}, nil
}

func sa(ap netip.AddrPort) *netpb.SockAddr { return sockAddr(ap) }

func ap(a *netpb.SockAddr) netip.AddrPort {
	p, err := addrOf(a)
	if err != nil {
		panic(err)
	}
	return p
}

// socket creates a socket and subscribes to all of its events, with the
// socket number as cookie.
func (l *lx) socket(family, typ int) (uint64, error) {
	ctx := context.Background()
	r, err := l.c.Socket(ctx, &netpb.SocketRequest{Cred: root, Domain: uint32(family), Type: uint32(typ)})
	if err != nil {
		return 0, err
	}
	l.subscribe(r.Socket)
	return r.Socket, nil
}

func (l *lx) mustSocket(family, typ int) uint64 {
	s, err := l.socket(family, typ)
	if err != nil {
		l.t.Fatalf("socket(%d, %d): %v", family, typ, err)
	}
	return s
}

func (l *lx) subscribe(s uint64) {
	l.mu.Lock()
	l.wake[s] = make(chan struct{})
	l.mu.Unlock()
	_, err := l.c.Subscribe(context.Background(), subReq(s))
	if err != nil {
		l.t.Fatal("Subscribe:", err)
	}
}

// waitCh returns the channel that the next notification for s closes.
// Every waiter takes it before trying its call, so an event in between is
// not lost, and every waiter wakes: reader and writer of one socket wait
// at once.
func (l *lx) waitCh(s uint64) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ch, ok := l.wake[s]; ok && !l.closed {
		return ch
	}
	ch := make(chan struct{})
	close(ch)
	return ch
}

// retry runs op until it stops failing with EAGAIN, waiting for an event
// on s between attempts: exactly how a blocking call works over netd.
func (l *lx) retry(ctx context.Context, s uint64, op func() error) error {
	for {
		ch := l.waitCh(s)
		err := op()
		if !errors.Is(err, syscall.EAGAIN) {
			return err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return syscall.EINTR
		}
	}
}

func (l *lx) bind(s uint64, a netip.AddrPort) error {
	_, err := l.c.Bind(context.Background(), &netpb.BindRequest{Cred: root, Socket: s, Addr: sa(a)})
	return err
}

func (l *lx) listen(s uint64, backlog int) error {
	_, err := l.c.Listen(context.Background(), &netpb.ListenRequest{Socket: s, Backlog: int32(backlog)})
	return err
}

// listener returns a listening TCP socket on a.
func (l *lx) listener(family int, a netip.AddrPort, backlog int) uint64 {
	s := l.mustSocket(family, syscall.SOCK_STREAM)
	if err := l.bind(s, a); err != nil {
		l.t.Fatalf("bind %v: %v", a, err)
	}
	if r, err := l.c.GetSockName(context.Background(), &netpb.GetSockNameRequest{Socket: s}); err != nil || ap(r.Addr) != a {
		l.t.Fatalf("bound to %v, getsockname = %v, %v", a, r, err)
	}
	if err := l.listen(s, backlog); err != nil {
		l.t.Fatal("listen:", err)
	}
	return s
}

func (l *lx) accept(ctx context.Context, s uint64) (uint64, netip.AddrPort, error) {
	var r *netpb.AcceptReply
	err := l.retry(ctx, s, func() (err error) {
		r, err = l.c.Accept(ctx, &netpb.AcceptRequest{Socket: s})
		return err
	})
	if err != nil {
		return 0, netip.AddrPort{}, err
	}
	l.subscribe(r.Socket)
	return r.Socket, ap(r.Peer), nil
}

// connect is a blocking connect(2): EINPROGRESS, then wait for the
// outcome and read it from SO_ERROR, as linuxd does.
func (l *lx) connect(ctx context.Context, s uint64, a netip.AddrPort) error {
	_, err := l.c.Connect(ctx, &netpb.ConnectRequest{Socket: s, Addr: sa(a)})
	if !errors.Is(err, syscall.EINPROGRESS) {
		return err
	}
	return l.finishConnect(ctx, s)
}

// finishConnect waits for the outcome of a connect in progress.
func (l *lx) finishConnect(ctx context.Context, s uint64) error {
	for {
		ch := l.waitCh(s)
		r, err := l.c.GetSockOpt(ctx, &netpb.GetSockOptRequest{Socket: s, Level: syscall.SOL_SOCKET, Name: syscall.SO_ERROR, Length: 4})
		if err != nil {
			return err
		}
		if soErr := binary.LittleEndian.Uint32(r.Value); soErr != 0 {
			return syscall.Errno(soErr)
		}
		if _, err := l.c.GetPeerName(ctx, &netpb.GetPeerNameRequest{Socket: s}); err == nil {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return syscall.EINTR
		}
	}
}

// dial returns a TCP socket connected to a.
func (l *lx) dial(family int, a netip.AddrPort) uint64 {
	s := l.mustSocket(family, syscall.SOCK_STREAM)
	if err := l.connect(context.Background(), s, a); err != nil {
		l.t.Fatalf("connect %v: %v", a, err)
	}
	return s
}

// write sends all of p through the registered buffer.
func (l *lx) write(ctx context.Context, s uint64, p []byte) error {
	off := <-l.slots
	defer func() { l.slots <- off }()
	for len(p) > 0 {
		chunk := p[:min(len(p), slotSize)]
		l.mem.WriteAt(chunk, off)
		var n uint64
		err := l.retry(ctx, s, func() error {
			r, err := l.c.Send(ctx, &netpb.SendRequest{Socket: s, Flags: sockets.MsgNoSignal,
				Data: &rpc.Data{Where: &rpc.Data_Region{Region: &rpc.Region{Buffer: l.buf, Offset: uint64(off), Length: uint64(len(chunk))}}}})
			if err == nil {
				n = r.Count
			}
			return err
		})
		if err != nil {
			return err
		}
		if n == 0 {
			// send(2) on a stream blocks or fails; it never sends nothing.
			return fmt.Errorf("send of %d bytes sent none", len(chunk))
		}
		p = p[n:]
	}
	return nil
}

// read receives up to len(p) bytes through the registered buffer; 0
// means end of stream.
func (l *lx) read(ctx context.Context, s uint64, p []byte) (int, error) {
	off := <-l.slots
	defer func() { l.slots <- off }()
	size := min(len(p), slotSize)
	var n int
	err := l.retry(ctx, s, func() error {
		r, err := l.c.Recv(ctx, &netpb.RecvRequest{Socket: s, Length: uint64(size),
			Dest: &rpc.Region{Buffer: l.buf, Offset: uint64(off), Length: uint64(size)}})
		if err == nil {
			n = int(r.Count)
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	l.mem.ReadAt(p[:n], off)
	return n, nil
}

func (l *lx) sendTo(s uint64, p []byte, to netip.AddrPort, flags uint32) error {
	req := &netpb.SendRequest{Socket: s, Data: &rpc.Data{Where: &rpc.Data_Inline{Inline: p}}, Flags: flags}
	if to.IsValid() {
		req.To = sa(to)
	}
	_, err := l.c.Send(context.Background(), req)
	return err
}

// recvFrom is a blocking recvfrom(2) with inline data.
func (l *lx) recvFrom(ctx context.Context, s uint64, size int, flags uint32) (*netpb.RecvReply, error) {
	var r *netpb.RecvReply
	err := l.retry(ctx, s, func() (err error) {
		r, err = l.c.Recv(ctx, &netpb.RecvRequest{Socket: s, Length: uint64(size), Flags: flags})
		return err
	})
	return r, err
}

func (l *lx) closeSocket(s uint64) error {
	_, err := l.c.Close(context.Background(), &netpb.CloseRequest{Socket: s})
	return err
}

func (l *lx) setInt(s uint64, level, name, v int) error {
	_, err := l.c.SetSockOpt(context.Background(), &netpb.SetSockOptRequest{Socket: s, Level: uint32(level), Name: uint32(name), Value: intBytes(v)})
	return err
}

func (l *lx) getInt(s uint64, level, name int) int {
	r, err := l.c.GetSockOpt(context.Background(), &netpb.GetSockOptRequest{Socket: s, Level: uint32(level), Name: uint32(name), Length: 4})
	if err != nil {
		l.t.Fatalf("getsockopt(%d, %d): %v", level, name, err)
	}
	return int(int32(binary.LittleEndian.Uint32(r.Value)))
}

func shutdownReq(s uint64, how int) *netpb.ShutdownRequest {
	return &netpb.ShutdownRequest{Socket: s, How: uint32(how)}
}

func recvReq(s uint64, n int) *netpb.RecvRequest {
	return &netpb.RecvRequest{Socket: s, Length: uint64(n)}
}

func subReq(s uint64) *netpb.SubscribeRequest {
	return &netpb.SubscribeRequest{Socket: s, Cookie: s, Events: sockets.PollIn | sockets.PollOut | sockets.PollRdHup}
}

func connReq(s uint64, a netip.AddrPort) *netpb.ConnectRequest {
	return &netpb.ConnectRequest{Socket: s, Addr: sa(a)}
}

// intBytes encodes an int option value as setsockopt(2) takes it.
func intBytes(v int) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(int32(v))) }
