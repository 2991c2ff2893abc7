package procd

import (
	"bytes"
	"net"
	"os"
	"strings"
	"testing"

	"aramid/proto/procpb"
)

// openSockets gives the host's socket tables lines of every kind: TCP
// listeners and an established pair, UDP sockets bound and connected, and
// unix sockets with a path, an abstract name, and none.
func openSockets(t *testing.T) {
	t.Helper()
	closeLater := func(c interface{ Close() error }) { t.Cleanup(func() { c.Close() }) }
	for _, nw := range []struct{ network, addr string }{{"tcp4", "127.0.0.1:0"}, {"tcp6", "[::1]:0"}} {
		l, err := net.Listen(nw.network, nw.addr)
		if err != nil {
			t.Logf("listen %s: %v", nw.network, err)
			continue
		}
		closeLater(l)
		c, err := net.Dial(nw.network, l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		closeLater(c)
		s, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		closeLater(s)
		c.Write([]byte("unread")) // a non-empty receive queue
	}
	for _, nw := range []struct{ network, addr string }{{"udp4", "127.0.0.1:0"}, {"udp6", "[::1]:0"}} {
		u, err := net.ListenPacket(nw.network, nw.addr)
		if err != nil {
			t.Logf("listen %s: %v", nw.network, err)
			continue
		}
		closeLater(u)
		c, err := net.Dial(nw.network, u.LocalAddr().String())
		if err != nil {
			t.Fatal(err)
		}
		closeLater(c)
		c.Write([]byte("queued"))
	}
	// Raw sockets need CAP_NET_RAW; without it the raw files stay empty.
	for _, nw := range []string{"ip4:icmp", "ip6:ipv6-icmp"} {
		if c, err := net.ListenPacket(nw, ""); err == nil {
			closeLater(c)
		}
	}
	dir := t.TempDir()
	for _, addr := range []string{dir + "/with space", "@aramid-procd-test\x00x"} {
		l, err := net.Listen("unix", addr)
		if err != nil {
			t.Fatal(err)
		}
		closeLater(l)
	}
	u, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: dir + "/dgram", Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	closeLater(u)
}

func TestHostNetRoundTrip(t *testing.T) {
	openSockets(t)
	for _, tc := range []struct {
		file   string
		family uint32
		proto  procpb.Protocol
		words  int
	}{
		{"tcp", 4, procpb.Protocol_PROTOCOL_TCP, 1},
		{"tcp6", 6, procpb.Protocol_PROTOCOL_TCP, 4},
		{"udp", 4, procpb.Protocol_PROTOCOL_UDP, 1},
		{"udp6", 6, procpb.Protocol_PROTOCOL_UDP, 4},
		{"raw", 4, procpb.Protocol_PROTOCOL_RAW, 1},
		{"raw6", 6, procpb.Protocol_PROTOCOL_RAW, 4},
	} {
		host := readHost(t, "/proc/net/"+tc.file)
		lines := strings.Split(strings.TrimSuffix(string(host), "\n"), "\n")
		var socks []*procpb.SocketEntry
		for _, l := range lines[1:] {
			socks = append(socks, parseInetLine(t, l, tc.family, tc.proto))
		}
		var b bytes.Buffer
		// udp and raw print a hash bucket where tcp counts lines.
		sl := 0
		switch {
		case tc.proto == procpb.Protocol_PROTOCOL_UDP:
			renderUDP(&b, socks, tc.words)
			sl = 5
		case tc.proto == procpb.Protocol_PROTOCOL_RAW:
			renderRaw(&b, socks, tc.words)
			sl = map[int]int{1: 4, 4: 5}[tc.words]
		default:
			renderTCP(&b, socks, tc.words)
		}
		want := normaliseNet(host, 11, sl)
		if got := normaliseNet(b.Bytes(), 11, sl); got != want {
			t.Errorf("/proc/net/%s differs:\nhost:\n%s\nours:\n%s", tc.file, want, got)
		}
		t.Logf("/proc/net/%s: %d sockets round-trip", tc.file, len(socks))
	}
}

func TestHostUnixRoundTrip(t *testing.T) {
	openSockets(t)
	host := readHost(t, "/proc/net/unix")
	lines := strings.Split(strings.TrimSuffix(string(host), "\n"), "\n")
	var socks []*procpb.UnixSocketEntry
	var want bytes.Buffer
	want.WriteString(lines[0] + "\n")
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		e := &procpb.UnixSocketEntry{Refcount: uint32(hexu(t, f[1])), Flags: uint32(hexu(t, f[3])),
			Type: uint32(hexu(t, f[4])), State: uint32(hexu(t, f[5])), Inode: atou(t, f[6])}
		// The columns before the inode have a fixed width; the path
		// follows the inode after one space.
		const fixed = len("0000000000000000: 00000002 00000000 00010000 0001 01 ")
		if _, path, ok := strings.Cut(strings.TrimLeft(l[fixed:], " "), " "); ok {
			if strings.HasPrefix(path, "@") {
				path = "\x00" + strings.ReplaceAll(path[1:], "@", "\x00")
			}
			e.Path = []byte(path)
		}
		socks = append(socks, e)
		want.WriteString(nullPointer + l[16:] + "\n")
	}
	var b bytes.Buffer
	renderUnix(&b, socks)
	if b.String() != want.String() {
		t.Errorf("/proc/net/unix differs:\nhost:\n%s\nours:\n%s", want.String(), b.String())
	}
	if !strings.Contains(b.String(), " @aramid-procd-test@x\n") {
		t.Errorf("the abstract test socket is missing:\n%s", b.String())
	}
	t.Logf("/proc/net/unix: %d sockets round-trip", len(socks))
}

// TestHostNetHeaders checks the header lines, which carry the padding
// and spacing most easily got wrong, against the host byte for byte.
func TestHostNetHeaders(t *testing.T) {
	for file, render := range map[string]func(*bytes.Buffer){
		"tcp":  func(b *bytes.Buffer) { renderTCP(b, nil, 1) },
		"tcp6": func(b *bytes.Buffer) { renderTCP(b, nil, 4) },
		"udp":  func(b *bytes.Buffer) { renderUDP(b, nil, 1) },
		"udp6": func(b *bytes.Buffer) { renderUDP(b, nil, 4) },
		"raw":  func(b *bytes.Buffer) { renderRaw(b, nil, 1) },
		"raw6": func(b *bytes.Buffer) { renderRaw(b, nil, 4) },
		"unix": func(b *bytes.Buffer) { renderUnix(b, nil) },
	} {
		host, err := os.ReadFile("/proc/net/" + file)
		if err != nil {
			continue
		}
		header, _, _ := bytes.Cut(host, []byte("\n"))
		var b bytes.Buffer
		render(&b)
		if got := strings.TrimSuffix(b.String(), "\n"); got != string(header) {
			t.Errorf("%s header:\nhost %q\nours %q", file, header, got)
		}
	}
}
