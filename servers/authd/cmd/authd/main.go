// Command authd runs the credential server as an Aramid process. It
// registers two services with init's name service: "auth.registrar", the
// full protocol that only linuxd should use, and "auth", the checker view
// for every other server (docs/authd.md). Each connection is served over
// the kernel's channels by proto/kchan.
package main

import (
	"context"
	"fmt"
	"os"

	"aramid/lib/ipc"
	"aramid/lib/names"
	"aramid/proto/authpb"
	"aramid/proto/kchan"
	"aramid/proto/rpc"
	"aramid/servers/authd"
)

// serve registers name and answers its connections with d.
func serve(name string, d rpc.Dispatcher) error {
	svc, err := names.Register(name)
	if err != nil {
		return err
	}
	return names.Accept(svc, func(conn ipc.Handle) {
		kchan.Serve(context.Background(), conn, d)
		ipc.Close(conn)
	})
}

func main() {
	s := authd.New()
	errs := make(chan error, 2)
	go func() { errs <- serve("auth.registrar", authpb.NewAuthDispatcher(s.Registrar())) }()
	go func() { errs <- serve("auth", authpb.NewAuthDispatcher(s.Checker())) }()
	fmt.Printf("authd: serving (pid %d)\n", os.Getpid())
	fmt.Println("authd:", <-errs)
	os.Exit(1)
}
