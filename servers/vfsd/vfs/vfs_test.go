package vfs

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"sync"
	"syscall"
	"testing"

	"aramid/lib/linux/dac"
	"aramid/servers/vfsd/devfs"
	"aramid/servers/vfsd/fs"
	"aramid/servers/vfsd/tmpfs"
)

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t testing.TB, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) && !(err == nil && want == nil) {
		t.Errorf("%s: got %v, want %v", what, err, want)
	}
}

func open(t testing.TB, v *VFS, p *Proc, path string, flags int) *File {
	t.Helper()
	f, err := v.Open(p, Loc{}, path, flags, 0644)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return f
}

func TestOffsetsAppendTrunc(t *testing.T) {
	v, p := rootProc(t)
	f := open(t, v, p, "f", syscall.O_CREAT|syscall.O_RDWR)
	f.Write([]byte("hello world"))
	if n, _ := f.Seek(0, 1); n != 11 {
		t.Errorf("offset after write %d", n)
	}
	f.Seek(6, 0)
	b := make([]byte, 10)
	n, _ := f.Read(b)
	if string(b[:n]) != "world" {
		t.Errorf("read %q", b[:n])
	}
	a := open(t, v, p, "f", syscall.O_WRONLY|syscall.O_APPEND)
	a.Seek(0, 0)
	a.Write([]byte("!"))
	if n, _ := a.Seek(0, 1); n != 12 {
		t.Errorf("offset after an O_APPEND write %d, want 12 (the end)", n)
	}
	a.Pwrite([]byte("?"), 0)
	b = make([]byte, 64)
	n, _ = f.Pread(b, 0)
	if string(b[:n]) != "hello world!?" {
		t.Errorf("after append %q", b[:n])
	}
	open(t, v, p, "f", syscall.O_WRONLY|syscall.O_TRUNC).Close()
	if st, _ := f.Stat(); st.Size != 0 {
		t.Errorf("size after O_TRUNC %d", st.Size)
	}
	_, err := a.Read(b)
	wantErr(t, "read of O_WRONLY", err, syscall.EBADF)
	ro := open(t, v, p, "f", syscall.O_RDONLY)
	_, err = ro.Write(b)
	wantErr(t, "write of O_RDONLY", err, syscall.EBADF)
	wantErr(t, "ftruncate of O_RDONLY", ro.Truncate(0), syscall.EINVAL)
	f.Pwrite([]byte("x"), 1<<20)
	if end, _ := f.Seek(0, 2); end != 1<<20+1 {
		t.Errorf("SEEK_END %d", end)
	}
	_, err = f.Seek(-1, 0)
	wantErr(t, "negative seek", err, syscall.EINVAL)
	f.Seek(10, 0)
	if n, err := f.Seek(-4, 1); n != 6 || err != nil {
		t.Errorf("SEEK_CUR back 4 from 10 = %d, %v; want 6", n, err)
	}
	_, err = f.Seek(-7, 1)
	wantErr(t, "SEEK_CUR before the start", err, syscall.EINVAL)
	_, err = f.Seek(math.MaxInt64, 1)
	wantErr(t, "SEEK_CUR past the largest offset", err, syscall.EINVAL)
}

func TestUnlinkedOpenFile(t *testing.T) {
	v, p := rootProc(t)
	f := open(t, v, p, "f", syscall.O_CREAT|syscall.O_RDWR)
	f.Write([]byte("data"))
	must(t, v.Unlink(p, Loc{}, "f"))
	b := make([]byte, 4)
	if n, err := f.Pread(b, 0); n != 4 || err != nil || string(b) != "data" {
		t.Errorf("read after unlink: %d %v %q", n, err, b)
	}
	st, _ := f.Stat()
	if st.Nlink != 0 {
		t.Errorf("nlink %d", st.Nlink)
	}
	must(t, f.Close())
	_, err := f.fs.Stat(f.Loc.Ino)
	wantErr(t, "stat after last close", err, syscall.ESTALE)
	wantErr(t, "double close", f.Close(), syscall.EBADF)
}

