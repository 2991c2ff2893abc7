package qemu

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestRun runs commands at a shell reading a pipe, as Run types them at
// the console: output with and without a final newline, both streams,
// exit statuses, a command that outlives its timeout, a shell that ends.
func TestRun(t *testing.T) {
	vm, err := start(exec.Command("sh"))
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Kill()
	if _, _, err := vm.Run("exec 2>&1", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cmd, out string
		status   int
	}{
		{"echo one; echo two >&2", "one\ntwo", 0},
		{"printf 'no newline'; false", "no newline", 1},
		{"echo '@@%s<' $((6*7))", "@@%s< 42", 0},
		{"(exit 7)", "", 7},
	} {
		out, status, err := vm.Run(c.cmd, 10*time.Second)
		if err != nil || out != c.out || status != c.status {
			t.Errorf("Run(%q) = %q, %d, %v; want %q, %d", c.cmd, out, status, err, c.out, c.status)
		}
	}
	if _, _, err := vm.Run("sleep 2", 100*time.Millisecond); err == nil {
		t.Error("Run of sleep 2 with a 100 ms timeout did not fail")
	}
	out, _, err := vm.Run("echo after", 10*time.Second)
	if err != nil || out != "after" {
		t.Errorf("Run after a timed-out command = %q, %v; want \"after\"", out, err)
	}
	if _, _, err := vm.Run("exit 3", 10*time.Second); err == nil || !strings.Contains(err.Error(), "stopped") {
		t.Errorf("Run of exit 3 = %v, want the machine stopped", err)
	}
}
