package ext4fs_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"aramid/lib/linux/dac"
	"aramid/servers/vfsd/blockdev"
	"aramid/servers/vfsd/ext4"
	"aramid/servers/vfsd/ext4fs"
	"aramid/servers/vfsd/service"
	"aramid/servers/vfsd/tmpfs"
	"aramid/servers/vfsd/vfs"
)

// image builds an ext4 image with mke2fs -d from a small tree.
func image(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"mke2fs", "e2fsck"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	src := t.TempDir()
	for _, d := range []string{"etc", "bin", "dev", "tmp", "proc", "usr/lib"} {
		os.MkdirAll(filepath.Join(src, d), 0755)
	}
	os.WriteFile(filepath.Join(src, "etc/hostname"), []byte("aramid\n"), 0644)
	os.WriteFile(filepath.Join(src, "usr/lib/libc.so.6"), make([]byte, 100000), 0755)
	os.Symlink("../usr/lib/libc.so.6", filepath.Join(src, "bin/libc"))
	os.Symlink("usr/lib", filepath.Join(src, "lib"))
	img := filepath.Join(t.TempDir(), "root.img")
	out, err := exec.Command("mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096",
		"-E", "lazy_itable_init=0,root_owner=0:0", "-d", src, img, "8M").CombinedOutput()
	if err != nil {
		t.Fatalf("mke2fs: %v: %s", err, out)
	}
	return img
}

