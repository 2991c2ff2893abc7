package syscalls

import (
	"context"
	"encoding/binary"
	"path"
	"syscall"

	"aramid/proto/authpb"
	"aramid/proto/vfspb"
	"aramid/servers/linuxd/fd"
	"aramid/servers/linuxd/file"
	"aramid/servers/linuxd/task"
	"aramid/servers/linuxd/usermem"
)

func init() {
	for name, e := range map[string]Entry{
		"read":       {Fn: read, MayBlock: waitsOnFD, Restart: true},
		"write":      {Fn: write, MayBlock: waitsOnFD, Restart: true},
		"readv":      {Fn: readv, MayBlock: waitsOnFD, Restart: true},
		"writev":     {Fn: writev, MayBlock: waitsOnFD, Restart: true},
		"pread64":    {Fn: pread},
		"pwrite64":   {Fn: pwrite},
		"open":       {Fn: func(c *Ctx) (uint64, error) { return openat(c, atFDCWD, c.Arg(0), c.Arg(1), c.Arg(2)) }},
		"openat":     {Fn: func(c *Ctx) (uint64, error) { return openat(c, int(int32(c.Arg(0))), c.Arg(1), c.Arg(2), c.Arg(3)) }},
		"creat":      {Fn: func(c *Ctx) (uint64, error) { return openat(c, atFDCWD, c.Arg(0), 0o1101, c.Arg(1)) }},
		"close":      {Fn: func(c *Ctx) (uint64, error) { return 0, c.P().FDs.Close(int(int32(c.Arg(0)))) }},
		"lseek":      {Fn: lseek},
		"dup":        {Fn: dup},
		"dup2":       {Fn: dup2},
		"dup3":       {Fn: dup3},
		"fcntl":      {Fn: fcntl, Status: Partial, Note: "record locks are accepted and not enforced; F_SETOWN and F_SETSIG are accepted, and no SIGIO is sent"},
		"pipe":       {Fn: func(c *Ctx) (uint64, error) { return pipe(c, c.Arg(0), 0) }},
		"pipe2":      {Fn: func(c *Ctx) (uint64, error) { return pipe(c, c.Arg(0), c.Arg(1)) }},
		"getcwd":     {Fn: getcwd},
		"chdir":      {Fn: chdir},
		"fchdir":     {Fn: fchdir},
		"getdents64": {Fn: getdents64},
		"fsync":      {Fn: fsync},
		"fdatasync":  {Fn: fsync},
		"sync":       {Fn: syncAll},
	} {
		byName[name] = e
	}
}

// AT_FDCWD and the *at flags.
const (
	atFDCWD           = -100
	atSymlinkNoFollow = 0x100
	atRemoveDir       = 0x200
	atEmptyPath       = 0x1000
	atEaccess         = 0x200
	oNonblock         = 0o4000
	oCloexec          = 0o2000000
	oPath             = 0o10000000
	oDirectory        = 0o200000
)

// callerOf is p asking vfsd, with paths relative to dirfd.
func callerOf(p *task.Process, dir uint64) file.Caller {
	return file.Caller{Cred: authpb.FromCred(p.Cred), PID: uint32(p.PID), Dir: dir}
}

// dirOf resolves a dirfd argument to vfsd's id of that directory (0: the
// root, which is also where a process without a cwd starts).
func dirOf(c *Ctx, dirfd int) (uint64, error) {
	if dirfd == atFDCWD {
		return cwdID(c.K, c.P())
	}
	d, err := c.P().FDs.Get(dirfd)
	if err != nil {
		return 0, err
	}
	n, ok := d.File.(*file.Node)
	if !ok {
		return 0, syscall.ENOTDIR
	}
	if n.Lost() {
		return 0, syscall.ESTALE
	}
	return n.ID, nil
}

