// Command netd runs the network server as an Aramid process. It reads its
// static configuration from init's arguments (config.ParseArgs), registers
// the "net" service with init's name service, and offers its socket table
// to procd. "netd selftest" instead runs a TCP echo over loopback and exits,
// to check that the netstack runs in this process at all.
//
// With a device from init ("netd@virtio-net") netd drives that virtio-net
// card; without one it has the loopback interface only.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"syscall"
	"time"

	"aramid/lib/device"
	"aramid/lib/ipc"
	"aramid/lib/names"
	"aramid/lib/server"
	"aramid/lib/virtio/nic"
	"aramid/proto/kchan"
	"aramid/proto/netpb"
	"aramid/proto/procpb"
	"aramid/proto/rpc"
	"aramid/servers/netd/config"
	"aramid/servers/netd/link"
	"aramid/servers/netd/procsource"
	"aramid/servers/netd/service"
	"aramid/servers/netd/sockets"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "selftest" {
		if err := selftest(); err != nil {
			fmt.Println("netd: selftest:", err)
			os.Exit(1)
		}
		return
	}
	cfg, err := config.ParseArgs(os.Args[1:])
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	dev, what := card()
	n, err := sockets.New(cfg, dev, nil)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	srv := server.New("netd")
	if err := srv.Publish("net", serveNet(n)); err != nil {
		fmt.Println("netd:", err)
		os.Exit(1)
	}
	go offerSockets(srv, n)
	fmt.Println("netd:", what)
	srv.Run()
}

// card opens the virtio-net card init granted, if any, and describes
// the interfaces netd will have.
func card() (link.Device, string) {
	h, err := names.Device()
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

// serveNet serves the net protocol, and procd's SocketSource, on a
// connection.
func serveNet(n *sockets.Stack) server.Open {
	return func(m *rpc.Mux) (func(), error) {
		s := service.New(n, kchan.Handles{})
		return s.Release, errors.Join(
			m.Add(netpb.NetMethods, netpb.NewNetDispatcher(s)),
			m.Add(procpb.SocketSourceMethods, procpb.NewSocketSourceDispatcher(procsource.Source{Stack: n})))
	}
}

// offerSockets registers netd as procd's socket source, if procd runs,
// and with each successor init starts when procd dies.
func offerSockets(srv *server.Server, n *sockets.Stack) {
	server.OfferSource("netd", procpb.SourceKind_SOURCE_SOCKETS, func(ch ipc.Handle) {
		srv.Serve(context.Background(), ch, func(m *rpc.Mux) (func(), error) {
			return nil, m.Add(procpb.SocketSourceMethods, procpb.NewSocketSourceDispatcher(procsource.Source{Stack: n}))
		})
	})
}

// selftest echoes 4 MiB over a loopback TCP connection with the server's
// blocking calls and reports the rate.
func selftest() error {
	srv, err := sockets.New(config.Config{}, nil, nil)
	if err != nil {
		return err
	}
	defer srv.Stop()
	ctx := context.Background()
	addr := netip.MustParseAddrPort("127.0.0.1:7")
	root := sockets.Cred{BindService: true}
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
