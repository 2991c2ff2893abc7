package linux

// open(2) flags (include/uapi/asm-generic/fcntl.h).
const (
	O_RDONLY    = 0o0
	O_WRONLY    = 0o1
	O_RDWR      = 0o2
	O_ACCMODE   = 0o3
	O_CREAT     = 0o100
	O_EXCL      = 0o200
	O_NOCTTY    = 0o400
	O_TRUNC     = 0o1000
	O_APPEND    = 0o2000
	O_NONBLOCK  = 0o4000
	O_DSYNC     = 0o10000
	O_ASYNC     = 0o20000
	O_DIRECT    = 0o40000
	O_LARGEFILE = 0o100000
	O_DIRECTORY = 0o200000
	O_NOFOLLOW  = 0o400000
	O_NOATIME   = 0o1000000
	O_CLOEXEC   = 0o2000000
	O_SYNC      = 0o4010000 // __O_SYNC | O_DSYNC, as callers pass it
	O_PATH      = 0o10000000
	// O_TMPFILE is the kernel's __O_TMPFILE bit; open(2) callers pass
	// it together with O_DIRECTORY.
	O_TMPFILE = 0o20000000
)

// fcntl(2) commands.
const (
	F_GETFD = 1
	F_SETFD = 2
	F_GETFL = 3
	F_SETFL = 4
)

// Flags of the *at(2) calls.
const (
	AT_FDCWD            = -100
	AT_SYMLINK_NOFOLLOW = 0x100
	AT_REMOVEDIR        = 0x200
	AT_SYMLINK_FOLLOW   = 0x400
	AT_EMPTY_PATH       = 0x1000
)

// Special tv_nsec values of utimensat(2).
const (
	UTIME_NOW  = 1<<30 - 1
	UTIME_OMIT = 1<<30 - 2
)

// lseek(2) whence values beyond io.SeekStart, io.SeekCurrent, io.SeekEnd.
const (
	SEEK_DATA = 3
	SEEK_HOLE = 4
)

// renameat2(2) flags.
const (
	RENAME_NOREPLACE = 1 << 0
	RENAME_EXCHANGE  = 1 << 1
)

// Limits of path resolution.
const (
	PATH_MAX    = 4096 // bytes in a path, counting the NUL
	NAME_MAX    = 255  // bytes in one component
	MAXSYMLINKS = 40   // symlinks followed in one resolution
)

// direntHeader is the size of struct linux_dirent64 before its name:
// d_ino (8), d_off (8), d_reclen (2) and d_type (1).
const direntHeader = 19

// Dirent64Size is the size of one struct linux_dirent64 record for a name
// of n bytes: the header, the name and its NUL, rounded up to 8 bytes as
// getdents64(2) lays records out.
//
//go:nosplit
func Dirent64Size(n int) int { return (direntHeader + n + 1 + 7) &^ 7 }
