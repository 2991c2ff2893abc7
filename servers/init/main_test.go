package main

import (
	"testing"

	"aramid/lib/abi"
)

func TestInitCode(t *testing.T) {
	for _, c := range []struct {
		main, failed, want int
	}{
		{0, 0, 0},
		{0, 1, 1},
		{0, 3, 3},
		{0, 300, 255},
		{42, 1, 42},          // the main task failed: its code
		{exitCode(-1), 1, 1}, // could not start
		{exitCode(abi.StatusFault | 14), 2, 1},
		{exitCode(abi.StatusMemory), 1, 1},
		{exitCode(0), 2, 2}, // the main task succeeded, two others did not
	} {
		if got := initCode(c.main, c.failed); got != c.want {
			t.Errorf("initCode(%d, %d) = %d, want %d", c.main, c.failed, got, c.want)
		}
	}
	for st, want := range map[int]int{0: 0, 7: 7, 255: 255, -1: 1, 256: 1, abi.StatusMemory: 1} {
		if got := exitCode(st); got != want {
			t.Errorf("exitCode(%#x) = %d, want %d", st, got, want)
		}
	}
}

func TestSplitCPUs(t *testing.T) {
	for _, c := range []struct {
		arg, cmd string
		mask     uint64
		bad      bool
	}{
		{arg: "linuxd", cmd: "linuxd"},
		{arg: "linuxd@cpu1", cmd: "linuxd", mask: 1 << 1},
		{arg: "netd@virtio-net@cpu1", cmd: "netd@virtio-net", mask: 1 << 1},
		{arg: "vfsd proc@virtio-blk@cpu2@cpu0", cmd: "vfsd proc@virtio-blk", mask: 1<<2 | 1},
		{arg: "netd@virtio-net", cmd: "netd@virtio-net"},
		{arg: "echo@cpu63", cmd: "echo", mask: 1 << 63},
		{arg: "echo@cpu64", bad: true},
		{arg: "echo@cpu", bad: true},
		{arg: "echo@cpux", bad: true},
		{arg: "@cpu1", cmd: "@cpu1"}, // no program: left to spawn to refuse
	} {
		cmd, mask, err := splitCPUs(c.arg)
		if c.bad {
			if err == nil {
				t.Errorf("splitCPUs(%q) = %q, %#x; want an error", c.arg, cmd, mask)
			}
			continue
		}
		if err != nil || cmd != c.cmd || mask != c.mask {
			t.Errorf("splitCPUs(%q) = %q, %#x, %v; want %q, %#x", c.arg, cmd, mask, err, c.cmd, c.mask)
		}
	}
	if got := cpuList(1<<1 | 1<<3); got != "1,3" {
		t.Errorf("cpuList = %q, want 1,3", got)
	}
}
