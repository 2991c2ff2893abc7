package syscalls

import (
	"context"
	"encoding/binary"
	"syscall"

	"aramid/lib/linux/dac"
	"aramid/proto/vfspb"
	"aramid/servers/linuxd/file"
	"aramid/servers/linuxd/usermem"
)

func init() {
	for name, e := range map[string]Entry{
		"stat":       {Fn: func(c *Ctx) (uint64, error) { return fstatat(c, atFDCWD, c.Arg(0), c.Arg(1), 0) }},
		"lstat":      {Fn: func(c *Ctx) (uint64, error) { return fstatat(c, atFDCWD, c.Arg(0), c.Arg(1), atSymlinkNoFollow) }},
		"newfstatat": {Fn: func(c *Ctx) (uint64, error) { return fstatat(c, int(int32(c.Arg(0))), c.Arg(1), c.Arg(2), c.Arg(3)) }},
		"fstat":      {Fn: fstat},
		"statx":      {Fn: statx, Status: Partial, Note: "no attributes, mount ids or direct-I/O alignment"},
		"access":     {Fn: func(c *Ctx) (uint64, error) { return faccessat(c, atFDCWD, c.Arg(0), c.Arg(1), 0) }},
		"faccessat":  {Fn: func(c *Ctx) (uint64, error) { return faccessat(c, int(int32(c.Arg(0))), c.Arg(1), c.Arg(2), 0) }},
		"faccessat2": {Fn: func(c *Ctx) (uint64, error) { return faccessat(c, int(int32(c.Arg(0))), c.Arg(1), c.Arg(2), c.Arg(3)) }},
		"readlink":   {Fn: func(c *Ctx) (uint64, error) { return readlinkat(c, atFDCWD, c.Arg(0), c.Arg(1), c.Arg(2)) }},
		"readlinkat": {Fn: func(c *Ctx) (uint64, error) { return readlinkat(c, int(int32(c.Arg(0))), c.Arg(1), c.Arg(2), c.Arg(3)) }},
		"mkdir":      {Fn: func(c *Ctx) (uint64, error) { return mkdirat(c, atFDCWD, c.Arg(0), c.Arg(1)) }},
		"mkdirat":    {Fn: func(c *Ctx) (uint64, error) { return mkdirat(c, int(int32(c.Arg(0))), c.Arg(1), c.Arg(2)) }},
		"unlink":     {Fn: func(c *Ctx) (uint64, error) { return unlinkat(c, atFDCWD, c.Arg(0), 0) }},
		"rmdir":      {Fn: func(c *Ctx) (uint64, error) { return unlinkat(c, atFDCWD, c.Arg(0), atRemoveDir) }},
		"unlinkat":   {Fn: func(c *Ctx) (uint64, error) { return unlinkat(c, int(int32(c.Arg(0))), c.Arg(1), c.Arg(2)) }},
		"rename":     {Fn: func(c *Ctx) (uint64, error) { return renameat(c, atFDCWD, c.Arg(0), atFDCWD, c.Arg(1), 0) }},
		"renameat": {Fn: func(c *Ctx) (uint64, error) {
			return renameat(c, int(int32(c.Arg(0))), c.Arg(1), int(int32(c.Arg(2))), c.Arg(3), 0)
		}},
		"renameat2": {Fn: func(c *Ctx) (uint64, error) {
			return renameat(c, int(int32(c.Arg(0))), c.Arg(1), int(int32(c.Arg(2))), c.Arg(3), c.Arg(4))
		}},
		"link": {Fn: func(c *Ctx) (uint64, error) { return linkat(c, atFDCWD, c.Arg(0), atFDCWD, c.Arg(1), 0) }},
		"linkat": {Fn: func(c *Ctx) (uint64, error) {
			return linkat(c, int(int32(c.Arg(0))), c.Arg(1), int(int32(c.Arg(2))), c.Arg(3), c.Arg(4))
		}},
		"symlink":   {Fn: func(c *Ctx) (uint64, error) { return symlinkat(c, c.Arg(0), atFDCWD, c.Arg(1)) }},
		"symlinkat": {Fn: func(c *Ctx) (uint64, error) { return symlinkat(c, c.Arg(0), int(int32(c.Arg(1))), c.Arg(2)) }},
		"chmod":     {Fn: func(c *Ctx) (uint64, error) { return fchmodat(c, atFDCWD, c.Arg(0), c.Arg(1), 0) }},
		"fchmodat":  {Fn: func(c *Ctx) (uint64, error) { return fchmodat(c, int(int32(c.Arg(0))), c.Arg(1), c.Arg(2), 0) }},
		"fchmod":    {Fn: func(c *Ctx) (uint64, error) { return fchmodat(c, int(int32(c.Arg(0))), 0, c.Arg(1), atEmptyPath) }},
		"chown":     {Fn: func(c *Ctx) (uint64, error) { return fchownat(c, atFDCWD, c.Arg(0), c.Arg(1), c.Arg(2), 0) }},
		"lchown": {Fn: func(c *Ctx) (uint64, error) {
			return fchownat(c, atFDCWD, c.Arg(0), c.Arg(1), c.Arg(2), atSymlinkNoFollow)
		}},
		"fchown": {Fn: func(c *Ctx) (uint64, error) {
			return fchownat(c, int(int32(c.Arg(0))), 0, c.Arg(1), c.Arg(2), atEmptyPath)
		}},
		"fchownat": {Fn: func(c *Ctx) (uint64, error) {
			return fchownat(c, int(int32(c.Arg(0))), c.Arg(1), c.Arg(2), c.Arg(3), c.Arg(4))
		}},
		"utimensat": {Fn: utimensat},
		"truncate":  {Fn: func(c *Ctx) (uint64, error) { return truncate(c, atFDCWD, c.Arg(0), int64(c.Arg(1)), 0) }},
		"ftruncate": {Fn: func(c *Ctx) (uint64, error) {
			return truncate(c, int(int32(c.Arg(0))), 0, int64(c.Arg(1)), atEmptyPath)
		}},
		"statfs":  {Fn: func(c *Ctx) (uint64, error) { return statfs(c, atFDCWD, c.Arg(0), c.Arg(1), 0) }},
		"fstatfs": {Fn: func(c *Ctx) (uint64, error) { return statfs(c, int(int32(c.Arg(0))), 0, c.Arg(1), atEmptyPath) }},
	} {
		byName[name] = e
	}
}

