package vfs

import (
	"syscall"
	"time"

	"aramid/lib/linux"
	"aramid/lib/linux/dac"
	"aramid/servers/vfsd/fs"
)

func (v *VFS) walker(p *Proc) *walker { return &walker{v: v, p: p} }

func (p *Proc) start(dir Loc) Loc {
	if dir.M == nil {
		return p.Cwd
	}
	return dir
}

// Resolve returns the file path names, relative to dir (the caller's cwd
// if dir is the zero Loc). A final symlink is followed if follow is set.
func (v *VFS) Resolve(p *Proc, dir Loc, path string, follow bool) (Loc, error) {
	return v.walker(p).resolve(p.start(dir), path, follow)
}

// Stat returns l's attributes.
func (v *VFS) Stat(p *Proc, l Loc) (Stat, error) { return v.stat(p, l) }

func writable(m *Mount) error {
	if m.Flags&ReadOnly != 0 {
		return syscall.EROFS
	}
	return nil
}

// owner returns the owner and permission bits of a new inode in dir, as
// inode_init_owner decides them: a set-group-ID directory gives its group
// (and, to a new directory, its set-group-ID bit).
func owner(c *dac.Cred, dir fs.Attr, mode uint32) (uid, gid, perm uint32) {
	uid, gid, perm = c.FSUID, c.FSGID, mode&07777
	if dir.Mode&syscall.S_ISGID != 0 {
		gid = dir.GID
		if fs.IsDir(mode) {
			perm |= syscall.S_ISGID
		}
	}
	if !fs.IsDir(mode) && perm&syscall.S_ISGID != 0 && perm&0o010 != 0 &&
		!c.InGroup(gid) && !c.Caps.Has(dac.CapFsetid) {
		perm &^= syscall.S_ISGID
	}
	return uid, gid, perm
}

// createIn checks that the caller may add pr's name to its directory and
// returns the directory's attributes. The errors come in filename_create's
// order: EEXIST for an existing name, ENOENT for a trailing slash on a
// non-directory, EROFS, then the permission check.
func (v *VFS) createIn(p *Proc, pr parent, wantDir bool) (Stat, error) {
	if pr.kind != lastNorm {
		return Stat{}, syscall.EEXIST
	}
	d, err := v.stat(p, pr.dir)
	if err != nil {
		return Stat{}, err
	}
	if _, err := pr.dir.M.fsFor(p).Lookup(pr.dir.Ino, pr.name); err == nil {
		return Stat{}, syscall.EEXIST
	} else if err != syscall.ENOENT {
		return Stat{}, err
	}
	if pr.trailing && !wantDir {
		return Stat{}, syscall.ENOENT
	}
	if err := writable(pr.dir.M); err != nil {
		return Stat{}, err
	}
	if err := dac.CheckCreate(p.Cred, dacFile(d.Attr)); err != nil {
		return Stat{}, err
	}
	if d.Nlink == 0 {
		return Stat{}, syscall.ENOENT
	}
	return d, nil
}

// newEntry resolves the parent of a path to be created and checks it
// with createIn.
func (v *VFS) newEntry(p *Proc, dir Loc, path string, wantDir bool) (parent, Stat, error) {
	pr, err := v.walker(p).parentOf(p.start(dir), path)
	if err != nil {
		return parent{}, Stat{}, err
	}
	d, err := v.createIn(p, pr, wantDir)
	return pr, d, err
}

// Mkdir makes a directory; mode is already masked by the umask.
func (v *VFS) Mkdir(p *Proc, dir Loc, path string, mode uint32) error {
	pr, d, err := v.newEntry(p, dir, path, true)
	if err != nil {
		return err
	}
	uid, gid, perm := owner(p.Cred, d.Attr, syscall.S_IFDIR|mode&07777)
	_, err = pr.dir.M.fsFor(p).Mkdir(pr.dir.Ino, pr.name, perm, uid, gid)
	return err
}

// Mknod makes a regular file, fifo, socket or device node. Device nodes
// need CAP_MKNOD.
func (v *VFS) Mknod(p *Proc, dir Loc, path string, mode uint32, rdev uint64) error {
	switch mode & syscall.S_IFMT {
	case 0:
		mode |= syscall.S_IFREG
	case syscall.S_IFREG, syscall.S_IFIFO, syscall.S_IFSOCK:
	case syscall.S_IFCHR, syscall.S_IFBLK:
		if !p.Cred.Caps.Has(dac.CapMknod) {
			return syscall.EPERM
		}
	case syscall.S_IFDIR:
		return syscall.EPERM
	default:
		return syscall.EINVAL
	}
	pr, d, err := v.newEntry(p, dir, path, false)
	if err != nil {
		return err
	}
	uid, gid, perm := owner(p.Cred, d.Attr, mode)
	_, err = pr.dir.M.fsFor(p).Mknod(pr.dir.Ino, pr.name, mode&syscall.S_IFMT|perm, rdev, uid, gid)
	return err
}

