package sockets

import (
	"syscall"
	"testing"

	"gvisor.dev/gvisor/pkg/tcpip"
)

// TestErrno pins each netstack error to the errno Linux gives for the
// same condition (connect(2), send(2), bind(2), socket(7), ip(7)).
func TestErrno(t *testing.T) {
	for _, c := range []struct {
		err  tcpip.Error
		want syscall.Errno
	}{
		{&tcpip.ErrWouldBlock{}, syscall.EAGAIN},
		{&tcpip.ErrNoPortAvailable{}, syscall.EAGAIN},
		{&tcpip.ErrConnectStarted{}, syscall.EINPROGRESS},
		{&tcpip.ErrAlreadyConnecting{}, syscall.EALREADY},
		{&tcpip.ErrAlreadyConnected{}, syscall.EISCONN},
		{&tcpip.ErrNotConnected{}, syscall.ENOTCONN},
		{&tcpip.ErrConnectionRefused{}, syscall.ECONNREFUSED},
		{&tcpip.ErrConnectionReset{}, syscall.ECONNRESET},
		{&tcpip.ErrConnectionAborted{}, syscall.ECONNABORTED},
		{&tcpip.ErrTimeout{}, syscall.ETIMEDOUT},
		{&tcpip.ErrClosedForSend{}, syscall.EPIPE},
		{&tcpip.ErrAborted{}, syscall.EPIPE},
		{&tcpip.ErrPortInUse{}, syscall.EADDRINUSE},
		{&tcpip.ErrBadLocalAddress{}, syscall.EADDRNOTAVAIL},
		{&tcpip.ErrHostUnreachable{}, syscall.EHOSTUNREACH},
		{&tcpip.ErrHostDown{}, syscall.EHOSTDOWN},
		{&tcpip.ErrNetworkUnreachable{}, syscall.ENETUNREACH},
		{&tcpip.ErrNoNet{}, syscall.ENONET},
		{&tcpip.ErrDestinationRequired{}, syscall.EDESTADDRREQ},
		{&tcpip.ErrMessageTooLong{}, syscall.EMSGSIZE},
		{&tcpip.ErrNoBufferSpace{}, syscall.ENOBUFS},
		{&tcpip.ErrBroadcastDisabled{}, syscall.EACCES},
		{&tcpip.ErrNotPermitted{}, syscall.EPERM},
		{&tcpip.ErrAddressFamilyNotSupported{}, syscall.EAFNOSUPPORT},
		{&tcpip.ErrNotSupported{}, syscall.EOPNOTSUPP},
		{&tcpip.ErrUnknownProtocolOption{}, syscall.ENOPROTOOPT},
		{&tcpip.ErrQueueSizeNotSupported{}, syscall.ENOTTY},
		{&tcpip.ErrBadBuffer{}, syscall.EFAULT},
		{&tcpip.ErrBadAddress{}, syscall.EFAULT},
		{&tcpip.ErrUnknownNICID{}, syscall.ENODEV},
		{&tcpip.ErrUnknownDevice{}, syscall.ENODEV},
		{&tcpip.ErrDuplicateAddress{}, syscall.EEXIST},
		{&tcpip.ErrDuplicateNICID{}, syscall.EEXIST},
		{&tcpip.ErrEndpointBusy{}, syscall.EBUSY},
		{&tcpip.ErrNoSuchFile{}, syscall.ENOENT},
		{&tcpip.ErrUnknownProtocol{}, syscall.EINVAL},
		{&tcpip.ErrAlreadyBound{}, syscall.EINVAL},
		{&tcpip.ErrInvalidEndpointState{}, syscall.EINVAL},
		{&tcpip.ErrInvalidOptionValue{}, syscall.EINVAL},
		{&tcpip.ErrMalformedHeader{}, syscall.EINVAL},
		{&tcpip.ErrInvalidPortRange{}, syscall.EINVAL},
		{&tcpip.ErrMulticastInputCannotBeOutput{}, syscall.EINVAL},
		{&tcpip.ErrMissingRequiredFields{}, syscall.EINVAL},
		// An error the table does not name is the implementation's
		// failure.
		{&tcpip.ErrInvalidNICID{}, syscall.EIO},
	} {
		if got := errno(c.err); got != c.want {
			t.Errorf("errno(%T) = %v, want %v", c.err, got, c.want)
		}
	}
	if got := errno(nil); got != nil {
		t.Errorf("errno(nil) = %v, want nil", got)
	}
}
