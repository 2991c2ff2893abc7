// Package redial keeps a client's connection to a named service across
// restarts of the server behind it. init restarts a server that dies and
// its name service hands out connections to the successor; a Transport
// notices the death (the kernel fails a call on a channel whose other end
// is gone with EPIPE), looks the name up again, and carries on over the
// new connection.
//
// The call that finds the server gone is not retried: its request may
// name state that died with the server (an open file, a socket), and the
// successor may give those numbers to something else. It fails with EIO,
// Linux's "the server failed". Clients that hold such state record Gen
// when they create it and treat state of an older generation as lost.
package redial

import (
	"context"
	"errors"
	"sync"
	"syscall"

	"aramid/proto/rpc"
)

// Transport is an rpc.Transport to a service that may be restarted.
type Transport struct {
	dial      func() (rpc.Transport, error)
	restarted func(rpc.Transport) error

	dialing sync.Mutex // one redial at a time
	mu      sync.Mutex // guards cur and gen
	cur     rpc.Transport
	gen     uint64
}

// New connects with dial, which looks the service up and returns a
// transport to it. restarted, if not nil, runs on every connection made
// after the first, before any call of the client uses it: it sets up again
// what the client had set up on the old server (a shared buffer, a
// subscription). An error from it is reported by the call that redialed,
// and the connection is used all the same.
func New(dial func() (rpc.Transport, error), restarted func(rpc.Transport) error) (*Transport, error) {
	t, err := dial()
	if err != nil {
		return nil, err
	}
	return &Transport{dial: dial, restarted: restarted, cur: t}, nil
}

// Gen counts the connections made after the first: it changes when the
// server has been replaced.
func (t *Transport) Gen() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.gen
}

func (t *Transport) current() (rpc.Transport, uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cur, t.gen
}

// Call implements rpc.Transport. When the server is gone it connects to
// the successor and fails with EIO (or the error that kept it from
// connecting).
func (t *Transport) Call(ctx context.Context, req rpc.Message) (rpc.Message, error) {
	cur, gen := t.current()
	rep, err := cur.Call(ctx, req)
	if !errors.Is(err, syscall.EPIPE) {
		return rep, err
	}
	if err := t.redial(gen); err != nil {
		return rpc.Message{}, rpc.Errno(err)
	}
	return rpc.Message{}, syscall.EIO
}

// Check connects to the successor now if the server is known to be gone
// (the transport reports PeerGone, as kchan.Client does), so that a
// client can see Gen change before it sends a request that names the dead
// server's state, and send a fresh request to the successor instead of
// failing one. Transports that cannot tell are left alone.
func (t *Transport) Check() {
	cur, gen := t.current()
	if p, ok := cur.(interface{ PeerGone() bool }); ok && p.PeerGone() {
		t.redial(gen)
	}
}

// redial replaces the connection of generation gen, unless another call
// has already done so.
func (t *Transport) redial(gen uint64) error {
	t.dialing.Lock()
	defer t.dialing.Unlock()
	old, now := t.current()
	if now != gen {
		return nil
	}
	next, err := t.dial()
	if err != nil {
		return err
	}
	if t.restarted != nil {
		err = t.restarted(next)
	}
	t.mu.Lock()
	t.cur, t.gen = next, gen+1
	t.mu.Unlock()
	if c, ok := old.(interface{ Close() error }); ok {
		c.Close()
	}
	return err
}

// Release implements rpc.Transport.
func (t *Transport) Release(handles []uint32) {
	cur, _ := t.current()
	cur.Release(handles)
}
