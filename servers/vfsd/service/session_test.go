package service

import (
	"bytes"
	"context"
	"errors"
	"syscall"
	"testing"

	"aramid/lib/linux"
	"aramid/lib/linux/dac"
	"aramid/proto/authpb"
	"aramid/proto/inproc"
	"aramid/proto/rpc"
	"aramid/proto/rpc/rpctest"
	"aramid/proto/vfspb"
	"aramid/servers/vfsd/devfs"
	"aramid/servers/vfsd/tmpfs"
	"aramid/servers/vfsd/vfs"
)

var (
	root = &authpb.Cred{CapEffective: uint64(dac.AllCaps)}
	user = &authpb.Cred{Fsuid: 1000, Fsgid: 1000, Euid: 1000, Egid: 1000}
)

// client starts vfsd on a tmpfs root behind the generated client over the
// in-process transport, and returns the client and the client's handle
// table.
func client(t testing.TB) (*vfspb.VfsClient, *inproc.Table) {
	t.Helper()
	v := vfs.New(tmpfs.New(tmpfs.Options{Mode: 0755}), 0, devfs.Standard(&bytes.Buffer{}, nil))
	srv := inproc.NewTable()
	svc := New(v, srv)
	ch := inproc.NewChannel(srv, vfspb.NewVfsDispatcher(svc))
	t.Cleanup(func() { ch.Close(); svc.Release() })
	tab := inproc.NewTable()
	return vfspb.NewVfsClient(ch.Transport(tab)), tab
}

func wantErrno(t *testing.T, what string, err error, want syscall.Errno) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got %v, want %v", what, err, want)
	}
}