// absPath is where path names from dirfd, for getcwd after fchdir: the
// lexical join, which symbolic links can make inexact.
func absPath(c *Ctx, dirfd int, p string) string {
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	base := c.P().CwdPath
	if dirfd != atFDCWD {
		if d, err := c.P().FDs.Get(dirfd); err == nil {
			if n, ok := d.File.(*file.Node); ok {
				base = n.Path
			}
		}
	}
	return path.Join(base, p)
}

// cwdID is vfsd's id of p's working directory (0: the root). A working
// directory opened on a vfsd that has since died is opened again by its
// path on the successor, or is ESTALE if that fails.
func cwdID(k *task.Kernel, p *task.Process) (uint64, error) {
	k.VFS.Check()
	if p.Cwd == nil {
		return 0, nil
	}
	if p.Cwd.Lost() {
		n, err := k.VFS.Open(callerOf(p, 0), p.CwdPath, oPath|oDirectory, 0, 0)
		if err != nil {
			return 0, syscall.ESTALE
		}
		n.Path = p.CwdPath
		p.Cwd = n
	}
	return p.Cwd.ID, nil
}

// at returns the caller for path p relative to dirfd. An absolute path
// ignores dirfd, even one that is not open, as Linux does.
func at(c *Ctx, dirfd int, p string) (file.Caller, error) {
	c.K.VFS.Check()
	if path.IsAbs(p) {
		return callerOf(c.P(), 0), nil
	}
	dir, err := dirOf(c, dirfd)
	return callerOf(c.P(), dir), err
}

// terminal names the console wherever a program opens it.
func terminal(p string) bool { return p == "/dev/tty" || p == "/dev/console" }

func openat(c *Ctx, dirfd int, pathArg, flags, mode uint64) (uint64, error) {
	p, err := usermem.Path(c.T.Mem(), pathArg)
	if err != nil {
		return 0, err
	}
	var f fd.File
	if terminal(p) && c.K.TTY != nil {
		f = c.K.TTY.Open()
	} else {
		caller, err := at(c, dirfd, p)
		if err != nil {
			return 0, err
		}
		n, err := c.K.VFS.Open(caller, p, uint32(flags)&^oCloexec, uint32(mode), c.P().Umask)
		if err != nil {
			return 0, err
		}
		n.Path = absPath(c, dirfd, p)
		f = n
	}
	nfd, err := c.P().FDs.Install(fd.NewDescription(f, uint32(flags)), 0, flags&oCloexec != 0)
	return uint64(nfd), err
}

// waitsOnFD reports whether a call on the descriptor in its first
// argument can wait: a pipe, a socket or the terminal, not in O_NONBLOCK.
func waitsOnFD(c *Ctx) bool {
	d, err := c.P().FDs.Get(int(int32(c.Arg(0))))
	if err != nil || d.Flags&oNonblock != 0 {
		return false
	}
	_, ok := d.File.(file.Waiter)
	return ok
}

// wait is how a read or write of description d by c's thread waits.
func wait(c *Ctx, d *fd.Description) file.Wait {
	return file.Wait{NonBlock: d.Flags&oNonblock != 0, Interrupted: c.T.Interrupted}
}

func readFD(c *Ctx, d *fd.Description, b []byte) (int, error) {
	if d.Flags&3 == syscall.O_WRONLY {
		return 0, syscall.EBADF
	}
	if w, ok := d.File.(file.Waiter); ok {
		return w.ReadWait(b, wait(c, d))
	}
	return d.File.Read(b)
}

func writeFD(c *Ctx, d *fd.Description, b []byte) (int, error) {
	if d.Flags&3 == syscall.O_RDONLY && !isTTY(d) {
		return 0, syscall.EBADF
	}
	var n int
	var err error
	if w, ok := d.File.(file.Waiter); ok {
		n, err = w.WriteWait(b, wait(c, d))
	} else {
		n, err = d.File.Write(b)
	}
	if err == syscall.EPIPE {
		c.K.Signal(c.P(), task.SIGPIPE)
	}
	return n, err
}

