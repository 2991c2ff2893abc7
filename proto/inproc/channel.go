package inproc

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"syscall"

	"aramid/proto/rpc"
)

var nextPeer atomic.Uint64

// Channel is an in-process channel whose server end is a Dispatcher. Each
// request is served on its own goroutine, so a server may block in one
// call (accept, a read with no data) while it answers others.
type Channel struct {
	server *Table
	d      rpc.Dispatcher
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	closed bool
}

// NewChannel starts serving d, with server as the server process's handle
// table: handles in requests arrive there, handles in replies leave it.
// Requests reach d with a context that carries the channel's rpc.Peer.
func NewChannel(server *Table, d rpc.Dispatcher) *Channel {
	ctx, cancel := context.WithCancel(context.Background())
	ctx = rpc.WithPeer(ctx, rpc.Peer(nextPeer.Add(1)))
	return &Channel{server: server, d: d, ctx: ctx, cancel: cancel}
}

// Close shuts the channel: later calls fail with EPIPE and the server's
// context is cancelled. Calls already being served run to the end.
func (ch *Channel) Close() error {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if !ch.closed {
		ch.closed = true
		ch.cancel()
	}
	return nil
}

// Transport returns the client end of ch for a process whose handle
// table is client.
func (ch *Channel) Transport(client *Table) rpc.Transport {
	return endpoint{ch: ch, client: client}
}

type endpoint struct {
	ch     *Channel
	client *Table
}

type reply struct {
	data []byte
	objs []any
}

// Call implements rpc.Transport.
func (e endpoint) Call(ctx context.Context, req rpc.Message) (rpc.Message, error) {
	objs, err := e.client.take(req.Handles)
	if err != nil {
		return rpc.Message{}, err
	}
	if len(req.Data) > rpc.MaxMessageSize || len(objs) > rpc.MaxHandles {
		closeObjects(objs)
		return rpc.Message{}, syscall.EMSGSIZE
	}
	e.ch.mu.Lock()
	closed := e.ch.closed
	e.ch.mu.Unlock()
	if closed {
		closeObjects(objs)
		return rpc.Message{}, syscall.EPIPE
	}
	done := make(chan reply, 1)
	go e.ch.serve(bytes.Clone(req.Data), objs, done)
	select {
	case r := <-done:
		return rpc.Message{Data: r.data, Handles: e.client.installAll(r.objs)}, nil
	case <-ctx.Done():
		go func() { closeObjects((<-done).objs) }()
		return rpc.Message{}, rpc.Errno(ctx.Err())
	}
}

// Release implements rpc.Transport.
func (e endpoint) Release(handles []uint32) {
	for _, h := range handles {
		e.client.Close(h)
	}
}

func (ch *Channel) serve(data []byte, objs []any, done chan<- reply) {
	hs := ch.server.installAll(objs)
	rep, release := ch.d.Dispatch(ch.ctx, rpc.Message{Data: data, Handles: hs})
	for _, h := range release {
		ch.server.Close(h)
	}
	robjs, err := ch.server.take(rep.Handles)
	if err != nil {
		done <- reply{data: rpc.ErrorReply(err).Data}
		return
	}
	done <- reply{data: bytes.Clone(rep.Data), objs: robjs}
}
