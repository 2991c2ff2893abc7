package syscalls

import (
	"bytes"
	"context"
	"encoding/binary"
	"slices"
	"syscall"
	"testing"

	"aramid/lib/abi"
	"aramid/proto/inproc"
	"aramid/proto/vfspb"
	"aramid/servers/linuxd/file"
	"aramid/servers/linuxd/task"
	"aramid/servers/linuxd/task/tasktest"
	"aramid/servers/linuxd/usermem"
	"aramid/servers/vfsd/devfs"
	"aramid/servers/vfsd/service"
	"aramid/servers/vfsd/tmpfs"
	"aramid/servers/vfsd/vfs"
)

// withVFS gives f's kernel a vfsd over a tmpfs root, in process, and
// returns its session.
func (f *fixture) withVFS() *vfsd {
	v := vfs.New(tmpfs.New(tmpfs.Options{Mode: 0o755}), 0, devfs.Standard(&bytes.Buffer{}, nil))
	srv := inproc.NewTable()
	svc := &vfsd{Session: service.New(v, srv)}
	ch := inproc.NewChannel(srv, vfspb.NewVfsDispatcher(svc))
	f.t.Cleanup(func() { ch.Close(); svc.Release() })
	f.k.VFS = &file.VFS{C: vfspb.NewVfsClient(ch.Transport(inproc.NewTable()))}
	return svc
}

// vfsd is a vfsd session that notes what no answer shows: each Fsync's
// Datasync.
type vfsd struct {
	*service.Session
	datasync []bool
}

func (s *vfsd) Fsync(ctx context.Context, req *vfspb.FsyncRequest) (*vfspb.FsyncReply, error) {
	s.datasync = append(s.datasync, req.GetDatasync())
	return s.Session.Fsync(ctx, req)
}

// str puts a NUL-terminated string at addr and returns addr.
func (f *fixture) str(addr uint64, s string) uint64 {
	f.p.Proc.WriteAt(append([]byte(s), 0), addr)
	return addr
}

const cwd = ^uint64(99) // AT_FDCWD, -100

// stat runs stat-like call nr with args and returns struct stat's mode,
// nlink, uid, gid and size.
func (f *fixture) stat(name string, args ...uint64) (mode, nlink, uid, gid uint32, size int64, errno int64) {
	f.t.Helper()
	const buf = scratch + 0x8000
	args = append(args, buf)
	if name == "newfstatat" {
		args[2], args[3] = buf, args[2] // dirfd, path, buf, flags
	}
	if r := f.result(1, nr(name), args...); r != 0 {
		return 0, 0, 0, 0, 0, r
	}
	b := make([]byte, 144)
	f.p.Proc.ReadAt(b, buf)
	le := binary.LittleEndian
	return le.Uint32(b[24:]), uint32(le.Uint64(b[16:])), le.Uint32(b[28:]), le.Uint32(b[32:]), int64(le.Uint64(b[48:])), 0
}

