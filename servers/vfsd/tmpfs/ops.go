package tmpfs

import (
	"sort"
	"syscall"

	"aramid/servers/vfsd/fs"
)

func checkName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return syscall.EINVAL
	case len(name) > 255:
		return syscall.ENAMETOOLONG
	}
	for i := 0; i < len(name); i++ {
		if name[i] == '/' || name[i] == 0 {
			return syscall.EINVAL
		}
	}
	return nil
}

// dirForCreate returns directory d, checking that name may be added.
func (f *FS) dirForCreate(d uint64, name string) (*inode, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	in, err := f.getDir(d)
	if err != nil {
		return nil, err
	}
	if in.attr.Nlink == 0 {
		return nil, syscall.ENOENT
	}
	if in.dir.byName[name] != nil {
		return nil, syscall.EEXIST
	}
	return in, nil
}

func (f *FS) insert(d *inode, name string, ino uint64) {
	e := &dent{name: name, ino: ino, serial: d.dir.serial}
	d.dir.serial++
	d.dir.byName[name] = e
	d.dir.entries = append(d.dir.entries, e)
	f.touch(d, false, true)
}

func (f *FS) remove(d *inode, name string) {
	e := d.dir.byName[name]
	delete(d.dir.byName, name)
	es := d.dir.entries
	i := sort.Search(len(es), func(i int) bool { return es[i].serial >= e.serial })
	d.dir.entries = append(es[:i], es[i+1:]...)
	f.touch(d, false, true)
}

func (f *FS) create(d uint64, name string, mode, uid, gid uint32) (*inode, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, err := f.dirForCreate(d, name)
	if err != nil {
		return nil, err
	}
	in := f.newInode(mode, uid, gid)
	if fs.IsDir(mode) {
		in.dir = &dir{parent: d, byName: map[string]*dent{}, serial: 2}
		in.attr.Nlink = 2
		p.attr.Nlink++
	}
	f.insert(p, name, in.attr.Ino)
	return in, nil
}

// Create makes a regular file.
func (f *FS) Create(d uint64, name string, perm, uid, gid uint32) (uint64, error) {
	return f.Mknod(d, name, syscall.S_IFREG|perm&07777, 0, uid, gid)
}

// Mknod makes a regular file, fifo, socket or device node.
func (f *FS) Mknod(d uint64, name string, mode uint32, rdev uint64, uid, gid uint32) (uint64, error) {
	switch mode & syscall.S_IFMT {
	case syscall.S_IFREG, syscall.S_IFIFO, syscall.S_IFSOCK, syscall.S_IFCHR, syscall.S_IFBLK:
	default:
		return 0, syscall.EINVAL
	}
	in, err := f.create(d, name, mode&(syscall.S_IFMT|07777), uid, gid)
	if err != nil {
		return 0, err
	}
	in.attr.Rdev = rdev
	return in.attr.Ino, nil
}

// Mkdir makes a directory.
func (f *FS) Mkdir(d uint64, name string, perm, uid, gid uint32) (uint64, error) {
	in, err := f.create(d, name, syscall.S_IFDIR|perm&07777, uid, gid)
	if err != nil {
		return 0, err
	}
	return in.attr.Ino, nil
}

// Symlink makes a symbolic link to target.
func (f *FS) Symlink(d uint64, name, target string, uid, gid uint32) (uint64, error) {
	if len(target) == 0 {
		return 0, syscall.ENOENT
	}
	if len(target) >= 4096 {
		return 0, syscall.ENAMETOOLONG
	}
	in, err := f.create(d, name, syscall.S_IFLNK|0777, uid, gid)
	if err != nil {
		return 0, err
	}
	in.target = target
	in.attr.Size = uint64(len(target))
	return in.attr.Ino, nil
}

// Readlink returns a symlink's target.
func (f *FS) Readlink(ino uint64) (string, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	in, err := f.get(ino)
	if err != nil {
		return "", err
	}
	if in.attr.Mode&syscall.S_IFMT != syscall.S_IFLNK {
		return "", syscall.EINVAL
	}
	return in.target, nil
}

// Link adds name in d for inode ino.
func (f *FS) Link(ino, d uint64, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	in, err := f.get(ino)
	if err != nil {
		return err
	}
	if in.dir != nil {
		return syscall.EPERM
	}
	if in.attr.Nlink == 0 {
		return syscall.ENOENT
	}
	p, err := f.dirForCreate(d, name)
	if err != nil {
		return err
	}
	in.attr.Nlink++
	f.touch(in, false, false)
	f.insert(p, name, ino)
	return nil
}

// Unlink removes a non-directory's name.
func (f *FS) Unlink(d uint64, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, in, err := f.child(d, name)
	if err != nil {
		return err
	}
	if in.dir != nil {
		return syscall.EISDIR
	}
	f.remove(p, name)
	f.dropLink(in)
	return nil
}

