// Command procd runs the /proc server as an Aramid process, registered as
// "proc": vfsd forwards its /proc mount here, and the servers that own
// the data register as its sources (linuxd the processes, netd the
// sockets).
package main

import (
	"fmt"
	"os"

	"aramid/lib/server"
	"aramid/proto/kchan"
	"aramid/proto/procpb"
	"aramid/proto/rpc"
	"aramid/servers/procd"
)

func main() {
	p := procd.New(kchan.Handles{}, procd.DefaultUTS)
	srv := server.New("procd")
	err := srv.Publish("proc", func(m *rpc.Mux) (func(), error) {
		return nil, m.Add(procpb.ProcMethods, procpb.NewProcDispatcher(p))
	})
	if err != nil {
		fmt.Println("procd:", err)
		os.Exit(1)
	}
	srv.Run()
}
