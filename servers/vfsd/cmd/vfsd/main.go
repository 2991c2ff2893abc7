// Command vfsd runs the file server as an Aramid process: the standard
// namespace (server.Namespace: devfs on /dev, tmpfs on /tmp and /run),
// served as "vfs" through init's name service over the kernel's channels
// (proto/kchan), one vfs session per connection. With a device from init
// ("vfsd@virtio-blk") the root is the ext4 filesystem on that virtio-blk
// disk, read-only if the drive is; without one it is a tmpfs.
// Registered buffers (bulk data) are kernel memory objects.
package main

import (
	"context"
	"fmt"
	"os"
	"syscall"

	"aramid/lib/device"
	"aramid/lib/ipc"
	"aramid/lib/virtio/blk"
	"aramid/proto/kchan"
	"aramid/proto/vfspb"
	"aramid/servers/vfsd/ext4"
	"aramid/servers/vfsd/ext4fs"
	"aramid/servers/vfsd/server"
	"aramid/servers/vfsd/tmpfs"
)

// kernelHandles resolves received handles: registered buffers are kernel
// memory objects, mapped for the life of the process.
type kernelHandles struct{}

func (kernelHandles) Memory(h uint32) (server.Memory, error) { return ipc.MapMemory(ipc.Handle(h)) }
func (kernelHandles) Close(h uint32) error                   { return ipc.Close(ipc.Handle(h)) }

func main() {
	cfg := server.Config{Console: os.Stdout, Input: os.Stdin}
	what, err := root(&cfg)
	if err != nil {
		fmt.Println("vfsd:", err)
		os.Exit(1)
	}
	v, err := server.Namespace(cfg)
	if err != nil {
		fmt.Println("vfsd:", err)
		os.Exit(1)
	}
	svc, err := ipc.Register("vfs")
	if err != nil {
		fmt.Println("vfsd:", err)
		os.Exit(1)
	}
	fmt.Printf("vfsd: serving / (%s), /dev, /tmp and /run (pid %d)\n", what, os.Getpid())
	err = ipc.Serve(svc, func(conn ipc.Handle) {
		s := server.New(v, kernelHandles{})
		kchan.Serve(context.Background(), conn, vfspb.NewVfsDispatcher(s))
		s.Release()
		ipc.Close(conn)
	})
	fmt.Println("vfsd:", err)
	os.Exit(1)
}

// root sets the root filesystem: ext4 on the disk init granted, or a
// tmpfs when init configured none. It says which.
func root(cfg *server.Config) (string, error) {
	h, err := device.Request()
	if err != nil {
		cfg.Root = tmpfs.New(tmpfs.Options{Mode: 0o755})
		return "tmpfs", nil
	}
	disk, err := blk.Open(device.Open(h))
	if err != nil {
		return "", fmt.Errorf("virtio-blk: %w", err)
	}
	e, err := ext4.Open(disk, ext4.Options{ReadOnly: disk.ReadOnly()})
	if err != nil {
		return "", fmt.Errorf("ext4 root: %w", err)
	}
	cfg.Root = ext4fs.New(e)
	size, _ := disk.Size()
	what := fmt.Sprintf("ext4 on virtio-blk, %d MiB", size>>20)
	if disk.ReadOnly() {
		cfg.RootFlags = syscall.MS_RDONLY
		what += ", read-only"
	}
	return what, nil
}
