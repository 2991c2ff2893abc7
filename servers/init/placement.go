package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"aramid/lib/ipc"
)

// Placement is configuration too: "@cpuN" at the end of an argument runs
// the program on CPU N only ("linuxd@cpu1"; after a device spec,
// "+netd@virtio-net@cpu1"), and several let it run on any of them
// ("vfsd@cpu1@cpu2"). init spawns the process with its CPU mask
// (ipc.SpawnOn), which its threads inherit. A CPU that does not run
// threads (one missing, or every CPU but the boot one without aramid.smp)
// leaves the program unplaced, with a message, so that one configuration boots at any CPU
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

// spawn spawns cmd placed on cpus (0: any). The kernel places it before
// its first thread runs: placed after the spawn (Affinity), the process
// could already have run elsewhere on another CPU. A mask that names no CPU
// that runs threads is refused; the program then runs on any, with a
// message.
func spawn(cmd string, boot ipc.Handle, cpus uint64) (ipc.Handle, error) {
	p, err := ipc.SpawnOn(cmd, boot, cpus)
	if cpus == 0 || !errors.Is(err, syscall.EINVAL) {
		return p, err
	}
	fmt.Printf("init: %s: cannot place it on CPUs %s: %v; it runs on any\n", cmd, cpuList(cpus), err)
	return ipc.Spawn(cmd, boot)
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
