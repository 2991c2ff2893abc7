// Package linux_test runs the C programs of test/linux twice, natively on
// the host and under Aramid, and requires the same output and exit status
// from both: the host's Linux is the specification that linuxd is checked
// against. Each program tests one area of the Linux ABI and prints one
// deterministic line per check.
//
// On the host each program runs in a scratch directory of its own; under
// Aramid, /test/linuxtests.sh runs them all in one boot, each in
// /tmp/<name>. The programs use relative paths for what they create, so
// both runs see the same tree.
package linux_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"aramid/test/qemu"
)

// knownFailures lists, per program, the checks (the label before ": " on
// a line of output, or "exit status") whose output under Aramid is known
// to differ from Linux's, with the reason. A listed check may differ
// without failing the test; a listed check that matches again fails it,
// so the list only ever shrinks with linuxd's progress.
var knownFailures = map[string]map[string]string{
	"dirs": {
		"entries read after EFAULT": "vfsd moves the directory position before linuxd copies the entries out, so a getdents64 that fails with EFAULT loses them",
	},
	"mman": {
		"MAP_SHARED after child's write": "fork copies MAP_SHARED anonymous memory instead of sharing it: the kernel's copy-on-write fork has no shared mappings",
		"mprotect unmapped":              "the kernel keeps no list of mappings (docs/memory.md), so mprotect of an unmapped range succeeds",
	},
	"segv": {
		"read of PROT_NONE": "a PROT_NONE page is not present in the page tables, so its fault looks like one at an unmapped address (SEGV_MAPERR where Linux says SEGV_ACCERR)",
	},
}

// result is what one run of a program printed and how it ended.
type result struct {
	out    string
	status int // the exit code, or 128+signal as a shell reports it
}

// linuxd is how the programs run under Aramid: linuxd runs the script
// that runs them, as init's main task.
const linuxd = "linuxd,/bin/sh,/test/linuxtests.sh!!"

func TestLinuxPrograms(t *testing.T) { linuxPrograms(t, "", linuxd, nil) }

// TestLinuxProgramsSMP runs the programs again with threads on two CPUs
// (aramid.smp, docs/smp.md): their output must not change.
func TestLinuxProgramsSMP(t *testing.T) { linuxPrograms(t, "aramid.smp ", linuxd, nil, "-smp", "2") }

// TestLinuxProgramsAcrossCPUs runs the programs that make the most
// forwarded calls, from threads, forks and signal handlers, with linuxd
// on CPU 1 and the programs on CPU 0 (taskset), so that every call is
// forwarded across CPUs and each side holds its thread while the other
// answers (docs/smp.md): their output must not change.
func TestLinuxProgramsAcrossCPUs(t *testing.T) {
	linuxPrograms(t, "aramid.smp ", "linuxd,/usr/bin/taskset,1,/bin/sh,/test/linuxtests.sh,ids,pipe,signal,threads,wait,affinity@cpu1!!",
		[]string{"ids", "pipe", "signal", "threads", "wait", "affinity"}, "-smp", "2")
}

// linuxPrograms runs the programs only (every one if nil) on the host and
// in one boot of Aramid, with extra kernel arguments, linuxd's argument
// and QEMU flags, and compares them.
func linuxPrograms(t *testing.T, args, linuxd string, only []string, flags ...string) {
	kernel, bundle := os.Getenv("ARAMID_KERNEL"), os.Getenv("ARAMID_BUNDLE")
	appendLine, dir := os.Getenv("ARAMID_LINUX_APPEND"), os.Getenv("ARAMID_LINUX_TESTS")
	if kernel == "" || bundle == "" || appendLine == "" || dir == "" {
		t.Skip("ARAMID_KERNEL, ARAMID_BUNDLE, ARAMID_LINUX_APPEND and ARAMID_LINUX_TESTS not set; run make test-linux")
	}
	list, err := os.ReadFile(filepath.Join(dir, "linuxtests.list"))
	if err != nil {
		t.Fatal(err)
	}
	names := strings.Fields(string(list))
	if only != nil {
		names = only
	}
	host := map[string]result{}
	for _, n := range names {
		r, err := runHost(filepath.Join(dir, n))
		if err != nil {
			t.Fatalf("%s on the host: %v", n, err)
		}
		host[n] = r
	}
	aramid, logs, err := runAramid(kernel, bundle, args+appendLine+" "+linuxd, flags...)
	for _, l := range logs {
		t.Logf("system message during the programs: %s", l)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			a, ok := aramid[n]
			if !ok {
				t.Fatalf("no output from %s under Aramid", n)
			}
			compare(t, n, host[n], a)
		})
	}
	for n := range knownFailures {
		if _, ok := host[n]; !ok && only == nil {
			t.Errorf("knownFailures names %s, which is not a test program", n)
		}
	}
}

