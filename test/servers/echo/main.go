// Command echo is a test server: it registers "echo" and sends every
// request back with the handles it carried. The request "crash"
// dereferences nil, to test that init reports and restarts it.
package main

import (
	"fmt"
	"os"

	"aramid/lib/ipc"
	"aramid/lib/names"
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
		if string(buf[:n]) == "vmo" && nh == 1 {
			n = copy(buf, touchVMO(hs[0]))
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

// touchVMO maps a shared memory object, sums its bytes and increments the
// first one, so the client can see both directions of sharing.
func touchVMO(h ipc.Handle) string {
	mem, err := ipc.MapVMO(h, 64<<10, ipc.ProtRead|ipc.ProtWrite)
	if err != nil {
		return "vmo: " + err.Error()
	}
	sum := 0
	for _, b := range mem {
		sum += int(b)
	}
	mem[0]++
	return fmt.Sprintf("sum=%d", sum)
}

func main() {
	svc, err := names.Register("echo")
	if err != nil {
		fmt.Println("echo:", err)
		os.Exit(1)
	}
	fmt.Printf("echo: serving (pid %d)\n", os.Getpid())
	fmt.Println("echo:", names.Accept(svc, serve))
}
