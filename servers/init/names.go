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

// names serves Names to one child on its bootstrap channel. dev is the
// child's device spec, if it has one (devices.go).
type names struct {
	r   *registry
	who string
	dev string
}

func (n names) Register(_ context.Context, req *namepb.RegisterRequest) (*namepb.RegisterReply, error) {
	if req.GetChannel() == nil {
		return nil, syscall.EINVAL
	}
	n.r.register(req.GetName(), ipc.Handle(req.GetChannel().GetValue()))
	fmt.Printf("init: %s registered %q\n", n.who, req.GetName())
	return &namepb.RegisterReply{}, nil
}

func (n names) Lookup(_ context.Context, req *namepb.LookupRequest) (*namepb.LookupReply, error) {
	c, err := n.r.connect(req.GetName())
	if err != nil {
		return nil, err
	}
	return &namepb.LookupReply{Channel: &rpc.Handle{Value: uint32(c)}}, nil
}

func (n names) Device(context.Context, *namepb.DeviceRequest) (*namepb.DeviceReply, error) {
	h, err := mintDevice(n.dev)
	if err != nil {
		if n.dev != "" {
			fmt.Printf("init: %s gets no device %s: %v\n", n.who, n.dev, err)
		}
		return nil, err
	}
	fmt.Printf("init: %s gets device %s\n", n.who, n.dev)
	return &namepb.DeviceReply{Device: &rpc.Handle{Value: uint32(h)}}, nil
}

// serve answers one child's requests on its bootstrap channel until the
// child goes away.
func (r *registry) serve(who, dev string, boot ipc.Handle) {
	kchan.Serve(context.Background(), boot, namepb.NewNamesDispatcher(names{r: r, who: who, dev: dev}))
	ipc.Close(boot)
}
