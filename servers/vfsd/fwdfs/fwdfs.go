// Package fwdfs mounts a filesystem that another server serves by path,
// such as procd's /proc, into vfsd's inode-oriented namespace.
//
// The remote side names files by their path below the mount point, and
// answers per caller ("self" is the caller's pid, permissions are the
// caller's). fwdfs therefore gives each path it has seen a stable inode
// number, and is an fs.Binder: the namespace binds it to the calling
// process before each operation, and the bound view passes that pid and
// credential on every call.
package fwdfs

import (
	"context"
	"path"
	"sync"
	"syscall"
	"time"

	"aramid/lib/linux/dac"
	"aramid/proto/authpb"
	"aramid/proto/procpb"
	"aramid/servers/vfsd/fs"
)

// Client is the part of procd's protocol that a mount needs; the
// generated *procpb.ProcClient implements it.
type Client interface {
	Lookup(ctx context.Context, in *procpb.LookupRequest) (*procpb.Attr, error)
	ReadFile(ctx context.Context, in *procpb.ReadFileRequest) (*procpb.ReadFileReply, error)
	ReadDir(ctx context.Context, in *procpb.ReadDirRequest) (*procpb.ReadDirReply, error)
	Readlink(ctx context.Context, in *procpb.ReadlinkRequest) (*procpb.ReadlinkReply, error)
	WriteFile(ctx context.Context, in *procpb.WriteFileRequest) (*procpb.WriteFileReply, error)
}

// Magic is PROC_SUPER_MAGIC, statfs's f_type for /proc.
const Magic = 0x9fa0

// FS is a forwarded mount. Its own methods act as pid 0 with the
// credential of nobody; Bind gives a caller's view.
type FS struct {
	view
}

// table numbers the paths a mount has seen; all views share it.
type table struct {
	c     Client
	mu    sync.Mutex
	paths map[uint64]string // inode -> path below the mount ("" is the root)
	inos  map[string]uint64
	next  uint64
	now   time.Time
}

// New returns a mount that forwards to c.
func New(c Client) *FS {
	t := &table{c: c, paths: map[uint64]string{1: ""}, inos: map[string]uint64{"": 1}, next: 2,
		now: time.Now()}
	return &FS{view{f: t, pid: 0, cred: nobody}}
}

// nobody is the credential of calls not bound to a caller.
var nobody = &authpb.Cred{Fsuid: 65534, Fsgid: 65534, Euid: 65534, Egid: 65534}

// Bind returns the view of the process pid with credential cred.
func (f *FS) Bind(pid int32, cred *dac.Cred) fs.FS {
	c := &authpb.Cred{Fsuid: cred.FSUID, Fsgid: cred.FSGID, Euid: cred.FSUID, Egid: cred.FSGID,
		Groups: cred.Groups, CapEffective: uint64(cred.Caps)}
	return &view{f: f.f, pid: uint32(pid), cred: c}
}

// view is FS bound to a caller.
type view struct {
	f    *table
	pid  uint32
	cred *authpb.Cred
}

func (f *table) ino(p string) uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i, ok := f.inos[p]; ok {
		return i
	}
	i := f.next
	f.next++
	f.inos[p], f.paths[i] = i, p
	return i
}

func (f *table) path(ino uint64) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.paths[ino]
	if !ok {
		return "", syscall.ESTALE
	}
	return p, nil
}

func (v *view) lookup(p string) (*procpb.Attr, error) {
	if p == "" {
		return &procpb.Attr{Mode: syscall.S_IFDIR | 0555, Nlink: 1}, nil
	}
	return v.f.c.Lookup(context.Background(), &procpb.LookupRequest{Cred: v.cred, Pid: v.pid, Path: []byte(p)})
}

func (v *view) Root() uint64 { return 1 }

func (v *view) Stat(ino uint64) (fs.Attr, error) {
	p, err := v.f.path(ino)
	if err != nil {
		return fs.Attr{}, err
	}
	a, err := v.lookup(p)
	if err != nil {
		return fs.Attr{}, err
	}
	t := v.f.now
	return fs.Attr{Ino: ino, Mode: a.GetMode(), UID: a.GetUid(), GID: a.GetGid(), Size: a.GetSize(),
		Nlink: max(a.GetNlink(), 1), Atime: t, Mtime: t, Ctime: t}, nil
}

func (v *view) Lookup(dir uint64, name string) (uint64, error) {
	d, err := v.f.path(dir)
	if err != nil {
		return 0, err
	}
	switch name {
	case ".":
		return dir, nil
	case "..":
		if d == "" {
			return dir, nil
		}
		if p := path.Dir(d); p != "." {
			return v.f.ino(p), nil
		}
		return 1, nil
	}
	p := path.Join(d, name)
	if _, err := v.lookup(p); err != nil {
		return 0, err
	}
	return v.f.ino(p), nil
}