func isTTY(d *fd.Description) bool {
	_, ok := d.File.(*file.TTYFile)
	return ok
}

// maxIO bounds one read or write, as Linux's MAX_RW_COUNT.
const maxIO = 0x7ffff000

func read(c *Ctx) (uint64, error) {
	d, err := c.P().FDs.Get(int(int32(c.Arg(0))))
	if err != nil {
		return 0, err
	}
	want := min(c.Arg(2), maxIO, 1<<20)
	if _, ok := d.File.(*file.Node); ok {
		return readFile(c, d, c.Arg(1), want)
	}
	b := make([]byte, want)
	n, err := readFD(c, d, b)
	if err != nil {
		return 0, err
	}
	return uint64(n), c.T.Mem().WriteAt(b[:n], c.Arg(1))
}

// readFile reads up to n bytes of a vfsd file to addr, a request's worth
// at a time (a message inline, or the shared buffer), until n or the end
// of the file: one forwarded read of a large buffer is one system call.
func readFile(c *Ctx, d *fd.Description, addr, n uint64) (uint64, error) {
	b := make([]byte, min(n, 1<<20))
	done := uint64(0)
	for done < n {
		k, err := readFD(c, d, b[:min(uint64(len(b)), n-done)])
		if err != nil {
			if done > 0 {
				break
			}
			return 0, err
		}
		if err := c.T.Mem().WriteAt(b[:k], addr+done); err != nil {
			return 0, err
		}
		done += uint64(k)
		if k < len(b) {
			break // the end of the file, or a short read
		}
	}
	return done, nil
}

func write(c *Ctx) (uint64, error) {
	d, err := c.P().FDs.Get(int(int32(c.Arg(0))))
	if err != nil {
		return 0, err
	}
	b := make([]byte, min(c.Arg(2), maxIO, 1<<20))
	if err := c.T.Mem().ReadAt(b, c.Arg(1)); err != nil {
		return 0, err
	}
	return writeAll(c, d, b)
}

// writeAll writes b, going on after short writes; an error after some
// bytes were written reports the count, as write(2) does.
func writeAll(c *Ctx, d *fd.Description, b []byte) (uint64, error) {
	total := 0
	for total < len(b) {
		n, err := writeFD(c, d, b[total:])
		total += n
		if err != nil {
			if total > 0 {
				break
			}
			return 0, err
		}
		if n == 0 {
			break
		}
	}
	return uint64(total), nil
}

// iovecs reads an iovec array.
func iovecs(c *Ctx, addr, n uint64) ([][2]uint64, error) {
	if n > 1024 {
		return nil, syscall.EINVAL
	}
	raw := make([]byte, 16*n)
	if err := c.T.Mem().ReadAt(raw, addr); err != nil {
		return nil, err
	}
	v := make([][2]uint64, n)
	for i := range v {
		v[i] = [2]uint64{binary.LittleEndian.Uint64(raw[16*i:]), binary.LittleEndian.Uint64(raw[16*i+8:])}
	}
	return v, nil
}

// vectored resolves readv's and writev's arguments: the description and
// the iovec array.
func vectored(c *Ctx) (*fd.Description, [][2]uint64, error) {
	d, err := c.P().FDs.Get(int(int32(c.Arg(0))))
	if err != nil {
		return nil, nil, err
	}
	iov, err := iovecs(c, c.Arg(1), c.Arg(2))
	return d, iov, err
}

// gather reads the buffers an iovec array names, in order.
func gather(c *Ctx, iov [][2]uint64) ([]byte, error) {
	var all []byte
	for _, v := range iov {
		b := make([]byte, min(v[1], 1<<20))
		if err := c.T.Mem().ReadAt(b, v[0]); err != nil {
			return nil, err
		}
		all = append(all, b...)
	}
	return all, nil
}