// TestPathCalls drives the path calls against a tmpfs vfsd and checks
// Linux's answers: struct stat and struct statx layouts, the umask,
// symlinks followed or not, links, renames with RENAME_NOREPLACE, modes
// and owners, access(2) with root's rules, times, truncation, statfs,
// and the errnos for misuse.
func TestPathCalls(t *testing.T) {
	f := newFixture(t)
	f.withVFS()
	m := f.p.Proc
	const (
		pD, pF, pG, pH, pL, pD2 = scratch, scratch + 32, scratch + 64, scratch + 96, scratch + 128, scratch + 160
		buf                     = scratch + 0x1000
	)
	f.str(pD, "/d")
	f.str(pF, "/d/f")
	f.str(pG, "/d/g")
	f.str(pH, "/h")
	f.str(pL, "/l")
	f.str(pD2, "/d2")
	step := f.step
	step("mkdir", 0, pD, 0o777)
	step("mkdir", errno(syscall.EEXIST), pD, 0o777)
	if mode, _, _, _, _, _ := f.stat("stat", pD); mode != syscall.S_IFDIR|0o755 {
		t.Errorf("mkdir 0777 under umask 022: mode %#o", mode)
	}
	fd := uint64(f.result(1, nr("openat"), cwd, pF, syscall.O_CREAT|syscall.O_RDWR, 0o666))
	m.WriteAt([]byte("hello"), buf)
	step("write", 5, fd, buf, 5)
	for _, c := range []struct {
		name string
		args []uint64
	}{{"stat", []uint64{pF}}, {"lstat", []uint64{pF}}, {"fstat", []uint64{fd}}, {"newfstatat", []uint64{cwd, pF, 0}},
		{"newfstatat", []uint64{fd, 0, atEmptyPath}}} {
		if mode, nlink, uid, _, size, e := f.stat(c.name, c.args...); e != 0 || mode != syscall.S_IFREG|0o644 || nlink != 1 || uid != 0 || size != 5 {
			t.Errorf("%s%v: mode %#o nlink %d uid %d size %d (%d)", c.name, c.args, mode, nlink, uid, size, e)
		}
	}
	if _, _, _, _, _, e := f.stat("newfstatat", cwd, pF, 1); e != errno(syscall.EINVAL) {
		t.Errorf("newfstatat with flag 1 = %d, want EINVAL", e)
	}
	if _, _, _, _, _, e := f.stat("stat", f.str(scratch+0x900, "/none")); e != errno(syscall.ENOENT) {
		t.Errorf("stat of a missing file = %d", e)
	}
	if _, _, _, _, _, e := f.stat("stat", f.str(scratch+0x900, "")); e != errno(syscall.ENOENT) {
		t.Errorf("stat(\"\") = %d, want ENOENT", e)
	}

	step("statx", 0, cwd, pF, 0, 0xfff, buf)
	sx := make([]byte, 256)
	m.ReadAt(sx, buf)
	le := binary.LittleEndian
	if le.Uint32(sx) != 0xfff || le.Uint32(sx[16:]) != 1 || le.Uint16(sx[28:]) != syscall.S_IFREG|0o644 || le.Uint64(sx[40:]) != 5 || le.Uint32(sx[4:]) == 0 {
		t.Errorf("statx mask %#x nlink %d mode %#o size %d blksize %d", le.Uint32(sx), le.Uint32(sx[16:]), le.Uint16(sx[28:]), le.Uint64(sx[40:]), le.Uint32(sx[4:]))
	}

	step("symlink", 0, pF, pL)
	step("readlink", 4, pL, buf, 100)
	got := make([]byte, 4)
	m.ReadAt(got, buf)
	if string(got) != "/d/f" {
		t.Errorf("readlink %q", got)
	}
	step("readlink", 2, pL, buf, 2)
	step("readlink", errno(syscall.EINVAL), pL, buf, 0)
	step("readlinkat", errno(syscall.EINVAL), cwd, pF, buf, 100)
	f.p.Exe = "/bin/prog"
	step("readlink", 9, f.str(scratch+0x900, "/proc/self/exe"), buf, 100)
	if mode, _, _, _, _, _ := f.stat("lstat", pL); mode&syscall.S_IFMT != syscall.S_IFLNK {
		t.Errorf("lstat of a symlink: mode %#o", mode)
	}
	if mode, _, _, _, _, _ := f.stat("newfstatat", cwd, pL, atSymlinkNoFollow); mode&syscall.S_IFMT != syscall.S_IFLNK {
		t.Errorf("newfstatat(AT_SYMLINK_NOFOLLOW) of a symlink: mode %#o", mode)
	}
	if mode, _, _, _, _, _ := f.stat("stat", pL); mode&syscall.S_IFMT != syscall.S_IFREG {
		t.Errorf("stat through a symlink: mode %#o", mode)
	}

	step("link", 0, pF, pG)
	if _, nlink, _, _, _, _ := f.stat("fstat", fd); nlink != 2 {
		t.Errorf("nlink after link %d", nlink)
	}
	step("rename", 0, pG, pH)
	step("renameat2", errno(syscall.EEXIST), cwd, pH, cwd, pL, 1) // RENAME_NOREPLACE
	if _, _, _, _, _, e := f.stat("stat", pG); e != errno(syscall.ENOENT) {
		t.Errorf("the old name after rename: %d", e)
	}
	step("chmod", 0, pH, 0o600)
	if mode, _, _, _, _, _ := f.stat("stat", pH); mode != syscall.S_IFREG|0o600 {
		t.Errorf("chmod: mode %#o", mode)
	}
	step("fchmod", 0, fd, 0o640)
	if mode, _, _, _, _, _ := f.stat("fstat", fd); mode != syscall.S_IFREG|0o640 {
		t.Errorf("fchmod: mode %#o", mode)
	}
	step("chown", 0, pH, 5, 6)
	if _, _, uid, gid, _, _ := f.stat("stat", pH); uid != 5 || gid != 6 {
		t.Errorf("chown: %d:%d", uid, gid)
	}
	step("lchown", 0, pL, 7, 8)
	if _, _, uid, _, _, _ := f.stat("lstat", pL); uid != 7 {
		t.Errorf("lchown: uid %d", uid)
	}
	step("fchown", 0, fd, 9, 9)
	if _, _, uid, _, _, _ := f.stat("stat", pH); uid != 9 {
		t.Errorf("fchown: uid %d", uid)
	}
	step("access", 0, pH, 6)
	step("access", errno(syscall.EACCES), pH, 1) // root needs an x bit to execute
	step("access", errno(syscall.EINVAL), pH, 8)
	step("faccessat2", 0, cwd, pH, 4, atEaccess)

	usermem.Write(m, buf, [4]int64{1, 2, 3, 4})
	step("utimensat", 0, cwd, pH, buf, 0)
	step("stat", 0, pH, buf+64)
	var ts [6]int64
	usermem.Read(m, buf+64+72, &ts)
	if ts[0] != 1 || ts[1] != 2 || ts[2] != 3 || ts[3] != 4 {
		t.Errorf("utimensat: atime %d.%d mtime %d.%d", ts[0], ts[1], ts[2], ts[3])
	}
	step("utimensat", 0, fd, 0, 0, 0)
	step("utimensat", errno(syscall.EFAULT), cwd, pH, 0x1000, 0)

	step("truncate", 0, pH, 2)
	if _, _, _, _, size, _ := f.stat("stat", pH); size != 2 {
		t.Errorf("truncate: size %d", size)
	}
	step("truncate", errno(syscall.EINVAL), pH, ^uint64(0))
	step("truncate", 0, pH, 0)
	if _, _, _, _, size, _ := f.stat("stat", pH); size != 0 {
		t.Errorf("truncate to 0: size %d", size)
	}
	step("ftruncate", 0, fd, 10)
	if _, _, _, _, size, _ := f.stat("fstat", fd); size != 10 {
		t.Errorf("ftruncate: size %d", size)
	}
	step("statfs", 0, f.str(scratch+0x900, "/"), buf)
	if typ, _ := usermem.U64(m, buf); typ != 0x01021994 {
		t.Errorf("statfs f_type %#x, want TMPFS_MAGIC", typ)
	}
	step("fstatfs", 0, fd, buf)
	if bsize, _ := usermem.U64(m, buf+8); bsize == 0 {
		t.Error("fstatfs f_bsize 0")
	}

	step("unlink", errno(syscall.EISDIR), pD)
	step("rmdir", errno(syscall.ENOTEMPTY), pD)
	step("unlinkat", errno(syscall.EINVAL), cwd, pF, 1)
	step("unlink", 0, pF)
	step("unlinkat", 0, cwd, pD, atRemoveDir)
	step("mkdirat", 0, cwd, pD2, 0o700)
	step("symlinkat", 0, pF, cwd, f.str(scratch+0x900, "/dangling"))
	step("linkat", 0, cwd, pH, cwd, f.str(scratch+0x900, "/h2"), 0)
	step("renameat", 0, cwd, pH, cwd, f.str(scratch+0x900, "/h3"))
	step("fchmodat", 0, cwd, pD2, 0o755)
	step("fchownat", 0, cwd, pD2, 1, 1, 0)
	step("stat", errno(syscall.EFAULT), 0x1000, buf)
}

