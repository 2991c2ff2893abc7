// Package shell_test boots Aramid as make qemu does, to a busybox shell on
// the serial console under linuxd, types at it, and checks what a user
// would see: commands, pipelines, cd, Ctrl-C of a foreground program, a
// program killed at its memory limit, and poweroff ending the machine with
// status 0.
package shell_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"aramid/test/qemu"
)

func TestShell(t *testing.T) {
	kernel, bundle, boot := os.Getenv("ARAMID_KERNEL"), os.Getenv("ARAMID_BUNDLE"), os.Getenv("ARAMID_APPEND")
	if kernel == "" || bundle == "" || boot == "" {
		t.Skip("ARAMID_KERNEL, ARAMID_BUNDLE and ARAMID_APPEND not set; run make test-shell")
	}
	args := append([]string{"-initrd", bundle}, strings.Fields(os.Getenv("ARAMID_DEVICES"))...)
	vm, err := qemu.Start(kernel, boot+" linuxd,/bin/sh!!", args...)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		vm.Kill()
		t.Logf("console:\n%s", vm.Output())
	}()
	if _, _, err := vm.WaitFor("built-in shell (ash)", 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	// Each step types a line and waits for what only its output contains
	// (arithmetic the shell must do, so the echo of the typed line cannot
	// match).
	for _, step := range []struct{ typed, want string }{
		{"echo ready-$((40+2))", "ready-42"},
		{"ls -l / | grep -c ' bin$' | sed 's/^/bins-/'", "bins-1"},
		{"cat /etc/passwd | grep '^root:' | cut -d: -f7 | tr / _", "_bin_sh"},
		{"cd /tmp && echo data > f && wc -c < f | sed 's/^/bytes-/' && pwd | tr / -", "-tmp"},
		{"x=$(echo sub); echo got-$x-$((1+1))", "got-sub-2"},
		{"sleep 100", ""},
		{"\x03", ""},
		{"echo status-$?", "status-130"},
		// Job control: Ctrl-Z stops the foreground job, fg continues it.
		{"sleep 100", ""},
		{"\x1a", "Stopped"},
		{"fg", ""},
		{"\x03", ""},
		{"echo fg-status-$?", "fg-status-130"},
		{"sh -c 'exit 3'; echo child-$?", "child-3"},
		// A program that outgrows its memory limit is killed with
		// SIGKILL, and the shell that waits for it sees that.
		{`awk 'BEGIN { s = "x"; while (1) s = s s }'; echo oom-$?`, "oom-137"},
		{"echo after-oom-$((6*7))", "after-oom-42"},
	} {
		if err := vm.Type(step.typed + "\r"); err != nil {
			t.Fatal(err)
		}
		if step.want == "" {
			time.Sleep(time.Second)
			continue
		}
		if _, _, err := vm.WaitFor(step.want, time.Minute); err != nil {
			t.Fatalf("after typing %q: %v", step.typed, err)
		}
	}
	if want := "(awk) killed by signal 9: out of memory"; !strings.Contains(vm.Output(), want) {
		t.Errorf("console lacks %q", want)
	}
	if err := vm.Type("poweroff\r"); err != nil {
		t.Fatal(err)
	}
	status, err := vm.Wait(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if status != qemu.StatusSuccess {
		t.Errorf("QEMU exit status %d after poweroff, want %d (the kernel's 0)", status, qemu.StatusSuccess)
	}
}