// Symlink makes path a symbolic link to target.
func (v *VFS) Symlink(p *Proc, target string, dir Loc, path string) error {
	if err := checkPath(target); err != nil {
		return err
	}
	pr, d, err := v.newEntry(p, dir, path, false)
	if err != nil {
		return err
	}
	uid, gid, _ := owner(p.Cred, d.Attr, syscall.S_IFLNK|0777)
	_, err = pr.dir.M.fsFor(p).Symlink(pr.dir.Ino, pr.name, target, uid, gid)
	return err
}

// Readlink returns the target of the symlink path names.
func (v *VFS) Readlink(p *Proc, dir Loc, path string) (string, error) {
	l, err := v.Resolve(p, dir, path, false)
	if err != nil {
		return "", err
	}
	return v.ReadlinkLoc(p, l)
}

// ReadlinkLoc returns the target of the symlink at l.
func (v *VFS) ReadlinkLoc(p *Proc, l Loc) (string, error) {
	return l.M.fsFor(p).Readlink(l.Ino)
}

// Link gives the file at old a new name.
func (v *VFS) Link(p *Proc, old Loc, dir Loc, path string) error {
	a, err := v.stat(p, old)
	if err != nil {
		return err
	}
	pr, _, err := v.newEntry(p, dir, path, false)
	if err != nil {
		return err
	}
	if pr.dir.M != old.M {
		return syscall.EXDEV
	}
	if fs.IsDir(a.Mode) {
		return syscall.EPERM
	}
	if err := dac.CheckLink(p.Cred, dacFile(a.Attr)); err != nil {
		return err
	}
	return old.M.fsFor(p).Link(old.Ino, pr.dir.Ino, pr.name)
}

// victim looks up the last component of a removal and checks the sticky
// and write rules for it.
func (v *VFS) victim(p *Proc, pr parent) (Stat, Loc, error) {
	l, err := v.walker(p).lastNoFollow(pr)
	if err != nil {
		return Stat{}, Loc{}, err
	}
	a, err := v.stat(p, l)
	if err != nil {
		return Stat{}, Loc{}, err
	}
	d, err := v.stat(p, pr.dir)
	if err != nil {
		return Stat{}, Loc{}, err
	}
	if err := dac.CheckDelete(p.Cred, dacFile(d.Attr), dacFile(a.Attr)); err != nil {
		return Stat{}, Loc{}, err
	}
	return a, l, nil
}

// Unlink removes a name that is not a directory's.
func (v *VFS) Unlink(p *Proc, dir Loc, path string) error {
	pr, err := v.walker(p).parentOf(p.start(dir), path)
	if err != nil {
		return err
	}
	if pr.kind != lastNorm {
		return syscall.EISDIR
	}
	if err := writable(pr.dir.M); err != nil {
		return err
	}
	a, l, err := v.victim(p, pr)
	if err != nil {
		return err
	}
	if fs.IsDir(a.Mode) {
		return syscall.EISDIR
	}
	if pr.trailing {
		return syscall.ENOTDIR
	}
	if v.isMountPoint(l) {
		return syscall.EBUSY
	}
	return pr.dir.M.fsFor(p).Unlink(pr.dir.Ino, pr.name)
}

// Rmdir removes an empty directory.
func (v *VFS) Rmdir(p *Proc, dir Loc, path string) error {
	pr, err := v.walker(p).parentOf(p.start(dir), path)
	if err != nil {
		return err
	}
	switch pr.kind {
	case lastDot:
		return syscall.EINVAL
	case lastDotDot:
		return syscall.ENOTEMPTY
	case lastRoot:
		return syscall.EBUSY
	}
	if err := writable(pr.dir.M); err != nil {
		return err
	}
	a, l, err := v.victim(p, pr)
	if err != nil {
		return err
	}
	if !fs.IsDir(a.Mode) {
		return syscall.ENOTDIR
	}
	if v.isMountPoint(l) || l == p.Root {
		return syscall.EBUSY
	}
	return pr.dir.M.fsFor(p).Rmdir(pr.dir.Ino, pr.name)
}

// Rename moves a name, replacing a compatible existing target.
func (v *VFS) Rename(p *Proc, oldDir Loc, oldPath string, newDir Loc, newPath string, flags uint32) error {
	if flags&^linux.RENAME_NOREPLACE != 0 {
		return syscall.EINVAL
	}
	w := v.walker(p)
	op, err := w.parentOf(p.start(oldDir), oldPath)
	if err != nil {
		return err
	}
	np, err := w.parentOf(p.start(newDir), newPath)
	if err != nil {
		return err
	}
	if op.dir.M != np.dir.M {
		return syscall.EXDEV
	}
	if op.kind != lastNorm || np.kind != lastNorm {
		return syscall.EBUSY
	}
	if err := writable(op.dir.M); err != nil {
		return err
	}
	src, sl, err := v.victim(p, op)
	if err != nil {
		return err
	}
	if !fs.IsDir(src.Mode) && (op.trailing || np.trailing) {
		return syscall.ENOTDIR
	}
	od, err := v.stat(p, op.dir)
	if err != nil {
		return err
	}
	nd, err := v.stat(p, np.dir)
	if err != nil {
		return err
	}
	var target *dac.File
	tl, err := w.lastNoFollow(np)
	switch {
	case err == nil:
		if flags&linux.RENAME_NOREPLACE != 0 {
			return syscall.EEXIST
		}
		if tl == sl {
			return nil
		}
		ta, err := v.stat(p, tl)
		if err != nil {
			return err
		}
		f := dacFile(ta.Attr)
		target = &f
		if v.isMountPoint(tl) {
			return syscall.EBUSY
		}
	case err != syscall.ENOENT:
		return err
	}
	if v.isMountPoint(sl) {
		return syscall.EBUSY
	}
	if err := dac.CheckRename(p.Cred, dacFile(od.Attr), dacFile(src.Attr), dacFile(nd.Attr),
		target, op.dir == np.dir); err != nil {
		return err
	}
	return op.dir.M.fsFor(p).Rename(op.dir.Ino, op.name, np.dir.Ino, np.name)
}