// pathAt reads a path argument and its caller; with AT_EMPTY_PATH an empty
// (or absent) path names dirfd itself.
func pathAt(c *Ctx, dirfd int, addr, flags uint64) (file.Caller, string, error) {
	var s string
	var err error
	switch {
	case flags&atEmptyPath == 0:
		s, err = usermem.Path(c.T.Mem(), addr)
	case addr != 0:
		s, err = usermem.CString(c.T.Mem(), addr, 4096)
	}
	if err != nil {
		return file.Caller{}, "", err
	}
	caller, err := at(c, dirfd, s)
	return caller, s, err
}

func bg() context.Context { return context.Background() }

// atNoAutomount is accepted and means nothing here: there is no
// automounter.
const atNoAutomount = 0x800

func fstatat(c *Ctx, dirfd int, pathArg, buf, flags uint64) (uint64, error) {
	if flags&^(atSymlinkNoFollow|atNoAutomount|atEmptyPath) != 0 {
		return 0, syscall.EINVAL
	}
	caller, p, err := pathAt(c, dirfd, pathArg, flags)
	if err != nil {
		return 0, err
	}
	st, err := c.K.VFS.Stat(caller, p, uint32(flags))
	if err != nil {
		return 0, err
	}
	return 0, c.T.Mem().WriteAt(statBytes(st), buf)
}

func fstat(c *Ctx) (uint64, error) {
	d, err := c.P().FDs.Get(int(int32(c.Arg(0))))
	if err != nil {
		return 0, err
	}
	var st *vfspb.Stat
	switch f := d.File.(type) {
	case *file.Node:
		if st, err = f.Fstat(); err != nil {
			return 0, err
		}
	case *file.TTYFile:
		st = &vfspb.Stat{Mode: syscall.S_IFCHR | 0o620, Rdev: 5<<8 | 1, Nlink: 1, Blksize: 1024, Ino: 1}
	default:
		st = &vfspb.Stat{Mode: syscall.S_IFIFO | 0o600, Nlink: 1, Blksize: 4096, Ino: uint64(c.Arg(0)) + 1000}
	}
	return 0, c.T.Mem().WriteAt(statBytes(st), c.Arg(1))
}

