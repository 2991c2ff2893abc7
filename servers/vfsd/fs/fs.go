// Package fs is the interface between vfsd's namespace layer and the
// filesystems it mounts (ext4, tmpfs, devfs, filesystems forwarded to
// other servers).
//
// The interface is inode-oriented, like the ext4 engine's own API, so a
// filesystem knows nothing of paths, mounts, symlink following or
// permissions: those belong to package vfs, which resolves a path to an
// inode number on a mount and then calls the filesystem. Errors are
// syscall.Errno values, which vfsd passes to the caller unchanged.
package fs

import (
	"syscall"
	"time"

	"aramid/lib/linux/dac"
)

// Attr is an inode's metadata, in stat(2)'s units.
type Attr struct {
	Ino    uint64
	Mode   uint32 // file type and permission bits, as st_mode
	UID    uint32
	GID    uint32
	Size   uint64
	Nlink  uint32
	Blocks uint64 // 512-byte units
	Rdev   uint64 // Linux dev_t encoding
	Atime  time.Time
	Mtime  time.Time
	Ctime  time.Time
	Crtime time.Time // zero if unknown
}

// Dirent is one directory entry returned by ReadDir.
type Dirent struct {
	Name string
	Ino  uint64
	Type uint8 // DT_* as in getdents64
	// Next is the cookie that resumes the listing after this entry. A
	// filesystem must keep cookies valid while entries are added and
	// removed, so a getdents loop neither skips nor repeats an entry that
	// stays in the directory.
	Next uint64
}

// SetAttr names the attributes SetAttr changes; nil fields stay.
type SetAttr struct {
	Mode         *uint32 // permission bits (07777)
	UID, GID     *uint32
	Atime, Mtime *time.Time
}

// Statfs is a filesystem's capacity, as statfs(2) reports it.
type Statfs struct {
	Type        uint64 // f_type magic
	BlockSize   int64
	Blocks      uint64
	FreeBlocks  uint64
	AvailBlocks uint64
	Files       uint64
	FreeFiles   uint64
	NameLen     int
}

// FS is a mountable filesystem. Names passed in are single path
// components, never "" and never containing '/'; the namespace layer has
// checked permissions before calling. All methods are safe for concurrent
// use.
type FS interface {
	Root() uint64
	Stat(ino uint64) (Attr, error)
	// Lookup finds name in dir; "." and ".." are answered too (".." of
	// the root is the root).
	Lookup(dir uint64, name string) (uint64, error)
	// ReadDir returns up to max entries (all if max <= 0) from cookie (0
	// is the beginning), "." and ".." included. An empty result is the end.
	ReadDir(dir uint64, cookie uint64, max int) ([]Dirent, error)
	ReadAt(ino uint64, p []byte, off int64) (int, error)
	WriteAt(ino uint64, p []byte, off int64) (int, error)
	Readlink(ino uint64) (string, error)
	// Create makes a regular file with permission bits perm.
	Create(dir uint64, name string, perm, uid, gid uint32) (uint64, error)
	// Mknod makes a file of the type in mode's S_IFMT bits: regular,
	// fifo, socket, character or block device.
	Mknod(dir uint64, name string, mode uint32, rdev uint64, uid, gid uint32) (uint64, error)
	Mkdir(dir uint64, name string, perm, uid, gid uint32) (uint64, error)
	Symlink(dir uint64, name, target string, uid, gid uint32) (uint64, error)
	Link(ino, dir uint64, name string) error
	Unlink(dir uint64, name string) error
	Rmdir(dir uint64, name string) error
	// Rename replaces an existing target as rename(2) does: a non-directory
	// replaces a non-directory, a directory an empty directory.
	Rename(oldDir uint64, oldName string, newDir uint64, newName string) error
	Truncate(ino uint64, size uint64) error
	// SetAttr changes the named attributes and sets ctime to now.
	SetAttr(ino uint64, s SetAttr) error
	Statfs() (Statfs, error)
	Sync() error
	// Acquire and Release bracket an open file, so that an inode whose
	// last name is removed while it is open lives until it is closed.
	Acquire(ino uint64)
	Release(ino uint64) error
}

// Binder is implemented by filesystems whose answers depend on who asks,
// such as /proc/self. The namespace layer calls Bind with the caller's
// process id and credential and uses the result for that caller's
// operations.
type Binder interface {
	Bind(pid int32, cred *dac.Cred) FS
}

// DType returns the getdents d_type for a st_mode.
func DType(mode uint32) uint8 {
	return uint8(mode & syscall.S_IFMT >> 12)
}

// IsDir reports whether mode is a directory's.
func IsDir(mode uint32) bool { return mode&syscall.S_IFMT == syscall.S_IFDIR }
