package main

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"aramid/test/qemu"
)

// listening is what linuxbench prints once tcp-in's socket listens.
var listening = "linuxbench: listening on port " + strconv.Itoa(tcpPort)

// freePort returns a TCP port on the host's 127.0.0.1 that was free a
// moment ago, as tools/freeport does.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// forward returns the QEMU options devices with the user network's
// netdev forwarding the host's 127.0.0.1:port to the guest's guestPort.
// QEMU's restrict=on still allows forwards.
func forward(devices []string, port, guestPort int) ([]string, error) {
	out := append([]string{}, devices...)
	for i := 0; i+1 < len(out); i++ {
		if out[i] == "-netdev" && strings.HasPrefix(out[i+1], "user,") {
			out[i+1] += fmt.Sprintf(",hostfwd=tcp:127.0.0.1:%d-:%d", port, guestPort)
			return out, nil
		}
	}
	return nil, fmt.Errorf("a forward needs a user network (-netdev user,...) in -devices, have %q", devices)
}

// send is the host side of tcp-in: once linuxbench listens in the guest,
// it connects to the forwarded port once per entry of mib, sends that many
// MiB, closes its side and waits for the guest to close, so connections
// never overlap. Every step ends by the deadline.
func send(vm *qemu.VM, port int, mib []int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	if _, _, err := vm.WaitFor(listening, timeout); err != nil {
		return err
	}
	return sendAll(port, mib, deadline)
}

// sendAll makes send's connections.
func sendAll(port int, mib []int, deadline time.Time) error {
	chunk := make([]byte, 1<<20)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for i, m := range mib {
		if err := sendOne(addr, chunk, m, deadline); err != nil {
			return fmt.Errorf("tcp-in connection %d of %d (%d MiB): %v", i+1, len(mib), m, err)
		}
	}
	return nil
}

func sendOne(addr string, chunk []byte, mib int, deadline time.Time) error {
	c, err := net.DialTimeout("tcp", addr, time.Until(deadline))
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(deadline)
	for range mib {
		if _, err := c.Write(chunk); err != nil {
			return err
		}
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		return err
	}
	n, err := io.Copy(io.Discard, c)
	if err == nil && n != 0 {
		err = fmt.Errorf("the guest sent %d bytes back", n)
	}
	return err
}