// ReadDir gives "." and ".." cookies 0 and 1, and the remote entry at
// index i the cookie i+2.
func (v *view) ReadDir(dir, cookie uint64, max int) ([]fs.Dirent, error) {
	d, err := v.f.path(dir)
	if err != nil {
		return nil, err
	}
	var out []fs.Dirent
	full := func() bool { return max > 0 && len(out) >= max }
	for ; cookie < 2 && !full(); cookie++ {
		name := [2]string{".", ".."}[cookie]
		ino, _ := v.Lookup(dir, name)
		out = append(out, fs.Dirent{Name: name, Ino: ino, Type: syscall.DT_DIR, Next: cookie + 1})
	}
	for !full() {
		rep, err := v.f.c.ReadDir(context.Background(), &procpb.ReadDirRequest{Cred: v.cred,
			Pid: v.pid, Path: []byte(d), Offset: cookie - 2})
		if err != nil {
			return out, err
		}
		for _, e := range rep.GetEntries() {
			if full() {
				return out, nil
			}
			cookie++
			out = append(out, fs.Dirent{Name: string(e.GetName()), Ino: v.f.ino(path.Join(d, string(e.GetName()))),
				Type: uint8(e.GetType()), Next: cookie})
		}
		if rep.GetEof() || len(rep.GetEntries()) == 0 {
			break
		}
	}
	return out, nil
}

func (v *view) ReadAt(ino uint64, p []byte, off int64) (int, error) {
	name, err := v.f.path(ino)
	if err != nil {
		return 0, err
	}
	n := 0
	for n < len(p) {
		rep, err := v.f.c.ReadFile(context.Background(), &procpb.ReadFileRequest{Cred: v.cred,
			Pid: v.pid, Path: []byte(name), Offset: uint64(off) + uint64(n), Length: uint32(min(len(p)-n, 1<<15))})
		if err != nil {
			return n, err
		}
		n += copy(p[n:], rep.GetData())
		if rep.GetEof() || len(rep.GetData()) == 0 {
			break
		}
	}
	return n, nil
}

// WriteAt forwards a write at offset 0, which is what /proc/sys accepts.
func (v *view) WriteAt(ino uint64, p []byte, off int64) (int, error) {
	name, err := v.f.path(ino)
	if err != nil {
		return 0, err
	}
	if off != 0 {
		return 0, syscall.EINVAL
	}
	rep, err := v.f.c.WriteFile(context.Background(), &procpb.WriteFileRequest{Cred: v.cred,
		Pid: v.pid, Path: []byte(name), Data: p})
	if err != nil {
		return 0, err
	}
	return int(rep.GetWritten()), nil
}

func (v *view) Readlink(ino uint64) (string, error) {
	name, err := v.f.path(ino)
	if err != nil {
		return "", err
	}
	rep, err := v.f.c.Readlink(context.Background(), &procpb.ReadlinkRequest{Cred: v.cred,
		Pid: v.pid, Path: []byte(name)})
	if err != nil {
		return "", err
	}
	return string(rep.GetTarget()), nil
}

// The namespace of a forwarded mount is the remote server's: names cannot
// be made or removed through it. The errnos are Linux's for an inode
// without the operation: EACCES for create, EPERM for the rest.
func (v *view) Create(uint64, string, uint32, uint32, uint32) (uint64, error) {
	return 0, syscall.EACCES
}
func (v *view) Mknod(uint64, string, uint32, uint64, uint32, uint32) (uint64, error) {
	return 0, syscall.EPERM
}
func (v *view) Mkdir(uint64, string, uint32, uint32, uint32) (uint64, error) {
	return 0, syscall.EPERM
}
func (v *view) Symlink(uint64, string, string, uint32, uint32) (uint64, error) {
	return 0, syscall.EPERM
}
func (v *view) Link(uint64, uint64, string) error           { return syscall.EPERM }
func (v *view) Unlink(uint64, string) error                 { return syscall.EPERM }
func (v *view) Rmdir(uint64, string) error                  { return syscall.EPERM }
func (v *view) Rename(uint64, string, uint64, string) error { return syscall.EPERM }
func (v *view) SetAttr(uint64, fs.SetAttr) error            { return syscall.EPERM }
func (v *view) Sync() error                                 { return nil }
func (v *view) Acquire(uint64)                              {}
func (v *view) Release(uint64) error                        { return nil }

// Truncate succeeds without effect, so O_TRUNC opens of /proc/sys files
// work as on Linux, where their contents are replaced by the write.
func (v *view) Truncate(uint64, uint64) error { return nil }

func (v *view) Statfs() (fs.Statfs, error) {
	return fs.Statfs{Type: Magic, BlockSize: 4096, NameLen: 255}, nil
}

var (
	_ fs.FS     = (*FS)(nil)
	_ fs.Binder = (*FS)(nil)
	_ Client    = (*procpb.ProcClient)(nil)
)
