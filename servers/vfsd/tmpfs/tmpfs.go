// Package tmpfs is an in-memory filesystem: vfsd's /tmp, /dev (devfs is a
// tmpfs with device nodes) and the root before a disk is mounted.
//
// File data lives in 4 KiB pages held in a map, so sparse files cost only
// the pages written, and st_blocks counts those pages as Linux's tmpfs
// does. Directory entries carry a serial number given when they are
// inserted; the serial is the getdents cookie, so a listing in progress
// stays stable while entries come and go: removed entries vanish, entries
// added later appear at the end, and none is repeated.
package tmpfs

import (
	"sort"
	"sync"
	"syscall"
	"time"

	"aramid/servers/vfsd/fs"
)

const pageSize = 4096

// Magic is TMPFS_MAGIC, statfs's f_type.
const Magic = 0x01021994

// maxFileSize bounds offsets as Linux's MAX_LFS_FILESIZE does.
const maxFileSize = 1<<63 - 1

// Options configure a new tmpfs.
type Options struct {
	// Mode, UID and GID are the root directory's permission and owner.
	Mode     uint32
	UID, GID uint32
	// MaxBytes bounds the data held (pages); 0 means unlimited.
	MaxBytes int64
	// Now supplies timestamps; time.Now if nil.
	Now func() time.Time
}

// FS is a tmpfs instance.
type FS struct {
	mu     sync.RWMutex
	opt    Options
	inodes map[uint64]*inode
	next   uint64
	pages  int64
}

type inode struct {
	attr   fs.Attr
	data   map[int64][]byte // page index -> page
	target string           // symlink target
	dir    *dir
	refs   int // open references (Acquire)
}

type dir struct {
	parent  uint64
	byName  map[string]*dent
	entries []*dent // ascending serial
	serial  uint64
}

type dent struct {
	name   string
	ino    uint64
	serial uint64
}

// New returns an empty tmpfs whose root has opt's mode and owner.
func New(opt Options) *FS {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	f := &FS{opt: opt, inodes: map[uint64]*inode{}, next: 1}
	root := f.newInode(syscall.S_IFDIR|opt.Mode&07777, opt.UID, opt.GID)
	root.dir = &dir{parent: root.attr.Ino, byName: map[string]*dent{}, serial: 2}
	root.attr.Nlink = 2
	return f
}

func (f *FS) newInode(mode, uid, gid uint32) *inode {
	now := f.opt.Now()
	in := &inode{attr: fs.Attr{Ino: f.next, Mode: mode, UID: uid, GID: gid, Nlink: 1,
		Atime: now, Mtime: now, Ctime: now, Crtime: now}}
	f.inodes[f.next] = in
	f.next++
	return in
}

// Root returns the root directory's inode number.
func (f *FS) Root() uint64 { return 1 }

func (f *FS) get(ino uint64) (*inode, error) {
	in := f.inodes[ino]
	if in == nil {
		return nil, syscall.ESTALE
	}
	return in, nil
}

func (f *FS) getDir(ino uint64) (*inode, error) {
	in, err := f.get(ino)
	if err != nil {
		return nil, err
	}
	if in.dir == nil {
		return nil, syscall.ENOTDIR
	}
	return in, nil
}

// Stat returns ino's attributes.
func (f *FS) Stat(ino uint64) (fs.Attr, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	in, err := f.get(ino)
	if err != nil {
		return fs.Attr{}, err
	}
	return in.attr, nil
}

// Lookup finds name in directory d.
func (f *FS) Lookup(d uint64, name string) (uint64, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	in, err := f.getDir(d)
	if err != nil {
		return 0, err
	}
	switch name {
	case ".":
		return d, nil
	case "..":
		return in.dir.parent, nil
	}
	e := in.dir.byName[name]
	if e == nil {
		return 0, syscall.ENOENT
	}
	return e.ino, nil
}

// ReadDir lists directory d from cookie: 0 is ".", 1 is "..", and every
// other entry's cookie is its serial.
func (f *FS) ReadDir(d uint64, cookie uint64, max int) ([]fs.Dirent, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	in, err := f.getDir(d)
	if err != nil {
		return nil, err
	}
	var out []fs.Dirent
	full := func() bool { return max > 0 && len(out) >= max }
	if cookie == 0 {
		out = append(out, fs.Dirent{Name: ".", Ino: d, Type: syscall.DT_DIR, Next: 1})
		cookie = 1
	}
	if cookie == 1 && !full() {
		out = append(out, fs.Dirent{Name: "..", Ino: in.dir.parent, Type: syscall.DT_DIR, Next: 2})
	}
	es := in.dir.entries
	i := sort.Search(len(es), func(i int) bool { return es[i].serial >= cookie })
	for ; i < len(es) && !full(); i++ {
		e := es[i]
		out = append(out, fs.Dirent{Name: e.name, Ino: e.ino,
			Type: fs.DType(f.inodes[e.ino].attr.Mode), Next: e.serial + 1})
	}
	return out, nil
}
