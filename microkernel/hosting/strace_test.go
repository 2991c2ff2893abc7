package hosting

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"aramid/lib/linux/sysno"
)

// TestRuntimeCallsAreHosted guards against Go upgrades: it runs the kernel's
// self-test as a Linux program under strace and fails if the runtime makes a
// system call that this package does not answer.
func TestRuntimeCallsAreHosted(t *testing.T) {
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Fatal("strace is not installed (make test installs it): ", err)
	}
	dir := t.TempDir()
	probe := filepath.Join(dir, "probe")
	build := exec.Command("go", "build", "-o", probe, "./testdata/probe")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the probe: %v\n%s", err, out)
	}
	trace := filepath.Join(dir, "trace")
	run := exec.Command(strace, "-f", "-qq", "-o", trace, probe)
	run.Env = append(os.Environ(), "GODEBUG=asyncpreemptoff=1,decoratemappings=0")
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("running the probe under strace: %v\n%s", err, out)
	}
	data, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	hosted := map[uint64]bool{}
	for _, n := range Implemented {
		hosted[n] = true
	}
	called := map[string]bool{}
	call := regexp.MustCompile(`^\d+\s+(?:<\.\.\. )?([a-z0-9_]+)[( ]`)
	for _, line := range strings.Split(string(data), "\n") {
		if m := call.FindStringSubmatch(line); m != nil {
			called[m[1]] = true
		}
	}
	delete(called, "execve") // strace's own exec of the probe
	if len(called) < 10 {
		t.Fatalf("parsed only %d system calls from strace; format changed?", len(called))
	}
	var missing, seen []string
	for name := range called {
		seen = append(seen, name)
		n, ok := sysno.Number(name)
		if !ok || !hosted[n] {
			missing = append(missing, name)
		}
	}
	sort.Strings(seen)
	t.Logf("the runtime called: %s", strings.Join(seen, " "))
	if len(missing) > 0 {
		sort.Strings(missing)
		t.Fatalf("the Go runtime calls %s, which the ring-0 hosting layer does not answer", strings.Join(missing, ", "))
	}
}