// statBytes lays st out as x86-64's struct stat.
func statBytes(st *vfspb.Stat) []byte {
	b := make([]byte, 144)
	le := binary.LittleEndian
	le.PutUint64(b[0:], st.GetDev())
	le.PutUint64(b[8:], st.GetIno())
	le.PutUint64(b[16:], uint64(st.GetNlink()))
	le.PutUint32(b[24:], st.GetMode())
	le.PutUint32(b[28:], st.GetUid())
	le.PutUint32(b[32:], st.GetGid())
	le.PutUint64(b[40:], st.GetRdev())
	le.PutUint64(b[48:], uint64(st.GetSize()))
	le.PutUint64(b[56:], uint64(st.GetBlksize()))
	le.PutUint64(b[64:], uint64(st.GetBlocks()))
	for i, ts := range []*vfspb.Timespec{st.GetAtime(), st.GetMtime(), st.GetCtime()} {
		le.PutUint64(b[72+16*i:], uint64(ts.GetSec()))
		le.PutUint64(b[80+16*i:], uint64(ts.GetNsec()))
	}
	return b
}

func statx(c *Ctx) (uint64, error) {
	dirfd, pathArg, flags, buf := int(int32(c.Arg(0))), c.Arg(1), c.Arg(2), c.Arg(4)
	caller, p, err := pathAt(c, dirfd, pathArg, flags)
	if err != nil {
		return 0, err
	}
	st, err := c.K.VFS.Stat(caller, p, uint32(flags)&(atSymlinkNoFollow|atEmptyPath))
	if err != nil {
		return 0, err
	}
	b := make([]byte, 256)
	le := binary.LittleEndian
	le.PutUint32(b[0:], 0xfff) // STATX_BASIC_STATS | STATX_BTIME
	le.PutUint32(b[4:], st.GetBlksize())
	le.PutUint32(b[16:], st.GetNlink())
	le.PutUint32(b[20:], st.GetUid())
	le.PutUint32(b[24:], st.GetGid())
	le.PutUint16(b[28:], uint16(st.GetMode()))
	le.PutUint64(b[32:], st.GetIno())
	le.PutUint64(b[40:], uint64(st.GetSize()))
	le.PutUint64(b[48:], uint64(st.GetBlocks()))
	for i, ts := range []*vfspb.Timespec{st.GetAtime(), st.GetBtime(), st.GetCtime(), st.GetMtime()} {
		le.PutUint64(b[64+16*i:], uint64(ts.GetSec()))
		le.PutUint32(b[72+16*i:], ts.GetNsec())
	}
	le.PutUint32(b[128:], uint32(st.GetRdev()>>8&0xfff))
	le.PutUint32(b[132:], uint32(st.GetRdev()&0xff|st.GetRdev()>>12&^0xff))
	le.PutUint32(b[136:], uint32(st.GetDev()>>8&0xfff))
	le.PutUint32(b[140:], uint32(st.GetDev()&0xff|st.GetDev()>>12&^0xff))
	return 0, c.T.Mem().WriteAt(b, buf)
}

// faccessat checks mode (F_OK, or R_OK, W_OK and X_OK, which are the
// MayRead, MayWrite and MayExec bits) against the file with the process's
// real ids, or its effective ones with AT_EACCESS, as Linux does.
func faccessat(c *Ctx, dirfd int, pathArg, mode, flags uint64) (uint64, error) {
	if mode&^7 != 0 {
		return 0, syscall.EINVAL
	}
	caller, p, err := pathAt(c, dirfd, pathArg, flags)
	if err != nil {
		return 0, err
	}
	st, err := c.K.VFS.Stat(caller, p, uint32(flags)&(atSymlinkNoFollow|atEmptyPath))
	if err != nil {
		return 0, err
	}
	who := c.P().Cred.AccessDAC()
	if flags&atEaccess != 0 {
		who = c.P().Cred.DAC()
	}
	return 0, dac.Check(who, dac.File{Mode: st.GetMode(), UID: st.GetUid(), GID: st.GetGid()}, uint32(mode))
}

