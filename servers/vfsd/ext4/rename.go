package ext4

import "syscall"

// Rename moves oldName in oldDir to newName in newDir, replacing an
// existing target as rename(2) does: a file replaces a file, a directory
// an empty directory.
func (fs *FS) Rename(oldDir uint32, oldName string, newDir uint32, newName string) error {
	for _, n := range []string{oldName, newName} {
		if n == "." || n == ".." {
			return syscall.EINVAL
		}
		if err := checkName(n); err != nil {
			return err
		}
	}
	if err := fs.wlock(); err != nil {
		return err
	}
	defer fs.mu.Unlock()
	od, err := fs.liveInode(oldDir)
	if err != nil {
		return err
	}
	se, err := fs.find(od, oldName)
	if err != nil {
		return err
	}
	src, err := fs.liveInode(se.ino)
	if err != nil {
		return err
	}
	nd := od
	if newDir != oldDir {
		if nd, err = fs.liveInode(newDir); err != nil {
			return err
		}
		if !nd.isDir() {
			return syscall.ENOTDIR
		}
		if nd.links() == 0 {
			return syscall.ENOENT
		}
	}
	de, err := fs.find(nd, newName)
	if err != nil && err != syscall.ENOENT {
		return err
	}
	exists := err == nil
	if exists && de.ino == src.ino {
		return nil
	}
	if src.isDir() && newDir != oldDir {
		if err := fs.checkNotAncestor(src.ino, newDir); err != nil {
			return err
		}
	}
	// Inline-data directories are read-only here; refuse before changing
	// anything rather than leave a half-done rename.
	if isInline(od) || isInline(nd) || src.isDir() && isInline(src) && newDir != oldDir {
		return syscall.EOPNOTSUPP
	}
	ft := ftypeOf(src.mode())
	if exists {
		if err := fs.replace(nd, newName, src, de.ino); err != nil {
			return err
		}
	} else if err := fs.addEntry(nd, newName, src.ino, ft); err != nil {
		return err
	}
	if _, err := fs.removeEntry(od, oldName); err != nil {
		return err
	}
	if src.isDir() && newDir != oldDir {
		if err := fs.retarget(src, "..", newDir, 2); err != nil {
			return err
		}
		fs.decLinks(od)
		if err := fs.writeInode(od); err != nil {
			return err
		}
		fs.incLinks(nd)
		if err := fs.writeInode(nd); err != nil {
			return err
		}
	}
	fs.touch(src, false, false, true)
	return fs.writeInode(src)
}

// replace points entry name in nd at src, dropping the inode it named.
func (fs *FS) replace(nd *inode, name string, src *inode, old uint32) error {
	dst, err := fs.liveInode(old)
	if err != nil {
		return err
	}
	if src.isDir() {
		if !dst.isDir() {
			return syscall.ENOTDIR
		}
		empty, err := fs.isEmptyDir(dst)
		if err != nil {
			return err
		}
		if !empty {
			return syscall.ENOTEMPTY
		}
	} else if dst.isDir() {
		return syscall.EISDIR
	}
	if err := fs.retarget(nd, name, src.ino, ftypeOf(src.mode())); err != nil {
		return err
	}
	if dst.isDir() {
		fs.decLinks(nd) // dst's ".." no longer points at nd
		if err := fs.writeInode(nd); err != nil {
			return err
		}
	}
	return fs.dropLink(dst)
}

// checkNotAncestor fails with EINVAL if dir is ino or lies below it.
func (fs *FS) checkNotAncestor(ino, dir uint32) error {
	for steps := uint32(0); steps <= fs.sb.inodesCount; steps++ {
		if dir == ino {
			return syscall.EINVAL
		}
		if dir == RootIno {
			return nil
		}
		d, err := fs.liveInode(dir)
		if err != nil {
			return err
		}
		e, err := fs.find(d, "..")
		if err != nil {
			return err
		}
		dir = e.ino
	}
	return syscall.EIO
}
