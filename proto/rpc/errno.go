package rpc

import (
	"context"
	"errors"
	"syscall"

	"aramid/lib/linux"
)

// Errno maps a server's error to the Linux errno that crosses the wire.
// A syscall.Errno anywhere in err's chain is used as is; context errors
// become EINTR and ETIMEDOUT; anything else is EIO, because a caller can
// only act on an errno and EIO is Linux's "the server failed".
func Errno(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	var e syscall.Errno
	if errors.As(err, &e) && e != 0 && e <= linux.MaxErrno {
		return e
	}
	switch {
	case errors.Is(err, context.Canceled):
		return syscall.EINTR
	case errors.Is(err, context.DeadlineExceeded):
		return syscall.ETIMEDOUT
	}
	return syscall.EIO
}

// ErrorReply is the reply frame that carries err's errno.
func ErrorReply(err error) Message {
	return Message{Data: header(uint32(Errno(err)))}
}

func header(v uint32) []byte {
	return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}
}
