// Package devfs provides vfsd's character devices and the /dev tree that
// names them.
//
// As with Linux's devtmpfs, /dev is an ordinary tmpfs holding device
// nodes; what makes a node a device is its rdev, which the namespace
// layer looks up in a Registry when the node is opened. A device node
// made with mknod on any filesystem (ext4 included) therefore opens the
// same device, and /dev can hold ordinary files and directories too.
package devfs

import (
	"crypto/rand"
	"io"
	"sync"
	"syscall"

	"aramid/servers/vfsd/fs"
)

// Device is an open-able character device. off is the open file's offset,
// which most devices ignore.
type Device interface {
	ReadAt(p []byte, off int64) (int, error)
	WriteAt(p []byte, off int64) (int, error)
}

// Mkdev encodes a device number as Linux's dev_t (huge encoding).
func Mkdev(major, minor uint32) uint64 {
	return uint64(minor&0xff) | uint64(major&0xfff)<<8 |
		uint64(minor&^0xff)<<12 | uint64(major&^0xfff)<<32
}

// Device numbers of the standard devices, as in Linux's devices.txt.
var (
	Null    = Mkdev(1, 3)
	Zero    = Mkdev(1, 5)
	Full    = Mkdev(1, 7)
	Random  = Mkdev(1, 8)
	Urandom = Mkdev(1, 9)
	TTY     = Mkdev(5, 0)
	Console = Mkdev(5, 1)
)

// Registry maps a character device number to its device.
type Registry map[uint64]Device

// Standard returns null, zero, full, random, urandom, tty and console.
// Writes to tty and console go to out; reads come from in, or end of
// file when in is nil.
func Standard(out io.Writer, in io.Reader) Registry {
	con := &console{out: out, in: in}
	return Registry{
		Null: null{}, Zero: zero{}, Full: full{}, Random: random{}, Urandom: random{},
		TTY: con, Console: con,
	}
}

type null struct{}

func (null) ReadAt(p []byte, off int64) (int, error)  { return 0, nil }
func (null) WriteAt(p []byte, off int64) (int, error) { return len(p), nil }

type zero struct{}

func (zero) ReadAt(p []byte, off int64) (int, error)  { clear(p); return len(p), nil }
func (zero) WriteAt(p []byte, off int64) (int, error) { return len(p), nil }

// full reads as zeros and refuses every write with ENOSPC.
type full struct{}

func (full) ReadAt(p []byte, off int64) (int, error)  { clear(p); return len(p), nil }
func (full) WriteAt(p []byte, off int64) (int, error) { return 0, syscall.ENOSPC }

// random serves both random and urandom: since Linux 5.6 they differ only
// before the pool is initialised, and crypto/rand never returns early.
type random struct{}

func (random) ReadAt(p []byte, off int64) (int, error) {
	if _, err := rand.Read(p); err != nil {
		return 0, syscall.EIO
	}
	return len(p), nil
}

// WriteAt accepts entropy as Linux does, without crediting it.
func (random) WriteAt(p []byte, off int64) (int, error) { return len(p), nil }

// console is the system console, also serving /dev/tty until linuxd has
// controlling terminals.
type console struct {
	mu  sync.Mutex
	out io.Writer
	in  io.Reader
}

func (c *console) WriteAt(p []byte, off int64) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.out.Write(p)
	if err != nil && n == 0 {
		return 0, syscall.EIO
	}
	return n, nil
}

func (c *console) ReadAt(p []byte, off int64) (int, error) {
	if c.in == nil {
		return 0, nil
	}
	n, err := c.in.Read(p)
	if err != nil && err != io.EOF {
		return n, syscall.EIO
	}
	return n, nil
}

// Populate makes the standard nodes, directories and links in the root of
// f, owned by root, with the modes udev gives them.
func Populate(f fs.FS) error {
	r := f.Root()
	nodes := []struct {
		name string
		perm uint32
		rdev uint64
	}{
		{"null", 0666, Null}, {"zero", 0666, Zero}, {"full", 0666, Full},
		{"random", 0666, Random}, {"urandom", 0666, Urandom},
		{"tty", 0666, TTY}, {"console", 0600, Console},
	}
	for _, n := range nodes {
		if _, err := f.Mknod(r, n.name, syscall.S_IFCHR|n.perm, n.rdev, 0, 0); err != nil {
			return err
		}
	}
	for _, d := range []struct {
		name string
		perm uint32
	}{{"pts", 0755}, {"shm", 01777}} {
		if _, err := f.Mkdir(r, d.name, d.perm, 0, 0); err != nil {
			return err
		}
	}
	links := [][2]string{{"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"},
		{"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"}}
	for _, l := range links {
		if _, err := f.Symlink(r, l[0], l[1], 0, 0); err != nil {
			return err
		}
	}
	return nil
}
