package vfs

import (
	"sync"
	"syscall"

	"aramid/lib/linux"
	"aramid/lib/linux/dac"
	"aramid/servers/vfsd/devfs"
	"aramid/servers/vfsd/fs"
)

// File is an open file: a location, the access it was opened with, and
// an offset (for a directory, the getdents cookie).
type File struct {
	v     *VFS
	Loc   Loc
	fs    fs.FS
	flags int
	mode  uint32 // file type bits
	dev   devfs.Device
	// proc is the opener, whose capabilities decide whether writing
	// clears set-user-ID bits.
	proc *Proc

	mu     sync.Mutex
	off    int64
	closed bool
}

// Open opens path as open(2) does; mode (already masked by the umask) is
// used when O_CREAT creates the file.
func (v *VFS) Open(p *Proc, dir Loc, path string, flags int, mode uint32) (*File, error) {
	if flags&linux.O_TMPFILE == linux.O_TMPFILE {
		return nil, syscall.EOPNOTSUPP
	}
	if flags&linux.O_PATH != 0 {
		flags &= linux.O_PATH | linux.O_DIRECTORY | linux.O_NOFOLLOW | linux.O_CLOEXEC
	}
	w := v.walker(p)
	pr, err := w.parentOf(p.start(dir), path)
	if err != nil {
		return nil, err
	}
	follow := flags&linux.O_NOFOLLOW == 0
	created := false
	var l Loc
	if flags&linux.O_CREAT != 0 {
		l, created, err = v.openCreate(p, w, pr, flags, mode)
	} else {
		l, err = w.last(pr, follow)
	}
	if err != nil {
		return nil, err
	}
	return v.openLoc(p, l, flags, created)
}

// openCreate finds or creates the last component for O_CREAT. A final
// symlink is followed unless O_EXCL or O_NOFOLLOW, so a dangling link
// creates its target, as on Linux.
func (v *VFS) openCreate(p *Proc, w *walker, pr parent, flags int, mode uint32) (Loc, bool, error) {
	for {
		if pr.kind != lastNorm || pr.trailing {
			return Loc{}, false, syscall.EISDIR
		}
		l, err := w.lastNoFollow(pr)
		if err == syscall.ENOENT {
			d, err := v.createIn(p, pr, false)
			if err != nil {
				return Loc{}, false, err
			}
			uid, gid, perm := owner(p.Cred, d.Attr, syscall.S_IFREG|mode&07777)
			ino, err := pr.dir.M.fsFor(p).Create(pr.dir.Ino, pr.name, perm, uid, gid)
			return Loc{pr.dir.M, ino}, true, err
		}
		if err != nil {
			return Loc{}, false, err
		}
		if flags&linux.O_EXCL != 0 {
			return Loc{}, false, syscall.EEXIST
		}
		a, err := v.stat(p, l)
		if err != nil {
			return Loc{}, false, err
		}
		if a.Mode&syscall.S_IFMT != syscall.S_IFLNK || flags&linux.O_NOFOLLOW != 0 {
			return l, false, nil
		}
		if pr, err = w.followLast(pr.dir, l, false); err != nil {
			return Loc{}, false, err
		}
	}
}

// openLoc makes an open file for l after may_open's checks.
func (v *VFS) openLoc(p *Proc, l Loc, flags int, created bool) (*File, error) {
	a, err := v.stat(p, l)
	if err != nil {
		return nil, err
	}
	typ := a.Mode & syscall.S_IFMT
	f := &File{v: v, Loc: l, fs: l.M.fsFor(p), flags: flags, mode: typ, proc: p}
	if flags&linux.O_PATH != 0 {
		if flags&linux.O_DIRECTORY != 0 && typ != syscall.S_IFDIR {
			return nil, syscall.ENOTDIR
		}
		l.M.open.Add(1)
		return f, nil
	}
	if err := v.mayOpen(p, l, a, flags, created); err != nil {
		return nil, err
	}
	if typ == syscall.S_IFCHR {
		if l.M.Flags&NoDev != 0 {
			return nil, syscall.EACCES
		}
		if f.dev = v.devices[a.Rdev]; f.dev == nil {
			return nil, syscall.ENXIO
		}
	}
	if flags&linux.O_TRUNC != 0 && typ == syscall.S_IFREG && !created {
		if err := v.truncate(p, l, a, 0); err != nil {
			return nil, err
		}
	}
	f.fs.Acquire(l.Ino)
	l.M.open.Add(1)
	return f, nil
}

