// Package user_test boots the kernel with the boot bundle of ring-3 Go
// programs and checks, from the serial console, what docs/testing.md lists:
// IPC with handle passing between two servers, goroutines and GC in ring 3,
// a crashing server reported and restarted by init, and processes killed
// for touching kernel memory, running a privileged instruction or
// exhausting their memory limit, with the kernel running on.
package user_test

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"aramid/test/qemu"
)

func TestUserSpace(t *testing.T) { userSpace(t, "") }

// TestUserSpaceSMP runs the same with a second CPU (aramid.smp), which
// runs threads beside the boot CPU: both must have switched threads.
func TestUserSpaceSMP(t *testing.T) {
	out := userSpace(t, "aramid.smp ", "-smp", "2")
	for _, want := range []string{"cpu 1 online, apic id 1", "SMP PASS: 2 CPUs online", "smp: 2 CPUs run threads"} {
		if !strings.Contains(out, want) {
			t.Errorf("console lacks %q", want)
		}
	}
	if busy, line := qemu.BusyCPUs(out); busy < 2 {
		t.Errorf("threads ran on %d CPU(s), want 2: %q", busy, line)
	}
}

// TestSMPStress runs smpstress (test/progs/smpstress.c: IPC between
// threads, maps and unmaps across threads, forks beside a writing thread)
// and forktest with threads on 2 and 4 CPUs, and requires every CPU to
// have run threads. A lost wake-up shows as the boot's timeout.
func TestSMPStress(t *testing.T) {
	for _, n := range []int{2, 4} {
		t.Run(fmt.Sprintf("smp%d", n), func(t *testing.T) {
			out := bootSMP(t, "smpstress! forktest!", n, "SMPSTRESS PASS", "FORK PASS", fmt.Sprintf("smp: %d CPUs run threads", n))
			busy, line := qemu.BusyCPUs(out)
			if busy < n {
				t.Errorf("threads ran on %d of %d CPUs: %q", busy, n, line)
			}
			t.Log(line)
		})
	}
}

// TestPlacement runs pintest (test/progs/pintest.c) at -smp 2, placed on
// CPU 1 by init ("pintest@cpu1"): it and its threads must only ever run
// there, and threads it then pins to CPU 0 and CPU 1 with the affinity
// call must stay on theirs while both CPUs are busy.
func TestPlacement(t *testing.T) {
	bootSMP(t, "pintest@cpu1!", 2,
		"pintest: placed on cpu 1 by init: 4 threads stayed there",
		"pintest: threads pinned to cpu 0 and cpu 1 stayed there",
		"PINTEST PASS")
}

// bootSMP boots the bundle with n CPUs running threads and init's
// arguments args, requires the console to show each of wants and init to
// exit with 0, and returns the console.
func bootSMP(t *testing.T, args string, n int, wants ...string) string {
	t.Helper()
	kernel, bundle := os.Getenv("ARAMID_KERNEL"), os.Getenv("ARAMID_BUNDLE")
	if kernel == "" || bundle == "" {
		t.Skip("ARAMID_KERNEL and ARAMID_BUNDLE not set; run make test-user")
	}
	vm, err := qemu.Start(kernel, "aramid.smp aramid.exit "+args, "-initrd", bundle, "-smp", fmt.Sprint(n))
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Kill()
	status, err := vm.Wait(5 * time.Minute)
	out := vm.Output()
	if err != nil {
		t.Fatalf("%v\nconsole:\n%s", err, out)
	}
	for _, want := range append(wants, "kernel: init exited with status 0x0") {
		if !strings.Contains(out, want) {
			t.Errorf("console lacks %q", want)
		}
	}
	if t.Failed() || status != qemu.StatusSuccess {
		t.Fatalf("QEMU status %d; console:\n%s", status, out)
	}
	return out
}

// userSpace boots the bundle's tests with extra kernel arguments and QEMU
// flags, checks what every boot must show, and returns the console.
func userSpace(t *testing.T, args string, flags ...string) string {
	kernel, bundle := os.Getenv("ARAMID_KERNEL"), os.Getenv("ARAMID_BUNDLE")
	if kernel == "" || bundle == "" {
		t.Skip("ARAMID_KERNEL and ARAMID_BUNDLE not set; run make test-user")
	}
	vm, err := qemu.Start(kernel, args+"aramid.exit echo authd vfsd netd pinger! authcheck! vfscheck! netcheck! evil,kernel! evil,priv! hog! abuse! forktest!", append([]string{"-initrd", bundle}, flags...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Kill()
	status, err := vm.Wait(10 * time.Minute)
	out := vm.Output()
	t.Logf("console:\n%s", out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"pinger: 10000 calls with handle passing ok",
		"pinger: 64 KiB memory object shared with echo both ways",
		"pinger: ring-3 self-test gc:",
		"faulting instruction at",
		"init: restarting echo (1 of 3)",
		"pinger: calls to the restarted echo ok",
		"USERTEST PASS",
		"init: evil kernel: killed by CPU exception 14",
		"init: evil priv: killed by CPU exception 13",
		"HLT  [hlt]",
		"init: hog: killed at its memory limit",
		"ABUSE PASS",
		"AUTHD PASS",
		"FORK PASS",
		"VFSD PASS: create, write, read back, stat, /dev/null, bulk data in shared memory",
		"NETD PASS",
		"init: forktest: exit status 0",
		"init: abuse: exit status 0",
		"init: all tasks finished, 3 of 9 failed", // evil twice and hog
		"kernel: init exited with status 0x3",
		"kernel: powering off with init's exit status 3",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("console lacks %q", want)
		}
	}
	if err := qemu.TasksSucceeded(out, "pinger", "authcheck", "vfscheck", "netcheck", "abuse", "forktest"); err != nil {
		t.Error(err)
	}
	if !regexp.MustCompile(`process echo \(pid \d+\) killed: #PF page fault \(vector 14\)`).MatchString(out) {
		t.Error("no report of echo's page fault")
	}
	for _, bad := range []string{"still alive", "FAIL", "KERNEL FAULT", "kernel panic", "unimplemented system call"} {
		if strings.Contains(out, bad) {
			t.Errorf("console contains %q", bad)
		}
	}
	// init's exit code counts the tasks that failed: evil kernel, evil
	// priv and hog, killed on purpose, and nothing else.
	if want := qemu.ExitStatus(3); status != want {
		t.Errorf("QEMU exit status %d, want %d", status, want)
	}
	return out
}
