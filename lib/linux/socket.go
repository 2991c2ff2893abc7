package linux

// Flags of send(2) and recv(2).
const (
	MSG_OOB      = 0x1
	MSG_PEEK     = 0x2
	MSG_TRUNC    = 0x20
	MSG_DONTWAIT = 0x40
	MSG_WAITALL  = 0x100
	MSG_NOSIGNAL = 0x4000
	MSG_MORE     = 0x8000
)

// Socket options Linux has and package syscall lacks.
const (
	SO_REUSEPORT     = 15
	SO_PROTOCOL      = 38
	SO_DOMAIN        = 39
	TCP_KEEPIDLE     = 4
	TCP_KEEPINTVL    = 5
	TCP_KEEPCNT      = 6
	TCP_SYNCNT       = 7
	TCP_USER_TIMEOUT = 18
)

// TCP states as /proc/net/tcp numbers them (include/net/tcp_states.h).
const (
	TCP_ESTABLISHED = 1
	TCP_SYN_SENT    = 2
	TCP_SYN_RECV    = 3
	TCP_TIME_WAIT   = 6
	TCP_CLOSE       = 7
	TCP_LISTEN      = 10
)
