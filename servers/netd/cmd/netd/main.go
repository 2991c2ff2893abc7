// Command netd runs the network server as an Aramid process. It reads its
// static configuration from init's arguments (netd.ParseArgs), registers
// the "net" service with init's name service, serves each connection over
// the kernel's channels (proto/kchan), and offers its socket table to
// procd. "netd selftest" instead runs a TCP echo over loopback and exits,
// to check that the netstack runs in this process at all.
//
// With a device from init ("netd@virtio-net") netd drives that virtio-net
// card; without one it has the loopback interface only.
package main

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"syscall"
	"time"

	"aramid/lib/device"
	"aramid/lib/ipc"
	"aramid/lib/virtio/nic"
	"aramid/proto/kchan"
	"aramid/proto/netpb"
	"aramid/proto/procpb"
	"aramid/proto/rpc"
	"aramid/servers/netd"
)

// kernelHandles resolves received handles with the kernel's calls.
type kernelHandles struct{ kchan.Dialer }

// Memory maps a client's registered buffer, a kernel memory object.
func (kernelHandles) Memory(h uint32) (netd.Memory, error) { return ipc.MapMemory(ipc.Handle(h)) }

func (kernelHandles) Close(h uint32) error { return ipc.Close(ipc.Handle(h)) }

func main() {
	if len(os.Args) > 1 && os.Args[1] == "selftest" {
		if err := selftest(); err != nil {
			fmt.Println("netd: selftest:", err)
			os.Exit(1)
		}
		return
	}
	cfg, err := netd.ParseArgs(os.Args[1:])
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	dev, what := card()
	srv, err := netd.New(cfg, dev)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	go offerSockets(srv)
	svc, err := ipc.Register("net")
	if err != nil {
		fmt.Println("netd: register:", err)
		os.Exit(1)
	}
	fmt.Printf("netd: serving, %s (pid %d)\n", what, os.Getpid())
	err = ipc.Serve(svc, func(conn ipc.Handle) {
		s := srv.NewService(kernelHandles{})
		defer s.Release()
		mux := rpc.NewMux()
		mux.Add(netpb.NetMethods, netpb.NewNetDispatcher(s))
		mux.Add(procpb.SocketSourceMethods, procpb.NewSocketSourceDispatcher(s))
		kchan.Serve(context.Background(), conn, mux)
		ipc.Close(conn)
	})
	fmt.Println("netd:", err)
	os.Exit(1)
}

// card opens the virtio-net card init granted, if any, and describes
// the interfaces netd will have.
func card() (netd.Device, string) {
	h, err := device.Request()
	if err != nil {
		return nil, "loopback only"
	}
	d, err := nic.Open(device.Open(h))
	if err != nil {
		fmt.Println("netd: virtio-net:", err)
		return nil, "loopback only"
	}
	return d, "virtio-net " + d.MAC().String()
}

// offerSockets registers netd as procd's socket source, if procd runs.
func offerSockets(srv *netd.Server) {
	proc, err := ipc.Lookup("proc")
	if err != nil {
		fmt.Println("netd: no procd:", err)
		return
	}
	mine, theirs, err := ipc.Channel()
	if err != nil {
		fmt.Println("netd:", err)
		return
	}
	s := srv.NewService(kernelHandles{})
	go kchan.Serve(context.Background(), mine, procpb.NewSocketSourceDispatcher(s))
	req := &procpb.RegisterSourceRequest{Kind: procpb.SourceKind_SOURCE_SOCKETS, Channel: &rpc.Handle{Value: uint32(theirs)}}
	if _, err := procpb.NewProcClient(kchan.NewClient(proc)).RegisterSource(context.Background(), req); err != nil {
		fmt.Println("netd: procd refused the socket source:", err)
	}
}

// selftest echoes 4 MiB over a loopback TCP connection with the server's
// blocking calls and reports the rate.
func selftest() error {
	srv, err := netd.New(netd.Config{}, nil)
	if err != nil {
		return err
	}
	defer srv.Stop()
	ctx := context.Background()
	addr := netip.MustParseAddrPort("127.0.0.1:7")
	root := netd.Cred{BindService: true}
	ln, err := srv.Socket(root, syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		return err
	}
	if err := srv.Bind(root, ln, addr); err != nil {
		return err
	}
	if err := srv.Listen(ln, 1); err != nil {
		return err
	}
	c, err := srv.Socket(root, syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		return err
	}
	if err := srv.Connect(ctx, c, addr, false); err != nil {
		return err
	}
	s, _, err := srv.Accept(ctx, ln, false)
	if err != nil {
		return err
	}
	data := bytes.Repeat([]byte("aramid netd "), 4<<20/12)
	start := time.Now()
	go srv.Send(ctx, c, bytes.NewReader(data), len(data), netip.AddrPort{}, 0)
	got := 0
	for got < len(data) {
		r, err := srv.Recv(ctx, s, 64<<10, 0)
		if err != nil {
			return err
		}
		if !bytes.Equal(r.Data, data[got:got+len(r.Data)]) {
			return fmt.Errorf("bytes differ at %d", got)
		}
		got += len(r.Data)
	}
	d := time.Since(start)
	fmt.Printf("netd: selftest ok: %d bytes over loopback TCP in %v (%.1f MB/s)\n", got, d, float64(got)/d.Seconds()/1e6)
	return nil
}