// Chmod changes l's permission bits.
func (v *VFS) Chmod(p *Proc, l Loc, mode uint32) error {
	if err := writable(l.M); err != nil {
		return err
	}
	a, err := v.stat(p, l)
	if err != nil {
		return err
	}
	nm, err := dac.CheckChmod(p.Cred, dacFile(a.Attr), mode)
	if err != nil {
		return err
	}
	perm := nm & 07777
	return l.M.fsFor(p).SetAttr(l.Ino, fs.SetAttr{Mode: &perm})
}

// Chown changes l's owner and group; -1 leaves one unchanged.
func (v *VFS) Chown(p *Proc, l Loc, uid, gid int64) error {
	if err := writable(l.M); err != nil {
		return err
	}
	a, err := v.stat(p, l)
	if err != nil {
		return err
	}
	nm, err := dac.CheckChown(p.Cred, dacFile(a.Attr), uid, gid)
	if err != nil {
		return err
	}
	var s fs.SetAttr
	if uid != -1 {
		u := uint32(uid)
		s.UID = &u
	}
	if gid != -1 {
		g := uint32(gid)
		s.GID = &g
	}
	if nm != a.Mode {
		perm := nm & 07777
		s.Mode = &perm
	}
	return l.M.fsFor(p).SetAttr(l.Ino, s)
}

// Time is a utimensat time: a value, or Now, or Omit.
type Time struct {
	T         time.Time
	Now, Omit bool
}

// Utimens sets l's access and modification times.
func (v *VFS) Utimens(p *Proc, l Loc, atime, mtime Time) error {
	if atime.Omit && mtime.Omit {
		return nil
	}
	if err := writable(l.M); err != nil {
		return err
	}
	a, err := v.stat(p, l)
	if err != nil {
		return err
	}
	explicit := !(atime.Now || atime.Omit) || !(mtime.Now || mtime.Omit)
	if err := dac.CheckUtimes(p.Cred, dacFile(a.Attr), explicit); err != nil {
		return err
	}
	now := time.Now()
	var s fs.SetAttr
	for _, t := range []struct {
		in  Time
		out **time.Time
	}{{atime, &s.Atime}, {mtime, &s.Mtime}} {
		switch {
		case t.in.Omit:
		case t.in.Now:
			*t.out = &now
		default:
			tt := t.in.T
			*t.out = &tt
		}
	}
	return l.M.fsFor(p).SetAttr(l.Ino, s)
}

// Truncate sets the size of the regular file at l, checking write access.
func (v *VFS) Truncate(p *Proc, l Loc, size int64) error {
	a, err := v.stat(p, l)
	if err != nil {
		return err
	}
	if fs.IsDir(a.Mode) {
		return syscall.EISDIR
	}
	if a.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return syscall.EINVAL
	}
	if err := writable(l.M); err != nil {
		return err
	}
	if err := dac.Check(p.Cred, dacFile(a.Attr), dac.MayWrite); err != nil {
		return err
	}
	return v.truncate(p, l, a, size)
}

func (v *VFS) truncate(p *Proc, l Loc, a Stat, size int64) error {
	if size < 0 {
		return syscall.EINVAL
	}
	if err := writable(l.M); err != nil {
		return err
	}
	if err := v.killPriv(p, l, a); err != nil {
		return err
	}
	return l.M.fsFor(p).Truncate(l.Ino, uint64(size))
}

// killPriv clears set-user-ID, and set-group-ID with group execute, when
// a caller without CAP_FSETID changes a file's contents, as Linux's
// file_remove_privs does.
func (v *VFS) killPriv(p *Proc, l Loc, a Stat) error {
	kill := uint32(syscall.S_ISUID)
	if a.Mode&0o010 != 0 {
		kill |= syscall.S_ISGID
	}
	if a.Mode&kill == 0 || p.Cred.Caps.Has(dac.CapFsetid) {
		return nil
	}
	perm := a.Mode & 07777 &^ kill
	return l.M.fsFor(p).SetAttr(l.Ino, fs.SetAttr{Mode: &perm})
}

// Statfs describes the filesystem holding l.
func (v *VFS) Statfs(p *Proc, l Loc) (fs.Statfs, error) {
	return l.M.fsFor(p).Statfs()
}
