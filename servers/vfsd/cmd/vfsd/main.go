// Command vfsd runs the file server as an Aramid process: the standard
// namespace (server.Namespace: devfs on /dev, tmpfs on /tmp and /run) on a
// tmpfs root until a block driver exists, served as "vfs" through init's
// name service over the kernel's channels (proto/kchan), one vfs session per
// connection.
// Registered buffers (bulk data) are kernel memory objects.
package main

import (
	"context"
	"fmt"
	"os"

	"aramid/lib/ipc"
	"aramid/lib/names"
	"aramid/proto/kchan"
	"aramid/proto/vfspb"
	"aramid/servers/vfsd/server"
	"aramid/servers/vfsd/tmpfs"
)

func main() {
	v, err := server.Namespace(server.Config{Root: tmpfs.New(tmpfs.Options{Mode: 0o755}), Console: os.Stdout, Input: os.Stdin})
	if err != nil {
		fmt.Println("vfsd:", err)
		os.Exit(1)
	}
	svc, err := names.Register("vfs")
	if err != nil {
		fmt.Println("vfsd:", err)
		os.Exit(1)
	}
	fmt.Printf("vfsd: serving /, /dev, /tmp and /run (pid %d)\n", os.Getpid())
	err = names.Accept(svc, func(conn ipc.Handle) {
		s := server.New(v, kchan.Handles{})
		kchan.Serve(context.Background(), conn, vfspb.NewVfsDispatcher(s))
		s.Release()
		ipc.Close(conn)
	})
	fmt.Println("vfsd:", err)
	os.Exit(1)
}
