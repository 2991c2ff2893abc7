// Command vfsd runs the file server as an Aramid process: the standard
// namespace (service.Namespace: devfs on /dev, tmpfs on /tmp and /run),
// registered as "vfs", one vfs session per connection. With a device from
// init ("vfsd@virtio-blk") the root is the ext4 filesystem on that
// virtio-blk disk, read-only if the drive is; without one it is a tmpfs.
// With the argument "proc", /proc is procd's, forwarded (fwdfs).
// Registered buffers (bulk data) are kernel memory objects.
package main

import (
	"fmt"
	"os"
	"slices"
	"syscall"

	"aramid/lib/device"
	"aramid/lib/names"
	"aramid/lib/server"
	"aramid/lib/virtio/blk"
	"aramid/proto/kchan"
	"aramid/proto/procpb"
	"aramid/proto/rpc"
	"aramid/proto/vfspb"
	"aramid/servers/vfsd/blockdev"
	"aramid/servers/vfsd/ext4"
	"aramid/servers/vfsd/ext4fs"
	"aramid/servers/vfsd/service"
	"aramid/servers/vfsd/tmpfs"
)

func main() {
	cfg := service.Config{Console: os.Stdout, Input: os.Stdin}
	if err := diskRoot(&cfg); err != nil {
		fmt.Println("vfsd:", err)
		os.Exit(1)
	}
	if slices.Contains(os.Args[1:], "proc") {
		// Through a transport that follows procd to its successor when
		// init restarts it (proto/redial).
		t, err := names.Dial("proc", nil)
		if err != nil {
			fmt.Println("vfsd: no /proc:", err)
		} else {
			cfg.Proc = procpb.NewProcClient(t)
		}
	}
	v, err := service.Namespace(cfg)
	if err != nil {
		fmt.Println("vfsd:", err)
		os.Exit(1)
	}
	srv := server.New("vfsd")
	err = srv.Publish("vfs", func(m *rpc.Mux) (func(), error) {
		s := service.New(v, kchan.Handles{})
		return s.Release, m.Add(vfspb.VfsMethods, vfspb.NewVfsDispatcher(s))
	})
	if err != nil {
		fmt.Println("vfsd:", err)
		os.Exit(1)
	}
	srv.Run()
}

// diskRoot sets the root filesystem: ext4 on the disk init granted, or a
// tmpfs when init grants none (init says why).
func diskRoot(cfg *service.Config) error {
	h, err := names.Device()
	if err != nil {
		cfg.Root = tmpfs.New(tmpfs.Options{Mode: 0o755})
		return nil
	}
	disk, err := blk.Open(device.Open(h))
	if err != nil {
		return fmt.Errorf("virtio-blk: %w", err)
	}
	// Writes return once queued, as they would to a disk's write cache;
	// ext4's Flushes (commits, fsync) wait for them.
	var dev blockdev.Device = disk
	if !disk.ReadOnly() {
		dev = blockdev.NewWriteBehind(disk)
	}
	e, err := ext4.Open(dev, ext4.Options{ReadOnly: disk.ReadOnly()})
	if err != nil {
		return fmt.Errorf("ext4 root: %w", err)
	}
	cfg.Root = ext4fs.New(e)
	size, _ := disk.Size()
	ro := ""
	if disk.ReadOnly() {
		cfg.RootFlags = syscall.MS_RDONLY
		ro = ", read-only"
	}
	fmt.Printf("vfsd: root is ext4 on virtio-blk (%d MiB%s)\n", size>>20, ro)
	if st := e.Replayed(); st.Transactions > 0 {
		fmt.Printf("vfsd: replayed %d journal transactions (%d blocks)\n", st.Transactions, st.Blocks)
	}
	return nil
}