func TestMounts(t *testing.T) {
	v, p := rootProc(t)
	must(t, v.Mkdir(p, Loc{}, "mnt", 0755))
	must(t, v.Mkdir(p, Loc{}, "mnt/hidden", 0755))
	at, _ := v.Resolve(p, Loc{}, "mnt", true)
	tf := tmpfs.New(tmpfs.Options{Mode: 01777})
	m, err := v.Mount(at, tf, 0)
	must(t, err)
	_, err = v.Resolve(p, Loc{}, "/mnt/hidden", true)
	wantErr(t, "covered entry", err, syscall.ENOENT)
	must(t, v.Mkdir(p, Loc{}, "/mnt/sub", 0755))
	sub, _ := v.Resolve(p, Loc{}, "/mnt/sub", true)
	if sub.M != m {
		t.Fatal("mkdir under the mount point went to the wrong filesystem")
	}
	st, _ := v.Stat(p, Loc{M: m, Ino: m.FS.Root()})
	if st.Mode&07777 != 01777 || st.Dev == v.Root().M.Dev {
		t.Errorf("mount root mode %o dev %x", st.Mode, st.Dev)
	}
	up, _ := v.Resolve(p, sub, "../..", true)
	if up != v.Root() {
		t.Errorf("../.. from /mnt/sub is %+v", up)
	}
	// A process chrooted in /mnt cannot climb out.
	q := &Proc{Cred: p.Cred, Root: Loc{m, m.FS.Root()}, Cwd: sub}
	if l, _ := v.Resolve(q, Loc{}, "../../../sub", true); l != sub {
		t.Errorf("chrooted ../../../sub is %+v", l)
	}
	if l, _ := v.Resolve(q, Loc{}, "/sub", true); l != sub {
		t.Errorf("chrooted /sub is %+v", l)
	}
	must(t, v.Symlink(p, "/mnt/sub", Loc{}, "link"))
	if l, _ := v.Resolve(p, Loc{}, "link", true); l != sub {
		t.Errorf("symlink into the mount: %+v", l)
	}
	open(t, v, p, "/top", syscall.O_CREAT|syscall.O_WRONLY).Close()
	old, _ := v.Resolve(p, Loc{}, "/top", false)
	wantErr(t, "link across mounts", v.Link(p, old, Loc{}, "/mnt/top"), syscall.EXDEV)
	wantErr(t, "rename across mounts", v.Rename(p, Loc{}, "/top", Loc{}, "/mnt/top", 0), syscall.EXDEV)
	wantErr(t, "rmdir mount point", v.Rmdir(p, Loc{}, "/mnt"), syscall.EBUSY)
	wantErr(t, "rename mount point", v.Rename(p, Loc{}, "/mnt", Loc{}, "/mnt2", 0), syscall.EBUSY)
	wantErr(t, "unmount a non-root", v.Unmount(sub), syscall.EINVAL)
	busy := open(t, v, p, "/mnt/sub", syscall.O_RDONLY|syscall.O_DIRECTORY)
	wantErr(t, "unmount with an open file", v.Unmount(Loc{m, m.FS.Root()}), syscall.EBUSY)
	must(t, busy.Close())
	must(t, v.Unmount(Loc{m, m.FS.Root()}))
	if _, err := v.Resolve(p, Loc{}, "/mnt/hidden", true); err != nil {
		t.Errorf("after unmount: %v", err)
	}
}