func (v *VFS) mayOpen(p *Proc, l Loc, a Stat, flags int, created bool) error {
	acc := flags & linux.O_ACCMODE
	switch typ := a.Mode & syscall.S_IFMT; {
	case flags&linux.O_DIRECTORY != 0 && typ != syscall.S_IFDIR:
		return syscall.ENOTDIR
	case typ == syscall.S_IFLNK:
		return syscall.ELOOP
	case typ == syscall.S_IFDIR:
		if acc != linux.O_RDONLY || flags&linux.O_CREAT != 0 {
			return syscall.EISDIR
		}
	case typ == syscall.S_IFSOCK:
		return syscall.ENXIO
	case typ == syscall.S_IFBLK:
		return syscall.ENXIO
	}
	if acc == linux.O_ACCMODE {
		return syscall.EINVAL
	}
	var mask uint32
	if acc != linux.O_WRONLY {
		mask |= dac.MayRead
	}
	if acc != linux.O_RDONLY || flags&linux.O_TRUNC != 0 {
		mask |= dac.MayWrite
	}
	if mask&dac.MayWrite != 0 && a.Mode&syscall.S_IFMT == syscall.S_IFREG {
		if err := writable(l.M); err != nil {
			return err
		}
	}
	if created {
		return nil
	}
	return dac.Check(p.Cred, dacFile(a.Attr), mask)
}

// Stat returns the open file's attributes.
func (f *File) Stat() (Stat, error) {
	a, err := f.fs.Stat(f.Loc.Ino)
	return Stat{a, f.Loc.M.Dev}, err
}

// Flags returns the flags the file was opened with.
func (f *File) Flags() int { return f.flags }

// Close releases the file; an unlinked inode is freed on its last close.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return syscall.EBADF
	}
	f.closed = true
	f.Loc.M.open.Add(-1)
	if f.flags&linux.O_PATH != 0 {
		return nil
	}
	return f.fs.Release(f.Loc.Ino)
}

func (f *File) canRead() error {
	if f.flags&linux.O_PATH != 0 || f.flags&linux.O_ACCMODE == linux.O_WRONLY {
		return syscall.EBADF
	}
	return nil
}

func (f *File) canWrite() error {
	if f.flags&linux.O_PATH != 0 || f.flags&linux.O_ACCMODE == linux.O_RDONLY {
		return syscall.EBADF
	}
	return nil
}

// Read reads at the file offset and advances it.
func (f *File) Read(b []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.pread(b, f.off)
	f.off += int64(n)
	return n, err
}

// Pread reads at off without moving the file offset.
func (f *File) Pread(b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, syscall.EINVAL
	}
	return f.pread(b, off)
}

func (f *File) pread(b []byte, off int64) (int, error) {
	if err := f.canRead(); err != nil {
		return 0, err
	}
	switch {
	case f.dev != nil:
		return f.dev.ReadAt(b, off)
	case f.mode == syscall.S_IFDIR:
		return 0, syscall.EISDIR
	case f.mode != syscall.S_IFREG:
		return 0, syscall.EINVAL
	}
	return f.fs.ReadAt(f.Loc.Ino, b, off)
}

// Write writes at the file offset, or at the end with O_APPEND, and
// advances the offset.
func (f *File) Write(b []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.flags&linux.O_APPEND != 0 && f.dev == nil {
		off, n, err := f.appendWrite(b)
		f.off = off + int64(n)
		return n, err
	}
	n, err := f.pwrite(b, f.off)
	f.off += int64(n)
	return n, err
}

