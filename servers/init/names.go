package main

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"time"

	"aramid/lib/ipc"
	"aramid/proto/kchan"
	"aramid/proto/namepb"
	"aramid/proto/rpc"
)

// lookupWait is how long a lookup waits for its name to be registered.
const lookupWait = 10 * time.Second

// registry maps service names to the channels their servers accept
// connections on.
type registry struct {
	mu       sync.Mutex
	services map[string]*service
	changed  *sync.Cond
}

// service is a registered channel, on which init calls Acceptor.
type service struct {
	h ipc.Handle
	c *namepb.AcceptorClient
}

func newRegistry() *registry {
	r := &registry{services: map[string]*service{}}
	r.changed = sync.NewCond(&r.mu)
	return r
}

func (r *registry) register(name string, h ipc.Handle) {
	r.mu.Lock()
	if old, ok := r.services[name]; ok {
		ipc.Close(old.h)
	}
	r.services[name] = &service{h: h, c: namepb.NewAcceptorClient(kchan.NewClient(h))}
	r.mu.Unlock()
	r.changed.Broadcast()
}

// connect makes a new channel to service name, waiting up to lookupWait
// for the service to register.
func (r *registry) connect(name string) (ipc.Handle, error) {
	deadline := time.Now().Add(lookupWait)
	t := time.AfterFunc(lookupWait, r.changed.Broadcast)
	defer t.Stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		if svc, ok := r.services[name]; ok {
			client, server, err := ipc.Channel()
			if err != nil {
				return 0, err
			}
			r.mu.Unlock()
			err = svc.accept(server)
			r.mu.Lock()
			if err == nil {
				return client, nil
			}
			ipc.Close(client)
			if r.services[name] == svc {
				// The server is gone; wait for its successor.
				delete(r.services, name)
				ipc.Close(svc.h)
			}
			continue
		}
		if time.Now().After(deadline) {
			return 0, syscall.ENOENT
		}
		r.changed.Wait()
	}
}

// accept hands the server its end of a new client's channel. init waits
// for the reply without holding the registry's lock.
func (s *service) accept(server ipc.Handle) error {
	_, err := s.c.Connect(context.Background(), &namepb.ConnectRequest{Channel: &rpc.Handle{Value: uint32(server)}})
	return err
}

// names serves Names to child c on its bootstrap channel.
type names struct {
	r *registry
	c *child
}

func (n names) Register(_ context.Context, req *namepb.RegisterRequest) (*namepb.RegisterReply, error) {
	if req.GetChannel() == nil {
		return nil, syscall.EINVAL
	}
	n.r.register(req.GetName(), ipc.Handle(req.GetChannel().GetValue()))
	fmt.Printf("init: %s registered %q\n", n.c.cmd, req.GetName())
	n.c.registered()
	return &namepb.RegisterReply{}, nil
}

func (n names) Lookup(_ context.Context, req *namepb.LookupRequest) (*namepb.LookupReply, error) {
	c, err := n.r.connect(req.GetName())
	if err != nil {
		return nil, err
	}
	return &namepb.LookupReply{Channel: &rpc.Handle{Value: uint32(c)}}, nil
}

// Device mints the child's device. A spare's call waits until the
// server it stands in for has died (and so released the device), or
// fails with ECANCELED when the spare is not needed.
func (n names) Device(context.Context, *namepb.DeviceRequest) (*namepb.DeviceReply, error) {
	if n.c.gate != nil {
		fmt.Printf("init: a spare of %s is ready\n", n.c.cmd)
		if !<-n.c.gate {
			return nil, syscall.ECANCELED
		}
	}
	h, err := mintDevice(n.c.dev)
	if err != nil {
		if n.c.dev != "" {
			fmt.Printf("init: %s gets no device %s: %v\n", n.c.cmd, n.c.dev, err)
		}
		return nil, err
	}
	fmt.Printf("init: %s gets device %s\n", n.c.cmd, n.c.dev)
	return &namepb.DeviceReply{Device: &rpc.Handle{Value: uint32(h)}}, nil
}

// serve answers one child's requests on its bootstrap channel until the
// child goes away.
func (r *registry) serve(c *child, boot ipc.Handle) {
	kchan.Serve(context.Background(), boot, namepb.NewNamesDispatcher(names{r: r, c: c}))
	ipc.Close(boot)
}
