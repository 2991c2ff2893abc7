package sockets

import (
	"aramid/servers/netd/config"
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"syscall"
	"testing"
	"unsafe"
)

// These tests run the same socket calls on the host's Linux and on netd
// and require the same results: Linux is the specification.

// sockets is the part of the socket API the comparison drives.
type sockets interface {
	socket(family, typ int) (int, error)
	setsockopt(s, level, name int, val []byte) error
	getsockopt(s, level, name, size int) ([]byte, error)
	bind(s int, a netip.AddrPort) error
	listen(s int) error
	accept(s int) error
	send(s int) error
	recv(s int) error
	shutdown(s, how int) error
	getpeername(s int) error
	close(s int)
}

type hostSockets struct{}

func (hostSockets) socket(family, typ int) (int, error) { return syscall.Socket(family, typ, 0) }
func (hostSockets) setsockopt(s, level, name int, val []byte) error {
	var p unsafe.Pointer
	if len(val) > 0 {
		p = unsafe.Pointer(&val[0])
	}
	_, _, e := syscall.Syscall6(syscall.SYS_SETSOCKOPT, uintptr(s), uintptr(level), uintptr(name), uintptr(p), uintptr(len(val)), 0)
	return errnoOrNil(e)
}
func (hostSockets) getsockopt(s, level, name, size int) ([]byte, error) {
	b := make([]byte, size)
	l := uint32(size)
	_, _, e := syscall.Syscall6(syscall.SYS_GETSOCKOPT, uintptr(s), uintptr(level), uintptr(name), uintptr(unsafe.Pointer(&b[0])), uintptr(unsafe.Pointer(&l)), 0)
	return b[:l], errnoOrNil(e)
}
func (hostSockets) bind(s int, a netip.AddrPort) error {
	if a.Addr().Is4() {
		return syscall.Bind(s, &syscall.SockaddrInet4{Addr: a.Addr().As4(), Port: int(a.Port())})
	}
	return syscall.Bind(s, &syscall.SockaddrInet6{Addr: a.Addr().As16(), Port: int(a.Port())})
}
func (hostSockets) listen(s int) error { return syscall.Listen(s, 1) }
func (hostSockets) accept(s int) error {
	if err := syscall.SetNonblock(s, true); err != nil {
		return err
	}
	_, _, err := syscall.Accept(s)
	return err
}
func (hostSockets) send(s int) error {
	return syscall.Sendto(s, []byte("x"), syscall.MSG_NOSIGNAL|syscall.MSG_DONTWAIT, nil)
}
func (hostSockets) recv(s int) error {
	_, _, err := syscall.Recvfrom(s, make([]byte, 1), syscall.MSG_DONTWAIT)
	return err
}
func (hostSockets) shutdown(s, how int) error { return syscall.Shutdown(s, how) }
func (hostSockets) getpeername(s int) error {
	_, err := syscall.Getpeername(s)
	return err
}
func (hostSockets) close(s int) { syscall.Close(s) }

func errnoOrNil(e syscall.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

// netdSockets calls a Stack directly, non-blocking, as linuxd would.
type netdSockets struct{ n *Stack }

func (d netdSockets) socket(family, typ int) (int, error) {
	id, err := d.n.Socket(Cred{}, family, typ, 0)
	return int(id), err
}
func (d netdSockets) setsockopt(s, level, name int, val []byte) error {
	return d.n.SetSockOpt(ID(s), level, name, val)
}
func (d netdSockets) getsockopt(s, level, name, size int) ([]byte, error) {
	v, err := d.n.GetSockOpt(ID(s), level, name)
	return v[:min(len(v), size)], err
}
func (d netdSockets) bind(s int, a netip.AddrPort) error {
	return d.n.Bind(Cred{}, ID(s), a)
}
func (d netdSockets) listen(s int) error { return d.n.Listen(ID(s), 1) }
func (d netdSockets) accept(s int) error {
	_, _, err := d.n.Accept(context.Background(), ID(s), true)
	return err
}
func (d netdSockets) send(s int) error {
	_, err := d.n.Send(context.Background(), ID(s), bytesReader("x"), 1, netip.AddrPort{}, MsgDontWait)
	return err
}
func (d netdSockets) recv(s int) error {
	_, err := d.n.Recv(context.Background(), ID(s), 1, MsgDontWait)
	return err
}
func (d netdSockets) shutdown(s, how int) error { return d.n.Shutdown(ID(s), how) }
func (d netdSockets) getpeername(s int) error {
	_, err := d.n.PeerName(ID(s))
	return err
}
func (d netdSockets) close(s int) { d.n.Close(context.Background(), ID(s)) }

// result is what one call gave: an errno and, for getsockopt, bytes.
type result struct {
	errno syscall.Errno
	value string
}

func resultOf(v []byte, err error) result {
	var r result
	if !errors.As(err, &r.errno) && err != nil {
		r.errno = syscall.EIO
	}
	if err == nil {
		r.value = string(v)
	}
	return r
}

func timevalBytes(sec, usec int64) []byte {
	return binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, uint64(sec)), uint64(usec))
}

