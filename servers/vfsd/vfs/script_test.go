package vfs

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"aramid/lib/linux"
)

// A script is a list of path operations, one per line, that runs both on
// a vfs namespace and on the host kernel (chrooted into a temporary
// directory), so each result can be compared with Linux's.
//
//	mkdir PATH         rmdir PATH        unlink PATH
//	creat PATH         symlink TARGET PATH
//	link OLD NEW       rename OLD NEW    readlink PATH
//	open PATH FLAGS    stat PATH         lstat PATH
//	chdir PATH         mkfifo PATH       truncate PATH SIZE
//	chmod PATH MODE    chown PATH UID GID
//	as UID             (from here on, act as user and group UID, without
//	                   supplementary groups or capabilities)
//
// FLAGS is a '|'-joined list of O_ names. The result of a line is "ok",
// an errno name, or for stat the file type, permission, owner and size.
type runner interface {
	mkdir(path string) error
	rmdir(path string) error
	unlink(path string) error
	creat(path string) error
	symlink(target, path string) error
	link(old, new string) error
	rename(old, new string) error
	readlink(path string) (string, error)
	open(path string, flags int) error
	stat(path string, follow bool) (statResult, error)
	chdir(path string) error
	mkfifo(path string) error
	truncate(path string, size int64) error
	chmod(path string, mode uint32) error
	chown(path string, uid, gid int) error
	as(uid int) error
}

type statResult struct {
	mode, uid, gid uint32
	size           int64
}

var openFlags = map[string]int{
	"O_RDONLY": syscall.O_RDONLY, "O_WRONLY": syscall.O_WRONLY, "O_RDWR": syscall.O_RDWR,
	"O_CREAT": syscall.O_CREAT, "O_EXCL": syscall.O_EXCL, "O_TRUNC": syscall.O_TRUNC,
	"O_APPEND": syscall.O_APPEND, "O_DIRECTORY": syscall.O_DIRECTORY,
	"O_NOFOLLOW": syscall.O_NOFOLLOW, "O_PATH": linux.O_PATH,
}

func parseFlags(s string) (int, error) {
	f := 0
	for _, n := range strings.Split(s, "|") {
		v, ok := openFlags[n]
		if !ok {
			return 0, fmt.Errorf("unknown flag %q", n)
		}
		f |= v
	}
	return f, nil
}

// run executes one script line and describes its result.
func run(r runner, line string) string {
	a := strings.Fields(line)
	res := func(err error) string {
		if err == nil {
			return "ok"
		}
		var e syscall.Errno
		if errors.As(err, &e) {
			return errnoName(e)
		}
		return err.Error()
	}
	arg := func(i int) string {
		if i < len(a) {
			return expand(a[i])
		}
		return ""
	}
	switch a[0] {
	case "mkdir":
		return res(r.mkdir(arg(1)))
	case "rmdir":
		return res(r.rmdir(arg(1)))
	case "unlink":
		return res(r.unlink(arg(1)))
	case "creat":
		return res(r.creat(arg(1)))
	case "symlink":
		return res(r.symlink(arg(1), arg(2)))
	case "link":
		return res(r.link(arg(1), arg(2)))
	case "rename":
		return res(r.rename(arg(1), arg(2)))
	case "readlink":
		t, err := r.readlink(arg(1))
		if err != nil {
			return res(err)
		}
		return "-> " + t
	case "open":
		f, err := parseFlags(arg(2))
		if err != nil {
			return err.Error()
		}
		return res(r.open(arg(1), f))
	case "stat", "lstat":
		m, err := r.stat(arg(1), a[0] == "stat")
		if err != nil {
			return res(err)
		}
		if m.mode&syscall.S_IFMT != syscall.S_IFREG {
			m.size = 0
		}
		return fmt.Sprintf("type %o perm %04o owner %d:%d size %d", m.mode&syscall.S_IFMT,
			m.mode&07777, m.uid, m.gid, m.size)
	case "chdir":
		return res(r.chdir(arg(1)))
	case "mkfifo":
		return res(r.mkfifo(arg(1)))
	case "chmod":
		m, _ := strconv.ParseUint(arg(2), 8, 32)
		return res(r.chmod(arg(1), uint32(m)))
	case "chown":
		u, _ := strconv.Atoi(arg(2))
		g, _ := strconv.Atoi(arg(3))
		return res(r.chown(arg(1), u, g))
	case "as":
		u, _ := strconv.Atoi(arg(1))
		return res(r.as(u))
	case "truncate":
		n, _ := strconv.ParseInt(arg(2), 10, 64)
		return res(r.truncate(arg(1), n))
	}
	return "bad line " + line
}

// expand replaces REP(s,n) with s repeated n times, so scripts can state
// long paths briefly, and ” with the empty string.
func expand(s string) string {
	if s == "''" {
		return ""
	}
	for {
		i := strings.Index(s, "REP(")
		if i < 0 {
			return s
		}
		j := strings.IndexByte(s[i:], ')') + i
		parts := strings.SplitN(s[i+4:j], ",", 2)
		n, _ := strconv.Atoi(parts[1])
		s = s[:i] + strings.Repeat(parts[0], n) + s[j+1:]
	}
}

func errnoName(e syscall.Errno) string {
	names := map[syscall.Errno]string{
		syscall.ENOENT: "ENOENT", syscall.EEXIST: "EEXIST", syscall.ENOTDIR: "ENOTDIR",
		syscall.EISDIR: "EISDIR", syscall.ELOOP: "ELOOP", syscall.ENAMETOOLONG: "ENAMETOOLONG",
		syscall.EINVAL: "EINVAL", syscall.ENOTEMPTY: "ENOTEMPTY", syscall.EBUSY: "EBUSY",
		syscall.EPERM: "EPERM", syscall.EACCES: "EACCES", syscall.EXDEV: "EXDEV",
		syscall.EBADF: "EBADF", syscall.ENXIO: "ENXIO", syscall.EROFS: "EROFS",
	}
	if n, ok := names[e]; ok {
		return n
	}
	return fmt.Sprintf("errno %d", int(e))
}
