// Command drivercheck runs in Aramid for make test-drivers, with vfsd on
// a virtio-blk disk and netd on a virtio-net card. It reads /host.bin,
// which the host put on the image, writes /aramid.bin and fsyncs it, so
// the host can find it after shutdown; then it serves one HTTP request on
// port 80 (the host's curl through hostfwd) and makes one connection out
// to the host through a guestfwd rule. The file contents are patterns the
// host test computes too (test/drivers).
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"aramid/lib/linux/dac"
	"aramid/lib/names"
	"aramid/proto/authpb"
	"aramid/proto/kchan"
	"aramid/proto/netpb"
	"aramid/proto/rpc"
	"aramid/proto/vfspb"
)

// The files' sizes and patterns, shared with test/drivers.
const (
	hostSize   = 200000
	aramidSize = 300000
	chunk      = 32 << 10
	reply      = "hello from aramid over virtio-net\n"
)

func hostByte(i int) byte   { return byte(i*7 + 3) }
func aramidByte(i int) byte { return byte(i*13 + 1) }

var (
	ctx  = context.Background()
	root = &authpb.Cred{CapEffective: uint64(dac.AllCaps)}
)

func fail(format string, args ...any) {
	fmt.Printf("drivercheck: FAIL "+format+"\n", args...)
	os.Exit(1)
}

func check(what string, err error) {
	if err != nil {
		fail("%s: %v", what, err)
	}
}

func inline(b []byte) *rpc.Data { return &rpc.Data{Where: &rpc.Data_Inline{Inline: b}} }

func main() {
	disk()
	network()
	fmt.Println("DRIVERS PASS")
}

func disk() {
	h, err := names.Lookup("vfs")
	check("lookup vfs", err)
	c := vfspb.NewVfsClient(kchan.NewClient(h))
	in, err := c.Open(ctx, &vfspb.OpenRequest{Cred: root, Path: []byte("/host.bin"), Flags: syscall.O_RDONLY})
	check("open /host.bin", err)
	var got []byte
	for len(got) < hostSize+1 {
		r, err := c.Pread(ctx, &vfspb.PreadRequest{File: in.File, Offset: int64(len(got)), Length: chunk})
		check("read /host.bin", err)
		if len(r.Data) == 0 {
			break
		}
		got = append(got, r.Data...)
	}
	if len(got) != hostSize {
		fail("/host.bin has %d bytes, want %d", len(got), hostSize)
	}
	for i, b := range got {
		if b != hostByte(i) {
			fail("/host.bin differs at byte %d", i)
		}
	}
	fmt.Printf("drivercheck: read %d bytes written on the host\n", len(got))
	out, err := c.Open(ctx, &vfspb.OpenRequest{Cred: root, Path: []byte("/aramid.bin"),
		Flags: syscall.O_CREAT | syscall.O_TRUNC | syscall.O_WRONLY, Mode: 0o644})
	check("create /aramid.bin", err)
	data := make([]byte, aramidSize)
	for i := range data {
		data[i] = aramidByte(i)
	}
	for off := 0; off < len(data); off += chunk {
		_, err := c.Pwrite(ctx, &vfspb.PwriteRequest{File: out.File, Offset: int64(off), Data: inline(data[off:min(off+chunk, len(data))])})
		check("write /aramid.bin", err)
	}
	_, err = c.Fsync(ctx, &vfspb.FsyncRequest{File: out.File})
	check("fsync /aramid.bin", err)
	_, err = c.Close(ctx, &vfspb.CloseRequest{File: out.File})
	check("close /aramid.bin", err)
	fmt.Printf("drivercheck: wrote and synced %d bytes\n", len(data))
}

// retry calls f until it stops failing with EAGAIN (or, while connecting, EALREADY or ENOTCONN),
// for at most the given time.
func retry(what string, limit time.Duration, f func() error) {
	deadline := time.Now().Add(limit)
	for {
		err := f()
		if err == nil {
			return
		}
		if !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.EALREADY) && !errors.Is(err, syscall.ENOTCONN) || time.Now().After(deadline) {
			fail("%s: %v", what, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func network() {
	h, err := names.Lookup("net")
	check("lookup net", err)
	c := netpb.NewNetClient(kchan.NewClient(h))
	socket := func() uint64 {
		s, err := c.Socket(ctx, &netpb.SocketRequest{Cred: root, Domain: syscall.AF_INET, Type: syscall.SOCK_STREAM})
		check("socket", err)
		return s.Socket
	}
	l := socket()
	_, err = c.Bind(ctx, &netpb.BindRequest{Cred: root, Socket: l, Addr: &netpb.SockAddr{Family: syscall.AF_INET, Addr: []byte{0, 0, 0, 0}, Port: 80}})
	check("bind :80", err)
	_, err = c.Listen(ctx, &netpb.ListenRequest{Socket: l, Backlog: 4})
	check("listen", err)
	fmt.Println("drivercheck: listening on port 80")
	var a uint64
	retry("accept", 120*time.Second, func() error {
		r, err := c.Accept(ctx, &netpb.AcceptRequest{Socket: l})
		a = r.GetSocket()
		return err
	})
	var req []byte
	retry("receive the request", 30*time.Second, func() error {
		r, err := c.Recv(ctx, &netpb.RecvRequest{Socket: a, Length: 4096})
		req = append(req, r.GetData()...)
		if err == nil && !bytes.Contains(req, []byte("\r\n\r\n")) {
			return syscall.EAGAIN
		}
		return err
	})
	resp := fmt.Sprintf("HTTP/1.0 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(reply), reply)
	retry("send the response", 30*time.Second, func() error {
		_, err := c.Send(ctx, &netpb.SendRequest{Socket: a, Data: inline([]byte(resp))})
		return err
	})
	_, err = c.Shutdown(ctx, &netpb.ShutdownRequest{Socket: a, How: syscall.SHUT_WR})
	check("shutdown", err)
	fmt.Printf("drivercheck: served %q\n", bytes.SplitN(req, []byte("\r\n"), 2)[0])
	out := socket()
	guest := &netpb.SockAddr{Family: syscall.AF_INET, Addr: []byte{10, 0, 2, 100}, Port: 1234}
	if _, err := c.Connect(ctx, &netpb.ConnectRequest{Socket: out, Addr: guest}); err != nil && !errors.Is(err, syscall.EINPROGRESS) {
		fail("connect to the host through guestfwd: %v", err)
	}
	retry("send to the host", 30*time.Second, func() error {
		_, err := c.Send(ctx, &netpb.SendRequest{Socket: out, Data: inline([]byte("ping from aramid\n"))})
		return err
	})
	var got []byte
	retry("receive from the host", 30*time.Second, func() error {
		r, err := c.Recv(ctx, &netpb.RecvRequest{Socket: out, Length: 256})
		got = append(got, r.GetData()...)
		if err == nil && !bytes.Contains(got, []byte("\n")) {
			return syscall.EAGAIN
		}
		return err
	})
	fmt.Printf("drivercheck: the host answered %q\n", bytes.TrimSpace(got))
}
