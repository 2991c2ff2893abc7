package linux

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
	gv "gvisor.dev/gvisor/pkg/abi/linux"
)

// TestValues compares every value with gVisor's pkg/abi/linux, or with
// golang.org/x/sys/unix (generated from the kernel headers) where gVisor
// does not define it or gives the kernel-internal value (its O_SYNC is
// __O_SYNC alone).
func TestValues(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"O_RDONLY", O_RDONLY, gv.O_RDONLY}, {"O_WRONLY", O_WRONLY, gv.O_WRONLY},
		{"O_RDWR", O_RDWR, gv.O_RDWR}, {"O_ACCMODE", O_ACCMODE, gv.O_ACCMODE},
		{"O_CREAT", O_CREAT, gv.O_CREAT}, {"O_EXCL", O_EXCL, gv.O_EXCL},
		{"O_NOCTTY", O_NOCTTY, gv.O_NOCTTY}, {"O_TRUNC", O_TRUNC, gv.O_TRUNC},
		{"O_APPEND", O_APPEND, gv.O_APPEND}, {"O_NONBLOCK", O_NONBLOCK, gv.O_NONBLOCK},
		{"O_DSYNC", O_DSYNC, gv.O_DSYNC}, {"O_ASYNC", O_ASYNC, gv.O_ASYNC},
		{"O_DIRECT", O_DIRECT, gv.O_DIRECT}, {"O_LARGEFILE", O_LARGEFILE, gv.O_LARGEFILE},
		{"O_DIRECTORY", O_DIRECTORY, gv.O_DIRECTORY}, {"O_NOFOLLOW", O_NOFOLLOW, gv.O_NOFOLLOW},
		{"O_NOATIME", O_NOATIME, gv.O_NOATIME}, {"O_CLOEXEC", O_CLOEXEC, gv.O_CLOEXEC},
		{"O_SYNC", O_SYNC, unix.O_SYNC}, {"O_PATH", O_PATH, gv.O_PATH},
		{"O_TMPFILE", O_TMPFILE, gv.O_TMPFILE},
		{"F_GETFD", F_GETFD, gv.F_GETFD}, {"F_SETFD", F_SETFD, gv.F_SETFD},
		{"F_GETFL", F_GETFL, gv.F_GETFL}, {"F_SETFL", F_SETFL, gv.F_SETFL},
		{"AT_FDCWD", AT_FDCWD, gv.AT_FDCWD}, {"AT_SYMLINK_NOFOLLOW", AT_SYMLINK_NOFOLLOW, gv.AT_SYMLINK_NOFOLLOW},
		{"AT_REMOVEDIR", AT_REMOVEDIR, gv.AT_REMOVEDIR}, {"AT_SYMLINK_FOLLOW", AT_SYMLINK_FOLLOW, gv.AT_SYMLINK_FOLLOW},
		{"AT_EMPTY_PATH", AT_EMPTY_PATH, gv.AT_EMPTY_PATH},
		{"UTIME_NOW", UTIME_NOW, gv.UTIME_NOW}, {"UTIME_OMIT", UTIME_OMIT, gv.UTIME_OMIT},
		{"SEEK_DATA", SEEK_DATA, gv.SEEK_DATA}, {"SEEK_HOLE", SEEK_HOLE, gv.SEEK_HOLE},
		{"RENAME_NOREPLACE", RENAME_NOREPLACE, gv.RENAME_NOREPLACE}, {"RENAME_EXCHANGE", RENAME_EXCHANGE, gv.RENAME_EXCHANGE},
		{"PATH_MAX", PATH_MAX, gv.PATH_MAX}, {"NAME_MAX", NAME_MAX, gv.NAME_MAX},
		{"MAXSYMLINKS", MAXSYMLINKS, gv.MaxSymlinkTraversals},

		{"PROT_NONE", PROT_NONE, gv.PROT_NONE}, {"PROT_READ", PROT_READ, gv.PROT_READ},
		{"PROT_WRITE", PROT_WRITE, gv.PROT_WRITE}, {"PROT_EXEC", PROT_EXEC, gv.PROT_EXEC},
		{"MAP_SHARED", MAP_SHARED, gv.MAP_SHARED}, {"MAP_PRIVATE", MAP_PRIVATE, gv.MAP_PRIVATE},
		{"MAP_SHARED_VALIDATE", MAP_SHARED_VALIDATE, unix.MAP_SHARED_VALIDATE},
		{"MAP_FIXED", MAP_FIXED, gv.MAP_FIXED}, {"MAP_ANONYMOUS", MAP_ANONYMOUS, gv.MAP_ANONYMOUS},
		{"MAP_GROWSDOWN", MAP_GROWSDOWN, gv.MAP_GROWSDOWN}, {"MAP_NORESERVE", MAP_NORESERVE, gv.MAP_NORESERVE},
		{"MAP_POPULATE", MAP_POPULATE, gv.MAP_POPULATE}, {"MAP_STACK", MAP_STACK, gv.MAP_STACK},
		{"MAP_FIXED_NOREPLACE", MAP_FIXED_NOREPLACE, unix.MAP_FIXED_NOREPLACE},
		{"MADV_DONTNEED", MADV_DONTNEED, gv.MADV_DONTNEED}, {"MADV_FREE", MADV_FREE, unix.MADV_FREE},

		{"CLONE_VM", CLONE_VM, gv.CLONE_VM}, {"CLONE_FS", CLONE_FS, gv.CLONE_FS},
		{"CLONE_FILES", CLONE_FILES, gv.CLONE_FILES}, {"CLONE_SIGHAND", CLONE_SIGHAND, gv.CLONE_SIGHAND},
		{"CLONE_VFORK", CLONE_VFORK, gv.CLONE_VFORK}, {"CLONE_THREAD", CLONE_THREAD, gv.CLONE_THREAD},
		{"CLONE_SYSVSEM", CLONE_SYSVSEM, gv.CLONE_SYSVSEM}, {"CLONE_SETTLS", CLONE_SETTLS, gv.CLONE_SETTLS},
		{"CLONE_PARENT_SETTID", CLONE_PARENT_SETTID, gv.CLONE_PARENT_SETTID},
		{"CLONE_CHILD_CLEARTID", CLONE_CHILD_CLEARTID, gv.CLONE_CHILD_CLEARTID},
		{"CLONE_CHILD_SETTID", CLONE_CHILD_SETTID, gv.CLONE_CHILD_SETTID},
		{"FUTEX_WAIT", FUTEX_WAIT, gv.FUTEX_WAIT}, {"FUTEX_WAKE", FUTEX_WAKE, gv.FUTEX_WAKE},
		{"FUTEX_PRIVATE_FLAG", FUTEX_PRIVATE_FLAG, gv.FUTEX_PRIVATE_FLAG},
		{"FUTEX_CLOCK_REALTIME", FUTEX_CLOCK_REALTIME, gv.FUTEX_CLOCK_REALTIME},
		{"ARCH_SET_FS", ARCH_SET_FS, gv.ARCH_SET_FS}, {"ARCH_GET_FS", ARCH_GET_FS, gv.ARCH_GET_FS},
		{"EPOLLIN", EPOLLIN, gv.EPOLLIN}, {"EPOLLOUT", EPOLLOUT, gv.EPOLLOUT},
		{"EPOLL_CTL_ADD", EPOLL_CTL_ADD, gv.EPOLL_CTL_ADD}, {"EPOLL_CTL_DEL", EPOLL_CTL_DEL, gv.EPOLL_CTL_DEL},
		{"EPOLL_CTL_MOD", EPOLL_CTL_MOD, gv.EPOLL_CTL_MOD},

		{"CLOCK_REALTIME", CLOCK_REALTIME, gv.CLOCK_REALTIME}, {"CLOCK_MONOTONIC", CLOCK_MONOTONIC, gv.CLOCK_MONOTONIC},
		{"CLOCK_PROCESS_CPUTIME_ID", CLOCK_PROCESS_CPUTIME_ID, gv.CLOCK_PROCESS_CPUTIME_ID},
		{"CLOCK_THREAD_CPUTIME_ID", CLOCK_THREAD_CPUTIME_ID, gv.CLOCK_THREAD_CPUTIME_ID},
		{"CLOCK_MONOTONIC_RAW", CLOCK_MONOTONIC_RAW, gv.CLOCK_MONOTONIC_RAW},
		{"CLOCK_REALTIME_COARSE", CLOCK_REALTIME_COARSE, gv.CLOCK_REALTIME_COARSE},
		{"CLOCK_MONOTONIC_COARSE", CLOCK_MONOTONIC_COARSE, gv.CLOCK_MONOTONIC_COARSE},
		{"CLOCK_BOOTTIME", CLOCK_BOOTTIME, gv.CLOCK_BOOTTIME}, {"TIMER_ABSTIME", TIMER_ABSTIME, gv.TIMER_ABSTIME},
		{"SIGURG", SIGURG, int64(gv.SIGURG)}, {"SS_DISABLE", SS_DISABLE, gv.SS_DISABLE},

		{"RLIMIT_CPU", RLIMIT_CPU, gv.RLIMIT_CPU}, {"RLIMIT_FSIZE", RLIMIT_FSIZE, gv.RLIMIT_FSIZE},
		{"RLIMIT_DATA", RLIMIT_DATA, gv.RLIMIT_DATA}, {"RLIMIT_STACK", RLIMIT_STACK, gv.RLIMIT_STACK},
		{"RLIMIT_CORE", RLIMIT_CORE, gv.RLIMIT_CORE}, {"RLIMIT_RSS", RLIMIT_RSS, gv.RLIMIT_RSS},
		{"RLIMIT_NPROC", RLIMIT_NPROC, gv.RLIMIT_NPROC}, {"RLIMIT_NOFILE", RLIMIT_NOFILE, gv.RLIMIT_NOFILE},
		{"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK, gv.RLIMIT_MEMLOCK}, {"RLIMIT_AS", RLIMIT_AS, gv.RLIMIT_AS},
		{"RLIMIT_LOCKS", RLIMIT_LOCKS, gv.RLIMIT_LOCKS}, {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING, gv.RLIMIT_SIGPENDING},
		{"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE, gv.RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE, gv.RLIMIT_NICE},
		{"RLIMIT_RTPRIO", RLIMIT_RTPRIO, gv.RLIMIT_RTPRIO}, {"RLIMIT_RTTIME", RLIMIT_RTTIME, gv.RLIMIT_RTTIME},

		{"MSG_OOB", MSG_OOB, gv.MSG_OOB}, {"MSG_PEEK", MSG_PEEK, gv.MSG_PEEK},
		{"MSG_TRUNC", MSG_TRUNC, gv.MSG_TRUNC}, {"MSG_DONTWAIT", MSG_DONTWAIT, gv.MSG_DONTWAIT},
		{"MSG_WAITALL", MSG_WAITALL, gv.MSG_WAITALL}, {"MSG_NOSIGNAL", MSG_NOSIGNAL, gv.MSG_NOSIGNAL},
		{"MSG_MORE", MSG_MORE, gv.MSG_MORE},
		{"SO_REUSEPORT", SO_REUSEPORT, gv.SO_REUSEPORT}, {"SO_PROTOCOL", SO_PROTOCOL, gv.SO_PROTOCOL},
		{"SO_DOMAIN", SO_DOMAIN, gv.SO_DOMAIN},
		{"TCP_KEEPIDLE", TCP_KEEPIDLE, gv.TCP_KEEPIDLE}, {"TCP_KEEPINTVL", TCP_KEEPINTVL, gv.TCP_KEEPINTVL},
		{"TCP_KEEPCNT", TCP_KEEPCNT, gv.TCP_KEEPCNT}, {"TCP_SYNCNT", TCP_SYNCNT, gv.TCP_SYNCNT},
		{"TCP_USER_TIMEOUT", TCP_USER_TIMEOUT, gv.TCP_USER_TIMEOUT},
		{"TCP_ESTABLISHED", TCP_ESTABLISHED, int64(gv.TCP_ESTABLISHED)}, {"TCP_SYN_SENT", TCP_SYN_SENT, int64(gv.TCP_SYN_SENT)},
		{"TCP_SYN_RECV", TCP_SYN_RECV, int64(gv.TCP_SYN_RECV)}, {"TCP_TIME_WAIT", TCP_TIME_WAIT, int64(gv.TCP_TIME_WAIT)},
		{"TCP_CLOSE", TCP_CLOSE, int64(gv.TCP_CLOSE)}, {"TCP_LISTEN", TCP_LISTEN, int64(gv.TCP_LISTEN)},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
	if RLIM_INFINITY != gv.RLimInfinity {
		t.Errorf("RLIM_INFINITY = %#x, want %#x", uint64(RLIM_INFINITY), gv.RLimInfinity)
	}
}

// TestLayouts compares each struct's size and field offsets with gVisor's
// marshalled definition.
func TestLayouts(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"Timespec", unsafe.Sizeof(Timespec{}), uintptr((*gv.Timespec)(nil).SizeBytes())},
		{"Timespec.Nsec", unsafe.Offsetof(Timespec{}.Nsec), unsafe.Offsetof(gv.Timespec{}.Nsec)},
		{"Timeval", unsafe.Sizeof(Timeval{}), uintptr((*gv.Timeval)(nil).SizeBytes())},
		{"Timeval.Usec", unsafe.Offsetof(Timeval{}.Usec), unsafe.Offsetof(gv.Timeval{}.Usec)},
		{"RLimit", unsafe.Sizeof(RLimit{}), unsafe.Sizeof(gv.RLimit{})},
		{"RLimit.Max", unsafe.Offsetof(RLimit{}.Max), unsafe.Offsetof(gv.RLimit{}.Max)},
		{"SignalSet", unsafe.Sizeof(SignalSet(0)), uintptr(gv.SignalSetSize)},
		{"SigAction", unsafe.Sizeof(SigAction{}), uintptr((*gv.SigAction)(nil).SizeBytes())},
		{"SigAction.Mask", unsafe.Offsetof(SigAction{}.Mask), unsafe.Offsetof(gv.SigAction{}.Mask)},
		{"SignalStack", unsafe.Sizeof(SignalStack{}), uintptr((*gv.SignalStack)(nil).SizeBytes())},
		{"SignalStack.Flags", unsafe.Offsetof(SignalStack{}.Flags), unsafe.Offsetof(gv.SignalStack{}.Flags)},
		{"SignalStack.Size", unsafe.Offsetof(SignalStack{}.Size), unsafe.Offsetof(gv.SignalStack{}.Size)},
		{"UtsName", unsafe.Sizeof(UtsName{}), uintptr((*gv.UtsName)(nil).SizeBytes())},
		{"UTSLen", UTSLen, gv.UTSLen},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.name, c.got, c.want)
		}
	}
}

