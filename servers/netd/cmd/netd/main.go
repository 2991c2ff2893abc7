// Command netd runs the network server as an Aramid process, registered as
// "net" with init's name service and served over the kernel's channels
// (proto/kchan). Without a network device driver yet, it has loopback
// only; its arguments are netd's configuration flags (docs/netd.md).
//
// Registered buffers are not wired to kernel memory objects yet: clients
// use inline data.
package main

import (
	"context"
	"fmt"
	"os"
	"syscall"

	"aramid/lib/ipc"
	"aramid/proto/kchan"
	"aramid/proto/netpb"
	"aramid/servers/netd"
)

// kernelHandles resolves the handles netd receives: channels to notify
// on, through kchan; memory objects are refused for now.
type kernelHandles struct{ kchan.Dialer }

func (kernelHandles) Memory(uint32) (netd.Memory, error) { return nil, syscall.ENOSYS }
func (kernelHandles) Close(h uint32) error               { return ipc.Close(ipc.Handle(h)) }

func main() {
	cfg, err := netd.ParseArgs(os.Args[1:])
	if err != nil {
		fmt.Println("netd:", err)
		os.Exit(2)
	}
	srv, err := netd.New(cfg, nil)
	if err != nil {
		fmt.Println("netd:", err)
		os.Exit(1)
	}
	svc, err := ipc.Register("net")
	if err != nil {
		fmt.Println("netd:", err)
		os.Exit(1)
	}
	fmt.Printf("netd: serving loopback (pid %d)\n", os.Getpid())
	err = ipc.Serve(svc, func(conn ipc.Handle) {
		s := srv.NewService(kernelHandles{})
		kchan.Serve(context.Background(), conn, netpb.NewNetDispatcher(s))
		s.Release()
		ipc.Close(conn)
	})
	fmt.Println("netd:", err)
	os.Exit(1)
}
