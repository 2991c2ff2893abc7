// Package ext4fs adapts the ext4 engine (package ext4), whose inode
// numbers are 32-bit, to vfsd's fs.FS interface.
package ext4fs

import (
	"aramid/servers/vfsd/ext4"
	"aramid/servers/vfsd/fs"
)

// Magic is EXT4_SUPER_MAGIC, statfs's f_type.
const Magic = 0xEF53

// FS is an ext4 filesystem seen through fs.FS.
type FS struct{ E *ext4.FS }

// New wraps an opened ext4 filesystem.
func New(e *ext4.FS) *FS { return &FS{e} }

// ino narrows a vfs inode number; numbers past 32 bits cannot exist.
func ino(i uint64) uint32 {
	if i > 1<<32-1 {
		return 0
	}
	return uint32(i)
}

func (f *FS) Root() uint64 { return uint64(f.E.Root()) }

func (f *FS) Stat(i uint64) (fs.Attr, error) {
	a, err := f.E.Stat(ino(i))
	return fs.Attr{Ino: uint64(a.Ino), Mode: a.Mode, UID: a.UID, GID: a.GID, Size: a.Size,
		Nlink: a.Nlink, Blocks: a.Blocks, Rdev: a.Rdev, Atime: a.Atime, Mtime: a.Mtime,
		Ctime: a.Ctime, Crtime: a.Crtime}, err
}

func (f *FS) Lookup(dir uint64, name string) (uint64, error) {
	i, err := f.E.Lookup(ino(dir), name)
	return uint64(i), err
}

func (f *FS) ReadDir(dir, cookie uint64, max int) ([]fs.Dirent, error) {
	es, err := f.E.ReadDir(ino(dir), cookie, max)
	out := make([]fs.Dirent, len(es))
	for i, e := range es {
		out[i] = fs.Dirent{Name: e.Name, Ino: uint64(e.Ino), Type: e.Type, Next: e.Next}
	}
	return out, err
}

func (f *FS) ReadAt(i uint64, p []byte, off int64) (int, error) {
	return f.E.ReadAt(ino(i), p, off)
}

func (f *FS) WriteAt(i uint64, p []byte, off int64) (int, error) {
	return f.E.WriteAt(ino(i), p, off)
}

func (f *FS) Readlink(i uint64) (string, error) { return f.E.Readlink(ino(i)) }

func (f *FS) Create(dir uint64, name string, perm, uid, gid uint32) (uint64, error) {
	i, err := f.E.Create(ino(dir), name, perm, uid, gid)
	return uint64(i), err
}

func (f *FS) Mknod(dir uint64, name string, mode uint32, rdev uint64, uid, gid uint32) (uint64, error) {
	i, err := f.E.Mknod(ino(dir), name, mode, rdev, uid, gid)
	return uint64(i), err
}

func (f *FS) Mkdir(dir uint64, name string, perm, uid, gid uint32) (uint64, error) {
	i, err := f.E.Mkdir(ino(dir), name, perm, uid, gid)
	return uint64(i), err
}

func (f *FS) Symlink(dir uint64, name, target string, uid, gid uint32) (uint64, error) {
	i, err := f.E.Symlink(ino(dir), name, target, uid, gid)
	return uint64(i), err
}

func (f *FS) Link(i, dir uint64, name string) error { return f.E.Link(ino(i), ino(dir), name) }
func (f *FS) Unlink(dir uint64, name string) error  { return f.E.Unlink(ino(dir), name) }
func (f *FS) Rmdir(dir uint64, name string) error   { return f.E.Rmdir(ino(dir), name) }

func (f *FS) Rename(od uint64, on string, nd uint64, nn string) error {
	return f.E.Rename(ino(od), on, ino(nd), nn)
}

func (f *FS) Truncate(i uint64, size uint64) error { return f.E.Truncate(ino(i), size) }

func (f *FS) SetAttr(i uint64, s fs.SetAttr) error {
	return f.E.SetAttr(ino(i), ext4.SetAttrs{Mode: s.Mode, UID: s.UID, GID: s.GID,
		Atime: s.Atime, Mtime: s.Mtime})
}

func (f *FS) Statfs() (fs.Statfs, error) {
	s, err := f.E.Statfs()
	if err != nil {
		return fs.Statfs{}, err
	}
	return fs.Statfs{Type: Magic, BlockSize: s.BlockSize, Blocks: s.Blocks,
		FreeBlocks: s.FreeBlocks, AvailBlocks: s.AvailBlocks, Files: s.Files,
		FreeFiles: s.FreeFiles, NameLen: s.NameLen}, nil
}

func (f *FS) Sync() error            { return f.E.Sync() }
func (f *FS) Acquire(i uint64)       { f.E.Acquire(ino(i)) }
func (f *FS) Release(i uint64) error { return f.E.Release(ino(i)) }

var _ fs.FS = (*FS)(nil)
