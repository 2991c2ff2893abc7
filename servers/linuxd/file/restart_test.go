package file

import (
	"context"
	"encoding/binary"
	"errors"
	"sync"
	"syscall"
	"testing"
	"time"

	"aramid/proto/inproc"
	"aramid/proto/netpb"
	"aramid/proto/rpc"
	"aramid/servers/netd/config"
	"aramid/servers/netd/service"
	"aramid/servers/netd/sockets"
)

// netd is one instance of netd (loopback only) serving the net protocol
// to linuxd over in-process channels; kill ends it as a crash would.
type netd struct {
	stack *sockets.Stack
	svc   *service.Session
	ch    *inproc.Channel
	C     *netpb.NetClient
}

// startNetd starts a netd and connects n's readiness to it, as linuxd's
// connectNet does: Notify runs under the lock.
func startNetd(t *testing.T, mu *sync.Mutex, n func() *Net) *netd {
	t.Helper()
	cfg, err := config.ParseArgs(nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sockets.New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, cli := inproc.NewTable(), inproc.NewTable()
	d := &netd{stack: st, svc: service.New(st, srv)}
	d.ch = inproc.NewChannel(srv, netpb.NewNetDispatcher(d.svc))
	d.C = netpb.NewNetClient(d.ch.Transport(cli))
	notify := inproc.NewChannel(cli, netpb.NewReadinessDispatcher(lockedNotify{mu, n}))
	if _, err := d.C.Watch(context.Background(), &netpb.WatchRequest{Channel: &rpc.Handle{Value: cli.Install(notify)}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.kill)
	return d
}

func (d *netd) kill() {
	d.ch.Close()
	d.svc.Release()
	d.stack.Stop()
}

type lockedNotify struct {
	mu *sync.Mutex
	n  func() *Net
}

func (l lockedNotify) Notify(ctx context.Context, req *netpb.NotifyRequest) (*netpb.NotifyReply, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n().Notify(ctx, req)
}

func loopback(port uint32) *netpb.SockAddr {
	return &netpb.SockAddr{Family: syscall.AF_INET, Addr: []byte{127, 0, 0, 1}, Port: port}
}

// result is what a call that waited in a goroutine returned.
type result struct {
	s   *Socket
	err error
}

// waitResult takes a goroutine's result, failing after a few seconds so
// that a hang is a failure, not a stuck test.
func waitResult(t *testing.T, what string, ch <-chan result) result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: still waiting after 10 s", what)
		return result{}
	}
}

