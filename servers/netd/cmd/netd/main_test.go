package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"aramid/servers/netd/config"
	"aramid/servers/netd/link"
	"aramid/servers/netd/sockets"
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

// runNetd runs netd with args and returns its output and exit status; a
// netd still running after 30 s is killed, which fails the test.
func runNetd(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], append([]string{"-test.run=^$"}, args...)...)
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
// reports them, the time taken and the rate that makes. It runs in this
// process, so that its coverage counts.
func TestSelftest(t *testing.T) {
	var err error
	out := stdout(t, func() { err = selftest() })
	ok := regexp.MustCompile(`^netd: selftest ok: 4194300 bytes over loopback TCP in (\S+) \(([0-9.]+) MB/s\)\n$`)
	m := ok.FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("selftest = %v with %q", err, out)
	}
	d, err := time.ParseDuration(m[1])
	if rate := fmt.Sprintf("%.1f", 4194300/d.Seconds()/1e6); err != nil || m[2] != rate {
		t.Errorf("selftest took %s (%v) and reports %s MB/s, want %s", m[1], err, m[2], rate)
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

// stdout returns what fn prints.
func stdout(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = w
	fn()
	os.Stdout = saved
	w.Close()
	out, _ := io.ReadAll(r)
	return string(out)
}

// Outside Aramid init's name service is not there (its calls are ENOSYS
// on a Linux host): netd cannot register "net", says why and exits 1,
// the status that has init restart a server.
func TestNoNameService(t *testing.T) {
	out, code := runNetd(t)
	if code != 1 || out != "netd: function not implemented\n" {
		t.Errorf("netd exited %d with %q; want 1 and the failed registration", code, out)
	}
}

// Without a device from init netd has the loopback interface only, and
// says nothing of a card.
func TestNoCard(t *testing.T) {
	var dev link.Device
	var what string
	out := stdout(t, func() { dev, what = card() })
	if dev != nil || what != "loopback only" || out != "" {
		t.Errorf("card() = %v, %q, printing %q; want no device, loopback only, silence", dev, what, out)
	}
}

// Without procd netd says so and serves on without offering its socket
// table.
func TestNoProcd(t *testing.T) {
	n, err := sockets.New(config.Config{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	out := stdout(t, func() { offerSockets(nil, n) }) // no server is needed before procd answers
	if !regexp.MustCompile(`^netd: no procd: lookup proc: .*\n$`).MatchString(out) {
		t.Errorf("offerSockets without procd printed %q", out)
	}
}