func TestFileLifecycle(t *testing.T) {
	c, tab := client(t)
	ctx := context.Background()
	_, err := c.Mkdir(ctx, &vfspb.MkdirRequest{Cred: root, Path: []byte("/tmp"), Mode: 0777, Umask: 022})
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Stat(ctx, &vfspb.StatRequest{Cred: root, Path: []byte("/tmp")})
	if err != nil || st.Stat.Mode != syscall.S_IFDIR|0755 {
		t.Fatalf("stat /tmp: %v %o", err, st.GetStat().GetMode())
	}
	dir, err := c.Open(ctx, &vfspb.OpenRequest{Cred: root, Path: []byte("/tmp"), Flags: syscall.O_DIRECTORY})
	if err != nil {
		t.Fatal(err)
	}
	op, err := c.Open(ctx, &vfspb.OpenRequest{Cred: root, Dir: dir.File, Path: []byte("f"),
		Flags: syscall.O_CREAT | syscall.O_EXCL | syscall.O_RDWR, Mode: 0666, Umask: 022})
	if err != nil {
		t.Fatal(err)
	}
	if op.Stat.Mode != syscall.S_IFREG|0644 {
		t.Errorf("created mode %o", op.Stat.Mode)
	}
	_, err = c.Open(ctx, &vfspb.OpenRequest{Cred: root, Path: []byte("/tmp/f"),
		Flags: syscall.O_CREAT | syscall.O_EXCL | syscall.O_RDWR})
	wantErrno(t, "O_EXCL again", err, syscall.EEXIST)

	inline := &rpc.Data{Where: &rpc.Data_Inline{Inline: []byte("hello ")}}
	if w, err := c.Write(ctx, &vfspb.WriteRequest{File: op.File, Data: inline}); err != nil || w.Count != 6 {
		t.Fatalf("inline write: %v %v", w, err)
	}
	// Bulk data through a registered buffer.
	mem := inproc.NewMemory(4096)
	mem.WriteAt([]byte("shared world"), 100)
	reg, err := c.RegisterBuffer(ctx, &rpc.RegisterBufferRequest{Memory: &rpc.Handle{Value: tab.Install(mem)}})
	if err != nil {
		t.Fatal(err)
	}
	region := &rpc.Region{Buffer: reg.Buffer, Offset: 107, Length: 5}
	if _, err := c.Write(ctx, &vfspb.WriteRequest{File: op.File, Data: &rpc.Data{Where: &rpc.Data_Region{Region: region}}}); err != nil {
		t.Fatal(err)
	}
	r, err := c.Pread(ctx, &vfspb.PreadRequest{File: op.File, Offset: 0, Length: 100})
	if err != nil || string(r.Data) != "hello world" {
		t.Errorf("pread %q %v", r.GetData(), err)
	}
	r, err = c.Pread(ctx, &vfspb.PreadRequest{File: op.File, Offset: 6, Length: 100,
		Dest: &rpc.Region{Buffer: reg.Buffer, Offset: 0, Length: 5}})
	got := make([]byte, 5)
	mem.ReadAt(got, 0)
	if err != nil || r.Count != 5 || string(got) != "world" {
		t.Errorf("pread into region: %v %v %q", r, err, got)
	}
	_, err = c.Pread(ctx, &vfspb.PreadRequest{File: op.File, Length: 10,
		Dest: &rpc.Region{Buffer: reg.Buffer, Offset: 4090, Length: 10}})
	wantErrno(t, "region past the buffer", err, syscall.EFAULT)
	if s, err := c.Seek(ctx, &vfspb.SeekRequest{File: op.File, Offset: -5, Whence: 2}); err != nil || s.Offset != 6 {
		t.Errorf("seek %v %v", s, err)
	}
	_, err = c.Truncate(ctx, &vfspb.TruncateRequest{Dir: op.File, Length: 5, Flags: linux.AT_EMPTY_PATH})
	if err != nil {
		t.Fatal(err)
	}
	st, _ = c.Stat(ctx, &vfspb.StatRequest{Cred: root, Dir: op.File, Flags: linux.AT_EMPTY_PATH})
	if st.Stat.Size != 5 {
		t.Errorf("size after ftruncate %d", st.Stat.Size)
	}
	// A user cannot write root's 0644 file nor create in a 0755 dir.
	_, err = c.Open(ctx, &vfspb.OpenRequest{Cred: user, Path: []byte("/tmp/f"), Flags: syscall.O_WRONLY})
	wantErrno(t, "user opens root's file for writing", err, syscall.EACCES)
	_, err = c.Mkdir(ctx, &vfspb.MkdirRequest{Cred: user, Path: []byte("/tmp/u")})
	wantErrno(t, "user mkdir", err, syscall.EACCES)
	_, err = c.Chmod(ctx, &vfspb.ChmodRequest{Cred: root, Path: []byte("/tmp"), Mode: 01777})
	if err != nil {
		t.Fatal(err)
	}
	if _, err = c.Mkdir(ctx, &vfspb.MkdirRequest{Cred: user, Path: []byte("/tmp/u"), Mode: 0700}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Unlink(ctx, &vfspb.UnlinkRequest{Cred: user, Path: []byte("/tmp/f")})
	wantErrno(t, "user unlinks root's file in sticky /tmp", err, syscall.EPERM)

	if _, err := c.Close(ctx, &vfspb.CloseRequest{File: op.File}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Close(ctx, &vfspb.CloseRequest{File: op.File})
	wantErrno(t, "double close", err, syscall.EBADF)
	_, err = c.Read(ctx, &vfspb.ReadRequest{File: 999, Length: 1})
	wantErrno(t, "read bad file", err, syscall.EBADF)
}

func TestNamespaceCalls(t *testing.T) {
	c, _ := client(t)
	ctx := context.Background()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.Mkdir(ctx, &vfspb.MkdirRequest{Cred: root, Path: []byte("/a"), Mode: 0755}))
	must(c.Symlink(ctx, &vfspb.SymlinkRequest{Cred: root, Target: []byte("/a"), Path: []byte("/l")}))
	rl, err := c.Readlink(ctx, &vfspb.ReadlinkRequest{Cred: root, Path: []byte("/l")})
	if err != nil || string(rl.Target) != "/a" {
		t.Errorf("readlink %v %v", rl, err)
	}
	st, _ := c.Stat(ctx, &vfspb.StatRequest{Cred: root, Path: []byte("/l"), Flags: linux.AT_SYMLINK_NOFOLLOW})
	if st.Stat.Mode&syscall.S_IFMT != syscall.S_IFLNK {
		t.Errorf("lstat mode %o", st.Stat.Mode)
	}
	must(c.Rename(ctx, &vfspb.RenameRequest{Cred: root, OldPath: []byte("/l"), NewPath: []byte("/l2")}))
	must(c.Link(ctx, &vfspb.LinkRequest{Cred: root, OldPath: []byte("/l2"), NewPath: []byte("/l3")}))
	_, err = c.Link(ctx, &vfspb.LinkRequest{Cred: root, OldPath: []byte("/l2"), NewPath: []byte("/l4"), Flags: linux.AT_SYMLINK_FOLLOW})
	wantErrno(t, "link following to a directory", err, syscall.EPERM)
	st, _ = c.Stat(ctx, &vfspb.StatRequest{Cred: root, Path: []byte("/l3"), Flags: linux.AT_SYMLINK_NOFOLLOW})
	if st.Stat.Nlink != 2 {
		t.Errorf("nlink of a linked symlink %d", st.Stat.Nlink)
	}
	must(c.Chown(ctx, &vfspb.ChownRequest{Cred: root, Path: []byte("/a"), Uid: 1000, Gid: 0xffffffff}))
	st, _ = c.Stat(ctx, &vfspb.StatRequest{Cred: root, Path: []byte("/a")})
	if st.Stat.Uid != 1000 || st.Stat.Gid != 0 {
		t.Errorf("chown: %d:%d", st.Stat.Uid, st.Stat.Gid)
	}
	must(c.Utimens(ctx, &vfspb.UtimensRequest{Cred: user, Path: []byte("/a"),
		Mtime: &vfspb.Timespec{Sec: 1000000000, Nsec: 5}, Atime: &vfspb.Timespec{Nsec: linux.UTIME_OMIT}}))
	st, _ = c.Stat(ctx, &vfspb.StatRequest{Cred: root, Path: []byte("/a")})
	if st.Stat.Mtime.Sec != 1000000000 || st.Stat.Mtime.Nsec != 5 {
		t.Errorf("mtime %v", st.Stat.Mtime)
	}
	_, err = c.Unlink(ctx, &vfspb.UnlinkRequest{Cred: root, Path: []byte("/a")})
	wantErrno(t, "unlink a directory", err, syscall.EISDIR)
	must(c.Mount(ctx, &vfspb.MountRequest{Cred: root, Target: []byte("/a"), Fstype: "tmpfs"}))
	_, err = c.Mount(ctx, &vfspb.MountRequest{Cred: user, Target: []byte("/a"), Fstype: "tmpfs"})
	wantErrno(t, "mount as a user", err, syscall.EPERM)
	fs, err := c.Statfs(ctx, &vfspb.StatfsRequest{Cred: root, Path: []byte("/a")})
	if err != nil || fs.Type != tmpfs.Magic {
		t.Errorf("statfs %v %v", fs, err)
	}
	_, err = c.Unlink(ctx, &vfspb.UnlinkRequest{Cred: root, Path: []byte("/a"), Flags: linux.AT_REMOVEDIR})
	wantErrno(t, "rmdir a mount point", err, syscall.EBUSY)
	must(c.Umount(ctx, &vfspb.UmountRequest{Cred: root, Target: []byte("/a")}))
	must(c.Unlink(ctx, &vfspb.UnlinkRequest{Cred: root, Path: []byte("/a"), Flags: linux.AT_REMOVEDIR}))
}

// TestGetdentsSize checks that entries are bounded by the caller's buffer
// in linux_dirent64 bytes, that none is lost between calls, and that a
// buffer too small for one entry is EINVAL, as getdents64 answers.
func TestGetdentsSize(t *testing.T) {
	c, _ := client(t)
	ctx := context.Background()
	names := map[string]bool{".": true, "..": true}
	for _, n := range []string{"alpha", "beta", "a-much-longer-name-than-the-others", "g"} {
		op, err := c.Open(ctx, &vfspb.OpenRequest{Cred: root, Path: []byte("/" + n),
			Flags: syscall.O_CREAT | syscall.O_WRONLY, Mode: 0644})
		if err != nil {
			t.Fatal(err)
		}
		c.Close(ctx, &vfspb.CloseRequest{File: op.File})
		names[n] = true
	}
	d, _ := c.Open(ctx, &vfspb.OpenRequest{Cred: root, Path: []byte("/"), Flags: syscall.O_DIRECTORY})
	_, err := c.Getdents(ctx, &vfspb.GetdentsRequest{File: d.File, Size: 20})
	wantErrno(t, "buffer too small", err, syscall.EINVAL)
	seen := map[string]bool{}
	for {
		rep, err := c.Getdents(ctx, &vfspb.GetdentsRequest{File: d.File, Size: 64})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Entries) == 0 {
			break
		}
		size := uint32(0)
		for _, e := range rep.Entries {
			size += uint32(linux.Dirent64Size(len(e.Name)))
			if seen[string(e.Name)] {
				t.Errorf("%s twice", e.Name)
			}
			seen[string(e.Name)] = true
		}
		if size > 64 {
			t.Errorf("%d bytes of entries for a 64-byte buffer", size)
		}
	}
	if len(seen) != len(names) {
		t.Errorf("saw %v, want %v", seen, names)
	}
}

