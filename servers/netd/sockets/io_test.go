package sockets

import (
	"context"
	"errors"
	"io"
	"net/netip"
	"strings"
	"syscall"
	"testing"
)

// write is one call of a recording io.WriterAt.
type write struct {
	off  int64
	data string
}

// recorder is an io.WriterAt that reports each write on a channel.
type recorder chan write

func (r recorder) WriteAt(p []byte, off int64) (int, error) {
	r <- write{off, string(p)}
	return len(p), nil
}

// MSG_WAITALL keeps reading until all the bytes came, each piece stored
// after the last, and takes no more than it was asked for.
func TestWaitAllPieces(t *testing.T) {
	n := loopbackServer(t)
	ctx := context.Background()
	c, s := connectedPair(t, n, 9012)
	rec := make(recorder, 4)
	got := make(chan recvResult, 1)
	go func() {
		r, err := n.RecvTo(ctx, s, rec, 100, 6, MsgWaitAll)
		got <- recvResult{r, err}
	}()
	for i, p := range []string{"abc", "defgh"} {
		if m, err := n.Send(ctx, c, strings.NewReader(p), len(p), netip.AddrPort{}, 0); m != len(p) || err != nil {
			t.Fatalf("send = %d, %v; want %d", m, err, len(p))
		}
		if w := <-rec; w != (write{100 + 3*int64(i), p[:3]}) {
			t.Errorf("piece %d stored as %+v, want %q at %d", i, w, p[:3], 100+3*i)
		}
	}
	if r := <-got; r.err != nil || r.r.N != 6 || r.r.Len != 6 {
		t.Errorf("MSG_WAITALL recv = %+v, %v; want 6 bytes", r.r, r.err)
	}
	if r, err := n.Recv(ctx, s, 8, 0); err != nil || string(r.Data) != "gh" {
		t.Errorf("recv after MSG_WAITALL = %q, %v; want the gh it left", r.Data, err)
	}
}

// eofAt is an io.ReaderAt that says io.EOF along with the last bytes,
// as the io.ReaderAt contract allows.
type eofAt string

func (e eofAt) ReadAt(p []byte, off int64) (int, error) {
	n := copy(p, e[off:])
	if off+int64(n) == int64(len(e)) {
		return n, io.EOF
	}
	return n, nil
}

func TestSendSource(t *testing.T) {
	n := loopbackServer(t)
	ctx := context.Background()
	c, s := connectedPair(t, n, 9013)
	// The bytes end exactly where the source does: EOF with them is no
	// error.
	if m, err := n.Send(ctx, c, eofAt("hello"), 5, netip.AddrPort{}, 0); m != 5 || err != nil {
		t.Errorf("send from a source ending with EOF = %d, %v; want 5", m, err)
	}
	// Only size bytes of a larger source go.
	if m, err := n.Send(ctx, c, strings.NewReader("world and more"), 5, netip.AddrPort{}, 0); m != 5 || err != nil {
		t.Errorf("send of 5 bytes = %d, %v", m, err)
	}
	if r, err := n.Recv(ctx, s, 10, MsgWaitAll); err != nil || string(r.Data) != "helloworld" {
		t.Errorf("received %q, %v; want helloworld", r.Data, err)
	}
}