func TestReadOnlyMount(t *testing.T) {
	v, p := rootProc(t)
	must(t, v.Mkdir(p, Loc{}, "ro", 0755))
	at, _ := v.Resolve(p, Loc{}, "ro", true)
	tf := tmpfs.New(tmpfs.Options{Mode: 0755})
	tf.Create(tf.Root(), "f", 0644, 0, 0)
	_, err := v.Mount(at, tf, ReadOnly)
	must(t, err)
	wantErr(t, "mkdir", v.Mkdir(p, Loc{}, "ro/d", 0755), syscall.EROFS)
	_, err = v.Open(p, Loc{}, "ro/f", syscall.O_WRONLY, 0)
	wantErr(t, "open for write", err, syscall.EROFS)
	_, err = v.Open(p, Loc{}, "ro/f", syscall.O_RDONLY, 0)
	wantErr(t, "open for read", err, nil)
	wantErr(t, "unlink", v.Unlink(p, Loc{}, "ro/f"), syscall.EROFS)
	wantErr(t, "mkdir existing", v.Mkdir(p, Loc{}, "ro/f", 0755), syscall.EEXIST)
	user := &Proc{Cred: &dac.Cred{FSUID: 1000, FSGID: 1000}, Root: v.Root(), Cwd: v.Root()}
	wantErr(t, "unlink missing", v.Unlink(p, Loc{}, "ro/missing"), syscall.EROFS)
	wantErr(t, "rmdir missing", v.Rmdir(p, Loc{}, "ro/missing"), syscall.EROFS)
	wantErr(t, "rename as a user", v.Rename(user, Loc{}, "ro/f", Loc{}, "ro/g", 0), syscall.EROFS)
	f, _ := v.Resolve(p, Loc{}, "ro/f", true)
	wantErr(t, "chmod as a user", v.Chmod(user, f, 0777), syscall.EROFS)
	wantErr(t, "chown as a user", v.Chown(user, f, 1000, -1), syscall.EROFS)
	wantErr(t, "utimens as a user", v.Utimens(user, f, Time{Now: true}, Time{Now: true}), syscall.EROFS)
	wantErr(t, "truncate as a user", v.Truncate(user, f, 0), syscall.EROFS)
}

func TestDevices(t *testing.T) {
	var console bytes.Buffer
	v := New(tmpfs.New(tmpfs.Options{Mode: 0755}), 0, devfs.Standard(&console, nil))
	p := &Proc{Cred: &dac.Cred{Caps: dac.AllCaps}, Root: v.Root(), Cwd: v.Root()}
	must(t, v.Mkdir(p, Loc{}, "dev", 0755))
	at, _ := v.Resolve(p, Loc{}, "dev", true)
	dev := tmpfs.New(tmpfs.Options{Mode: 0755})
	must(t, devfs.Populate(dev))
	_, err := v.Mount(at, dev, NoSuid)
	must(t, err)
	user := &Proc{Cred: &dac.Cred{FSUID: 1000, FSGID: 1000}, Root: v.Root(), Cwd: v.Root()}
	b := []byte("xyz")
	z := open(t, v, user, "/dev/zero", syscall.O_RDWR)
	if n, _ := z.Read(b); n != 3 || string(b) != "\x00\x00\x00" {
		t.Errorf("/dev/zero read %d %q", n, b)
	}
	n, err := open(t, v, user, "/dev/null", syscall.O_RDWR).Read(b)
	wantErr(t, "/dev/null read", err, nil)
	if n != 0 {
		t.Errorf("/dev/null read %d", n)
	}
	_, err = open(t, v, user, "/dev/full", syscall.O_WRONLY).Write(b)
	wantErr(t, "/dev/full write", err, syscall.ENOSPC)
	r := make([]byte, 64)
	if n, _ := open(t, v, user, "/dev/urandom", syscall.O_RDONLY).Read(r); n != 64 || bytes.Equal(r, make([]byte, 64)) {
		t.Errorf("/dev/urandom gave %d bytes %x", n, r)
	}
	open(t, v, user, "/dev/tty", syscall.O_WRONLY).Write([]byte("hi "))
	_, err = v.Open(user, Loc{}, "/dev/console", syscall.O_WRONLY, 0)
	wantErr(t, "console as a user", err, syscall.EACCES)
	open(t, v, p, "/dev/console", syscall.O_WRONLY).Write([]byte("root"))
	if console.String() != "hi root" {
		t.Errorf("console got %q", console.String())
	}
	// A node made anywhere opens the device its number names.
	must(t, v.Mknod(p, Loc{}, "/mynull", syscall.S_IFCHR|0666, devfs.Null))
	open(t, v, user, "/mynull", syscall.O_WRONLY).Close()
	must(t, v.Mknod(p, Loc{}, "/nodev", syscall.S_IFCHR|0666, devfs.Mkdev(99, 1)))
	_, err = v.Open(p, Loc{}, "/nodev", syscall.O_RDONLY, 0)
	wantErr(t, "unknown device", err, syscall.ENXIO)
	wantErr(t, "mknod as a user", v.Mknod(user, Loc{}, "/dev/shm/n", syscall.S_IFCHR|0666, devfs.Null), syscall.EPERM)
	must(t, v.Mknod(user, Loc{}, "/dev/shm/fifo", syscall.S_IFIFO|0666, 0))
	if l, _ := v.Readlink(p, Loc{}, "/dev/stdout"); l != "/proc/self/fd/1" {
		t.Errorf("/dev/stdout -> %q", l)
	}
}

