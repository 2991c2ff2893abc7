// Package vfs is vfsd's namespace: the mount table, path resolution,
// permission checks and open files, over filesystems that speak the
// inode-oriented interface of package fs.
//
// Resolution follows Linux's namei: symlinks are followed up to 40 times
// per call (ELOOP after), ".." stops at the caller's root and climbs out
// of a mount through its mount point, a name longer than 255 bytes or a
// path of 4096 bytes or more is ENAMETOOLONG, and a trailing slash
// demands a directory. Permissions are decided by authd's pure DAC rules
// (package dac), so vfsd and authd cannot disagree.
package vfs

import (
	"sync"
	"sync/atomic"
	"syscall"

	"aramid/lib/linux/dac"
	"aramid/servers/vfsd/devfs"
	"aramid/servers/vfsd/fs"
)

// Mount flags (mount(2)'s MS_* values).
const (
	ReadOnly = syscall.MS_RDONLY
	NoSuid   = syscall.MS_NOSUID
	NoDev    = syscall.MS_NODEV
	NoExec   = syscall.MS_NOEXEC
)

// Mount is one filesystem attached to the namespace.
type Mount struct {
	FS    fs.FS
	Dev   uint64 // st_dev of its files
	Flags uint64
	// parent and point say where the mount is attached; nil for the root.
	parent *Mount
	point  uint64
	// open counts the open files on the mount; it cannot be unmounted
	// while any is open.
	open atomic.Int64
}

// Loc is a place in the namespace: an inode on a mount.
type Loc struct {
	M   *Mount
	Ino uint64
}

// Proc is the caller of an operation: credential, root and working
// directory (or the directory of an *at call's dirfd), and process id for
// filesystems that answer per process.
type Proc struct {
	Cred *dac.Cred
	Root Loc
	Cwd  Loc
	PID  int32
}

type mountKey struct {
	m   *Mount
	ino uint64
}

// VFS is a namespace.
type VFS struct {
	mu      sync.RWMutex
	root    *Mount
	mounts  map[mountKey]*Mount
	nextDev uint32
	devices devfs.Registry
	// appendMu makes an O_APPEND write's size lookup and write one step,
	// so appenders through different open files never overwrite each
	// other (nginx's workers share their log files this way).
	appendMu sync.Mutex
}

// New returns a namespace whose root is rootFS; character device nodes
// open the devices in reg.
func New(rootFS fs.FS, flags uint64, reg devfs.Registry) *VFS {
	v := &VFS{mounts: map[mountKey]*Mount{}, devices: reg}
	v.root = v.newMount(rootFS, flags)
	return v
}

func (v *VFS) newMount(f fs.FS, flags uint64) *Mount {
	v.nextDev++
	return &Mount{FS: f, Dev: devfs.Mkdev(0, v.nextDev), Flags: flags}
}

// Root returns the namespace's root directory.
func (v *VFS) Root() Loc { return Loc{v.root, v.root.FS.Root()} }

// Mount attaches f on directory at, hiding what was there.
func (v *VFS) Mount(at Loc, f fs.FS, flags uint64) (*Mount, error) {
	a, err := at.M.FS.Stat(at.Ino)
	if err != nil {
		return nil, err
	}
	if !fs.IsDir(a.Mode) {
		return nil, syscall.ENOTDIR
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	m := v.newMount(f, flags)
	m.parent, m.point = at.M, at.Ino
	v.mounts[mountKey{at.M, at.Ino}] = m
	return m, nil
}

// Unmount detaches the mount whose root is at.
func (v *VFS) Unmount(at Loc) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	m := at.M
	if at.Ino != m.FS.Root() {
		return syscall.EINVAL
	}
	if m.parent == nil || m.open.Load() > 0 {
		return syscall.EBUSY
	}
	for k := range v.mounts {
		if k.m == m {
			return syscall.EBUSY
		}
	}
	delete(v.mounts, mountKey{m.parent, m.point})
	return m.FS.Sync()
}

// mountedOn returns the mount attached at l, or nil.
func (v *VFS) mountedOn(l Loc) *Mount {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.mounts[mountKey{l.M, l.Ino}]
}

// isMountPoint reports whether l has a filesystem mounted on it or is a
// mount's root.
func (v *VFS) isMountPoint(l Loc) bool {
	return v.mountedOn(l) != nil || (l.Ino == l.M.FS.Root() && l.M.parent != nil)
}

// fsFor returns m's filesystem as p sees it.
func (m *Mount) fsFor(p *Proc) fs.FS {
	if b, ok := m.FS.(fs.Binder); ok {
		return b.Bind(p.PID, p.Cred)
	}
	return m.FS
}

// Stat is a file's attributes together with its mount's device.
type Stat struct {
	fs.Attr
	Dev uint64
}

func (v *VFS) stat(p *Proc, l Loc) (Stat, error) {
	a, err := l.M.fsFor(p).Stat(l.Ino)
	return Stat{a, l.M.Dev}, err
}

func dacFile(a fs.Attr) dac.File { return dac.File{Mode: a.Mode, UID: a.UID, GID: a.GID} }
