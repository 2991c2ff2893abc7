package main

import (
	"fmt"
	"strconv"
	"strings"

	"aramid/lib/ipc"
)

// Placement is configuration too: "@cpuN" at the end of an argument runs
// the program on CPU N only ("linuxd@cpu1"; after a device spec,
// "+netd@virtio-net@cpu1"), and several let it run on any of them
// ("vfsd@cpu1@cpu2"). init sets the process's CPU mask as soon as it is
// spawned (ipc.Affinity), which moves the threads it has and is inherited
// by those it starts. A CPU that does not run threads (one missing, or
// every CPU but the boot one without aramid.smp) leaves the program
// unplaced, with a message, so that one configuration boots at any CPU
// count (docs/smp.md).

// splitCPUs separates the "@cpuN" specs at the end of arg from the rest,
// and returns them as a mask (bit N: CPU N; 0 when there are none).
func splitCPUs(arg string) (string, uint64, error) {
	var mask uint64
	for {
		i := strings.LastIndexByte(arg, '@')
		if i <= 0 || !strings.HasPrefix(arg[i+1:], "cpu") {
			return arg, mask, nil
		}
		n, err := strconv.ParseUint(arg[i+4:], 10, 8)
		if err != nil || n > 63 {
			return "", 0, fmt.Errorf("%q names no CPU (cpu0 to cpu63)", arg[i+1:])
		}
		mask |= 1 << n
		arg = arg[:i]
	}
}

// place gives process p the CPU mask cpus, if not 0.
func place(p ipc.Handle, cmd string, cpus uint64) {
	if cpus == 0 {
		return
	}
	if _, err := ipc.Affinity(p, 0, cpus); err != nil {
		fmt.Printf("init: %s: cannot place it on CPUs %s: %v; it runs on any\n", cmd, cpuList(cpus), err)
	}
}

// cpuList writes a mask as "1" or "1,2".
func cpuList(mask uint64) string {
	var s []string
	for c := 0; c < 64; c++ {
		if mask>>c&1 != 0 {
			s = append(s, strconv.Itoa(c))
		}
	}
	return strings.Join(s, ",")
}
