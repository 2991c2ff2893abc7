// Command devcheck runs under init without a device and checks that the
// kernel refuses it each device call: mapping a BAR, binding an
// interrupt, allocating DMA memory (with no handle, a handle value never
// given, and a channel handle), minting devices without the resource
// handle, and that init grants it nothing. It prints "devcheck: ok".
package main

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"aramid/lib/device"
	"aramid/lib/ipc"
	"aramid/lib/names"
)

func main() {
	var failed bool
	check := func(what string, err, want error) {
		if !errors.Is(err, want) {
			fmt.Printf("devcheck: %s: got %v, want %v\n", what, err, want)
			failed = true
		}
	}
	for _, c := range []struct {
		name string
		h    ipc.Handle
		want error
	}{
		{"no handle", 0, syscall.EBADF},
		{"unknown handle", 40, syscall.EBADF},
		{"channel handle", ipc.Bootstrap, syscall.EINVAL},
	} {
		_, _, err := device.MapBAR(c.h, 0)
		check("map BAR with "+c.name, err, c.want)
		_, err = device.IRQ(c.h)
		check("bind IRQ with "+c.name, err, c.want)
		_, _, err = device.DMA(c.h, 4096)
		check("DMA with "+c.name, err, c.want)
	}
	_, err := device.List(ipc.Bootstrap)
	check("list without the resource handle", err, syscall.EINVAL)
	_, err = device.Mint(ipc.Bootstrap, 0)
	check("mint without the resource handle", err, syscall.EINVAL)
	_, err = names.Device()
	check("device from init without one configured", err, syscall.ENODEV)
	if failed {
		os.Exit(1)
	}
	fmt.Println("devcheck: ok: every device call refused without a device handle")
}