// TestNetdRestart kills netd under a listening socket, an accepted
// connection with a reader waiting on it, and a blocked accept; then
// connects a successor. The connection's calls fail with the documented
// errnos and its reader wakes; the listener is made again on the
// successor with its options and address, under the same Socket, and the
// accept that was waiting returns the successor's first connection.
func TestNetdRestart(t *testing.T) {
	var mu sync.Mutex
	var n *Net
	get := func() *Net { return n }
	a := startNetd(t, &mu, get)
	n = NewNet(a.C, sync.NewCond(&mu))

	mu.Lock()
	l, err := n.NewSocket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	one := binary.LittleEndian.AppendUint32(nil, 1)
	zero := binary.LittleEndian.AppendUint32(nil, 0)
	must(t, "setsockopt SO_REUSEADDR 0", l.SetSockOpt(syscall.SOL_SOCKET, syscall.SO_REUSEADDR, zero))
	must(t, "setsockopt SO_REUSEADDR 1", l.SetSockOpt(syscall.SOL_SOCKET, syscall.SO_REUSEADDR, one))
	must(t, "bind", l.Bind(RootCred(), loopback(8080)))
	must(t, "listen", l.Listen(8))
	cl, err := n.NewSocket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	must(t, "socket", err)
	must(t, "connect", cl.Connect(loopback(8080), Wait{}))
	conn, _, err := l.Accept(Wait{})
	must(t, "accept", err)
	mu.Unlock()

	reader := make(chan result, 1)
	go func() {
		mu.Lock()
		defer mu.Unlock()
		_, err := conn.Recv(16, 0, Wait{})
		reader <- result{err: err}
	}()
	time.Sleep(50 * time.Millisecond) // let the reader block

	// Each socket's generation counts up at the loss and at the
	// restore: edge-triggered epoll sees both as new edges.
	mu.Lock()
	_, gen0 := l.Poll()
	mu.Unlock()
	a.kill()
	mu.Lock()
	n.Lost()
	_, gen1 := l.Poll()
	mu.Unlock()
	if gen1 <= gen0 {
		t.Errorf("the listener's generation went from %d to %d when netd died", gen0, gen1)
	}
	if r := waitResult(t, "recv blocked when netd died", reader); !errors.Is(r.err, syscall.ECONNRESET) {
		t.Errorf("recv blocked when netd died: %v, want ECONNRESET", r.err)
	}

	mu.Lock()
	if _, err := conn.Send([]byte("x"), 0, nil, Wait{}); !errors.Is(err, syscall.EPIPE) {
		t.Errorf("send on a lost connection: %v, want EPIPE", err)
	}
	if _, err := cl.Name(true); !errors.Is(err, syscall.ENOTCONN) {
		t.Errorf("getpeername on a lost connection: %v, want ENOTCONN", err)
	}
	if ready, _ := conn.Poll(); ready&(EPOLLERR|EPOLLHUP) != EPOLLERR|EPOLLHUP {
		t.Errorf("a lost connection polls %#x, want EPOLLERR|EPOLLHUP", ready)
	}
	if _, _, err := l.Accept(Wait{NonBlock: true}); !errors.Is(err, syscall.EAGAIN) {
		t.Errorf("non-blocking accept while netd is down: %v, want EAGAIN", err)
	}
	if _, err := n.NewSocket(syscall.AF_INET, syscall.SOCK_STREAM, 0); !errors.Is(err, syscall.ENETDOWN) {
		t.Errorf("socket while netd is down: %v, want ENETDOWN", err)
	}
	mu.Unlock()

	accepted := make(chan result, 1)
	go func() {
		mu.Lock()
		defer mu.Unlock()
		s, _, err := l.Accept(Wait{})
		accepted <- result{s, err}
	}()
	time.Sleep(50 * time.Millisecond) // let the accept block

	b := startNetd(t, &mu, get)
	mu.Lock()
	n.Restore(b.C)
	if _, gen2 := l.Poll(); gen2 <= gen1 {
		t.Errorf("the listener's generation went from %d to %d at the restore", gen1, gen2)
	}
	mu.Unlock()

	mu.Lock()
	v, err := l.GetSockOpt(syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 4)
	if err != nil || binary.LittleEndian.Uint32(v) != 1 {
		t.Errorf("SO_REUSEADDR after the restart: %v, %v; want 1", v, err)
	}
	if sa, err := l.Name(false); err != nil || sa.GetPort() != 8080 {
		t.Errorf("getsockname after the restart: %v, %v; want port 8080", sa, err)
	}
	fresh, err := n.NewSocket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	must(t, "socket on the successor", err)
	must(t, "connect to the restored listener", fresh.Connect(loopback(8080), Wait{}))
	mu.Unlock()
	if r := waitResult(t, "accept blocked across the restart", accepted); r.err != nil {
		t.Errorf("accept blocked across the restart: %v", r.err)
	}

	mu.Lock()
	defer mu.Unlock()
	for what, s := range map[string]*Socket{"lost connection": conn, "lost client": cl} {
		if err := s.Close(); err != nil {
			t.Errorf("close of a %s: %v", what, err)
		}
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// TestVFSRestart: a file opened on a vfsd that has since been replaced
// answers EIO to everything but close, which succeeds, and none of it
// reaches the successor (C is nil here: a call would panic).
func TestVFSRestart(t *testing.T) {
	gen := fakeConn(0)
	v := &VFS{Conn: &gen}
	n := &Node{v: v, ID: 3, gen: v.gen()}
	if n.Lost() {
		t.Fatal("a file of the running vfsd is lost")
	}
	gen++
	if !n.Lost() {
		t.Fatal("a file of a replaced vfsd is not lost")
	}
	b := make([]byte, 8)
	for what, err := range map[string]error{
		"read":  second(n.Read(b)),
		"write": second(n.Write(b)),
		"pread": second(n.Pread(b, 0)),
		"seek":  second(n.Seek(0, 0)),
		"fstat": second(n.Fstat()),
	} {
		if !errors.Is(err, syscall.EIO) {
			t.Errorf("%s on a lost file: %v, want EIO", what, err)
		}
	}
	if err := n.Close(); err != nil {
		t.Errorf("close of a lost file: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

// fakeConn is a Restartable whose generation a test sets.
type fakeConn uint64

func (c *fakeConn) Gen() uint64 { return uint64(*c) }
func (c *fakeConn) Check()      {}