func readv(c *Ctx) (uint64, error) {
	d, iov, err := vectored(c)
	if err != nil {
		return 0, err
	}
	total := uint64(0)
	for _, v := range iov {
		if v[1] == 0 {
			continue
		}
		b := make([]byte, min(v[1], 1<<20))
		n, err := readFD(c, d, b)
		if err != nil {
			if total > 0 {
				return total, nil
			}
			return 0, err
		}
		if err := c.T.Mem().WriteAt(b[:n], v[0]); err != nil {
			return 0, err
		}
		total += uint64(n)
		if n < len(b) {
			break
		}
	}
	return total, nil
}

func writev(c *Ctx) (uint64, error) {
	d, iov, err := vectored(c)
	if err != nil {
		return 0, err
	}
	all, err := gather(c, iov)
	if err != nil {
		return 0, err
	}
	return writeAll(c, d, all)
}

// node returns the vfsd file behind fd, or ESPIPE for a pipe or the
// terminal.
func node(c *Ctx, fdArg uint64) (*file.Node, *fd.Description, error) {
	d, err := c.P().FDs.Get(int(int32(fdArg)))
	if err != nil {
		return nil, nil, err
	}
	n, ok := d.File.(*file.Node)
	if !ok {
		return nil, d, syscall.ESPIPE
	}
	if n.Lost() {
		return nil, d, file.ErrLost
	}
	return n, d, nil
}

func pread(c *Ctx) (uint64, error) {
	n, _, err := node(c, c.Arg(0))
	if err != nil {
		return 0, err
	}
	if int64(c.Arg(3)) < 0 {
		return 0, syscall.EINVAL
	}
	b := make([]byte, min(c.Arg(2), 1<<20))
	k, err := n.Pread(b, int64(c.Arg(3)))
	if err != nil {
		return 0, err
	}
	return uint64(k), c.T.Mem().WriteAt(b[:k], c.Arg(1))
}

func pwrite(c *Ctx) (uint64, error) {
	n, _, err := node(c, c.Arg(0))
	if err != nil {
		return 0, err
	}
	if int64(c.Arg(3)) < 0 {
		return 0, syscall.EINVAL
	}
	b := make([]byte, min(c.Arg(2), 1<<20))
	if err := c.T.Mem().ReadAt(b, c.Arg(1)); err != nil {
		return 0, err
	}
	k, err := n.Pwrite(b, int64(c.Arg(3)))
	return uint64(k), err
}

func lseek(c *Ctx) (uint64, error) {
	n, _, err := node(c, c.Arg(0))
	if err != nil {
		return 0, err
	}
	off, err := n.Seek(int64(c.Arg(1)), int(c.Arg(2)))
	return uint64(off), err
}

func dup(c *Ctx) (uint64, error) {
	d, err := c.P().FDs.Get(int(int32(c.Arg(0))))
	if err != nil {
		return 0, err
	}
	d.IncRef()
	n, err := c.P().FDs.Install(d, 0, false)
	return uint64(n), err
}

func dup2(c *Ctx) (uint64, error) {
	old, nfd := int(int32(c.Arg(0))), int(int32(c.Arg(1)))
	d, err := c.P().FDs.Get(old)
	if err != nil {
		return 0, err
	}
	if old == nfd {
		return uint64(nfd), nil
	}
	d.IncRef()
	return uint64(nfd), c.P().FDs.Set(nfd, d, false)
}

func dup3(c *Ctx) (uint64, error) {
	old, nfd, flags := int(int32(c.Arg(0))), int(int32(c.Arg(1))), c.Arg(2)
	if old == nfd || flags&^oCloexec != 0 {
		return 0, syscall.EINVAL
	}
	d, err := c.P().FDs.Get(old)
	if err != nil {
		return 0, err
	}
	d.IncRef()
	return uint64(nfd), c.P().FDs.Set(nfd, d, flags&oCloexec != 0)
}

