package ipc

import (
	"errors"
	"strings"
	"syscall"
)

// The name service: every process spawned by init has a bootstrap channel
// to it. A server registers a service channel under a name; a client looks
// a name up and gets a fresh channel to the server, which init asks the
// server to accept by sending it a "connect" message carrying the other end
// (docs/native-abi.md).

// Register publishes a service under name and returns the channel on which
// the server receives "connect" messages (see Serve).
func Register(name string) (Handle, error) {
	mine, theirs, err := Channel()
	if err != nil {
		return 0, err
	}
	if err := Write(Bootstrap, []byte("register "+name), []Handle{theirs}); err != nil {
		Close(mine)
		return 0, err
	}
	return mine, nil
}

// Lookup returns a new channel to the service called name.
func Lookup(name string) (Handle, error) {
	buf := make([]byte, 256)
	hs := make([]Handle, 1)
	n, nh, err := Call(Bootstrap, []byte("lookup "+name), nil, buf, hs)
	if err != nil {
		return 0, err
	}
	if reply := string(buf[:n]); reply != "ok" || nh != 1 {
		return 0, errors.New("lookup " + name + ": " + reply)
	}
	return hs[0], nil
}

// Serve accepts connections on a service channel from Register and runs
// handle for each in its own goroutine. It returns when the channel fails.
func Serve(svc Handle, handle func(conn Handle)) error {
	buf := make([]byte, 64)
	for {
		hs := make([]Handle, 1)
		n, nh, err := Read(svc, buf, hs)
		if err != nil {
			return err
		}
		if strings.TrimSpace(string(buf[:n])) != "connect" || nh != 1 {
			continue
		}
		go handle(hs[0])
	}
}

// IsClosed reports whether err means the peer end of a channel is gone.
func IsClosed(err error) bool { return errors.Is(err, syscall.EPIPE) }
