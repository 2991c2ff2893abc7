package fwdfs_test

import (
	"bytes"
	"strings"
	"syscall"
	"testing"

	"aramid/lib/linux/dac"
	"aramid/proto/inproc"
	"aramid/proto/procpb"
	"aramid/servers/procd"
	"aramid/servers/vfsd/devfs"
	"aramid/servers/vfsd/fwdfs"
	"aramid/servers/vfsd/tmpfs"
	"aramid/servers/vfsd/vfs"
)

// namespace mounts a real procd, reached through the generated client on
// the in-process transport, on /proc of a tmpfs root.
func namespace(t *testing.T) (*vfs.VFS, *vfs.Proc) {
	t.Helper()
	srvTab := inproc.NewTable()
	pd := procd.New(srvTab, procd.UTS{Sysname: "Linux", Release: "6.1.0-aramid",
		Version: "#1 SMP", Builder: "(aramid@build) (go)"})
	ch := inproc.NewChannel(srvTab, procpb.NewProcDispatcher(pd))
	t.Cleanup(func() { ch.Close() })
	client := procpb.NewProcClient(ch.Transport(inproc.NewTable()))

	v := vfs.New(tmpfs.New(tmpfs.Options{Mode: 0755}), 0, devfs.Standard(&bytes.Buffer{}, nil))
	p := &vfs.Proc{Cred: &dac.Cred{Caps: dac.AllCaps}, Root: v.Root(), Cwd: v.Root(), PID: 42}
	if err := v.Mkdir(p, vfs.Loc{}, "/proc", 0555); err != nil {
		t.Fatal(err)
	}
	at, _ := v.Resolve(p, vfs.Loc{}, "/proc", true)
	if _, err := v.Mount(at, fwdfs.New(client), vfs.NoSuid|vfs.NoDev|vfs.NoExec); err != nil {
		t.Fatal(err)
	}
	return v, p
}

func TestProcThroughNamespace(t *testing.T) {
	v, p := namespace(t)
	f, err := v.Open(p, vfs.Loc{}, "/proc/version", syscall.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4096)
	n, err := f.Read(b)
	if err != nil || !strings.HasPrefix(string(b[:n]), "Linux version 6.1.0-aramid") {
		t.Errorf("/proc/version: %q %v", b[:n], err)
	}
	if n2, _ := f.Read(b); n2 != 0 {
		t.Errorf("second read gave %d bytes", n2)
	}
	st, err := f.Stat()
	if err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFREG || st.Size != 0 {
		t.Errorf("stat /proc/version: %+v %v", st, err)
	}
	if l, err := v.Readlink(p, vfs.Loc{}, "/proc/self"); err != nil || l != "42" {
		t.Errorf("/proc/self as pid 42: %q %v", l, err)
	}
	q := *p
	q.PID = 7
	if l, _ := v.Readlink(&q, vfs.Loc{}, "/proc/self"); l != "7" {
		t.Errorf("/proc/self as pid 7: %q", l)
	}
	// ".." at the root of /proc leaves the mount.
	up, err := v.Resolve(p, vfs.Loc{}, "/proc/sys/kernel/../../..", true)
	if err != nil || up != v.Root() {
		t.Errorf("/proc/sys/kernel/../../.. = %+v %v", up, err)
	}
	d, err := v.Open(p, vfs.Loc{}, "/proc/sys/kernel", syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]int{}
	for {
		ents, err := d.Getdents(3)
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) == 0 {
			break
		}
		for _, e := range ents {
			names[e.Name]++
		}
	}
	if names["hostname"] != 1 || names["ostype"] != 1 || names["."] != 1 {
		t.Errorf("/proc/sys/kernel lists %v", names)
	}
	w, err := v.Open(p, vfs.Loc{}, "/proc/sys/kernel/hostname", syscall.O_WRONLY|syscall.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("aramid\n")); err != nil {
		t.Fatal(err)
	}
	r, _ := v.Open(p, vfs.Loc{}, "/proc/sys/kernel/hostname", syscall.O_RDONLY, 0)
	if n, _ := r.Read(b); string(b[:n]) != "aramid\n" {
		t.Errorf("hostname after write: %q", b[:n])
	}
	user := &vfs.Proc{Cred: &dac.Cred{FSUID: 1000, FSGID: 1000}, Root: v.Root(), Cwd: v.Root(), PID: 43}
	_, err = v.Open(user, vfs.Loc{}, "/proc/sys/kernel/hostname", syscall.O_WRONLY, 0)
	if err != syscall.EACCES {
		t.Errorf("user opens hostname for writing: %v", err)
	}
	if err := v.Mkdir(p, vfs.Loc{}, "/proc/x", 0755); err != syscall.EPERM {
		t.Errorf("mkdir in /proc: %v", err)
	}
	_, err = v.Resolve(p, vfs.Loc{}, "/proc/nonexistent", true)
	if err != syscall.ENOENT {
		t.Errorf("missing /proc entry: %v", err)
	}
}
