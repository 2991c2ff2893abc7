// Package packages boots Aramid on the package image of mk/packages.mk,
// with host ports forwarded to guest ports, and installs the Debian
// packages it carries inside the guest (the install script beside this
// file), for the nginx and dropbear tests.
package packages

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"aramid/test/qemu"
)

// installed is the install script's last line.
var installed = regexp.MustCompile(`(?m)^install: ok$`)

// Guest is a booted Aramid with a busybox shell on its console and the
// packages installed.
type Guest struct {
	*qemu.VM
	ports map[int]int
}

// Boot boots a copy of the package image (so the image stays as built)
// with a forward from a free host port to each of guestPorts, waits for
// the shell and runs the install. It skips the test unless make set the
// environment, and fails it if the install does. The machine is stopped,
// and its console logged, when the test ends.
func Boot(t *testing.T, guestPorts ...int) *Guest {
	env := map[string]string{}
	for _, k := range []string{"ARAMID_KERNEL", "ARAMID_BUNDLE", "ARAMID_APPEND", "ARAMID_IMAGE"} {
		if env[k] = os.Getenv(k); env[k] == "" {
			t.Skipf("%s not set; run make test-nginx or make test-dropbear", k)
		}
	}
	img := filepath.Join(t.TempDir(), "root.ext4")
	if out, err := exec.Command("cp", "--sparse=always", env["ARAMID_IMAGE"], img).CombinedOutput(); err != nil {
		t.Fatalf("copying the image: %v\n%s", err, out)
	}
	g := &Guest{ports: map[int]int{}}
	netdev := "user,id=n0,restrict=on"
	for _, p := range guestPorts {
		hp, err := qemu.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		g.ports[p] = hp
		netdev += fmt.Sprintf(",hostfwd=tcp:127.0.0.1:%d-:%d", hp, p)
	}
	// ARAMID_LINUXD replaces linuxd's word, to trace the shell and
	// everything it starts: linuxd,strace,/bin/sh!!
	linuxd := os.Getenv("ARAMID_LINUXD")
	if linuxd == "" {
		linuxd = "linuxd,/bin/sh!!"
	}
	vm, err := qemu.Start(env["ARAMID_KERNEL"], env["ARAMID_APPEND"]+" "+linuxd,
		"-initrd", env["ARAMID_BUNDLE"],
		"-drive", "file="+img+",if=none,id=root,format=raw", "-device", "virtio-blk-pci,drive=root,disable-legacy=on",
		"-netdev", netdev, "-device", "virtio-net-pci,netdev=n0,disable-legacy=on")
	if err != nil {
		t.Fatal(err)
	}
	g.VM = vm
	t.Cleanup(func() {
		vm.Kill()
		t.Logf("console:\n%s", vm.Output())
	})
	if _, _, err := vm.WaitFor("built-in shell (ash)", 3*time.Minute); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out := g.Must(t, "sh /debs/install", 15*time.Minute)
	if !installed.MatchString(out) {
		t.Fatalf("install did not say \"install: ok\":\n%s", out)
	}
	t.Logf("packages installed in the guest in %v", time.Since(start).Round(time.Second))
	return g
}

// HostPort is the host port on 127.0.0.1 forwarded to the guest's port.
func (g *Guest) HostPort(guest int) int { return g.ports[guest] }

// Must runs cmd at the guest's shell and ends t at once if it does not
// end with status 0 within timeout. It returns cmd's output.
func (g *Guest) Must(t *testing.T, cmd string, timeout time.Duration) string {
	t.Helper()
	out, status, err := g.Run(cmd, timeout)
	if err != nil {
		t.Fatal(err)
	}
	if status != 0 {
		t.Fatalf("%s: exit status %d:\n%s", cmd, status, out)
	}
	return out
}

// Check runs cmd like Must, but only marks t failed, so the steps after
// it still run; it reports whether cmd succeeded.
func (g *Guest) Check(t *testing.T, cmd string, timeout time.Duration) (string, bool) {
	t.Helper()
	out, status, err := g.Run(cmd, timeout)
	if err != nil {
		t.Fatal(err)
	}
	if status != 0 {
		t.Errorf("%s: exit status %d:\n%s", cmd, status, out)
	}
	return out, status == 0
}

// NeedProc skips t unless the guest serves /proc (procd). The tests'
// checks through ps and /proc run once it does.
func (g *Guest) NeedProc(t *testing.T) {
	t.Helper()
	if _, status, err := g.Run("[ -r /proc/self/stat ]", time.Minute); err != nil {
		t.Fatal(err)
	} else if status != 0 {
		t.Skip("no /proc in the guest: procd does not run yet")
	}
}

// Listening checks that /proc/net/tcp or /proc/net/tcp6 shows a socket
// listening on port.
func (g *Guest) Listening(t *testing.T, port int) {
	t.Helper()
	out := g.Must(t, "cat /proc/net/tcp /proc/net/tcp6", time.Minute)
	local := fmt.Sprintf(":%04X", port)
	for _, l := range strings.Split(out, "\n") {
		// sl local_address rem_address st ...; st 0A is TCP_LISTEN.
		f := strings.Fields(l)
		if len(f) > 3 && strings.HasSuffix(f[1], local) && f[3] == "0A" {
			return
		}
	}
	t.Errorf("no socket listening on port %d in /proc/net/tcp or /proc/net/tcp6:\n%s", port, out)
}
