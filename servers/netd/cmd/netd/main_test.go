package main

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// With NETD_TEST_MAIN set the test binary is netd itself: a test runs
// main in a child process, as init would, and reads its exit status and
// output. Only what needs no Aramid kernel runs on the host.
func TestMain(m *testing.M) {
	if os.Getenv("NETD_TEST_MAIN") != "" {
		os.Args = append(os.Args[:1], os.Args[2:]...) // drop the -test.run
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runNetd(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$"}, args...)...)
	cmd.Env = append(os.Environ(), "NETD_TEST_MAIN=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return string(out), exit.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

// The selftest echoes its 4 MiB (less the remainder of 12-byte lines) and
// reports them. It runs in this process, so that its coverage counts.
func TestSelftest(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	err = selftest()
	os.Stdout = stdout
	w.Close()
	out, _ := io.ReadAll(r)
	ok := regexp.MustCompile(`^netd: selftest ok: 4194300 bytes over loopback TCP in \S+ \([0-9.]+ MB/s\)\n$`)
	if err != nil || !ok.MatchString(string(out)) {
		t.Errorf("selftest = %v with %q", err, out)
	}
}

// "netd selftest" runs the selftest and exits 0 instead of serving.
func TestSelftestCommand(t *testing.T) {
	out, code := runNetd(t, "selftest")
	if code != 0 || !strings.HasPrefix(out, "netd: selftest ok: 4194300 bytes") {
		t.Errorf("netd selftest exited %d with %q", code, out)
	}
}

// Arguments init should never give are a usage error, exit status 2.
func TestBadArguments(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-addr", "10.0.2.15"}, `^netd: -addr: .*\n$`},
		{[]string{"-gw", "192.168.9.1"}, `^netd: gateway 192.168.9.1 is on no configured subnet\n$`},
		{[]string{"now"}, `^netd: unexpected argument "now"\n$`},
	} {
		out, code := runNetd(t, c.args...)
		if code != 2 || !regexp.MustCompile(c.want).MatchString(out) {
			t.Errorf("netd %q exited %d with %q; want 2 and %s", c.args, code, out, c.want)
		}
	}
}