// open mounts the engine on img read-write.
func open(t *testing.T, img string) *ext4.FS {
	t.Helper()
	dev, err := blockdev.OpenFile(img, false)
	if err != nil {
		t.Fatal(err)
	}
	e, err := ext4.Open(dev, ext4.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func fsck(t *testing.T, img string) {
	t.Helper()
	if out, err := exec.Command("e2fsck", "-fn", img).CombinedOutput(); err != nil {
		t.Errorf("e2fsck -fn: %v\n%s", err, out)
	}
}

// TestExt4Root mounts a real image as the root, with tmpfs and devfs on
// top, and works through the namespace: symlinks, reads, writes, renames
// and removals, after which e2fsck must find the image clean.
func TestExt4Root(t *testing.T) {
	img := image(t)
	e := open(t, img)
	v, err := service.Namespace(service.Config{Root: ext4fs.New(e), Console: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	p := &vfs.Proc{Cred: &dac.Cred{Caps: dac.AllCaps}, Root: v.Root(), Cwd: v.Root()}
	if _, err := v.Resolve(p, vfs.Loc{}, "/dev/null", true); err != nil {
		t.Errorf("/dev/null: %v", err)
	}
	if st, err := v.Statfs(p, mustResolve(t, v, p, "/tmp")); err != nil || st.Type != tmpfs.Magic {
		t.Errorf("/tmp is not a tmpfs: %+v %v", st, err)
	}
	if st, _ := v.Statfs(p, v.Root()); st.Type != ext4fs.Magic {
		t.Errorf("root is not ext4: %+v", st)
	}

	read := func(path string) string {
		t.Helper()
		f, err := v.Open(p, vfs.Loc{}, path, syscall.O_RDONLY, 0)
		if err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
		defer f.Close()
		b := make([]byte, 200000)
		n, _ := f.Read(b)
		return string(b[:n])
	}
	if got := read("/etc/hostname"); got != "aramid\n" {
		t.Errorf("hostname %q", got)
	}
	if got := read("/lib/../../bin/libc"); len(got) != 100000 {
		t.Errorf("libc through two symlinks: %d bytes", len(got))
	}
	if got := read("/tmp/../dev/../etc/hostname"); got != "aramid\n" {
		t.Errorf(".. out of mounts: %q", got)
	}
	f, err := v.Open(p, vfs.Loc{}, "/etc/motd", syscall.O_CREAT|syscall.O_EXCL|syscall.O_WRONLY, 0644)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("welcome\n"))
	f.Close()
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	check(v.Mkdir(p, vfs.Loc{}, "/home", 0755))
	check(v.Rename(p, vfs.Loc{}, "/etc/motd", vfs.Loc{}, "/home/motd", 0))
	check(v.Symlink(p, "/home/motd", vfs.Loc{}, "/etc/motd"))
	if got := read("/etc/motd"); got != "welcome\n" {
		t.Errorf("motd %q", got)
	}
	check(v.Unlink(p, vfs.Loc{}, "/usr/lib/libc.so.6"))
	if _, err := v.Open(p, vfs.Loc{}, "/bin/libc", syscall.O_RDONLY, 0); err != syscall.ENOENT {
		t.Errorf("dangling link: %v", err)
	}
	err = v.Rename(p, vfs.Loc{}, "/home/motd", vfs.Loc{}, "/tmp/motd", 0)
	if err != syscall.EXDEV {
		t.Errorf("rename onto tmpfs: %v", err)
	}
	d, _ := v.Open(p, vfs.Loc{}, "/", syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	names := map[string]bool{}
	for {
		ents, err := d.Getdents(4)
		check(err)
		if len(ents) == 0 {
			break
		}
		for _, e := range ents {
			names[e.Name] = true
		}
	}
	for _, n := range []string{".", "..", "lost+found", "etc", "home", "lib"} {
		if !names[n] {
			t.Errorf("root listing lacks %s: %v", n, names)
		}
	}
	check(e.Close())
	fsck(t, img)
}

func mustResolve(t *testing.T, v *vfs.VFS, p *vfs.Proc, path string) vfs.Loc {
	t.Helper()
	l, err := v.Resolve(p, vfs.Loc{}, path, true)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestExt4GetdentsStable lists a large (multi-block, then htree-indexed)
// ext4 directory while entries are removed and added between calls:
// entries present throughout appear exactly once.
func TestExt4GetdentsStable(t *testing.T) {
	img := image(t)
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "many"), 0755)
	for i := 0; i < 400; i++ {
		os.WriteFile(filepath.Join(src, "many", fmt.Sprintf("file-with-a-long-name-%04d", i)), nil, 0644)
	}
	out, err := exec.Command("mke2fs", "-q", "-F", "-t", "ext4", "-b", "1024", "-E", "root_owner=0:0",
		"-d", src, img, "4M").CombinedOutput()
	if err != nil {
		t.Fatalf("mke2fs: %v: %s", err, out)
	}
	exec.Command("e2fsck", "-fyD", img).Run() // builds the htree index; exit 1 is expected
	fsck(t, img)
	e := open(t, img)
	v := vfs.New(ext4fs.New(e), 0, nil)
	p := &vfs.Proc{Cred: &dac.Cred{Caps: dac.AllCaps}, Root: v.Root(), Cwd: v.Root()}
	d, err := v.Open(p, vfs.Loc{}, "/many", syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	removed := map[string]bool{}
	seen := map[string]int{}
	for round := 0; ; round++ {
		ents, err := d.Getdents(16)
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) == 0 {
			break
		}
		for _, en := range ents {
			seen[en.Name]++
		}
		victim := fmt.Sprintf("file-with-a-long-name-%04d", (round*37)%400)
		if !removed[victim] {
			if err := v.Unlink(p, vfs.Loc{}, "/many/"+victim); err != nil {
				t.Fatal(err)
			}
			removed[victim] = true
		}
		if round < 20 {
			f, err := v.Open(p, vfs.Loc{}, fmt.Sprintf("/many/new-%d", round), syscall.O_CREAT|syscall.O_WRONLY, 0644)
			if err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
	for i := 0; i < 400; i++ {
		name := fmt.Sprintf("file-with-a-long-name-%04d", i)
		if c := seen[name]; c > 1 || (c == 0 && !removed[name]) {
			t.Errorf("%s listed %d times", name, c)
		}
	}
	d.Close()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	fsck(t, img)
}