// TestFileCalls: the calls on open vfsd files and directories: openat
// relative to a directory descriptor, the working directory (getcwd's
// ERANGE, chdir, fchdir's ENOTDIR), getdents64's struct linux_dirent64,
// positioned I/O, fsync, sendfile with and without an offset, and mmap
// of a file.
func TestFileCalls(t *testing.T) {
	f := newFixture(t)
	svc := f.withVFS()
	m := f.p.Proc
	step := f.step
	const buf = scratch + 0x1000
	step("mkdir", 0, f.str(scratch, "/dir"), 0o755)
	dfd := uint64(f.result(1, nr("openat"), cwd, f.str(scratch, "/dir"), oDirectory|syscall.O_RDONLY|oCloexec, 0))
	step("fcntl", 1, dfd, fGetfd)
	ffd := uint64(f.result(1, nr("openat"), dfd, f.str(scratch, "file"), syscall.O_CREAT|syscall.O_RDWR, 0o600))
	m.WriteAt([]byte("0123456789"), buf)
	step("write", 10, ffd, buf, 10)
	step("pread64", 4, ffd, buf+64, 4, 3)
	got := make([]byte, 4)
	m.ReadAt(got, buf+64)
	if string(got) != "3456" {
		t.Errorf("pread64 %q", got)
	}
	step("pread64", errno(syscall.EINVAL), ffd, buf, 4, ^uint64(0))
	step("pwrite64", errno(syscall.EINVAL), ffd, buf, 4, ^uint64(0))
	step("pwrite64", 2, ffd, buf, 2, 20)
	step("pread64", 4, ffd, buf+64, 4, 0)
	step("pwrite64", 4, ffd, buf+64, 4, 0) // the same bytes back, at offset 0
	if _, _, _, _, size, _ := f.stat("fstat", ffd); size != 22 {
		t.Errorf("size after pwrite64 at 20: %d", size)
	}
	step("lseek", 10, ffd, 0, 1) // SEEK_CUR: pwrite64 leaves the offset where write left it
	step("fsync", 0, ffd)
	step("fdatasync", 0, ffd)
	if !slices.Equal(svc.datasync, []bool{false, true}) {
		t.Errorf("vfsd's Fsync got Datasync %v for fsync and fdatasync", svc.datasync)
	}
	r, w := f.pipeFDs()
	step("fsync", errno(syscall.EINVAL), r)
	step("fsync", errno(syscall.EBADF), 77)

	// sendfile from the file into a pipe, at an offset it advances, and
	// at the file's own offset.
	usermem.PutU64(m, buf+128, 5)
	step("sendfile", 3, w, ffd, buf+128, 3)
	if off, _ := usermem.U64(m, buf+128); off != 8 {
		t.Errorf("sendfile offset %d, want 8", off)
	}
	step("lseek", 1, ffd, 1, 0)
	step("sendfile", 2, w, ffd, 0, 2)
	step("read", 5, r, buf+256, 64)
	sent := make([]byte, 5)
	m.ReadAt(sent, buf+256)
	if string(sent) != "56712" {
		t.Errorf("sendfile sent %q, want 567 from offset 5 and 12 from the file's offset 1", sent)
	}
	step("sendfile", errno(syscall.EINVAL), w, r, 0, 2)
	step("sendfile", errno(syscall.EBADF), 77, ffd, 0, 2)
	step("sendfile", errno(syscall.EFAULT), w, ffd, 0x1000, 2)

	// getdents64: "." , ".." and "file", as struct linux_dirent64.
	n := f.result(1, nr("getdents64"), dfd, buf, 4096)
	if n <= 0 {
		t.Fatalf("getdents64 = %d", n)
	}
	ents := make([]byte, n)
	m.ReadAt(ents, buf)
	var names []string
	for off := 0; off < len(ents); {
		reclen := int(binary.LittleEndian.Uint16(ents[off+16:]))
		if reclen%8 != 0 || reclen < 24 {
			t.Fatalf("d_reclen %d", reclen)
		}
		name := ents[off+19 : off+reclen]
		names = append(names, string(name[:bytes.IndexByte(name, 0)]))
		if string(name[:4]) == "file" && ents[off+18] != 8 { // DT_REG
			t.Errorf("d_type of file %d", ents[off+18])
		}
		off += reclen
	}
	if len(names) != 3 || names[2] != "file" && names[0] != "file" && names[1] != "file" {
		t.Errorf("getdents64 names %q", names)
	}
	step("getdents64", 0, dfd, buf, 4096)
	step("getdents64", errno(syscall.ENOTDIR), r, buf, 4096)
	step("getdents64", errno(syscall.EBADF), 77, buf, 4096)
	d2 := uint64(f.result(1, nr("openat"), cwd, f.str(scratch, "/dir"), oDirectory, 0))
	step("getdents64", errno(syscall.EINVAL), d2, buf, 8)

	// The working directory.
	step("getcwd", 2, buf, 2)
	step("getcwd", errno(syscall.ERANGE), buf, 1)
	step("chdir", 0, f.str(scratch, "dir"))
	step("getcwd", 5, buf, 100)
	m.ReadAt(got[:4], buf)
	if string(got[:4]) != "/dir" {
		t.Errorf("getcwd %q", got)
	}
	step("openat", errno(syscall.ENOENT), cwd, f.str(scratch, "nothing"), 0, 0)
	if fd := f.result(1, nr("open"), f.str(scratch, "file"), syscall.O_RDONLY, 0); fd < 0 {
		t.Errorf("open relative to the new cwd = %d", fd)
	}
	step("chdir", errno(syscall.ENOTDIR), f.str(scratch, "file"))
	step("chdir", errno(syscall.ENOENT), f.str(scratch, ""))
	step("fchdir", errno(syscall.ENOTDIR), ffd)
	step("fchdir", errno(syscall.ENOTDIR), r) // a pipe: no directory either
	step("fchdir", errno(syscall.EBADF), 77)
	root := uint64(f.result(1, nr("openat"), cwd, f.str(scratch, "/"), oDirectory, 0))
	step("fchdir", 0, root)
	step("getcwd", 2, buf, 100)

	// mmap of a file: a private copy of its bytes, the rest of the page
	// zero; MAP_SHARED writable needs O_RDWR; an O_WRONLY file cannot be
	// mapped.
	at := f.result(1, nr("mmap"), 0, 4096, 1, 2, ffd, 0)
	if at <= 0 {
		t.Fatalf("mmap = %d", at)
	}
	page := make([]byte, 4096)
	m.ReadAt(page, uint64(at))
	if string(page[:10]) != "0123456789" || page[22] != 0 {
		t.Errorf("mapped %q", page[:24])
	}
	ro := uint64(f.result(1, nr("openat"), cwd, f.str(scratch, "/dir/file"), syscall.O_RDONLY, 0))
	wo := uint64(f.result(1, nr("openat"), cwd, f.str(scratch, "/dir/file"), syscall.O_WRONLY, 0))
	step("mmap", errno(syscall.EACCES), 0, 4096, 3, 1, ro, 0)
	step("mmap", errno(syscall.EACCES), 0, 4096, 1, 2, wo, 0)
	if at := f.result(1, nr("mmap"), 0, 4096, 1, 1, ro, 0); at <= 0 {
		t.Errorf("read-only MAP_SHARED of an O_RDONLY file = %d", at)
	}
	if at := f.result(1, nr("mmap"), 0x300000, 8192, 3, 0x12, ffd, 4096); at != 0x300000 {
		t.Errorf("MAP_FIXED at 0x300000, past the end of the file = %#x", at)
	}
	m.ReadAt(page, 0x300000)
	if !bytes.Equal(page, make([]byte, 4096)) {
		t.Error("a mapping past the end of the file is not zero")
	}
}