// Flags and sizes recv(2) and send(2) check before anything moves.
func TestRecvSendArguments(t *testing.T) {
	n := loopbackServer(t)
	ctx := context.Background()
	c, s := connectedPair(t, n, 9014)
	udp, _ := n.Socket(Cred{}, syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"recv MSG_OOB without urgent data", errOf(n.Recv(ctx, s, 1, msgOOB|MsgDontWait)), syscall.EINVAL},
		{"send MSG_OOB on UDP", errOf(n.Send(ctx, udp, strings.NewReader("x"), 1, netip.MustParseAddrPort("127.0.0.1:9"), msgOOB)), syscall.EOPNOTSUPP},
		{"recv of negative size", errOf(n.Recv(ctx, s, -1, MsgDontWait)), syscall.EINVAL},
		{"recvto of negative size", errOf(n.RecvTo(ctx, s, sliceAt(nil), 0, -1, MsgDontWait)), syscall.EINVAL},
		{"sendto an IPv6 address from AF_INET", errOf(n.Send(ctx, udp, strings.NewReader("x"), 1, netip.MustParseAddrPort("[::1]:9"), 0)), syscall.EAFNOSUPPORT},
		{"send on unknown socket", errOf(n.Send(ctx, 7777, strings.NewReader("x"), 1, netip.AddrPort{}, 0)), syscall.EBADF},
		{"recv on unknown socket", errOf(n.Recv(ctx, 7777, 1, 0)), syscall.EBADF},
		{"shutdown unknown socket", n.Shutdown(7777, syscall.SHUT_RD), syscall.EBADF},
		{"getsockname of unknown socket", errOf(n.SockName(7777)), syscall.EBADF},
		{"getpeername of unknown socket", errOf(n.PeerName(7777)), syscall.EBADF},
		{"getsockopt of unknown socket", errOf(n.GetSockOpt(7777, syscall.SOL_SOCKET, syscall.SO_TYPE)), syscall.EBADF},
		{"setsockopt of unknown socket", n.SetSockOpt(7777, syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, intBytes(1)), syscall.EBADF},
	} {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s = %v, want %v", tc.name, tc.err, tc.want)
		}
	}
	// A stream recv of 0 bytes returns at once, even with nothing queued.
	if r, err := n.Recv(ctx, s, 0, 0); err != nil || r.N != 0 {
		t.Errorf("recv of 0 bytes = %+v, %v; want 0", r, err)
	}
	// MSG_PEEK leaves the bytes queued; MSG_MORE still sends.
	if _, err := n.Send(ctx, c, strings.NewReader("peek"), 4, netip.AddrPort{}, MsgMore); err != nil {
		t.Fatal(err)
	}
	n.Send(ctx, c, strings.NewReader("!"), 1, netip.AddrPort{}, 0)
	if r, err := n.Recv(ctx, s, 5, MsgPeek|MsgWaitAll); err != nil || !strings.HasPrefix("peek!", string(r.Data)) || r.N == 0 {
		t.Errorf("peek = %q, %v", r.Data, err)
	}
	if r, err := n.Recv(ctx, s, 5, MsgWaitAll); err != nil || string(r.Data) != "peek!" {
		t.Errorf("read after peek = %q, %v; want peek!", r.Data, err)
	}
}

func errOf[T any](_ T, err error) error { return err }

