package service

import (
	"fmt"
	"io"
	"syscall"

	"aramid/lib/linux/dac"
	"aramid/servers/vfsd/devfs"
	"aramid/servers/vfsd/fs"
	"aramid/servers/vfsd/fwdfs"
	"aramid/servers/vfsd/tmpfs"
	"aramid/servers/vfsd/vfs"
)

// Config describes the namespace vfsd starts with.
type Config struct {
	// Root is the root filesystem (ext4 on the boot disk, or a tmpfs).
	Root      fs.FS
	RootFlags uint64
	// Proc, if set, serves /proc (procd's client).
	Proc fwdfs.Client
	// Console receives writes to /dev/console and /dev/tty; Input, if
	// set, feeds their reads.
	Console io.Writer
	Input   io.Reader
}

type mount struct {
	path  string
	fs    fs.FS
	flags uint64
}

// Namespace builds the standard mount table on cfg.Root: devfs on /dev,
// tmpfs on /tmp and /run, and /proc forwarded to procd, with the flags a
// Debian system mounts them with. Missing mount points are made.
func Namespace(cfg Config) (*vfs.VFS, error) {
	v := vfs.New(cfg.Root, cfg.RootFlags, devfs.Standard(cfg.Console, cfg.Input))
	dev := tmpfs.New(tmpfs.Options{Mode: 0755})
	if err := devfs.Populate(dev); err != nil {
		return nil, err
	}
	mounts := []mount{
		{"/dev", dev, vfs.NoSuid},
		{"/tmp", tmpfs.New(tmpfs.Options{Mode: 01777}), vfs.NoSuid | vfs.NoDev},
		{"/run", tmpfs.New(tmpfs.Options{Mode: 0755}), vfs.NoSuid | vfs.NoDev},
	}
	if cfg.Proc != nil {
		mounts = append(mounts, mount{"/proc", fwdfs.New(cfg.Proc), vfs.NoSuid | vfs.NoDev | vfs.NoExec})
	}
	p := &vfs.Proc{Cred: &dac.Cred{Caps: dac.AllCaps}, Root: v.Root(), Cwd: v.Root()}
	for _, m := range mounts {
		err := v.Mkdir(p, vfs.Loc{}, m.path, 0755)
		if err != nil && err != syscall.EEXIST {
			return nil, fmt.Errorf("vfsd: mount point %s: %w", m.path, err)
		}
		at, err := v.Resolve(p, vfs.Loc{}, m.path, true)
		if err != nil {
			return nil, fmt.Errorf("vfsd: mount point %s: %w", m.path, err)
		}
		if _, err := v.Mount(at, m.fs, m.flags); err != nil {
			return nil, fmt.Errorf("vfsd: mount %s: %w", m.path, err)
		}
	}
	return v, nil
}