// appendWrite writes b at the end of the file and says where that was.
func (f *File) appendWrite(b []byte) (int64, int, error) {
	f.v.appendMu.Lock()
	defer f.v.appendMu.Unlock()
	a, err := f.fs.Stat(f.Loc.Ino)
	if err != nil {
		return 0, 0, err
	}
	n, err := f.pwrite(b, int64(a.Size))
	return int64(a.Size), n, err
}

// Pwrite writes at off without moving the file offset. As on Linux, a
// file opened with O_APPEND is written at its end regardless of off.
func (f *File) Pwrite(b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, syscall.EINVAL
	}
	if f.flags&linux.O_APPEND != 0 && f.dev == nil {
		_, n, err := f.appendWrite(b)
		return n, err
	}
	return f.pwrite(b, off)
}

func (f *File) pwrite(b []byte, off int64) (int, error) {
	if err := f.canWrite(); err != nil {
		return 0, err
	}
	if f.dev != nil {
		return f.dev.WriteAt(b, off)
	}
	if f.mode != syscall.S_IFREG {
		return 0, syscall.EINVAL
	}
	if len(b) == 0 {
		return 0, nil
	}
	a, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if a.Mode&(syscall.S_ISUID|syscall.S_ISGID) != 0 {
		if err := f.v.killPriv(f.proc, f.Loc, a); err != nil {
			return 0, err
		}
	}
	return f.fs.WriteAt(f.Loc.Ino, b, off)
}

// Seek moves the file offset as lseek(2) does. On a directory the offset
// is a getdents cookie: only SEEK_SET to 0 or to a returned d_off, and
// SEEK_CUR by 0, are meaningful.
func (f *File) Seek(off int64, whence int) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.flags&linux.O_PATH != 0 {
		return 0, syscall.EBADF
	}
	var base int64
	switch whence {
	case 0:
	case 1:
		base = f.off
	case 2, linux.SEEK_DATA, linux.SEEK_HOLE:
		if f.mode == syscall.S_IFDIR {
			return 0, syscall.EINVAL
		}
		a, err := f.fs.Stat(f.Loc.Ino)
		if err != nil {
			return 0, err
		}
		size := int64(a.Size)
		if whence == 2 {
			base = size
			break
		}
		// Files have no holes vfsd reports: all of [0, size) is data.
		if off < 0 || off >= size {
			return 0, syscall.ENXIO
		}
		if whence == linux.SEEK_HOLE {
			off = size
		}
	default:
		return 0, syscall.EINVAL
	}
	if f.dev != nil {
		return 0, nil
	}
	n := base + off
	if (off > 0 && n < base) || n < 0 {
		return 0, syscall.EINVAL
	}
	f.off = n
	return n, nil
}

// Getdents returns directory entries from the file's position, at most
// max of them (all if max <= 0), and moves the position past them. The
// position is the filesystem's cookie, so it stays valid while the
// directory changes.
func (f *File) Getdents(max int) ([]fs.Dirent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.flags&linux.O_PATH != 0 {
		return nil, syscall.EBADF
	}
	if f.mode != syscall.S_IFDIR {
		return nil, syscall.ENOTDIR
	}
	ents, err := f.fs.ReadDir(f.Loc.Ino, uint64(f.off), max)
	if err != nil || len(ents) == 0 {
		return nil, err
	}
	f.off = int64(ents[len(ents)-1].Next)
	return ents, nil
}

// Truncate sets the size of a file open for writing.
func (f *File) Truncate(size int64) error {
	if err := f.canWrite(); err != nil {
		return syscall.EINVAL
	}
	a, err := f.Stat()
	if err != nil {
		return err
	}
	if a.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return syscall.EINVAL
	}
	return f.v.truncate(f.proc, f.Loc, a, size)
}

// Sync flushes the file's filesystem.
func (f *File) Sync() error { return f.fs.Sync() }
