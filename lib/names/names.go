// Package names is the client side of init's name service
// (proto/namepb): every process init starts reaches it on its bootstrap
// channel. A server registers a channel under a name and accepts
// connections on it; a client looks the name up and gets a channel of its
// own to the server.
package names

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"

	"aramid/lib/ipc"
	"aramid/proto/kchan"
	"aramid/proto/namepb"
	"aramid/proto/redial"
	"aramid/proto/rpc"
)

// initClient calls Names over the bootstrap channel. kchan keeps one
// call in flight on it, so a lookup that waits for a server delays this
// process's other calls to init, as init answers them in order anyway.
var initClient = sync.OnceValue(func() *namepb.NamesClient {
	return namepb.NewNamesClient(kchan.NewClient(ipc.Bootstrap))
})

// ErrInitGone is what the name service's calls fail with once init has
// ended, which is how the machine shuts down: every server's registration
// and lookups end with it, and a server that says so is not failing.
var ErrInitGone = fmt.Errorf("init has ended (%w)", syscall.EPIPE)

// initErr turns a broken channel to init into ErrInitGone.
func initErr(err error) error {
	if errors.Is(err, syscall.EPIPE) {
		return ErrInitGone
	}
	return err
}

// Register publishes a new channel under name and returns the server's end
// of it. Call Accept on it at once: init waits for the server to accept
// each connection.
func Register(name string) (ipc.Handle, error) {
	mine, theirs, err := ipc.Channel()
	if err != nil {
		return 0, err
	}
	req := &namepb.RegisterRequest{Name: name, Channel: &rpc.Handle{Value: uint32(theirs)}}
	if _, err := initClient().Register(context.Background(), req); err != nil {
		ipc.Close(mine)
		return 0, fmt.Errorf("register %s: %w", name, initErr(err))
	}
	return mine, nil
}

// Lookup returns a new channel to the server called name. init waits up
// to 10 seconds for the name to be registered; after that the error is
// ENOENT.
func Lookup(name string) (ipc.Handle, error) {
	rep, err := initClient().Lookup(context.Background(), &namepb.LookupRequest{Name: name})
	if err != nil {
		return 0, fmt.Errorf("lookup %s: %w", name, initErr(err))
	}
	return ipc.Handle(rep.GetChannel().GetValue()), nil
}

// Dial connects to the server called name through a transport that
// survives its restarts (proto/redial): when the server dies, the next
// call looks the name up again. restarted, if not nil, sets up on each
// new server what the client had set up on the old one.
func Dial(name string, restarted func(rpc.Transport) error) (*redial.Transport, error) {
	return redial.New(func() (rpc.Transport, error) {
		h, err := Lookup(name)
		if err != nil {
			return nil, err
		}
		return kchan.NewClient(h), nil
	}, restarted)
}

// Device returns the device handle init's configuration grants this
// program ("vfsd@virtio-blk"), minted for it on the first call. Without
// one the error is ENODEV. A spare that init keeps of a server
// ("+netd@virtio-net") waits here until the server dies and it takes its
// place; if init answers that it is not needed, the process exits.
func Device() (ipc.Handle, error) {
	rep, err := initClient().Device(context.Background(), &namepb.DeviceRequest{})
	if errors.Is(err, syscall.ECANCELED) {
		os.Exit(0)
	}
	if err != nil {
		return 0, fmt.Errorf("device: %w", err)
	}
	return ipc.Handle(rep.GetDevice().GetValue()), nil
}

// Accept serves the connections init makes on svc, a channel from
// Register: it runs serve for each in its own goroutine. It returns when
// init closes svc (ErrInitGone) or the channel fails.
func Accept(svc ipc.Handle, serve func(conn ipc.Handle)) error {
	err := kchan.Serve(context.Background(), svc, namepb.NewAcceptorDispatcher(acceptor(serve)))
	if err == nil {
		err = syscall.EPIPE
	}
	return initErr(err)
}

// acceptor serves Acceptor by handing each new channel to a goroutine.
type acceptor func(conn ipc.Handle)

func (a acceptor) Connect(_ context.Context, req *namepb.ConnectRequest) (*namepb.ConnectReply, error) {
	if req.GetChannel() == nil {
		return nil, syscall.EINVAL
	}
	go a(ipc.Handle(req.GetChannel().GetValue()))
	return &namepb.ConnectReply{}, nil
}
