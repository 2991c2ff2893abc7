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