func readlinkat(c *Ctx, dirfd int, pathArg, buf, size uint64) (uint64, error) {
	if int64(size) <= 0 {
		return 0, syscall.EINVAL
	}
	caller, p, err := pathAt(c, dirfd, pathArg, 0)
	if err != nil {
		return 0, err
	}
	if p == "/proc/self/exe" {
		return putBounded(c, []byte(c.P().Exe), buf, size)
	}
	r, err := c.K.VFS.C.Readlink(bg(), &vfspb.ReadlinkRequest{Cred: caller.Cred, Pid: caller.PID, Dir: caller.Dir, Path: []byte(p)})
	if err != nil {
		return 0, err
	}
	return putBounded(c, r.GetTarget(), buf, size)
}

func putBounded(c *Ctx, b []byte, addr, size uint64) (uint64, error) {
	b = b[:min(uint64(len(b)), size)]
	return uint64(len(b)), c.T.Mem().WriteAt(b, addr)
}

func mkdirat(c *Ctx, dirfd int, pathArg, mode uint64) (uint64, error) {
	caller, p, err := pathAt(c, dirfd, pathArg, 0)
	if err != nil {
		return 0, err
	}
	_, err = c.K.VFS.C.Mkdir(bg(), &vfspb.MkdirRequest{Cred: caller.Cred, Pid: caller.PID, Dir: caller.Dir, Path: []byte(p), Mode: uint32(mode), Umask: c.P().Umask})
	return 0, err
}

func unlinkat(c *Ctx, dirfd int, pathArg, flags uint64) (uint64, error) {
	if flags&^atRemoveDir != 0 {
		return 0, syscall.EINVAL
	}
	caller, p, err := pathAt(c, dirfd, pathArg, 0)
	if err != nil {
		return 0, err
	}
	_, err = c.K.VFS.C.Unlink(bg(), &vfspb.UnlinkRequest{Cred: caller.Cred, Pid: caller.PID, Dir: caller.Dir, Path: []byte(p), Flags: uint32(flags)})
	return 0, err
}

func renameat(c *Ctx, olddir int, oldArg uint64, newdir int, newArg, flags uint64) (uint64, error) {
	oc, op, err := pathAt(c, olddir, oldArg, 0)
	if err != nil {
		return 0, err
	}
	nc, np, err := pathAt(c, newdir, newArg, 0)
	if err != nil {
		return 0, err
	}
	_, err = c.K.VFS.C.Rename(bg(), &vfspb.RenameRequest{Cred: oc.Cred, Pid: oc.PID, OldDir: oc.Dir, OldPath: []byte(op),
		NewDir: nc.Dir, NewPath: []byte(np), Flags: uint32(flags)})
	return 0, err
}

func linkat(c *Ctx, olddir int, oldArg uint64, newdir int, newArg, flags uint64) (uint64, error) {
	oc, op, err := pathAt(c, olddir, oldArg, flags)
	if err != nil {
		return 0, err
	}
	nc, np, err := pathAt(c, newdir, newArg, 0)
	if err != nil {
		return 0, err
	}
	_, err = c.K.VFS.C.Link(bg(), &vfspb.LinkRequest{Cred: oc.Cred, Pid: oc.PID, OldDir: oc.Dir, OldPath: []byte(op),
		NewDir: nc.Dir, NewPath: []byte(np), Flags: uint32(flags)})
	return 0, err
}

func symlinkat(c *Ctx, targetArg uint64, dirfd int, pathArg uint64) (uint64, error) {
	target, err := usermem.Path(c.T.Mem(), targetArg)
	if err != nil {
		return 0, err
	}
	caller, p, err := pathAt(c, dirfd, pathArg, 0)
	if err != nil {
		return 0, err
	}
	_, err = c.K.VFS.C.Symlink(bg(), &vfspb.SymlinkRequest{Cred: caller.Cred, Pid: caller.PID, Target: []byte(target), Dir: caller.Dir, Path: []byte(p)})
	return 0, err
}

