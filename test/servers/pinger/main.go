// Command pinger is the user-space test client. It proves, from ring 3:
// request/reply calls with handle passing to another process, goroutines
// and GC (the kernel's self-test, run here), and that a server which
// crashes is restarted by init and answers again. With an argument N it
// only measures N calls and prints a BENCH line.
package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"aramid/lib/abi"
	"aramid/lib/ipc"
	"aramid/lib/names"
	"aramid/microkernel/selftest"
)

func fail(format string, args ...any) {
	fmt.Printf("pinger: FAIL "+format+"\n", args...)
	os.Exit(1)
}

// calls makes n calls on conn, each carrying one end of a private channel
// that the server hands back; every 1000th call checks that the returned
// handle still reaches the same channel.
func calls(conn ipc.Handle, n int) time.Duration {
	a, b, err := ipc.Channel()
	if err != nil {
		fail("channel: %v", err)
	}
	req := make([]byte, 64)
	resp := make([]byte, 64)
	hs := make([]ipc.Handle, 1)
	start := time.Now()
	for i := 0; i < n; i++ {
		copy(req, fmt.Sprintf("ping %08d", i))
		rn, nh, err := ipc.Call(conn, req, []ipc.Handle{b}, resp, hs)
		if err != nil {
			fail("call %d: %v", i, err)
		}
		if !bytes.Equal(resp[:rn], req) || nh != 1 {
			fail("call %d: reply %q with %d handles", i, resp[:rn], nh)
		}
		b = hs[0]
		if i%1000 == 0 {
			if err := ipc.Write(a, []byte("probe"), nil); err != nil {
				fail("write through the kept end: %v", err)
			}
			if pn, _, err := ipc.Read(b, resp, nil); err != nil || string(resp[:pn]) != "probe" {
				fail("the returned handle is not the same channel: %q, %v", resp[:pn], err)
			}
		}
	}
	return time.Since(start)
}

// sharedMemory hands echo a 64 KiB memory object and checks that each side
// sees the other's bytes.
func sharedMemory(conn ipc.Handle) {
	const size = 64 << 10
	h, err := ipc.CreateVMO(size)
	if err != nil {
		fail("create vmo: %v", err)
	}
	mem, err := ipc.MapVMO(h, size, ipc.ProtRead|ipc.ProtWrite)
	if err != nil {
		fail("map vmo: %v", err)
	}
	want := 0
	for i := range mem {
		mem[i] = byte(i * 7)
		want += int(mem[i])
	}
	dup, err := ipc.Dup(h, abi.RightRead|abi.RightWrite|abi.RightMap|abi.RightTransfer)
	if err != nil {
		fail("dup vmo: %v", err)
	}
	resp := make([]byte, 64)
	hs := make([]ipc.Handle, 1)
	n, _, err := ipc.Call(conn, []byte("vmo"), []ipc.Handle{dup}, resp, hs)
	if err != nil || string(resp[:n]) != fmt.Sprintf("sum=%d", want) {
		fail("echo read the shared memory as %q (%v), want sum=%d", resp[:n], err, want)
	}
	if mem[0] != 1 {
		fail("echo's write to the shared memory is not visible: %d", mem[0])
	}
	fmt.Printf("pinger: %d KiB memory object shared with echo both ways\n", size>>10)
}

func main() {
	runtime.GOMAXPROCS(2)
	conn, err := names.Lookup("echo")
	if err != nil {
		fail("lookup: %v", err)
	}
	if len(os.Args) > 1 {
		n, _ := strconv.Atoi(os.Args[1])
		start := time.Now()
		for i := 0; i < n; i++ {
			syscall.Getpid()
		}
		fmt.Printf("BENCH getpid ns=%.1f n=%d\n", float64(time.Since(start).Nanoseconds())/float64(n), n)
		calls(conn, 1000) // warm up
		d := calls(conn, n)
		fmt.Printf("BENCH ipc-roundtrip ns=%.1f n=%d\n", float64(d.Nanoseconds())/float64(n), n)
		return
	}
	const n = 10000
	d := calls(conn, n)
	fmt.Printf("pinger: %d calls with handle passing ok, %.1f us per call\n", n, float64(d.Microseconds())/n)

	sharedMemory(conn)

	ok := selftest.Run(selftest.Checks(4), time.Minute, func(r selftest.Result) {
		fmt.Printf("pinger: ring-3 self-test %s: %s %v\n", r.Name, r.Figures, r.Err)
	})
	if !ok {
		fail("ring-3 self-test")
	}

	if _, _, err := ipc.Call(conn, []byte("crash"), nil, make([]byte, 8), nil); !ipc.IsClosed(err) {
		fail("call to a crashing server returned %v, want EPIPE", err)
	}
	fmt.Println("pinger: echo died under a call; looking it up again")
	conn, err = names.Lookup("echo")
	if err != nil {
		fail("lookup after restart: %v", err)
	}
	calls(conn, 100)
	fmt.Println("pinger: calls to the restarted echo ok")
	fmt.Println("USERTEST PASS")
}