func (f *FS) child(d uint64, name string) (*inode, *inode, error) {
	if err := checkName(name); err != nil {
		return nil, nil, err
	}
	p, err := f.getDir(d)
	if err != nil {
		return nil, nil, err
	}
	e := p.dir.byName[name]
	if e == nil {
		return nil, nil, syscall.ENOENT
	}
	return p, f.inodes[e.ino], nil
}

func (f *FS) dropLink(in *inode) {
	in.attr.Nlink--
	if in.dir != nil {
		in.attr.Nlink = 0
	}
	f.touch(in, false, false)
	f.maybeFree(in)
}

func (f *FS) maybeFree(in *inode) {
	if in.attr.Nlink > 0 || in.refs > 0 {
		return
	}
	f.pages -= int64(len(in.data))
	delete(f.inodes, in.attr.Ino)
}

// Rmdir removes an empty directory.
func (f *FS) Rmdir(d uint64, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, in, err := f.child(d, name)
	if err != nil {
		return err
	}
	if in.dir == nil {
		return syscall.ENOTDIR
	}
	if len(in.dir.entries) > 0 {
		return syscall.ENOTEMPTY
	}
	f.remove(p, name)
	p.attr.Nlink--
	f.dropLink(in)
	return nil
}

// Rename moves oldName to newName, replacing a compatible target.
func (f *FS) Rename(od uint64, oldName string, nd uint64, newName string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	op, src, err := f.child(od, oldName)
	if err != nil {
		return err
	}
	np, err := f.getDir(nd)
	if err != nil {
		return err
	}
	if err := checkName(newName); err != nil {
		return err
	}
	if src.dir != nil && f.isAncestor(src.attr.Ino, nd) {
		return syscall.EINVAL
	}
	if e := np.dir.byName[newName]; e != nil {
		if e.ino == src.attr.Ino {
			return nil
		}
		if err := f.replace(np, newName, src, f.inodes[e.ino]); err != nil {
			return err
		}
	}
	f.remove(op, oldName)
	f.insert(np, newName, src.attr.Ino)
	if src.dir != nil && od != nd {
		src.dir.parent = nd
		op.attr.Nlink--
		np.attr.Nlink++
	}
	f.touch(src, false, false)
	return nil
}

// replace removes the existing target of a rename, if src may replace it.
func (f *FS) replace(np *inode, name string, src, old *inode) error {
	switch {
	case src.dir != nil && old.dir == nil:
		return syscall.ENOTDIR
	case src.dir == nil && old.dir != nil:
		return syscall.EISDIR
	case old.dir != nil && len(old.dir.entries) > 0:
		return syscall.ENOTEMPTY
	}
	f.remove(np, name)
	if old.dir != nil {
		np.attr.Nlink--
	}
	f.dropLink(old)
	return nil
}

// isAncestor reports whether directory a is d or one of d's ancestors.
func (f *FS) isAncestor(a, d uint64) bool {
	for {
		if d == a {
			return true
		}
		in := f.inodes[d]
		if in == nil || in.dir.parent == d {
			return false
		}
		d = in.dir.parent
	}
}

// SetAttr changes mode, owner and times.
func (f *FS) SetAttr(ino uint64, s fs.SetAttr) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	in, err := f.get(ino)
	if err != nil {
		return err
	}
	if s.Mode != nil {
		in.attr.Mode = in.attr.Mode&syscall.S_IFMT | *s.Mode&07777
	}
	if s.UID != nil {
		in.attr.UID = *s.UID
	}
	if s.GID != nil {
		in.attr.GID = *s.GID
	}
	if s.Atime != nil {
		in.attr.Atime = *s.Atime
	}
	if s.Mtime != nil {
		in.attr.Mtime = *s.Mtime
	}
	in.attr.Ctime = f.opt.Now()
	return nil
}

// Statfs reports the pages in use against MaxBytes.
func (f *FS) Statfs() (fs.Statfs, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	total := uint64(f.opt.MaxBytes / pageSize)
	if total == 0 {
		total = uint64(f.pages) + 1<<20
	}
	free := total - min(total, uint64(f.pages))
	return fs.Statfs{Type: Magic, BlockSize: pageSize, Blocks: total, FreeBlocks: free,
		AvailBlocks: free, Files: uint64(len(f.inodes)) + 1<<20, FreeFiles: 1 << 20, NameLen: 255}, nil
}

// Sync does nothing: the data is in memory.
func (f *FS) Sync() error { return nil }

// Acquire pins ino while it is open.
func (f *FS) Acquire(ino uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if in := f.inodes[ino]; in != nil {
		in.refs++
	}
}

// Release unpins ino, freeing it if it has no names left.
func (f *FS) Release(ino uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	in := f.inodes[ino]
	if in == nil {
		return syscall.ESTALE
	}
	if in.refs > 0 {
		in.refs--
	}
	f.maybeFree(in)
	return nil
}

var _ fs.FS = (*FS)(nil)