// fcntl commands.
const (
	fDupfd        = 0
	fGetfd        = 1
	fSetfd        = 2
	fGetfl        = 3
	fSetfl        = 4
	fGetlk        = 5
	fSetlk        = 6
	fSetlkw       = 7
	fSetown       = 8
	fGetown       = 9
	fSetsig       = 10
	fGetsig       = 11
	fDupfdCloexec = 1030
)

func fcntl(c *Ctx) (uint64, error) {
	fdn, cmd, arg := int(int32(c.Arg(0))), c.Arg(1), c.Arg(2)
	t := c.P().FDs
	d, err := t.Get(fdn)
	if err != nil {
		return 0, err
	}
	switch cmd {
	case fDupfd, fDupfdCloexec:
		if arg >= fd.Max {
			return 0, syscall.EINVAL
		}
		d.IncRef()
		n, err := t.Install(d, int(arg), cmd == fDupfdCloexec)
		return uint64(n), err
	case fGetfd:
		ce, _ := t.CloseOnExec(fdn)
		if ce {
			return 1, nil
		}
		return 0, nil
	case fSetfd:
		return 0, t.SetCloseOnExec(fdn, arg&1 != 0)
	case fGetfl:
		return uint64(d.Flags &^ oCloexec), nil
	case fSetfl:
		const settable = syscall.O_APPEND | oNonblock | syscall.O_ASYNC | syscall.O_DIRECT | syscall.O_NOATIME
		d.Flags = d.Flags&^settable | uint32(arg)&settable
		return 0, nil
	case fSetown, fSetsig:
		return 0, nil // recorded nowhere: linuxd sends no SIGIO yet
	case fGetown, fGetsig:
		return 0, nil
	case fGetlk:
		return 0, usermem.PutU32(c.T.Mem(), arg, 2) // F_UNLCK: nothing holds a lock
	case fSetlk, fSetlkw:
		return 0, nil
	}
	return 0, syscall.EINVAL
}

func pipe(c *Ctx, addr, flags uint64) (uint64, error) {
	if flags&^(oCloexec|oNonblock|0o40000) != 0 {
		return 0, syscall.EINVAL
	}
	r, w := file.NewPipe(c.K.Cond)
	t := c.P().FDs
	st := uint32(flags & oNonblock)
	rfd, err := t.Install(fd.NewDescription(r, syscall.O_RDONLY|st), 0, flags&oCloexec != 0)
	if err != nil {
		w.Close()
		return 0, err
	}
	wfd, err := t.Install(fd.NewDescription(w, syscall.O_WRONLY|st), 0, flags&oCloexec != 0)
	if err != nil {
		t.Close(rfd)
		return 0, err
	}
	var b [8]byte
	binary.LittleEndian.PutUint32(b[:], uint32(rfd))
	binary.LittleEndian.PutUint32(b[4:], uint32(wfd))
	if err := c.T.Mem().WriteAt(b[:], addr); err != nil {
		t.Close(rfd)
		t.Close(wfd)
		return 0, err
	}
	return 0, nil
}

func getcwd(c *Ctx) (uint64, error) {
	p := c.P().CwdPath + "\x00"
	if uint64(len(p)) > c.Arg(1) {
		return 0, syscall.ERANGE
	}
	return uint64(len(p)), c.T.Mem().WriteAt([]byte(p), c.Arg(0))
}

func chdir(c *Ctx) (uint64, error) {
	p, err := usermem.Path(c.T.Mem(), c.Arg(0))
	if err != nil {
		return 0, err
	}
	caller, err := at(c, atFDCWD, p)
	if err != nil {
		return 0, err
	}
	n, err := c.K.VFS.Open(caller, p, oPath|oDirectory, 0, 0)
	if err != nil {
		return 0, err
	}
	n.Path = absPath(c, atFDCWD, p)
	setCwd(c.P(), n, n.Path)
	return 0, nil
}