// runHost runs a program natively in a fresh scratch directory under /tmp.
func runHost(path string) (result, error) {
	scratch, err := os.MkdirTemp("/tmp", filepath.Base(path)+"-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(scratch)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path)
	cmd.Dir = scratch
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/root"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// A child the program left running would hold its output open and
	// the wait for it with it.
	cmd.WaitDelay = 10 * time.Second
	err = cmd.Run()
	if ctx.Err() != nil {
		return result{}, fmt.Errorf("still running after a minute")
	}
	r := result{out: out.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		ws := ee.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			r.status = 128 + int(ws.Signal())
		} else {
			r.status = ws.ExitStatus()
		}
	case err != nil:
		return result{}, err
	}
	return r, nil
}

var (
	beginRE = regexp.MustCompile(`^=== begin (\S+)$`)
	endRE   = regexp.MustCompile(`=== end (\S+) (\d+)$`)
	// systemRE matches the lines the servers and the kernel print on the
	// console, which are not a program's output.
	systemRE = regexp.MustCompile(`^(linuxd|kernel|init|vfsd|authd|netd): `)
	// midLineRE matches such a line printed while a program's line was
	// unfinished (init announces a spare server at any moment), and the
	// rest of the program's line after it. Each is one write ending in a
	// newline, so cutting it out leaves the program's line whole.
	midLineRE = regexp.MustCompile(`([^\n])((?:linuxd|kernel|init|vfsd|authd|netd): [^\n]*\n)([^\n]*\n)`)
)

// unmix moves a system line printed in the middle of a program's line
// to just after that line.
func unmix(console string) string {
	return midLineRE.ReplaceAllString(console, "${1}${3}${2}")
}

// runAramid boots Aramid once with the shell running linuxtests.sh and
// returns each program's result, and the system's own console lines that
// appeared while the programs ran.
func runAramid(kernel, bundle, appendLine string, flags ...string) (map[string]result, []string, error) {
	args := append([]string{"-initrd", bundle}, strings.Fields(os.Getenv("ARAMID_DEVICES"))...)
	args = append(args, flags...)
	vm, err := qemu.Start(kernel, appendLine, args...)
	if err != nil {
		return nil, nil, err
	}
	defer vm.Kill()
	if _, _, err := vm.WaitFor("linuxd: started", 2*time.Minute); err != nil {
		return nil, nil, fmt.Errorf("booting: %v\nconsole:\n%s", err, vm.Output())
	}
	_, _, err = vm.WaitFor("=== all done", 20*time.Minute)
	if err == nil {
		_, err = vm.Wait(time.Minute)
	}
	console := vm.Output()
	if err != nil {
		return nil, nil, fmt.Errorf("running the programs: %v\nconsole:\n%s", err, console)
	}
	if st := vm.Status(); st != 1 {
		return nil, nil, fmt.Errorf("QEMU exit status %d, want 1 (the shell's status 0)\nconsole:\n%s", st, console)
	}
	lines := strings.Split(unmix(console), "\n")
	start := 0
	for i, l := range lines {
		if l == "linuxd: started" {
			start = i + 1
			break
		}
	}
	results := map[string]result{}
	var logs []string
	name, out := "", []string(nil)
	for _, l := range lines[start:] {
		if m := beginRE.FindStringSubmatch(l); m != nil && name == "" {
			name, out = m[1], nil
			continue
		}
		if name == "" {
			continue
		}
		if systemRE.MatchString(l) {
			logs = append(logs, name+": "+l)
			continue
		}
		if m := endRE.FindStringSubmatchIndex(l); m != nil && l[m[2]:m[3]] == name {
			var st int
			fmt.Sscan(l[m[4]:m[5]], &st)
			text := strings.Join(out, "\n")
			if len(out) > 0 {
				text += "\n"
			}
			results[name] = result{out: text + l[:m[0]], status: st}
			name = ""
			continue
		}
		out = append(out, l)
	}
	if name != "" {
		return nil, nil, fmt.Errorf("%s began and never ended\nconsole:\n%s", name, console)
	}
	return results, logs, nil
}

