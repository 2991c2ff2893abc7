package vfs

import (
	"syscall"

	"aramid/lib/linux/dac"
)

// vfsRunner runs script lines on a namespace as root.
type vfsRunner struct {
	v *VFS
	p *Proc
}

func (r *vfsRunner) mkdir(path string) error { return r.v.Mkdir(r.p, Loc{}, path, 0755) }
func (r *vfsRunner) rmdir(path string) error { return r.v.Rmdir(r.p, Loc{}, path) }
func (r *vfsRunner) unlink(path string) error {
	return r.v.Unlink(r.p, Loc{}, path)
}
func (r *vfsRunner) creat(path string) error {
	return r.open(path, syscall.O_CREAT|syscall.O_WRONLY|syscall.O_TRUNC)
}
func (r *vfsRunner) symlink(target, path string) error {
	return r.v.Symlink(r.p, target, Loc{}, path)
}
func (r *vfsRunner) link(old, new string) error {
	l, err := r.v.Resolve(r.p, Loc{}, old, false)
	if err != nil {
		return err
	}
	return r.v.Link(r.p, l, Loc{}, new)
}
func (r *vfsRunner) rename(old, new string) error {
	return r.v.Rename(r.p, Loc{}, old, Loc{}, new, 0)
}
func (r *vfsRunner) readlink(path string) (string, error) {
	return r.v.Readlink(r.p, Loc{}, path)
}
func (r *vfsRunner) open(path string, flags int) error {
	f, err := r.v.Open(r.p, Loc{}, path, flags, 0644)
	if err != nil {
		return err
	}
	return f.Close()
}
func (r *vfsRunner) stat(path string, follow bool) (statResult, error) {
	l, err := r.v.Resolve(r.p, Loc{}, path, follow)
	if err != nil {
		return statResult{}, err
	}
	a, err := r.v.Stat(r.p, l)
	return statResult{a.Mode, a.UID, a.GID, int64(a.Size)}, err
}
func (r *vfsRunner) chmod(path string, mode uint32) error {
	l, err := r.v.Resolve(r.p, Loc{}, path, true)
	if err != nil {
		return err
	}
	return r.v.Chmod(r.p, l, mode)
}
func (r *vfsRunner) chown(path string, uid, gid int) error {
	l, err := r.v.Resolve(r.p, Loc{}, path, true)
	if err != nil {
		return err
	}
	return r.v.Chown(r.p, l, int64(uid), int64(gid))
}
func (r *vfsRunner) as(uid int) error {
	r.p.Cred = &dac.Cred{FSUID: uint32(uid), FSGID: uint32(uid)}
	return nil
}
func (r *vfsRunner) chdir(path string) error {
	l, err := r.v.Resolve(r.p, Loc{}, path, true)
	if err != nil {
		return err
	}
	a, err := r.v.Stat(r.p, l)
	if err != nil {
		return err
	}
	if a.Mode&syscall.S_IFMT != syscall.S_IFDIR {
		return syscall.ENOTDIR
	}
	r.p.Cwd = l
	return nil
}
func (r *vfsRunner) mkfifo(path string) error {
	return r.v.Mknod(r.p, Loc{}, path, syscall.S_IFIFO|0644, 0)
}
func (r *vfsRunner) truncate(path string, size int64) error {
	l, err := r.v.Resolve(r.p, Loc{}, path, true)
	if err != nil {
		return err
	}
	return r.v.Truncate(r.p, l, size)
}

// hostRunner runs script lines with the host's system calls; the test
// process it runs in has chrooted into a temporary directory.
type hostRunner struct{}

func (hostRunner) mkdir(path string) error  { return syscall.Mkdir(path, 0755) }
func (hostRunner) rmdir(path string) error  { return syscall.Rmdir(path) }
func (hostRunner) unlink(path string) error { return syscall.Unlink(path) }
func (h hostRunner) creat(path string) error {
	return h.open(path, syscall.O_CREAT|syscall.O_WRONLY|syscall.O_TRUNC)
}
func (hostRunner) symlink(target, path string) error { return syscall.Symlink(target, path) }
func (hostRunner) link(old, new string) error        { return syscall.Link(old, new) }
func (hostRunner) rename(old, new string) error      { return syscall.Rename(old, new) }
func (hostRunner) readlink(path string) (string, error) {
	b := make([]byte, 8192)
	n, err := syscall.Readlink(path, b)
	if err != nil {
		return "", err
	}
	return string(b[:n]), nil
}
func (hostRunner) open(path string, flags int) error {
	fd, err := syscall.Open(path, flags|syscall.O_NONBLOCK, 0644)
	if err != nil {
		return err
	}
	return syscall.Close(fd)
}
func (hostRunner) stat(path string, follow bool) (statResult, error) {
	var st syscall.Stat_t
	var err error
	if follow {
		err = syscall.Stat(path, &st)
	} else {
		err = syscall.Lstat(path, &st)
	}
	return statResult{st.Mode, st.Uid, st.Gid, st.Size}, err
}
func (hostRunner) chmod(path string, mode uint32) error { return syscall.Chmod(path, mode) }
func (hostRunner) chown(path string, uid, gid int) error {
	return syscall.Chown(path, uid, gid)
}

// as drops to uid for the rest of the script; Go applies the set*id
// calls to every thread of the process.
func (hostRunner) as(uid int) error {
	if err := syscall.Setgroups(nil); err != nil {
		return err
	}
	if err := syscall.Setgid(uid); err != nil {
		return err
	}
	return syscall.Setuid(uid)
}
func (hostRunner) chdir(path string) error  { return syscall.Chdir(path) }
func (hostRunner) mkfifo(path string) error { return syscall.Mkfifo(path, 0644) }
func (hostRunner) truncate(path string, size int64) error {
	return syscall.Truncate(path, size)
}
