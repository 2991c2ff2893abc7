package procd

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"aramid/test/needroot"
)

// materialize copies procd's tree, as the caller c sees it, into dir:
// directories, files and links with their owners and modes, so that real
// programs can read it where /proc would be.
func materialize(t *testing.T, c *client, path, dir string) {
	a, err := c.lookup(path)
	if err != nil {
		t.Fatalf("lookup %q: %v", path, err)
	}
	switch a.Mode & syscall.S_IFMT {
	case syscall.S_IFLNK:
		target, err := c.readlink(path)
		if err != nil {
			return
		}
		if err := os.Symlink(target, dir); err != nil {
			t.Fatal(err)
		}
		os.Lchown(dir, int(a.Uid), int(a.Gid))
		return
	case syscall.S_IFDIR:
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			t.Fatal(err)
		}
		names, err := c.readdir(path)
		if err != nil {
			t.Fatalf("readdir %q: %v", path, err)
		}
		for _, n := range names {
			materialize(t, c, strings.TrimPrefix(path+"/"+n, "/"), filepath.Join(dir, n))
		}
	default:
		data, err := c.read(path)
		if err != nil {
			t.Fatalf("read %q: %v", path, err)
		}
		if err := os.WriteFile(dir, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	os.Chown(dir, int(a.Uid), int(a.Gid))
	os.Chmod(dir, os.FileMode(a.Mode&0o777))
}

// TestBusyboxPsTop runs the real busybox ps and top over a copy of
// procd's /proc, mounted on /proc in a private mount namespace.
func TestBusyboxPsTop(t *testing.T) {
	bb, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("needs busybox")
	}
	needroot.Require(t, "servers/procd: busybox ps and top over procd's /proc")
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare")
	}
	f := newFixture(t)
	dir := filepath.Join(t.TempDir(), "proc")
	materialize(t, f.as(1, rootCred), "", dir)
	run := func(cmd string) string {
		out, err := exec.Command("unshare", "-m", "sh", "-c", "mount --bind "+dir+" /proc && "+cmd).CombinedOutput()
		if err != nil {
			t.Skipf("cannot mount over /proc in a private namespace: %v: %s", err, out)
		}
		return string(out)
	}
	name := func(uid string) string {
		// busybox prints a user's name when the host knows it.
		out, _ := exec.Command("getent", "passwd", uid).Output()
		if n, _, ok := strings.Cut(string(out), ":"); ok {
			return n
		}
		return uid
	}
	user := padTo(name("1000"), 8)
	// busybox lists processes in directory order, so each line is
	// looked for on its own. It shows {comm} where argv[0] differs.
	ps := run(bb + " ps")
	for _, line := range []string{
		"PID   USER     COMMAND\n",
		"    1 root     /sbin/init\n",
		"   42 " + user + " {my prog (x)} my prog -v\n",
		"   43 root     {su\\do\nx} su\n",
	} {
		if !strings.Contains(ps, line) {
			t.Errorf("busybox ps lacks %q:\n%s", line, ps)
		}
	}
	top := run(bb + " top -b -n 1")
	for _, line := range []string{
		"Mem: 114688K used, 409600K free, 1024K shrd, 2048K buff, 30720K cached\n",
		"Load average: 1.00 0.50 0.00 1/53 1234\n",
		"    1     0 root     S     1092   0%   0% /sbin/init\n",
		"   42     1 " + user + " R<    8192   2%   0% {my prog (x)} my prog -v\n",
	} {
		if !strings.Contains(top, line) {
			t.Errorf("busybox top lacks %q:\n%s", line, top)
		}
	}
	t.Logf("busybox ps:\n%s\nbusybox top:\n%s", ps, top)
}
