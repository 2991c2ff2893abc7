// Command netcheck is a client of netd running as a real process: UDP and
// TCP over loopback through gVisor's netstack in another address space,
// with the generated net client over kernel channels. The protocol never
// blocks; this client retries on EAGAIN instead of subscribing to
// readiness as linuxd will.
package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"aramid/lib/names"
	"aramid/proto/authpb"
	"aramid/proto/kchan"
	"aramid/proto/netpb"
	"aramid/proto/rpc"
)

var (
	ctx  = context.Background()
	root = &authpb.Cred{CapEffective: ^uint64(0)}
)

func fail(format string, args ...any) {
	fmt.Printf("netcheck: FAIL "+format+"\n", args...)
	os.Exit(1)
}

func loopback(port uint32) *netpb.SockAddr {
	return &netpb.SockAddr{Family: syscall.AF_INET, Addr: []byte{127, 0, 0, 1}, Port: port}
}

// retry calls f until it stops failing with EAGAIN, for at most 5 s.
func retry(what string, f func() error) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if !errors.Is(err, syscall.EAGAIN) || time.Now().After(deadline) {
			fail("%s: %v", what, err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func socket(c *netpb.NetClient, typ uint32) uint64 {
	s, err := c.Socket(ctx, &netpb.SocketRequest{Cred: root, Domain: syscall.AF_INET, Type: typ})
	if err != nil {
		fail("socket: %v", err)
	}
	return s.Socket
}

func inline(b []byte) *rpc.Data { return &rpc.Data{Where: &rpc.Data_Inline{Inline: b}} }

// connectRefused connects s to a port nobody listens on and requires
// ECONNREFUSED, either at once or, after EINPROGRESS, as the socket's
// pending error; a connection that completes fails the check.
func connectRefused(c *netpb.NetClient, s uint64, to *netpb.SockAddr) {
	_, err := c.Connect(ctx, &netpb.ConnectRequest{Socket: s, Addr: to})
	if errors.Is(err, syscall.ECONNREFUSED) {
		return
	}
	if !errors.Is(err, syscall.EINPROGRESS) {
		fail("connect to a closed port = %v, want ECONNREFUSED", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, err := c.GetSockOpt(ctx, &netpb.GetSockOptRequest{Socket: s, Level: syscall.SOL_SOCKET, Name: syscall.SO_ERROR, Length: 4})
		if err != nil || len(r.Value) != 4 {
			fail("SO_ERROR: %v", err)
		}
		switch e := syscall.Errno(binary.LittleEndian.Uint32(r.Value)); {
		case e == syscall.ECONNREFUSED:
			return
		case e != 0:
			fail("connect to a closed port: SO_ERROR %v, want ECONNREFUSED", e)
		}
		if _, err := c.GetPeerName(ctx, &netpb.GetPeerNameRequest{Socket: s}); err == nil {
			fail("connect to a closed port succeeded")
		}
		if time.Now().After(deadline) {
			fail("connect to a closed port: still in progress after 5 s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func main() {
	h, err := names.Lookup("net")
	if err != nil {
		fail("lookup net: %v", err)
	}
	c := netpb.NewNetClient(kchan.NewClient(h))

	u := socket(c, syscall.SOCK_DGRAM)
	if _, err := c.Bind(ctx, &netpb.BindRequest{Cred: root, Socket: u, Addr: loopback(7000)}); err != nil {
		fail("bind udp: %v", err)
	}
	if _, err := c.Send(ctx, &netpb.SendRequest{Socket: u, Data: inline([]byte("datagram")), To: loopback(7000)}); err != nil {
		fail("sendto: %v", err)
	}
	var got []byte
	retry("recv udp", func() error {
		r, err := c.Recv(ctx, &netpb.RecvRequest{Socket: u, Length: 64})
		got = r.GetData()
		return err
	})
	if string(got) != "datagram" {
		fail("udp received %q", got)
	}

	l := socket(c, syscall.SOCK_STREAM)
	if _, err := c.Bind(ctx, &netpb.BindRequest{Cred: root, Socket: l, Addr: loopback(8080)}); err != nil {
		fail("bind tcp: %v", err)
	}
	if _, err := c.Listen(ctx, &netpb.ListenRequest{Socket: l, Backlog: 8}); err != nil {
		fail("listen: %v", err)
	}
	cl := socket(c, syscall.SOCK_STREAM)
	if _, err := c.Connect(ctx, &netpb.ConnectRequest{Socket: cl, Addr: loopback(8080)}); err != nil && !errors.Is(err, syscall.EINPROGRESS) {
		fail("connect: %v", err)
	}
	var a uint64
	retry("accept", func() error {
		r, err := c.Accept(ctx, &netpb.AcceptRequest{Socket: l})
		a = r.GetSocket()
		return err
	})
	msg := []byte("hello over tcp")
	retry("send tcp", func() error {
		_, err := c.Send(ctx, &netpb.SendRequest{Socket: cl, Data: inline(msg)})
		return err
	})
	retry("recv tcp", func() error {
		r, err := c.Recv(ctx, &netpb.RecvRequest{Socket: a, Length: 64})
		got = r.GetData()
		return err
	})
	if string(got) != string(msg) {
		fail("tcp received %q", got)
	}
	connectRefused(c, socket(c, syscall.SOCK_STREAM), loopback(9))
	fmt.Println("NETD PASS: UDP and TCP over loopback through netd in another process")
}