// compare requires the same output and status from both runs, except for
// the checks knownFailures lists, and prints a line diff when they differ.
func compare(t *testing.T, name string, host, aramid result) {
	known := knownFailures[name]
	seen := map[string]bool{}
	var bad []string
	d := diff(lines(host.out), lines(aramid.out))
	for _, l := range d {
		if l[0] == ' ' {
			continue
		}
		lab := label(l[1:])
		if reason, ok := known[lab]; ok {
			seen[lab] = true
			t.Logf("known failure %q (%s): %s", lab, reason, l)
			continue
		}
		bad = append(bad, l)
	}
	if host.status != aramid.status {
		if reason, ok := known["exit status"]; ok {
			seen["exit status"] = true
			t.Logf("known failure: exit status %d on the host, %d under Aramid (%s)", host.status, aramid.status, reason)
		} else {
			t.Errorf("exit status %d on the host, %d under Aramid", host.status, aramid.status)
		}
	}
	if len(bad) > 0 {
		t.Errorf("output differs (- host, + Aramid):\n%s", strings.Join(hunks(d, 2), "\n"))
	}
	for lab := range known {
		if !seen[lab] {
			t.Errorf("known failure %q of %s no longer differs: remove it from knownFailures", lab, name)
		}
	}
}

// hunks keeps the changed lines of diff d and ctx lines around each.
func hunks(d []string, ctx int) []string {
	var out []string
	last := -1
	for i, l := range d {
		near := false
		for j := max(0, i-ctx); j <= min(len(d)-1, i+ctx); j++ {
			near = near || d[j][0] != ' '
		}
		if !near {
			continue
		}
		if last >= 0 && i > last+1 {
			out = append(out, "...")
		}
		out, last = append(out, l), i
	}
	return out
}

func lines(s string) []string {
	return strings.SplitAfter(s, "\n")
}

// label is the name of the check a line of output reports: the text
// before its first ": ".
func label(l string) string {
	l = strings.TrimSuffix(l, "\n")
	if i := strings.Index(l, ": "); i >= 0 {
		return l[:i]
	}
	return l
}

// diff returns a line diff of a and b from their longest common
// subsequence: lines prefixed with ' ' (both), '-' (only a), '+' (only b).
func diff(a, b []string) []string {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var d []string
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			d = append(d, " "+strings.TrimSuffix(a[i], "\n"))
			i, j = i+1, j+1
		case j == m || (i < n && lcs[i+1][j] >= lcs[i][j+1]):
			d = append(d, "-"+strings.TrimSuffix(a[i], "\n"))
			i++
		default:
			d = append(d, "+"+strings.TrimSuffix(b[j], "\n"))
			j++
		}
	}
	return d
}

// TestDiff checks the diff that failures print, on the host.
func TestDiff(t *testing.T) {
	d := diff(lines("a\nb\nc\nd\ne\nf\n"), lines("a\nx\nc\nd\ne\nf\ng\n"))
	want := []string{" a", "-b", "+x", " c", " d", " e", " f", "+g", " "}
	if strings.Join(d, "|") != strings.Join(want, "|") {
		t.Errorf("diff = %q, want %q", d, want)
	}
	h := hunks(d, 1)
	want = []string{" a", "-b", "+x", " c", "...", " f", "+g", " "}
	if strings.Join(h, "|") != strings.Join(want, "|") {
		t.Errorf("hunks = %q, want %q", h, want)
	}
	if l := label("open nonexistent: -1 ENOENT\n"); l != "open nonexistent" {
		t.Errorf("label = %q", l)
	}
}

// TestUnmix checks that a system line printed in the middle of a
// program's line is moved after it, and that other lines stay.
func TestUnmix(t *testing.T) {
	in := "=== begin poll\nPOLLIN on write end: 1 [0x1]init: a spare of netd is ready\n [0]\nnext\ninit: at the start\n"
	want := "=== begin poll\nPOLLIN on write end: 1 [0x1] [0]\ninit: a spare of netd is ready\nnext\ninit: at the start\n"
	if got := unmix(in); got != want {
		t.Errorf("unmix:\n%q\nwant\n%q", got, want)
	}
}