// A datagram comes whole with its sender; a short read truncates it and
// says so, and MSG_TRUNC returns the full length, as recvmsg(2) does.
func TestDatagrams(t *testing.T) {
	n := loopbackServer(t)
	ctx := context.Background()
	to := netip.MustParseAddrPort("127.0.0.1:5300")
	srv, _ := n.Socket(Cred{}, syscall.AF_INET, syscall.SOCK_DGRAM, syscall.IPPROTO_UDP)
	if err := n.Bind(Cred{}, srv, to); err != nil {
		t.Fatal(err)
	}
	cli, _ := n.Socket(Cred{}, syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err := n.Bind(Cred{}, cli, netip.MustParseAddrPort("127.0.0.1:5301")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		msg   string
		size  int
		flags int
		want  Received
	}{
		{"hello", 5, 0, Received{Data: []byte("hello"), N: 5, Len: 5}},
		{"hello", 8, 0, Received{Data: []byte("hello"), N: 5, Len: 5}},
		{"hello", 2, 0, Received{Data: []byte("he"), N: 2, Len: 2, Flags: MsgTrunc}},
		{"hello", 2, MsgTrunc, Received{Data: []byte("he"), N: 2, Len: 5, Flags: MsgTrunc}},
		{"hello", 0, 0, Received{Data: []byte{}, N: 0, Len: 0, Flags: MsgTrunc}},
		{"", 4, 0, Received{Data: []byte{}, N: 0, Len: 0}},
	} {
		if m, err := n.Send(ctx, cli, strings.NewReader(c.msg), len(c.msg), to, 0); m != len(c.msg) || err != nil {
			t.Fatalf("sendto = %d, %v", m, err)
		}
		r, err := n.Recv(ctx, srv, c.size, c.flags)
		c.want.From = netip.MustParseAddrPort("127.0.0.1:5301")
		if err != nil || string(r.Data) != string(c.want.Data) || r.N != c.want.N || r.Len != c.want.Len || r.Flags != c.want.Flags || r.From != c.want.From {
			t.Errorf("recv(%d, %#x) of %q = %+v, %v; want %+v", c.size, c.flags, c.msg, r, err, c.want)
		}
	}
	// Nothing is left: each read took its datagram whole.
	if _, err := n.Recv(ctx, srv, 8, MsgDontWait); !errors.Is(err, syscall.EAGAIN) {
		t.Errorf("recv of an empty queue = %v, want EAGAIN", err)
	}
	// A connected datagram socket sends to its peer without an address,
	// and after disconnecting (connect to AF_UNSPEC) needs one again.
	if err := n.Connect(ctx, cli, to, false); err != nil {
		t.Fatal(err)
	}
	if peer, err := n.PeerName(cli); err != nil || peer != to {
		t.Errorf("getpeername = %v, %v; want %v", peer, err, to)
	}
	if _, err := n.Send(ctx, cli, strings.NewReader("x"), 1, netip.AddrPort{}, 0); err != nil {
		t.Errorf("send on a connected datagram socket = %v", err)
	}
	if err := n.Disconnect(cli); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Send(ctx, cli, strings.NewReader("x"), 1, netip.AddrPort{}, 0); !errors.Is(err, syscall.EDESTADDRREQ) {
		t.Errorf("send after disconnect = %v, want EDESTADDRREQ", err)
	}
	if err := n.Disconnect(7777); !errors.Is(err, syscall.EBADF) {
		t.Errorf("disconnect of unknown socket = %v, want EBADF", err)
	}
}

// getsockname and getpeername show addresses in the socket's family: the
// family's "any" when unbound, and an IPv4 peer of a dual-stack socket
// IPv4-mapped.
func TestNames(t *testing.T) {
	n := loopbackServer(t)
	ctx := context.Background()
	ln := listener(t, n, syscall.AF_INET, netip.MustParseAddrPort("127.0.0.1:9015"), 4)
	for _, c := range []struct {
		family int
		want   netip.AddrPort
	}{
		{syscall.AF_INET, netip.MustParseAddrPort("0.0.0.0:0")},
		{syscall.AF_INET6, netip.MustParseAddrPort("[::]:0")},
	} {
		s, _ := n.Socket(Cred{}, c.family, syscall.SOCK_STREAM, 0)
		if got, err := n.SockName(s); err != nil || got != c.want {
			t.Errorf("getsockname of an unbound socket of family %d = %v, %v; want %v", c.family, got, err, c.want)
		}
		if got, err := n.PeerName(s); !errors.Is(err, syscall.ENOTCONN) {
			t.Errorf("getpeername of an unconnected socket = %v, %v; want ENOTCONN", got, err)
		}
	}
	if got, err := n.SockName(ln); err != nil || got != netip.MustParseAddrPort("127.0.0.1:9015") {
		t.Errorf("getsockname of the listener = %v, %v", got, err)
	}
	c6, _ := n.Socket(Cred{}, syscall.AF_INET6, syscall.SOCK_STREAM, 0)
	if err := n.Connect(ctx, c6, netip.MustParseAddrPort("[::ffff:127.0.0.1]:9015"), false); err != nil {
		t.Fatal(err)
	}
	if got, err := n.PeerName(c6); err != nil || got != netip.MustParseAddrPort("[::ffff:127.0.0.1]:9015") {
		t.Errorf("getpeername of a dual-stack socket = %v, %v; want [::ffff:127.0.0.1]:9015", got, err)
	}
	local, _ := n.SockName(c6)
	// netstack queues the connection for accept on its own goroutine,
	// after Connect has returned: wait for it.
	s, peer, err := n.Accept(ctx, ln, false)
	if err != nil || peer != netip.AddrPortFrom(local.Addr().Unmap(), local.Port()) {
		t.Errorf("accept = %v, %v; want the peer %v as IPv4", peer, err, local)
	}
	if got, err := n.PeerName(s); err != nil || got != peer {
		t.Errorf("getpeername of the accepted socket = %v, %v; want %v", got, err, peer)
	}
}

// shutdown(SHUT_RD) ends reading at once; SHUT_WR ends the peer's stream.
func TestShutdown(t *testing.T) {
	n := loopbackServer(t)
	ctx := context.Background()
	c, s := connectedPair(t, n, 9016)
	if err := n.Shutdown(s, syscall.SHUT_RD); err != nil {
		t.Fatal(err)
	}
	if r, err := n.Recv(ctx, s, 4, 0); err != nil || r.N != 0 {
		t.Errorf("recv after SHUT_RD = %+v, %v; want end of stream", r, err)
	}
	if err := n.Shutdown(c, syscall.SHUT_WR); err != nil {
		t.Fatal(err)
	}
	if r, err := n.Recv(ctx, s, 4, 0); err != nil || r.N != 0 {
		t.Errorf("recv after the peer's SHUT_WR = %+v, %v; want end of stream", r, err)
	}
	if _, err := n.Send(ctx, c, strings.NewReader("x"), 1, netip.AddrPort{}, 0); !errors.Is(err, syscall.EPIPE) {
		t.Errorf("send after SHUT_WR = %v, want EPIPE", err)
	}
	if err := n.Shutdown(s, syscall.SHUT_RDWR); err != nil {
		t.Errorf("SHUT_RDWR = %v", err)
	}
	if err := n.Close(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(ctx, c); !errors.Is(err, syscall.EBADF) {
		t.Errorf("second close = %v, want EBADF", err)
	}
}

// payload is an io.Reader over bytes [off, end) of its source: it stops
// at end though the source goes on, then says io.EOF; a source shorter
// than end ends in io.EOF too, not in reads of nothing.
func TestPayloadRead(t *testing.T) {
	b := make([]byte, 16)
	p := &payload{r: strings.NewReader("hello world"), off: 2, end: 7}
	if n, err := p.Read(b); n != 5 || err != nil || string(b[:n]) != "llo w" {
		t.Errorf("Read = %d %q, %v; want 5 \"llo w\"", n, b[:n], err)
	}
	if n, err := p.Read(b); n != 0 || err != io.EOF {
		t.Errorf("Read at the end = %d, %v; want 0, EOF", n, err)
	}
	short := &payload{r: strings.NewReader("abc"), end: 5}
	if n, err := short.Read(b); n != 3 || err != io.EOF || string(b[:n]) != "abc" {
		t.Errorf("Read of a short source = %d %q, %v; want 3 \"abc\", EOF", n, b[:n], err)
	}
}

// sliceAt is an io.WriterAt over a slice: a write that fits succeeds,
// an empty one at the end too; one past the end stores what fits and
// says io.ErrShortWrite.
func TestSliceAtWriteAt(t *testing.T) {
	b := make(sliceAt, 8)
	for _, c := range []struct {
		data string
		off  int64
		n    int
		err  error
	}{{"abc", 5, 3, nil}, {"xyz", 0, 3, nil}, {"", 8, 0, nil}, {"defg", 6, 2, io.ErrShortWrite}, {"h", 9, 0, io.ErrShortWrite}} {
		if n, err := b.WriteAt([]byte(c.data), c.off); n != c.n || err != c.err {
			t.Errorf("WriteAt(%q, %d) = %d, %v; want %d, %v", c.data, c.off, n, err, c.n, c.err)
		}
	}
	if string(b) != "xyz\x00\x00ade" {
		t.Errorf("slice holds %q", b)
	}
}
