// Package boot_test boots the real kernel under QEMU. It runs when
// ARAMID_KERNEL names a built kernel image (make test-boot does this).
package boot_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"aramid/test/qemu"
)

func kernel(t *testing.T) string {
	k := os.Getenv("ARAMID_KERNEL")
	if k == "" {
		t.Skip("ARAMID_KERNEL not set; run make test-boot")
	}
	return k
}

func boot(t *testing.T, cmdline string) *qemu.VM {
	vm, err := qemu.Start(kernel(t), cmdline)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		vm.Kill()
		if t.Failed() {
			t.Logf("console:\n%s", vm.Output())
		}
	})
	return vm
}

// TestSelfTest boots to the banner, runs the in-kernel self-test of the
// hosted Go runtime and requires its explicit success marker.
func TestSelfTest(t *testing.T) {
	vm := boot(t, "aramid.selftest aramid.exit")
	banner, at, err := vm.WaitFor("Aramid microkernel", 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s (banner %v after QEMU start)", banner, at.Round(time.Millisecond))
	if _, _, err := vm.WaitFor("SELFTEST ", 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	status, err := vm.Wait(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	out := vm.Output()
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "self-test:") {
			t.Log(l)
		}
	}
	if !strings.Contains(out, "SELFTEST PASS") {
		t.Fatal("self-test did not pass")
	}
	if status != qemu.StatusSuccess {
		t.Fatalf("QEMU exit status %d, want %d", status, qemu.StatusSuccess)
	}
}

// TestCrashReport faults deliberately and requires the full crash report
// and a failing exit status.
func TestCrashReport(t *testing.T) {
	vm := boot(t, "aramid.crashtest")
	status, err := vm.Wait(3 * time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	out := vm.Output()
	for _, want := range []string{
		"KERNEL FAULT: #PF page fault (vector 14)",
		"CR2 0xfffff00000000000",
		"RIP 0x", "RAX 0x", "R15 0x",
		"code: 48 c7 02 2a",
		"faulting instruction: MOVQ $0x2a, 0(DX)",
		"main.crashTest",
		"main.main",
		"--- end of crash report ---",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("crash report lacks %q", want)
		}
	}
	if status != qemu.StatusFailure {
		t.Errorf("QEMU exit status %d, want %d", status, qemu.StatusFailure)
	}
}