func TestPermissions(t *testing.T) {
	v, root := rootProc(t)
	user := &Proc{Cred: &dac.Cred{FSUID: 1000, FSGID: 1000}, Root: v.Root(), Cwd: v.Root()}
	other := &Proc{Cred: &dac.Cred{FSUID: 1001, FSGID: 1001}, Root: v.Root(), Cwd: v.Root()}
	must(t, v.Mkdir(root, Loc{}, "tmp", 0777))
	tmp, _ := v.Resolve(root, Loc{}, "tmp", true)
	must(t, v.Chmod(root, tmp, 01777))
	must(t, v.Mkdir(root, Loc{}, "secret", 0700))
	open(t, v, root, "secret/f", syscall.O_CREAT|syscall.O_WRONLY).Close()
	_, err := v.Resolve(user, Loc{}, "secret/f", true)
	wantErr(t, "search a 0700 dir", err, syscall.EACCES)
	wantErr(t, "mkdir in /", v.Mkdir(user, Loc{}, "x", 0755), syscall.EACCES)
	f := open(t, v, user, "tmp/mine", syscall.O_CREAT|syscall.O_WRONLY)
	st, _ := f.Stat()
	if st.UID != 1000 || st.GID != 1000 || st.Mode&07777 != 0644 {
		t.Errorf("new file %d:%d %o", st.UID, st.GID, st.Mode)
	}
	_, err = v.Open(other, Loc{}, "tmp/mine", syscall.O_WRONLY, 0)
	wantErr(t, "write another's 0644 file", err, syscall.EACCES)
	wantErr(t, "unlink in sticky dir", v.Unlink(other, Loc{}, "tmp/mine"), syscall.EPERM)
	l, _ := v.Resolve(other, Loc{}, "tmp/mine", true)
	wantErr(t, "chmod another's file", v.Chmod(other, l, 0777), syscall.EPERM)
	wantErr(t, "chown to another", v.Chown(user, l, 1001, -1), syscall.EPERM)
	wantErr(t, "utimens explicit by other", v.Utimens(other, l, Time{}, Time{}), syscall.EPERM)
	wantErr(t, "link another's file", v.Link(other, l, Loc{}, "tmp/hard"), syscall.EPERM)
	must(t, v.Unlink(user, Loc{}, "tmp/mine"))
	// A set-group-ID directory passes its group on.
	must(t, v.Mkdir(root, Loc{}, "shared", 0777))
	sh, _ := v.Resolve(root, Loc{}, "shared", true)
	must(t, v.Chown(root, sh, -1, 50))
	must(t, v.Chmod(root, sh, 02777))
	must(t, v.Mkdir(user, Loc{}, "shared/d", 0755))
	d, _ := v.Resolve(user, Loc{}, "shared/d", true)
	if st, _ := v.Stat(user, d); st.GID != 50 || st.Mode&syscall.S_ISGID == 0 {
		t.Errorf("dir in setgid dir: gid %d mode %o", st.GID, st.Mode)
	}
	// Writing a set-user-ID file as its (unprivileged) owner clears the bit.
	w := open(t, v, user, "shared/suid", syscall.O_CREAT|syscall.O_WRONLY)
	must(t, v.Chmod(user, w.Loc, 04755))
	if n, err := w.Write([]byte("x")); n != 1 || err != nil {
		t.Errorf("write to a set-user-ID file = %d, %v", n, err)
	}
	if st, _ := w.Stat(); st.Mode&syscall.S_ISUID != 0 || st.Size != 1 {
		t.Errorf("after write: mode %o (suid kept?), size %d, want 1", st.Mode, st.Size)
	}
}

