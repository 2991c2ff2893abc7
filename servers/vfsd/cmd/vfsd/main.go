// Command vfsd runs the file server as an Aramid process: the standard
// namespace (service.Namespace: devfs on /dev, tmpfs on /tmp and /run) on a
// tmpfs root until a block driver exists, registered as "vfs", one vfs
// session per connection. Registered buffers (bulk data) are kernel memory
// objects.
package main

import (
	"fmt"
	"os"

	"aramid/lib/server"
	"aramid/proto/kchan"
	"aramid/proto/rpc"
	"aramid/proto/vfspb"
	"aramid/servers/vfsd/service"
	"aramid/servers/vfsd/tmpfs"
)

func main() {
	v, err := service.Namespace(service.Config{Root: tmpfs.New(tmpfs.Options{Mode: 0o755}), Console: os.Stdout, Input: os.Stdin})
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
