// Package boot_test boots the real kernel under QEMU. It runs when
// ARAMID_KERNEL names a built kernel image (make test-boot does this).
package boot_test

import (
	"fmt"
	"os"
	"regexp"
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

// TestSMP boots with 2 and 4 CPUs and aramid.smp, and requires every AP to
// report online with its own APIC ID and calibrated timer, the kernel's
// probe of each parked CPU (timer interrupts, round trips polling and
// woken by IPI) to pass, every CPU then to run threads, and a normal exit.
// With 2 CPUs the self-test runs too, with its threads on both CPUs.
func TestSMP(t *testing.T) {
	for _, c := range []struct {
		n    int
		args string
	}{{2, "aramid.exit aramid.selftest aramid.smp"}, {4, "aramid.exit aramid.smp"}} {
		n := c.n
		t.Run(fmt.Sprintf("smp%d", n), func(t *testing.T) {
			vm, err := qemu.Start(kernel(t), c.args, "-smp", fmt.Sprint(n))
			if err != nil {
				t.Fatal(err)
			}
			defer vm.Kill()
			status, err := vm.Wait(3 * time.Minute)
			out := vm.Output()
			if err != nil {
				t.Fatalf("%v\nconsole:\n%s", err, out)
			}
			online := regexp.MustCompile(`(?m)^cpu (\d+) online, apic id (\d+), local timer (\d+) kHz$`)
			seen := online.FindAllStringSubmatch(out, -1)
			for i, m := range seen {
				// QEMU numbers the APIC IDs 0 to n-1 in the MADT's order.
				if m[1] != fmt.Sprint(i+1) || m[2] != m[1] || m[3] == "0" {
					t.Errorf("AP line %q: want cpu %d, apic id %[2]d, a calibrated timer", m[0], i+1)
				}
			}
			for _, want := range []string{
				fmt.Sprintf("smp: %d CPU(s) in the MADT", n),
				fmt.Sprintf("smp: %d CPUs online; APs parked", n),
				fmt.Sprintf("SMP PASS: %d CPUs online", n),
				fmt.Sprintf("smp: %d CPUs run threads", n),
			} {
				if !strings.Contains(out, want) {
					t.Errorf("console lacks %q", want)
				}
			}
			if strings.Contains(c.args, "aramid.selftest") {
				if !strings.Contains(out, "SELFTEST PASS") {
					t.Error("the self-test did not pass")
				}
				if busy, line := qemu.BusyCPUs(out); busy < n {
					t.Errorf("the self-test's threads ran on %d of %d CPUs: %q", busy, n, line)
				}
			}
			if len(seen) != n-1 || t.Failed() || status != qemu.StatusSuccess {
				t.Fatalf("%d of %d APs online, QEMU status %d; console:\n%s", len(seen), n-1, status, out)
			}
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(l, "smp: cpu ") || strings.HasPrefix(l, "cpu ") {
					t.Log(l)
				}
			}
		})
	}
}
