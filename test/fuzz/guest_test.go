// Package fuzz_test boots the Linux system under QEMU with sysfuzz
// (progs/sysfuzz.c) as linuxd's program and fails if the system does not
// survive it: a kernel panic or fault report, a server that dies or is
// restarted, or a hang. A hang is a run that prints no progress line, or
// whose count of calls does not grow, for ARAMID_FUZZ_STALL (sysfuzz
// prints a line every two seconds), or that does not boot, finish or
// power off in time; every wait has a timeout.
package fuzz_test

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"aramid/test/qemu"
)

// failureRE matches the console lines that mean the system, not a fuzzed
// process, failed: the kernel's fault reports and panics, init reporting a
// server's end or restart, a process killed by the kernel (only servers
// are: Linux processes die through linuxd, even at their memory limit),
// and Go's panics and fatal errors in a server.
var failureRE = regexp.MustCompile(`kernel panic|KERNEL FAULT|^crash: |^init: restarting|^init: .* failed \d+ times|` +
	`^init: .*: (killed|exit status)|^process .* killed|^panic: |^fatal error: |^goroutine \d+ \[`)

// allowedRE matches failure-looking lines that are not failures: the main
// task (linuxd running sysfuzz or memhog) ending, which the status check
// judges.
var allowedRE = regexp.MustCompile(`^init: linuxd /test/\S+( .*)?: exit status \d+$`)