func fchdir(c *Ctx) (uint64, error) {
	n, _, err := node(c, c.Arg(0))
	if err != nil {
		if err == syscall.ESPIPE { // a pipe or the terminal, as Linux says
			return 0, syscall.ENOTDIR
		}
		return 0, err
	}
	st, err := n.Fstat()
	if err != nil {
		return 0, err
	}
	if st.GetMode()&syscall.S_IFMT != syscall.S_IFDIR {
		return 0, syscall.ENOTDIR
	}
	dir, err := c.K.VFS.Open(callerOf(c.P(), n.ID), ".", oPath|oDirectory, 0, 0)
	if err != nil {
		return 0, err
	}
	setCwd(c.P(), dir, n.Path)
	return 0, nil
}

func setCwd(p *task.Process, n *file.Node, pathname string) {
	p.Cwd, p.CwdPath = n, pathname
}

func getdents64(c *Ctx) (uint64, error) {
	n, _, err := node(c, c.Arg(0))
	if err != nil {
		if err == syscall.ESPIPE {
			return 0, syscall.ENOTDIR
		}
		return 0, err
	}
	size := int(min(c.Arg(2), 1<<20))
	ents, err := n.Getdents(size)
	if err != nil {
		return 0, err
	}
	var out []byte
	for _, e := range ents {
		out = appendDirent(out, e)
	}
	if len(out) > size {
		return 0, syscall.EINVAL
	}
	return uint64(len(out)), c.T.Mem().WriteAt(out, c.Arg(1))
}

// appendDirent appends struct linux_dirent64.
func appendDirent(b []byte, e *vfspb.Dirent) []byte {
	reclen := (19 + len(e.GetName()) + 1 + 7) &^ 7
	rec := make([]byte, reclen)
	le := binary.LittleEndian
	le.PutUint64(rec[0:], e.GetIno())
	le.PutUint64(rec[8:], uint64(e.GetOff()))
	le.PutUint16(rec[16:], uint16(reclen))
	rec[18] = byte(e.GetType())
	copy(rec[19:], e.GetName())
	return append(b, rec...)
}

// syncAll is sync(2), which cannot fail.
func syncAll(c *Ctx) (uint64, error) {
	c.K.VFS.Sync()
	return 0, nil
}

func fsync(c *Ctx) (uint64, error) {
	n, _, err := node(c, c.Arg(0))
	if err != nil {
		if err == syscall.ESPIPE {
			return 0, syscall.EINVAL
		}
		return 0, err
	}
	_, err = c.K.VFS.C.Fsync(context.Background(), &vfspb.FsyncRequest{File: n.ID, Datasync: sysnoName(c.R.RAX) == "fdatasync"})
	return 0, err
}

func init() {
	byName["sendfile"] = Entry{Fn: sendfile, MayBlock: waitsOnFD, Status: Partial, Note: "copies through linuxd, at most 1 MiB per call"}
}

// sendfile copies from a vfsd file to any descriptor: at the input's
// offset, or at *offset (which it advances) without moving it.
func sendfile(c *Ctx) (uint64, error) {
	out, err := c.P().FDs.Get(int(int32(c.Arg(0))))
	if err != nil {
		return 0, err
	}
	in, _, err := node(c, c.Arg(1))
	if err != nil {
		if err == syscall.ESPIPE {
			return 0, syscall.EINVAL
		}
		return 0, err
	}
	offp, count := c.Arg(2), min(c.Arg(3), 1<<20)
	b := make([]byte, count)
	var n int
	if offp != 0 {
		off, err := usermem.U64(c.T.Mem(), offp)
		if err != nil {
			return 0, err
		}
		if n, err = in.Pread(b, int64(off)); err != nil {
			return 0, err
		}
		if err := usermem.PutU64(c.T.Mem(), offp, off+uint64(n)); err != nil {
			return 0, err
		}
	} else if n, err = in.Read(b); err != nil {
		return 0, err
	}
	w, err := writeFD(c, out, b[:n])
	return uint64(w), err
}