// TestGetdentsStable lists a directory while entries are removed and
// added between calls: every entry present throughout appears exactly
// once, as Linux guarantees.
func TestGetdentsStable(t *testing.T) {
	v, p := rootProc(t)
	must(t, v.Mkdir(p, Loc{}, "d", 0755))
	const n = 200
	for i := 0; i < n; i++ {
		open(t, v, p, fmt.Sprintf("d/f%03d", i), syscall.O_CREAT|syscall.O_WRONLY).Close()
	}
	d := open(t, v, p, "d", syscall.O_RDONLY|syscall.O_DIRECTORY)
	seen := map[string]int{}
	for round := 0; ; round++ {
		ents, err := d.Getdents(7)
		must(t, err)
		if len(ents) == 0 {
			break
		}
		for _, e := range ents {
			seen[e.Name]++
		}
		// Remove an entry not yet seen (odd ones) and add new ones.
		if i := 2*round + 1; i < n {
			must(t, v.Unlink(p, Loc{}, fmt.Sprintf("d/f%03d", n-i)))
		}
		if round < 20 {
			open(t, v, p, fmt.Sprintf("d/new%03d", round), syscall.O_CREAT|syscall.O_WRONLY).Close()
		}
	}
	for name, c := range seen {
		if c != 1 {
			t.Errorf("%s listed %d times", name, c)
		}
	}
	for i := 0; i < n; i += 2 {
		if name := fmt.Sprintf("f%03d", i); seen[name] != 1 && (n-i)%2 == 0 {
			t.Errorf("%s, never removed, was not listed", name)
		}
	}
	if seen["."] != 1 || seen[".."] != 1 {
		t.Errorf(". and .. listed %d and %d times", seen["."], seen[".."])
	}
	// Seeking to a returned d_off resumes there.
	d.Seek(0, 0)
	first, _ := d.Getdents(3)
	rest, _ := d.Getdents(1)
	d.Seek(int64(first[2].Next), 0)
	again, _ := d.Getdents(1)
	if rest[0].Name != again[0].Name {
		t.Errorf("seek to d_off: %q then %q", rest[0].Name, again[0].Name)
	}
}

// TestGetdentsConcurrent lists a directory while another goroutine
// creates and removes entries; the stable entries must each appear once.
func TestGetdentsConcurrent(t *testing.T) {
	v, p := rootProc(t)
	must(t, v.Mkdir(p, Loc{}, "d", 0755))
	for i := 0; i < 100; i++ {
		open(t, v, p, fmt.Sprintf("d/keep%03d", i), syscall.O_CREAT|syscall.O_WRONLY).Close()
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			name := fmt.Sprintf("d/tmp%d", i%10)
			if f, err := v.Open(p, Loc{}, name, syscall.O_CREAT|syscall.O_WRONLY, 0644); err == nil {
				f.Close()
			}
			v.Unlink(p, Loc{}, fmt.Sprintf("d/tmp%d", (i+5)%10))
		}
	}()
	for pass := 0; pass < 50; pass++ {
		d := open(t, v, p, "d", syscall.O_RDONLY)
		seen := map[string]int{}
		for {
			ents, err := d.Getdents(5)
			must(t, err)
			if len(ents) == 0 {
				break
			}
			for _, e := range ents {
				seen[e.Name]++
			}
		}
		d.Close()
		for i := 0; i < 100; i++ {
			if c := seen[fmt.Sprintf("keep%03d", i)]; c != 1 {
				t.Fatalf("pass %d: keep%03d listed %d times", pass, i, c)
			}
		}
	}
	close(stop)
	wg.Wait()
}

