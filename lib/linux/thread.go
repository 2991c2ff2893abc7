package linux

// clone(2) flags.
const (
	CLONE_VM             = 0x100
	CLONE_FS             = 0x200
	CLONE_FILES          = 0x400
	CLONE_SIGHAND        = 0x800
	CLONE_VFORK          = 0x4000
	CLONE_THREAD         = 0x10000
	CLONE_SYSVSEM        = 0x40000
	CLONE_SETTLS         = 0x80000
	CLONE_PARENT_SETTID  = 0x100000
	CLONE_CHILD_CLEARTID = 0x200000
	CLONE_CHILD_SETTID   = 0x1000000
)

// futex(2) operations and the flags or'ed into them.
const (
	FUTEX_WAIT           = 0
	FUTEX_WAKE           = 1
	FUTEX_PRIVATE_FLAG   = 128
	FUTEX_CLOCK_REALTIME = 256
)

// arch_prctl(2) codes.
const (
	ARCH_SET_FS = 0x1002
	ARCH_GET_FS = 0x1003
)

// epoll(7) events and epoll_ctl(2) operations.
const (
	EPOLLIN       = 0x1
	EPOLLOUT      = 0x4
	EPOLL_CTL_ADD = 1
	EPOLL_CTL_DEL = 2
	EPOLL_CTL_MOD = 3
)
