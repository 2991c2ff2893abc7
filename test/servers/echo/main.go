// Command echo is a test server: it registers "echo" and sends every
// request back with the handles it carried. The request "crash"
// dereferences nil, to test that init reports and restarts it.
package main

import (
	"fmt"
	"os"

	"aramid/lib/ipc"
)

func serve(conn ipc.Handle) {
	buf := make([]byte, 4096)
	hs := make([]ipc.Handle, 4)
	for {
		n, nh, err := ipc.Read(conn, buf, hs)
		if err != nil {
			ipc.Close(conn)
			return
		}
		if string(buf[:n]) == "crash" {
			fmt.Println("echo: crashing on request")
			var p *int
			*p = 1
		}
		if err := ipc.Write(conn, buf[:n], hs[:nh]); err != nil {
			ipc.Close(conn)
			return
		}
	}
}

func main() {
	svc, err := ipc.Register("echo")
	if err != nil {
		fmt.Println("echo:", err)
		os.Exit(1)
	}
	fmt.Printf("echo: serving (pid %d)\n", os.Getpid())
	fmt.Println("echo:", ipc.Serve(svc, serve))
}
