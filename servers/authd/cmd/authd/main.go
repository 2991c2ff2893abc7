// Command authd runs the credential server as an Aramid process. It
// registers two services with init's name service: "auth.registrar", the
// full protocol that only linuxd should use, and "auth", the checker view
// for every other server (docs/authd.md).
package main

import (
	"fmt"
	"os"

	"aramid/lib/server"
	"aramid/proto/authpb"
	"aramid/proto/rpc"
	"aramid/servers/authd"
	"aramid/servers/authd/service"
)

func main() {
	s := authd.New()
	srv := server.New("authd")
	for name, view := range map[string]authpb.AuthServer{"auth.registrar": service.Registrar(s), "auth": service.Checker(s)} {
		err := srv.Publish(name, func(m *rpc.Mux) (func(), error) {
			return nil, m.Add(authpb.AuthMethods, authpb.NewAuthDispatcher(view))
		})
		if err != nil {
			fmt.Println("authd:", err)
			os.Exit(1)
		}
	}
	srv.Run()
}