// FuzzServer feeds arbitrary request frames to the real server on a
// tmpfs namespace: replies are well formed and nothing panics.
func FuzzServer(f *testing.F) {
	v := vfs.New(tmpfs.New(tmpfs.Options{Mode: 0755}), 0, devfs.Standard(&bytes.Buffer{}, nil))
	srv := inproc.NewTable()
	rpctest.FuzzDispatcher(f, vfspb.NewVfsDispatcher(New(v, srv)), vfspb.VfsMethods)
}

// TestRootAndMknod checks a chrooted caller (root is a directory's file
// id): absolute paths, "..", and absolute symlinks stay inside it.
func TestRootAndMknod(t *testing.T) {
	c, _ := client(t)
	ctx := context.Background()
	for _, d := range []string{"/jail", "/jail/etc", "/etc"} {
		if _, err := c.Mkdir(ctx, &vfspb.MkdirRequest{Cred: root, Path: []byte(d), Mode: 0755}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.Mknod(ctx, &vfspb.MknodRequest{Cred: root, Path: []byte("/jail/etc/fifo"), Mode: syscall.S_IFIFO | 0666, Umask: 022})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Mknod(ctx, &vfspb.MknodRequest{Cred: user, Path: []byte("/jail/etc/null"), Mode: syscall.S_IFCHR | 0666, Rdev: devfs.Null})
	wantErrno(t, "mknod of a device as a user", err, syscall.EPERM)
	_, err = c.Mknod(ctx, &vfspb.MknodRequest{Cred: root, Path: []byte("/jail/etc/null"), Mode: syscall.S_IFCHR | 0666, Rdev: devfs.Null})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Symlink(ctx, &vfspb.SymlinkRequest{Cred: root, Target: []byte("/etc/fifo"), Path: []byte("/jail/link")}); err != nil {
		t.Fatal(err)
	}
	jail, err := c.Open(ctx, &vfspb.OpenRequest{Cred: root, Path: []byte("/jail"), Flags: syscall.O_DIRECTORY})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/etc/fifo", "/../../etc/fifo", "link", "/link"} {
		st, err := c.Stat(ctx, &vfspb.StatRequest{Cred: root, Root: jail.File, Path: []byte(path)})
		if err != nil || st.Stat.Mode != syscall.S_IFIFO|0644 {
			t.Errorf("chrooted stat %s: %v %v", path, st, err)
		}
	}
	nul, err := c.Open(ctx, &vfspb.OpenRequest{Cred: user, Root: jail.File, Path: []byte("/etc/null"), Flags: syscall.O_WRONLY})
	if err != nil {
		t.Fatal(err)
	}
	w, err := c.Write(ctx, &vfspb.WriteRequest{File: nul.File, Data: &rpc.Data{Where: &rpc.Data_Inline{Inline: []byte("gone")}}})
	if err != nil || w.Count != 4 {
		t.Errorf("write to a mknod'ed /dev/null: %v %v", w, err)
	}
	_, err = c.Stat(ctx, &vfspb.StatRequest{Cred: root, Root: 12345, Path: []byte("/")})
	wantErrno(t, "bad root file", err, syscall.EBADF)
}
