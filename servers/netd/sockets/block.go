package sockets

import (
	"context"
	"syscall"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/waiter"
)

// block runs try until it does not report ErrWouldBlock, sleeping between
// attempts on the socket's wait queue for the events in mask, so a
// blocked call costs nothing until netstack says something changed. It
// gives up with EAGAIN at once when nonblock is set or after timeout (if
// positive), as Linux does (a negative timeout is Linux's "do not wait") for SO_RCVTIMEO and SO_SNDTIMEO, and with
// EINTR when ctx ends, which is how linuxd interrupts a call for a signal.
func (s *socket) block(ctx context.Context, nonblock bool, mask waiter.EventMask, timeout time.Duration, try func() tcpip.Error) error {
	err := try()
	if _, ok := err.(*tcpip.ErrWouldBlock); !ok || nonblock || timeout < 0 {
		return errno(err)
	}
	e, ch := waiter.NewChannelEntry(mask)
	s.wq.EventRegister(&e)
	defer s.wq.EventUnregister(&e)
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	for {
		// Try again after registering: an event between the first try
		// and the registration would otherwise be lost.
		err = try()
		if _, ok := err.(*tcpip.ErrWouldBlock); !ok {
			return errno(err)
		}
		select {
		case <-ch:
		case <-expired:
			return syscall.EAGAIN
		case <-ctx.Done():
			return syscall.EINTR
		}
	}
}