func fchmodat(c *Ctx, dirfd int, pathArg, mode, flags uint64) (uint64, error) {
	caller, p, err := pathAt(c, dirfd, pathArg, flags)
	if err != nil {
		return 0, err
	}
	_, err = c.K.VFS.C.Chmod(bg(), &vfspb.ChmodRequest{Cred: caller.Cred, Pid: caller.PID, Dir: caller.Dir, Path: []byte(p), Mode: uint32(mode), Flags: uint32(flags)})
	return 0, err
}

func fchownat(c *Ctx, dirfd int, pathArg, uid, gid, flags uint64) (uint64, error) {
	caller, p, err := pathAt(c, dirfd, pathArg, flags)
	if err != nil {
		return 0, err
	}
	_, err = c.K.VFS.C.Chown(bg(), &vfspb.ChownRequest{Cred: caller.Cred, Pid: caller.PID, Dir: caller.Dir, Path: []byte(p),
		Uid: uint32(uid), Gid: uint32(gid), Flags: uint32(flags)})
	return 0, err
}

// utimeNow asks for the current time (UTIME_NOW).
const utimeNow = (1 << 30) - 1

func utimensat(c *Ctx) (uint64, error) {
	dirfd, pathArg, times, flags := int(int32(c.Arg(0))), c.Arg(1), c.Arg(2), c.Arg(3)
	if pathArg == 0 {
		flags |= atEmptyPath
	}
	caller, p, err := pathAt(c, dirfd, pathArg, flags)
	if err != nil {
		return 0, err
	}
	ts := [2]*vfspb.Timespec{{Nsec: utimeNow}, {Nsec: utimeNow}}
	if times != 0 {
		var raw [32]byte
		if err := c.T.Mem().ReadAt(raw[:], times); err != nil {
			return 0, err
		}
		for i := range ts {
			ts[i] = &vfspb.Timespec{Sec: int64(binary.LittleEndian.Uint64(raw[16*i:])), Nsec: uint32(binary.LittleEndian.Uint64(raw[16*i+8:]))}
		}
	}
	_, err = c.K.VFS.C.Utimens(bg(), &vfspb.UtimensRequest{Cred: caller.Cred, Pid: caller.PID, Dir: caller.Dir, Path: []byte(p),
		Atime: ts[0], Mtime: ts[1], Flags: uint32(flags)})
	return 0, err
}

func truncate(c *Ctx, dirfd int, pathArg uint64, length int64, flags uint64) (uint64, error) {
	if length < 0 {
		return 0, syscall.EINVAL
	}
	caller, p, err := pathAt(c, dirfd, pathArg, flags)
	if err != nil {
		return 0, err
	}
	_, err = c.K.VFS.C.Truncate(bg(), &vfspb.TruncateRequest{Cred: caller.Cred, Pid: caller.PID, Dir: caller.Dir, Path: []byte(p), Length: length, Flags: uint32(flags)})
	return 0, err
}

func statfs(c *Ctx, dirfd int, pathArg, buf, flags uint64) (uint64, error) {
	caller, p, err := pathAt(c, dirfd, pathArg, flags)
	if err != nil {
		return 0, err
	}
	r, err := c.K.VFS.C.Statfs(bg(), &vfspb.StatfsRequest{Cred: caller.Cred, Pid: caller.PID, Dir: caller.Dir, Path: []byte(p), Flags: uint32(flags)})
	if err != nil {
		return 0, err
	}
	b := make([]byte, 120)
	le := binary.LittleEndian
	for i, v := range []uint64{r.GetType(), r.GetBsize(), r.GetBlocks(), r.GetBfree(), r.GetBavail(), r.GetFiles(), r.GetFfree(), r.GetFsid(), r.GetNamelen(), r.GetFrsize(), r.GetFlags()} {
		le.PutUint64(b[8*i:], v)
	}
	return 0, c.T.Mem().WriteAt(b, buf)
}
