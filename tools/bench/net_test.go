package main

import (
	"io"
	"net"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestForward(t *testing.T) {
	devs := strings.Fields("-drive file=x,if=none,id=root -netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0")
	got, err := forward(devs, 4321, tcpPort)
	if err != nil {
		t.Fatal(err)
	}
	if want := "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:4321-:5201"; got[3] != want {
		t.Errorf("netdev %q, want %q", got[3], want)
	}
	if devs[3] != "user,id=n0,restrict=on" {
		t.Errorf("forward changed its argument: %q", devs[3])
	}
	if _, err := forward(strings.Fields("-drive file=x"), 1, tcpPort); err == nil {
		t.Error("devices without a user network were accepted")
	}
}

func TestSends(t *testing.T) {
	w, err := selectWorkloads("tcp-in")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := (sizing{runs: 2}).sends(w[0]), []int{7, 64, 7, 64}; !reflect.DeepEqual(got, want) {
		t.Errorf("sends %v, want %v", got, want)
	}
	if got, want := (sizing{n: 1, runs: 1}).sends(w[0]), []int{1, 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("sends %v, want %v", got, want)
	}
}

// TestSendAll plays linuxbench's part: it accepts each connection, counts
// its bytes to EOF and closes it.
func TestSendAll(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan []int64, 1)
	go func() {
		var sizes []int64
		for range 3 {
			c, err := l.Accept()
			if err != nil {
				break
			}
			n, _ := io.Copy(io.Discard, c)
			c.Close()
			sizes = append(sizes, n)
		}
		got <- sizes
	}()
	if err := sendAll(l.Addr().(*net.TCPAddr).Port, []int{1, 3, 2}, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if sizes := <-got; !slices.Equal(sizes, []int64{1 << 20, 3 << 20, 2 << 20}) {
		t.Errorf("the listener got %v bytes", sizes)
	}
}

func TestParseWrk(t *testing.T) {
	const clean = `Running 10s test @ http://127.0.0.1:1234/hello.txt
  2 threads and 8 connections
  5230 requests in 10.01s, 1.30MB read
Requests/sec:    522.48
Transfer/sec:    133.01KB
`
	rps, n, err := parseWrk(clean)
	if err != nil || rps != 522.48 || n != 5230 {
		t.Errorf("parseWrk = %v, %v, %v; want 522.48, 5230, nil", rps, n, err)
	}
	bad := strings.Replace(clean, "Requests/sec", "  Socket errors: connect 0, read 3, write 0, timeout 0\nRequests/sec", 1)
	if _, _, err := parseWrk(bad); err == nil {
		t.Error("parseWrk accepted a run with socket errors")
	}
	slow := strings.Replace(clean, "Requests/sec", "  Socket errors: connect 0, read 0, write 0, timeout 2\nRequests/sec", 1)
	if _, n, err := parseWrk(slow); err != nil || n != 5230 {
		t.Errorf("parseWrk of a run with timeouts = %v, %v; want 5230, nil", n, err)
	}
}

func TestWrkLatency(t *testing.T) {
	const out = `Running 10s test @ http://127.0.0.1:1234/hello.txt
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    15.09ms   80.21ms   1.24s    98.71%
    Req/Sec   290.12     60.01   400.00     70.00%
  Latency Distribution
     50%    4.81ms
     99%  402.00ms
  5230 requests in 10.01s, 1.30MB read
Requests/sec:    522.48
`
	const want = "bench: wrk: Latency 15.09ms 80.21ms 1.24s 98.71%\n" +
		"bench: wrk: Latency Distribution\nbench: wrk: 50% 4.81ms\nbench: wrk: 99% 402.00ms\n"
	if got := wrkLatency(out); got != want {
		t.Errorf("wrkLatency = %q, want %q", got, want)
	}
}