func TestDirentTypes(t *testing.T) {
	v, p := rootProc(t)
	must(t, v.Mkdir(p, Loc{}, "d", 0755))
	must(t, v.Symlink(p, "x", Loc{}, "d/l"))
	must(t, v.Mknod(p, Loc{}, "d/p", syscall.S_IFIFO|0644, 0))
	must(t, v.Mkdir(p, Loc{}, "d/s", 0755))
	d := open(t, v, p, "d", syscall.O_RDONLY)
	ents, _ := d.Getdents(0)
	want := map[string]uint8{".": syscall.DT_DIR, "..": syscall.DT_DIR, "l": syscall.DT_LNK,
		"p": syscall.DT_FIFO, "s": syscall.DT_DIR}
	for _, e := range ents {
		if want[e.Name] != e.Type {
			t.Errorf("%s: type %d want %d", e.Name, e.Type, want[e.Name])
		}
	}
	if len(ents) != len(want) {
		t.Errorf("%d entries", len(ents))
	}
	_, err := open(t, v, p, "d/s", syscall.O_RDONLY).Read(make([]byte, 1))
	wantErr(t, "read a directory", err, syscall.EISDIR)
	var _ fs.FS = v.Root().M.FS
}

func BenchmarkResolve(b *testing.B) {
	v, p := rootProc(b)
	must(b, v.Mkdir(p, Loc{}, "usr", 0755))
	must(b, v.Mkdir(p, Loc{}, "usr/lib", 0755))
	must(b, v.Symlink(p, "usr/lib", Loc{}, "lib"))
	open(b, v, p, "usr/lib/libc.so.6", syscall.O_CREAT|syscall.O_WRONLY).Close()
	for b.Loop() {
		if _, err := v.Resolve(p, Loc{}, "/lib/libc.so.6", true); err != nil {
			b.Fatal(err)
		}
	}
}

// TestConcurrentAppend has two open files append to one inode at once,
// as nginx's workers do to a log: no write may overwrite another.
func TestConcurrentAppend(t *testing.T) {
	v, p := rootProc(t)
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		f := open(t, v, p, "log", syscall.O_CREAT|syscall.O_WRONLY|syscall.O_APPEND)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				f.Write([]byte("0123456789\n"))
			}
		}()
	}
	wg.Wait()
	st, _ := open(t, v, p, "log", syscall.O_RDONLY).Stat()
	if st.Size != 2*500*11 {
		t.Errorf("log is %d bytes, want %d", st.Size, 2*500*11)
	}
}

// TestNewFileSetgid is inode_init_owner's rule: a new non-directory in a
// set-group-ID directory takes the directory's group, and loses S_ISGID
// only if it is group-executable and the creator is not in that group
// and lacks CAP_FSETID.
func TestNewFileSetgid(t *testing.T) {
	v, root := rootProc(t)
	must(t, v.Mkdir(root, Loc{}, "shared", 0o777))
	sh, _ := v.Resolve(root, Loc{}, "shared", true)
	must(t, v.Chown(root, sh, -1, 50))
	must(t, v.Chmod(root, sh, 0o2777))
	outsider := &Proc{Cred: &dac.Cred{FSUID: 1000, FSGID: 1000}, Root: v.Root(), Cwd: v.Root()}
	member := &Proc{Cred: &dac.Cred{FSUID: 1001, FSGID: 1001, Groups: []uint32{50}}, Root: v.Root(), Cwd: v.Root()}
	for _, c := range []struct {
		p    *Proc
		name string
		mode uint32
		want uint32
	}{
		{outsider, "a", 0o2755, 0o755},
		{outsider, "b", 0o2745, 0o2745},
		{member, "c", 0o2755, 0o2755},
		{root, "d", 0o2755, 0o2755},
	} {
		f, err := v.Open(c.p, Loc{}, "shared/"+c.name, syscall.O_CREAT|syscall.O_WRONLY, c.mode)
		if err != nil {
			t.Fatalf("create %s: %v", c.name, err)
		}
		st, _ := f.Stat()
		f.Close()
		if st.Mode&0o7777 != c.want || st.GID != 50 {
			t.Errorf("%s created %o by uid %d: mode %o gid %d, want %o gid 50", c.name, c.mode, c.p.Cred.FSUID, st.Mode&0o7777, st.GID, c.want)
		}
	}
}