// tinyELF is a static x86-64 executable of one page: the ELF header, one
// PT_LOAD program header mapping the page at 0x400000, entry 0x400078.
func tinyELF() []byte {
	b := make([]byte, 4096)
	copy(b, "\x7fELF\x02\x01\x01")
	le := binary.LittleEndian
	le.PutUint16(b[16:], 2)  // ET_EXEC
	le.PutUint16(b[18:], 62) // EM_X86_64
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[24:], 0x400078)
	le.PutUint64(b[32:], 64)
	le.PutUint16(b[52:], 64)
	le.PutUint16(b[54:], 56)
	le.PutUint16(b[56:], 1)
	ph := b[64:]
	le.PutUint32(ph[0:], 1) // PT_LOAD
	le.PutUint32(ph[4:], 5) // PF_R|PF_X
	le.PutUint64(ph[16:], 0x400000)
	le.PutUint64(ph[24:], 0x400000)
	le.PutUint64(ph[32:], 4096)
	le.PutUint64(ph[40:], 4096)
	le.PutUint64(ph[48:], 4096)
	return b
}

// TestExecve: execve of a program in vfsd replaces the image: the thread
// restarts at the entry point with argc, argv and envp on the stack,
// close-on-exec descriptors close, caught signals return to their default
// action (ignored ones stay ignored), the other threads go, and /proc
// shows the new command. Errors before the old image goes are returned:
// ENOENT, EACCES without execute permission, ENOEXEC, EFAULT.
func TestExecve(t *testing.T) {
	f := newFixture(t)
	f.withVFS()
	m := f.p.Proc
	step := f.step
	const buf = scratch + 0x2000
	m.WriteAt(tinyELF(), buf)
	for _, c := range []struct {
		path string
		mode uint64
		size uint64
	}{{"/prog", 0o755, 4096}, {"/noexec", 0o644, 4096}, {"/text", 0o755, 5}} {
		fd := uint64(f.result(1, nr("openat"), cwd, f.str(scratch, c.path), syscall.O_CREAT|syscall.O_WRONLY, c.mode))
		step("write", int64(c.size), fd, buf, c.size)
		step("close", 0, fd)
	}
	argv := uint64(scratch + 0x100)
	usermem.Write(m, argv, [5]uint64{f.str(scratch+0x200, "prog"), f.str(scratch+0x210, "-x"), 0, f.str(scratch+0x220, "K=V"), 0})
	step("execve", errno(syscall.ENOENT), f.str(scratch, "/none"), argv, argv+24)
	step("execve", errno(syscall.EACCES), f.str(scratch, "/noexec"), argv, argv+24)
	step("execve", errno(syscall.ENOEXEC), f.str(scratch, "/text"), argv, argv+24)
	step("execve", errno(syscall.EFAULT), 0x1000, argv, argv+24)
	step("execve", errno(syscall.EFAULT), f.str(scratch, "/prog"), 0x1000, 0)
	step("execve", errno(syscall.EFAULT), f.str(scratch, "/prog"), argv, 0x1000)

	r, _ := f.pipeFDs()
	step("fcntl", 0, r, fSetfd, 1)
	usermem.Write(m, scratch+0x300, [4]uint64{0x401000, 0, 0, 0})
	step("rt_sigaction", 0, task.SIGINT, scratch+0x300, 0, 8)
	usermem.Write(m, scratch+0x300, [4]uint64{1, 0, 0, 0})
	step("rt_sigaction", 0, task.SIGTERM, scratch+0x300, 0, 8)
	other := f.result(1, nr("clone"), cloneVM|cloneSighand|cloneThread, 0x7000)
	f.p.Threads[1].AltStack = [3]uint64{1, 2, 3}

	rep := f.call(1, nr("execve"), f.str(scratch, "/prog"), argv, argv+24)
	if rep.Action != abi.ReplyExec || rep.Regs.RIP != 0x400078 {
		t.Fatalf("execve replied %+v, want to start at the entry point", rep)
	}
	sp := rep.Regs.RSP
	argc, _ := usermem.U64(m, sp)
	a0, _ := usermem.U64(m, sp+8)
	e0, _ := usermem.U64(m, sp+32)
	s0, _ := usermem.CString(m, a0, 64)
	s1, _ := usermem.CString(m, e0, 64)
	if argc != 2 || s0 != "prog" || s1 != "K=V" {
		t.Errorf("new stack: argc %d argv[0] %q envp[0] %q", argc, s0, s1)
	}
	if _, err := f.p.FDs.Get(int(r)); err != syscall.EBADF {
		t.Error("a close-on-exec descriptor survived execve")
	}
	if f.p.Actions[task.SIGINT] != (task.SigAction{}) || f.p.Actions[task.SIGTERM].Handler != 1 {
		t.Errorf("after execve: SIGINT %+v, SIGTERM %+v; want default and still ignored", f.p.Actions[task.SIGINT], f.p.Actions[task.SIGTERM])
	}
	if f.k.Thread(int(other)) != nil || len(f.p.Threads) != 1 || f.p.Threads[1].AltStack != [3]uint64{} {
		t.Error("execve kept another thread or the alternate signal stack")
	}
	if f.p.Comm != "prog" || f.p.Exe != "/prog" || f.p.Argv[1] != "-x" || f.p.Brk != 0x401000 {
		t.Errorf("comm %q exe %q argv %q brk %#x", f.p.Comm, f.p.Exe, f.p.Argv, f.p.Brk)
	}
	// A relative path is found from the working directory ("/").
	f.p.Proc.(interface{ Map(a, n uint64) }).Map(scratch, 64<<10)
	usermem.Write(m, argv, [2]uint64{f.str(scratch+0x200, "prog"), 0})
	if rep := f.call(1, nr("execve"), f.str(scratch, "prog"), argv, 0); rep.Action != abi.ReplyExec || rep.Regs.RIP != 0x400078 {
		t.Errorf("execve of a relative path replied %+v", rep)
	}
}

