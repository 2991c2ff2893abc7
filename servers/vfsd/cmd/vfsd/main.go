// Command vfsd runs the file server as an Aramid process: the standard
// namespace (service.Namespace: devfs on /dev, tmpfs on /tmp and /run) on a
// tmpfs root until a block driver exists, registered as "vfs", one vfs
// session per connection. Registered buffers (bulk data) are kernel memory
// objects.
package main

import (
	"fmt"
	"os"
	"strings"

	"aramid/lib/ipc"
	"aramid/lib/server"
	"aramid/proto/kchan"
	"aramid/proto/rpc"
	"aramid/proto/vfspb"
	"aramid/servers/vfsd/blockdev"
	"aramid/servers/vfsd/ext4"
	"aramid/servers/vfsd/ext4fs"
	"aramid/servers/vfsd/fs"
	"aramid/servers/vfsd/service"
	"aramid/servers/vfsd/tmpfs"
)

func main() {
	root, err := rootFS(os.Args[1:])
	if err != nil {
		fmt.Println("vfsd:", err)
		os.Exit(1)
	}
	v, err := service.Namespace(service.Config{Root: root, Console: os.Stdout, Input: os.Stdin})
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

// rootFS is the root filesystem the arguments name: "root=bundle:FILE"
// mounts the ext4 image FILE of the boot bundle read-write over an
// in-memory overlay (nothing is written back); without it the root is an
// empty tmpfs.
func rootFS(args []string) (fs.FS, error) {
	for _, a := range args {
		name, ok := strings.CutPrefix(a, "root=bundle:")
		if !ok {
			continue
		}
		img := ipc.Bundle(name)
		size, err := img.Size()
		if err != nil {
			return nil, fmt.Errorf("root image %s: %w", name, err)
		}
		e, err := ext4.Open(blockdev.NewOverlay(img, size), ext4.Options{})
		if err != nil {
			return nil, fmt.Errorf("root image %s: %w", name, err)
		}
		fmt.Printf("vfsd: root is ext4 image %s from the boot bundle (%d MiB, changes kept in memory)\n", name, size>>20)
		return ext4fs.New(e), nil
	}
	return tmpfs.New(tmpfs.Options{Mode: 0o755}), nil
}
