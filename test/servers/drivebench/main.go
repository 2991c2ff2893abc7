// Command drivebench measures the user-space drivers from inside Aramid:
// a sequential read of /big.bin through vfsd (virtio-blk) into a
// registered 1 MiB buffer, and a TCP sink on port 81 that counts what the
// host sends through hostfwd (netd, virtio-net). It prints one BENCH line
// for each. Run by hand (docs/devices.md).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"aramid/lib/abi"
	"aramid/lib/ipc"
	"aramid/lib/linux/dac"
	"aramid/lib/names"
	"aramid/proto/authpb"
	"aramid/proto/kchan"
	"aramid/proto/netpb"
	"aramid/proto/rpc"
	"aramid/proto/vfspb"
)

const bufSize = 1 << 20

var (
	ctx  = context.Background()
	root = &authpb.Cred{CapEffective: uint64(dac.AllCaps)}
)

func check(what string, err error) {
	if err != nil {
		fmt.Printf("drivebench: FAIL %s: %v\n", what, err)
		os.Exit(1)
	}
}

func main() {
	readFile()
	sink()
}

func readFile() {
	h, err := names.Lookup("vfs")
	check("lookup vfs", err)
	c := vfspb.NewVfsClient(kchan.NewClient(h))
	mem, err := ipc.CreateVMO(bufSize)
	check("memory object", err)
	dup, err := ipc.Dup(mem, abi.RightRead|abi.RightWrite|abi.RightMap|abi.RightTransfer)
	check("dup", err)
	reg, err := c.RegisterBuffer(ctx, &rpc.RegisterBufferRequest{Memory: &rpc.Handle{Value: uint32(dup)}})
	check("register", err)
	f, err := c.Open(ctx, &vfspb.OpenRequest{Cred: root, Path: []byte("/big.bin"), Flags: syscall.O_RDONLY})
	check("open /big.bin", err)
	start := time.Now()
	var total int64
	for {
		r, err := c.Pread(ctx, &vfspb.PreadRequest{File: f.File, Offset: total, Length: bufSize,
			Dest: &rpc.Region{Buffer: reg.Buffer, Length: bufSize}})
		check("read", err)
		if r.Count == 0 {
			break
		}
		total += int64(r.Count)
	}
	d := time.Since(start)
	fmt.Printf("BENCH disk-read bytes=%d seconds=%.3f MBps=%.1f\n", total, d.Seconds(), float64(total)/d.Seconds()/1e6)
}

func sink() {
	h, err := names.Lookup("net")
	check("lookup net", err)
	c := netpb.NewNetClient(kchan.NewClient(h))
	s, err := c.Socket(ctx, &netpb.SocketRequest{Cred: root, Domain: syscall.AF_INET, Type: syscall.SOCK_STREAM})
	check("socket", err)
	_, err = c.Bind(ctx, &netpb.BindRequest{Cred: root, Socket: s.Socket, Addr: &netpb.SockAddr{Family: syscall.AF_INET, Addr: []byte{0, 0, 0, 0}, Port: 81}})
	check("bind", err)
	_, err = c.Listen(ctx, &netpb.ListenRequest{Socket: s.Socket, Backlog: 1})
	check("listen", err)
	fmt.Println("drivebench: sink listening on port 81")
	var a uint64
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(time.Millisecond) {
		r, err := c.Accept(ctx, &netpb.AcceptRequest{Socket: s.Socket})
		if err == nil {
			a = r.Socket
			break
		}
		if !errors.Is(err, syscall.EAGAIN) || time.Now().After(deadline) {
			check("accept", err)
		}
	}
	var total int64
	var start time.Time
	for {
		r, err := c.Recv(ctx, &netpb.RecvRequest{Socket: a, Length: 64 << 10})
		if errors.Is(err, syscall.EAGAIN) {
			time.Sleep(100 * time.Microsecond)
			continue
		}
		check("recv", err)
		if len(r.Data) == 0 {
			break
		}
		if total == 0 {
			start = time.Now()
		}
		total += int64(len(r.Data))
	}
	d := time.Since(start)
	fmt.Printf("BENCH tcp-in bytes=%d seconds=%.3f MBps=%.1f\n", total, d.Seconds(), float64(total)/d.Seconds()/1e6)
}