// TestMmapLargeFile maps the first 64 KiB of a 128 KiB file, more than
// linuxd copies at a time: the mapping holds those bytes, in order, with
// the protection asked for.
func TestMmapLargeFile(t *testing.T) {
	f := newFixture(t)
	f.withVFS()
	const chunk, buf = 16 << 10, scratch + 0x8000
	fd := uint64(f.result(1, nr("openat"), cwd, f.str(scratch, "/big"), syscall.O_CREAT|syscall.O_RDWR, 0o644))
	want := make([]byte, 128<<10)
	for i := range want {
		want[i] = byte(i*7 + i>>12)
	}
	for off := 0; off < len(want); off += chunk {
		f.p.Proc.WriteAt(want[off:off+chunk], buf)
		f.step("write", chunk, fd, buf, chunk)
	}
	at := f.result(1, nr("mmap"), 0, 64<<10, 3, 2, fd, 0)
	if at <= 0 {
		t.Fatalf("mmap = %d", at)
	}
	got := make([]byte, 64<<10)
	if err := f.p.Proc.ReadAt(got, uint64(at)); err != nil || !bytes.Equal(got, want[:64<<10]) {
		t.Errorf("the mapping does not hold the file's first 64 KiB (%v)", err)
	}
	m := f.p.Proc.(*tasktest.Proc)
	ro := f.result(1, nr("mmap"), 0, 4096, 1, 2, fd, 0)
	if m.Prot(uint64(at)) != 3 || m.Prot(uint64(ro)) != 1 {
		t.Errorf("PROT_READ|PROT_WRITE mapped as %d, PROT_READ as %d", m.Prot(uint64(at)), m.Prot(uint64(ro)))
	}
}