func TestUtsname(t *testing.T) {
	var u UtsName
	u.Release[UTSLen] = 'x' // Fill clears what was there
	u.Fill()
	str := func(b [UTSLen + 1]byte) string { return strings.TrimRight(string(b[:]), "\x00") }
	for _, c := range []struct{ got, want string }{
		{str(u.Sysname), "Linux"}, {str(u.Nodename), "(none)"}, {str(u.Release), "6.1.0-aramid"},
		{str(u.Version), Version}, {str(u.Machine), "x86_64"}, {str(u.Domainname), "(none)"},
	} {
		if c.got != c.want {
			t.Errorf("field %q, want %q", c.got, c.want)
		}
	}
	if u.Release[UTSLen] != 0 {
		t.Error("Fill left a field without its NUL")
	}
	var host syscall.Utsname
	if err := syscall.Uname(&host); err != nil {
		t.Fatal(err)
	}
	if unsafe.Sizeof(host) != unsafe.Sizeof(u) {
		t.Errorf("host utsname is %d bytes, ours %d", unsafe.Sizeof(host), unsafe.Sizeof(u))
	}
}

func TestTimespec(t *testing.T) {
	ts := NsecToTimespec(3_000_000_042)
	if ts != (Timespec{Sec: 3, Nsec: 42}) || ts.ToNsec() != 3_000_000_042 || !ts.Valid() {
		t.Errorf("NsecToTimespec = %+v", ts)
	}
	if tv := NsecToTimeval(3_000_042_999); tv != (Timeval{Sec: 3, Usec: 42}) {
		t.Errorf("NsecToTimeval = %+v", tv)
	}
	for _, bad := range []Timespec{{Sec: -1}, {Nsec: -1}, {Nsec: 1e9}} {
		if bad.Valid() {
			t.Errorf("%+v is valid", bad)
		}
	}
}

// TestDirent64Size compares the record sizes with the host kernel's
// getdents64 for names of every length from 1 to NAME_MAX.
func TestDirent64Size(t *testing.T) {
	dir := t.TempDir()
	for n := 1; n <= NAME_MAX; n++ {
		if err := os.WriteFile(filepath.Join(dir, strings.Repeat("a", n)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	buf := make([]byte, 1<<16)
	seen := 0
	for {
		n, err := syscall.Getdents(fd, buf)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		for off := 0; off < n; {
			reclen := int(buf[off+16]) | int(buf[off+17])<<8
			name := buf[off+direntHeader : off+reclen]
			nameLen := strings.IndexByte(string(name), 0)
			if got := Dirent64Size(nameLen); got != reclen {
				t.Errorf("Dirent64Size(%d) = %d, host reclen %d", nameLen, got, reclen)
			}
			off += reclen
			seen++
		}
	}
	if seen != NAME_MAX+2 {
		t.Errorf("read %d entries, want %d", seen, NAME_MAX+2)
	}
}