func TestAgainstLinux(t *testing.T) {
	host := hostSockets{}
	if s, err := host.socket(syscall.AF_INET6, syscall.SOCK_STREAM); err != nil {
		t.Skip("host has no IPv6 sockets:", err)
	} else {
		host.close(s)
	}
	srv, err := New(config.Config{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	nd := netdSockets{srv}

	type call func(api sockets, s int) result
	getopt := func(level, name, size int) call {
		return func(api sockets, s int) result { return resultOf(api.getsockopt(s, level, name, size)) }
	}
	setget := func(level, name int, val []byte) call {
		return func(api sockets, s int) result {
			if err := api.setsockopt(s, level, name, val); err != nil {
				return resultOf(nil, err)
			}
			return resultOf(api.getsockopt(s, level, name, len(val)))
		}
	}
	errOnly := func(f func(api sockets, s int) error) call {
		return func(api sockets, s int) result { return resultOf(nil, f(api, s)) }
	}
	tcp4, tcp6, udp4 := [2]int{syscall.AF_INET, syscall.SOCK_STREAM}, [2]int{syscall.AF_INET6, syscall.SOCK_STREAM}, [2]int{syscall.AF_INET, syscall.SOCK_DGRAM}
	udp6 := [2]int{syscall.AF_INET6, syscall.SOCK_DGRAM}
	cases := []struct {
		name string
		sock [2]int
		call call
	}{
		{"SO_TYPE", udp4, getopt(syscall.SOL_SOCKET, syscall.SO_TYPE, 4)},
		{"SO_PROTOCOL", tcp4, getopt(syscall.SOL_SOCKET, soProtocol, 4)},
		{"SO_DOMAIN", tcp6, getopt(syscall.SOL_SOCKET, soDomain, 4)},
		{"SO_ACCEPTCONN", tcp4, getopt(syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN, 4)},
		{"SO_ERROR", tcp4, getopt(syscall.SOL_SOCKET, syscall.SO_ERROR, 4)},
		{"SO_REUSEADDR default", tcp4, getopt(syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 4)},
		{"SO_REUSEADDR set", tcp4, setget(syscall.SOL_SOCKET, syscall.SO_REUSEADDR, intBytes(5))},
		{"SO_REUSEPORT set", tcp4, setget(syscall.SOL_SOCKET, soReusePort, intBytes(1))},
		{"SO_KEEPALIVE set", tcp4, setget(syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, intBytes(1))},
		{"SO_BROADCAST set", udp4, setget(syscall.SOL_SOCKET, syscall.SO_BROADCAST, intBytes(1))},
		{"SO_SNDBUF 65536", tcp4, setget(syscall.SOL_SOCKET, syscall.SO_SNDBUF, intBytes(65536))},
		{"SO_RCVBUF 65536", tcp4, setget(syscall.SOL_SOCKET, syscall.SO_RCVBUF, intBytes(65536))},
		{"SO_LINGER default", tcp4, getopt(syscall.SOL_SOCKET, syscall.SO_LINGER, 8)},
		{"SO_LINGER set", tcp4, setget(syscall.SOL_SOCKET, syscall.SO_LINGER, append(intBytes(1), intBytes(7)...))},
		{"SO_LINGER short", tcp4, setget(syscall.SOL_SOCKET, syscall.SO_LINGER, intBytes(1))},
		{"SO_RCVTIMEO default", tcp4, getopt(syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, 16)},
		{"SO_RCVTIMEO 2.5s", tcp4, setget(syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, timevalBytes(2, 500000))},
		{"SO_SNDTIMEO 1s", tcp4, setget(syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, timevalBytes(1, 0))},
		{"SO_RCVTIMEO usec 1e6", tcp4, setget(syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, timevalBytes(0, 1000000))},
		{"SO_KEEPALIVE short", tcp4, setget(syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, []byte{1, 0})},
		{"unknown SOL_SOCKET option", tcp4, getopt(syscall.SOL_SOCKET, 999, 4)},
		{"TCP_NODELAY default", tcp4, getopt(syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 4)},
		{"TCP_NODELAY set", tcp4, setget(syscall.IPPROTO_TCP, syscall.TCP_NODELAY, intBytes(1))},
		{"TCP_KEEPIDLE default", tcp4, getopt(syscall.IPPROTO_TCP, tcpKeepIdle, 4)},
		{"TCP_KEEPIDLE set", tcp4, setget(syscall.IPPROTO_TCP, tcpKeepIdle, intBytes(30))},
		{"TCP_KEEPIDLE 0", tcp4, setget(syscall.IPPROTO_TCP, tcpKeepIdle, intBytes(0))},
		{"TCP_KEEPINTVL default", tcp4, getopt(syscall.IPPROTO_TCP, tcpKeepIntvl, 4)},
		{"TCP_KEEPCNT default", tcp4, getopt(syscall.IPPROTO_TCP, tcpKeepCnt, 4)},
		{"TCP_KEEPCNT 0", tcp4, setget(syscall.IPPROTO_TCP, tcpKeepCnt, intBytes(0))},
		{"TCP_USER_TIMEOUT set", tcp4, setget(syscall.IPPROTO_TCP, tcpUserTimeout, intBytes(5000))},
		{"TCP_NODELAY on UDP", udp4, setget(syscall.IPPROTO_TCP, syscall.TCP_NODELAY, intBytes(1))},
		{"IP_TTL default", tcp4, getopt(syscall.IPPROTO_IP, syscall.IP_TTL, 4)},
		{"IP_TTL set", udp4, setget(syscall.IPPROTO_IP, syscall.IP_TTL, intBytes(9))},
		{"IP_TTL 0", udp4, setget(syscall.IPPROTO_IP, syscall.IP_TTL, intBytes(0))},
		{"IPV6_V6ONLY default", tcp6, getopt(syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 4)},
		{"IPV6_V6ONLY set", tcp6, setget(syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, intBytes(1))},
		{"IPV6_V6ONLY on AF_INET", tcp4, setget(syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, intBytes(1))},
		{"SO_RCVBUF -1", tcp4, setget(syscall.SOL_SOCKET, syscall.SO_RCVBUF, intBytes(-1))},
		{"SO_LINGER zero", tcp4, setget(syscall.SOL_SOCKET, syscall.SO_LINGER, append(intBytes(1), intBytes(0)...))},
		{"SO_LINGER off", tcp4, setget(syscall.SOL_SOCKET, syscall.SO_LINGER, append(intBytes(0), intBytes(3)...))},
		{"SO_LINGER off keeps the time", tcp4, func(api sockets, s int) result {
			api.setsockopt(s, syscall.SOL_SOCKET, syscall.SO_LINGER, append(intBytes(1), intBytes(7)...))
			return setget(syscall.SOL_SOCKET, syscall.SO_LINGER, append(intBytes(0), intBytes(3)...))(api, s)
		}},
		{"SO_RCVTIMEO usec only", tcp4, setget(syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, timevalBytes(0, 500000))},
		{"SO_RCVTIMEO usec -1", tcp4, setget(syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, timevalBytes(1, -1))},
		{"SO_SNDTIMEO negative", tcp4, setget(syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, timevalBytes(-2, 0))},
		{"SO_SNDTIMEO huge", tcp4, setget(syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, timevalBytes(1<<62, 0))},
		{"SO_SNDTIMEO short", tcp4, setget(syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, make([]byte, 15))},
		{"SO_RCVTIMEO keeps SO_SNDTIMEO", tcp4, func(api sockets, s int) result {
			api.setsockopt(s, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, timevalBytes(3, 0))
			api.setsockopt(s, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, timevalBytes(4, 0))
			return resultOf(api.getsockopt(s, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, 16))
		}},
		{"SO_REUSEADDR 0", tcp4, setget(syscall.SOL_SOCKET, syscall.SO_REUSEADDR, intBytes(0))},
		{"SO_BROADCAST default", udp4, getopt(syscall.SOL_SOCKET, syscall.SO_BROADCAST, 4)},
		{"SO_ACCEPTCONN listening", tcp4, func(api sockets, s int) result {
			api.listen(s)
			return resultOf(api.getsockopt(s, syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN, 4))
		}},
		{"TCP_NODELAY short", tcp4, setget(syscall.IPPROTO_TCP, syscall.TCP_NODELAY, []byte{1, 0, 0})},
		{"TCP_NODELAY off", tcp4, setget(syscall.IPPROTO_TCP, syscall.TCP_NODELAY, intBytes(0))},
		{"TCP_CORK default", tcp4, getopt(syscall.IPPROTO_TCP, syscall.TCP_CORK, 4)},
		{"TCP_CORK set", tcp4, setget(syscall.IPPROTO_TCP, syscall.TCP_CORK, intBytes(1))},
		{"TCP_KEEPIDLE 1", tcp4, setget(syscall.IPPROTO_TCP, tcpKeepIdle, intBytes(1))},
		{"TCP_KEEPIDLE 32767", tcp4, setget(syscall.IPPROTO_TCP, tcpKeepIdle, intBytes(32767))},
		{"TCP_KEEPIDLE 32768", tcp4, setget(syscall.IPPROTO_TCP, tcpKeepIdle, intBytes(32768))},
		{"TCP_KEEPINTVL set", tcp4, setget(syscall.IPPROTO_TCP, tcpKeepIntvl, intBytes(10))},
		{"TCP_KEEPINTVL 0", tcp4, setget(syscall.IPPROTO_TCP, tcpKeepIntvl, intBytes(0))},
		{"TCP_KEEPCNT 1", tcp4, setget(syscall.IPPROTO_TCP, tcpKeepCnt, intBytes(1))},
		{"TCP_KEEPCNT 127", tcp4, setget(syscall.IPPROTO_TCP, tcpKeepCnt, intBytes(127))},
		{"TCP_KEEPCNT 128", tcp4, setget(syscall.IPPROTO_TCP, tcpKeepCnt, intBytes(128))},
		{"TCP_SYNCNT default", tcp4, getopt(syscall.IPPROTO_TCP, tcpSynCnt, 4)},
		{"TCP_SYNCNT set", tcp4, setget(syscall.IPPROTO_TCP, tcpSynCnt, intBytes(3))},
		{"TCP_SYNCNT 0", tcp4, setget(syscall.IPPROTO_TCP, tcpSynCnt, intBytes(0))},
		{"TCP_SYNCNT 128", tcp4, setget(syscall.IPPROTO_TCP, tcpSynCnt, intBytes(128))},
		{"TCP_USER_TIMEOUT default", tcp4, getopt(syscall.IPPROTO_TCP, tcpUserTimeout, 4)},
		{"TCP_USER_TIMEOUT 0", tcp4, setget(syscall.IPPROTO_TCP, tcpUserTimeout, intBytes(0))},
		{"TCP_USER_TIMEOUT -1", tcp4, setget(syscall.IPPROTO_TCP, tcpUserTimeout, intBytes(-1))},
		{"unknown TCP option", tcp4, getopt(syscall.IPPROTO_TCP, 999, 4)},
		{"IP_TTL -1", udp4, setget(syscall.IPPROTO_IP, syscall.IP_TTL, intBytes(-1))},
		{"IP_TTL 255", udp4, setget(syscall.IPPROTO_IP, syscall.IP_TTL, intBytes(255))},
		{"IP_TTL 256", udp4, setget(syscall.IPPROTO_IP, syscall.IP_TTL, intBytes(256))},
		{"IP_TTL -2", udp4, setget(syscall.IPPROTO_IP, syscall.IP_TTL, intBytes(-2))},
		{"IP_TTL short", udp4, setget(syscall.IPPROTO_IP, syscall.IP_TTL, []byte{9})},
		{"IPV6_V6ONLY short", tcp6, setget(syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, []byte{1})},
		{"IPV6_V6ONLY 0", tcp6, setget(syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, intBytes(0))},
		{"IPV6_V6ONLY after bind", tcp6, func(api sockets, s int) result {
			if err := api.bind(s, netip.MustParseAddrPort("[::1]:0")); err != nil {
				return resultOf(nil, err)
			}
			return resultOf(nil, api.setsockopt(s, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, intBytes(1)))
		}},
		{"IPV6_V6ONLY get on AF_INET", tcp4, getopt(syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 4)},
		{"IPV6_V6ONLY get on AF_INET UDP", udp4, getopt(syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 4)},
		{"unknown IPv6 option", tcp6, getopt(syscall.IPPROTO_IPV6, 999, 4)},
		{"set unknown IPv6 option", tcp6, setget(syscall.IPPROTO_IPV6, 999, intBytes(1))},
		{"unknown IP option", tcp4, getopt(syscall.IPPROTO_IP, 999, 4)},
		{"unknown level", tcp4, getopt(999, 1, 4)},
		{"unknown level on AF_INET6", udp6, getopt(999, 1, 4)},
		{"TCP_NODELAY get on UDP", udp4, getopt(syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 4)},
		{"TCP_NODELAY get on UDP6", udp6, getopt(syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 4)},
		{"unknown UDP option", udp4, getopt(syscall.IPPROTO_UDP, 999, 4)},
		{"UDP level on TCP", tcp4, getopt(syscall.IPPROTO_UDP, 1, 4)},
		{"IP_TTL 0 short", udp4, setget(syscall.IPPROTO_IP, syscall.IP_TTL, []byte{0})},
		{"IP_TTL empty", udp4, func(api sockets, s int) result {
			return resultOf(nil, api.setsockopt(s, syscall.IPPROTO_IP, syscall.IP_TTL, nil))
		}},
		{"listen on UDP", udp4, errOnly(func(api sockets, s int) error { return api.listen(s) })},
		{"accept unlistened", tcp4, errOnly(func(api sockets, s int) error { return api.accept(s) })},
		{"accept empty queue", tcp4, errOnly(func(api sockets, s int) error { api.listen(s); return api.accept(s) })},
		{"send unconnected TCP", tcp4, errOnly(func(api sockets, s int) error { return api.send(s) })},
		{"recv unconnected TCP", tcp4, errOnly(func(api sockets, s int) error { return api.recv(s) })},
		{"send unconnected UDP", udp4, errOnly(func(api sockets, s int) error { return api.send(s) })},
		{"recv empty UDP", udp4, errOnly(func(api sockets, s int) error { return api.recv(s) })},
		{"shutdown unconnected", tcp4, errOnly(func(api sockets, s int) error { return api.shutdown(s, syscall.SHUT_RDWR) })},
		{"shutdown how 3", tcp4, errOnly(func(api sockets, s int) error { return api.shutdown(s, 3) })},
		{"getpeername unconnected", tcp4, errOnly(func(api sockets, s int) error { return api.getpeername(s) })},
	}
	for _, c := range cases {
		var got [2]result
		for i, api := range []sockets{host, nd} {
			s, err := api.socket(c.sock[0], c.sock[1])
			if err != nil {
				t.Fatalf("%s: socket: %v", c.name, err)
			}
			got[i] = c.call(api, s)
			api.close(s)
		}
		if got[0] != got[1] {
			t.Errorf("%s: Linux gives %v %x, netd %v %x", c.name, got[0].errno, got[0].value, got[1].errno, got[1].value)
		}
	}
}