// TestOpenPaths: a directory opened relative to another's descriptor
// knows its path, so getcwd after fchdir to it names it; /dev/tty and
// /dev/console open linuxd's terminal, other paths vfsd's files.
func TestOpenPaths(t *testing.T) {
	f := newFixture(t)
	f.withVFS()
	f.k.TTY = file.NewTTY(f.k.Cond, &bytes.Buffer{})
	const buf = scratch + 0x1000
	f.step("mkdir", 0, f.str(scratch, "/dir"), 0o755)
	f.step("mkdir", 0, f.str(scratch, "/dir/sub"), 0o755)
	dfd := uint64(f.result(1, nr("openat"), cwd, f.str(scratch, "/dir"), oDirectory, 0))
	sub := uint64(f.result(1, nr("openat"), dfd, f.str(scratch, "sub"), oDirectory, 0))
	f.step("fchdir", 0, sub)
	f.step("getcwd", 9, buf, 100)
	if got, _ := usermem.CString(f.p.Proc, buf, 100); got != "/dir/sub" {
		t.Errorf("getcwd after fchdir to dir/sub opened at /dir = %q", got)
	}
	for _, c := range []struct {
		path string
		tty  bool
	}{{"/dev/tty", true}, {"/dev/console", true}, {"/dir", false}, {".", false}} {
		n := f.result(1, nr("openat"), cwd, f.str(scratch, c.path), syscall.O_RDONLY, 0)
		if n < 0 {
			t.Fatalf("open %s = %d", c.path, n)
		}
		d, _ := f.p.FDs.Get(int(n))
		if _, tty := d.File.(*file.TTYFile); tty != c.tty {
			t.Errorf("open %s: a %T", c.path, d.File)
		}
	}
}