func TestGuestFuzz(t *testing.T) {
	kernel, bundle, appendLine := os.Getenv("ARAMID_KERNEL"), os.Getenv("ARAMID_BUNDLE"), os.Getenv("ARAMID_LINUX_APPEND")
	if kernel == "" || bundle == "" || appendLine == "" {
		t.Skip("ARAMID_KERNEL, ARAMID_BUNDLE and ARAMID_LINUX_APPEND not set; run make fuzz-guest")
	}
	count, seed := env("ARAMID_FUZZ_COUNT", "5000"), env("ARAMID_FUZZ_SEED", "1")
	stall, err := time.ParseDuration(env("ARAMID_FUZZ_STALL", "60s"))
	if err != nil {
		t.Fatal(err)
	}
	args := strings.Join(append([]string{"/test/sysfuzz", "-n", count, "-s", seed}, strings.Fields(os.Getenv("ARAMID_FUZZ_ARGS"))...), ",")
	devices := strings.Fields(os.Getenv("ARAMID_DEVICES"))
	vm, err := qemu.Start(kernel, appendLine+" linuxd,"+args+"!!", append([]string{"-initrd", bundle}, devices...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Kill()
	final, err := run(t, vm, stall)
	console := vm.Output()
	if path := os.Getenv("ARAMID_FUZZ_LOG"); path != "" {
		if err := os.WriteFile(path, []byte(console), 0o644); err != nil {
			t.Error(err)
		}
	}
	if err != nil {
		t.Fatalf("%v\nconsole:\n%s", err, tail(console, 200))
	}
	t.Log(final)
	if bad := failures(console); len(bad) > 0 {
		t.Fatalf("the system failed under sysfuzz (seed %s):\n%s\nconsole:\n%s", seed, strings.Join(bad, "\n"), tail(console, 200))
	}
	if st := vm.Status(); st != qemu.StatusSuccess {
		t.Fatalf("QEMU exit status %d, want %d (sysfuzz's 0)\nconsole:\n%s", st, qemu.StatusSuccess, tail(console, 200))
	}
}

// TestMemoryExhaustion runs memhog (progs/memhog.c), whose children
// together touch more memory than the machine has, and map terabytes:
// only they may die, of SIGSEGV when the kernel keeps the servers'
// reserve from them, the terabytes must be refused rather than cost page
// tables, and the system must go on. sysfuzz found linuxd killed by a page
// fault in its own heap when its workers had taken every frame.
func TestMemoryExhaustion(t *testing.T) {
	kernel, bundle, appendLine := os.Getenv("ARAMID_KERNEL"), os.Getenv("ARAMID_BUNDLE"), os.Getenv("ARAMID_LINUX_APPEND")
	if kernel == "" || bundle == "" || appendLine == "" {
		t.Skip("ARAMID_KERNEL, ARAMID_BUNDLE and ARAMID_LINUX_APPEND not set; run make test-fuzz-guest")
	}
	devices := strings.Fields(os.Getenv("ARAMID_DEVICES"))
	vm, err := qemu.Start(kernel, appendLine+" linuxd,/test/memhog!!", append([]string{"-initrd", bundle}, devices...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Kill()
	l, _, err := vm.WaitFor("the system is alive", 5*time.Minute)
	if err == nil {
		_, err = vm.Wait(2 * time.Minute)
	}
	console := vm.Output()
	if err != nil {
		t.Fatalf("%v\nconsole:\n%s", err, tail(console, 100))
	}
	t.Log(l)
	if !strings.Contains(console, "memhog: the terabyte mappings were refused in time") {
		t.Errorf("memhog's child that maps terabytes did not end as it should")
	}
	if bad := failures(console); len(bad) > 0 {
		t.Fatalf("the system failed under memhog:\n%s\nconsole:\n%s", strings.Join(bad, "\n"), tail(console, 100))
	}
	if st := vm.Status(); st != qemu.StatusSuccess {
		t.Fatalf("QEMU exit status %d, want %d (memhog's 0)\nconsole:\n%s", st, qemu.StatusSuccess, tail(console, 100))
	}
}

// run waits for the boot, then for each numbered progress line of sysfuzz
// in turn, each within stall and the count of calls growing within stall,
// until the last ("done"); then for the machine to power off. It returns the last line, and logs every
// thirtieth.
func run(t *testing.T, vm *qemu.VM, stall time.Duration) (string, error) {
	if _, _, err := vm.WaitFor("sysfuzz: seed ", 3*time.Minute); err != nil {
		return "", fmt.Errorf("booting: %v", err)
	}
	calls, since := "", time.Now()
	for n := 1; ; n++ {
		l, _, err := vm.WaitFor("sysfuzz: #"+strconv.Itoa(n)+" ", stall)
		if err != nil {
			return "", fmt.Errorf("hang: %v", err)
		}
		if f := strings.Fields(l); len(f) > 3 && f[2] == "calls" {
			if f[3] != calls {
				calls, since = f[3], time.Now()
			} else if time.Since(since) > stall {
				return "", fmt.Errorf("hang: no calls for %v after %s", stall, calls)
			}
		}
		if n%30 == 0 {
			t.Log(l) // a long run's progress, once a minute
		}
		if strings.Contains(l, " done: ") {
			if _, err := vm.Wait(2 * time.Minute); err != nil {
				return "", fmt.Errorf("powering off: %v", err)
			}
			return l, nil
		}
	}
}

// failures lists the console lines that failureRE condemns and allowedRE
// does not excuse, up to init's last word: the servers' complaints after
// it are the shutdown's.
func failures(console string) []string {
	var bad []string
	for _, l := range strings.Split(console, "\n") {
		if strings.HasPrefix(l, "init: all tasks finished") {
			break
		}
		if failureRE.MatchString(l) && !allowedRE.MatchString(l) {
			bad = append(bad, l)
		}
	}
	return bad
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	l := strings.Split(s, "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// TestFailures checks the console patterns on the host.
func TestFailures(t *testing.T) {
	console := strings.Join([]string{
		"linuxd: pid 308 (sysfuzz) killed by signal 11: CPU exception 14 at rip 0x405227, address 0x10000011dd88",
		"linuxd: pid 309 (memhog) killed by signal 9: out of memory at address 0x1000: its memory limit of 256 MiB is reached",
		"init: vfsd proc: killed by CPU exception 14",
		"init: restarting vfsd proc (1 of 3)",
		"process netd (pid 5) killed: General protection (vector 13) error 0x0 CR2 0x0",
		"kernel panic: the Go runtime exited with status 2",
		"KERNEL FAULT: Page fault (vector 14) in thread 3",
		"panic: runtime error: index out of range [3] with length 3",
		"goroutine 7 [running]:",
		"init: linuxd /test/sysfuzz -n 10 -s 1: exit status 0",
		"init: all tasks finished, 0 of 1 failed",
		"vfsd: vfs: init has ended (broken pipe)",
		"panic: after the end",
	}, "\n")
	got := failures(console)
	if len(got) != 7 {
		t.Fatalf("failures found %d lines, want 7:\n%s", len(got), strings.Join(got, "\n"))
	}
	if got[0] != "init: vfsd proc: killed by CPU exception 14" || got[6] != "goroutine 7 [running]:" {
		t.Errorf("failures = %q", got)
	}
}
