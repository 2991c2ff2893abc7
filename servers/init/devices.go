package main

import (
	"fmt"
	"strings"
	"sync"
	"syscall"

	"aramid/lib/abi"
	"aramid/lib/device"
	"aramid/lib/ipc"
)

// Device assignment is configuration, not kernel code: an argument
// "prog@virtio-blk" gives prog the first virtio-blk function that no one
// holds, "prog@00:04.0" a function by its PCI address. The program asks
// for it with Names.Device on its bootstrap channel (names.Device), and
// gets a device handle minted from the resource handle the kernel gave
// init.
var (
	deviceMu sync.Mutex
	knownIDs = map[string][2]uint16{
		"virtio-blk": {0x1af4, 0x1042},
		"virtio-net": {0x1af4, 0x1041},
	}
)

// splitDevice separates "prog args@spec" into the command and the device
// spec (empty when there is none).
func splitDevice(arg string) (string, string) {
	if i := strings.LastIndexByte(arg, '@'); i > 0 {
		return arg[:i], arg[i+1:]
	}
	return arg, ""
}

// mintDevice mints a handle for the first free function matching spec.
// It fails with ENODEV when spec is empty or no such function is free.
func mintDevice(spec string) (ipc.Handle, error) {
	if spec == "" {
		return 0, syscall.ENODEV
	}
	deviceMu.Lock()
	defer deviceMu.Unlock()
	fns, err := device.List(abi.Resource)
	if err != nil {
		return 0, err
	}
	for i, f := range fns {
		if f.Held == 0 && matches(f, spec) {
			return device.Mint(abi.Resource, i)
		}
	}
	return 0, syscall.ENODEV
}

func matches(f abi.DeviceInfo, spec string) bool {
	if id, ok := knownIDs[spec]; ok {
		return f.Vendor == id[0] && f.Device == id[1]
	}
	var bus, dev, fn uint8
	n, err := fmt.Sscanf(spec, "%x:%x.%x", &bus, &dev, &fn)
	return err == nil && n == 3 && f.Bus == bus && f.Dev == dev && f.Fn == fn
}