// TestGetdentsSizes: struct linux_dirent64's d_reclen is 19 bytes of
// header, the name and its NUL, rounded up to 8: 24 for "." and "..", 32
// for "abcde"; a buffer of exactly the records' size takes them all.
func TestGetdentsSizes(t *testing.T) {
	f := newFixture(t)
	f.withVFS()
	const buf = scratch + 0x1000
	f.step("mkdir", 0, f.str(scratch, "/d"), 0o755)
	f.step("mkdir", 0, f.str(scratch, "/d/abcde"), 0o755)
	for _, size := range []uint64{4096, 80} {
		dfd := uint64(f.result(1, nr("openat"), cwd, f.str(scratch, "/d"), oDirectory, 0))
		n := f.result(1, nr("getdents64"), dfd, buf, size)
		if n != 80 {
			t.Fatalf("getdents64(%d bytes) = %d, want 80", size, n)
		}
		ents := make([]byte, n)
		f.p.Proc.ReadAt(ents, buf)
		for off := 0; off < len(ents); {
			reclen := int(binary.LittleEndian.Uint16(ents[off+16:]))
			name, _, _ := bytes.Cut(ents[off+19:off+reclen], []byte{0})
			if want := (19 + len(name) + 1 + 7) &^ 7; reclen != want {
				t.Errorf("d_reclen of %q = %d, want %d", name, reclen, want)
			}
			off += reclen
		}
	}
}

// TestAccessIds: access checks with the real ids, as a set-user-ID
// program asks whether its user may; AT_EACCESS with the effective ones.
func TestAccessIds(t *testing.T) {
	f := newFixture(t)
	f.withVFS()
	p := f.str(scratch, "/secret")
	f.result(1, nr("openat"), cwd, p, syscall.O_CREAT|syscall.O_RDWR, 0o600)
	f.p.Cred.RUID = 1000 // root's file, a set-user-ID root program run by user 1000
	f.step("access", errno(syscall.EACCES), p, 4)
	f.step("faccessat2", 0, cwd, p, 4, atEaccess)
}
