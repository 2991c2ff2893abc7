package ipc

import (
	"testing"

	"aramid/lib/abi"
)

func TestStatusString(t *testing.T) {
	for st, want := range map[int]string{
		0:                    "exit status 0",
		3:                    "exit status 3",
		abi.StatusFault | 14: "killed by CPU exception 14",
		abi.StatusMemory:     "killed at its memory limit",
		abi.StatusSignal | 6: "killed by signal 6",
	} {
		if got := StatusString(st); got != want {
			t.Errorf("StatusString(%#x) = %q, want %q", st, got, want)
		}
	}
}