// TestChownFields: -1 leaves an id as it is, any other value sets it, and
// a chown that clears set-user-ID changes the mode.
func TestChownFields(t *testing.T) {
	v, root := rootProc(t)
	f := open(t, v, root, "f", syscall.O_CREAT|syscall.O_WRONLY)
	must(t, v.Chown(root, f.Loc, 1000, 1000))
	must(t, v.Chmod(root, f.Loc, 0o4755))
	must(t, v.Chown(root, f.Loc, -1, 60))
	st, _ := v.Stat(root, f.Loc)
	if st.UID != 1000 || st.GID != 60 || st.Mode&0o7777 != 0o755 {
		t.Errorf("after chown(-1, 60): %d:%d %o, want 1000:60 755", st.UID, st.GID, st.Mode&0o7777)
	}
	must(t, v.Chown(root, f.Loc, 1, -1))
	if st, _ := v.Stat(root, f.Loc); st.UID != 1 || st.GID != 60 {
		t.Errorf("after chown(1, -1): %d:%d, want 1:60", st.UID, st.GID)
	}
}

// TestWriteKillsSetgid: writing clears S_ISGID only with group execute
// (without it the bit marks mandatory locking, and stays).
func TestWriteKillsSetgid(t *testing.T) {
	v, root := rootProc(t)
	user := &Proc{Cred: &dac.Cred{FSUID: 1000, FSGID: 1000}, Root: v.Root(), Cwd: v.Root()}
	for mode, want := range map[uint32]uint32{0o2775: 0o775, 0o2765: 0o2765} {
		name := fmt.Sprintf("f%o", mode)
		f := open(t, v, root, name, syscall.O_CREAT|syscall.O_WRONLY)
		must(t, v.Chown(root, f.Loc, 1000, 1000))
		must(t, v.Chmod(root, f.Loc, mode))
		w := open(t, v, user, name, syscall.O_WRONLY)
		if _, err := w.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		if st, _ := w.Stat(); st.Mode&0o7777 != want {
			t.Errorf("%o after a write: %o, want %o", mode, st.Mode&0o7777, want)
		}
	}
}

// TestSymlinkTargets: an absolute target starts from the root, a
// relative one from the link's directory, whether the link is the last
// component or one on the way.
func TestSymlinkTargets(t *testing.T) {
	v, root := rootProc(t)
	for _, d := range []string{"t", "d", "d/t"} {
		must(t, v.Mkdir(root, Loc{}, d, 0o755))
	}
	top := open(t, v, root, "t/x", syscall.O_CREAT|syscall.O_WRONLY).Loc
	inner := open(t, v, root, "d/t/x", syscall.O_CREAT|syscall.O_WRONLY).Loc
	must(t, v.Symlink(root, "/t", Loc{}, "d/abs"))
	must(t, v.Symlink(root, "t", Loc{}, "d/rel"))
	must(t, v.Symlink(root, "/t/x", Loc{}, "d/absx"))
	must(t, v.Symlink(root, "t/x", Loc{}, "d/relx"))
	for link, want := range map[string]Loc{"d/abs/x": top, "d/rel/x": inner, "d/absx": top, "d/relx": inner} {
		if got, err := v.Resolve(root, Loc{}, link, true); err != nil || got.Ino != want.Ino {
			t.Errorf("%s resolves to inode %d, %v; want %d", link, got.Ino, err, want.Ino)
		}
	}
}
