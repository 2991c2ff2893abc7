// Package kchan carries aramid/proto/rpc over the kernel's channels
// (lib/ipc): the transport of the real system, where inproc is the one of
// host tests.
//
// The kernel matches no transaction ids: a channel_call writes and then
// reads the next message on the channel. A Client therefore keeps one call
// in flight per channel, and Serve answers a channel's requests in order.
// Parallel calls to one server take several channels.
package kchan

import (
	"context"
	"errors"
	"sync"
	"syscall"

	"aramid/lib/ipc"
	"aramid/proto/rpc"
)

// channelOps are the kernel calls kchan makes: lib/ipc in the real system,
// a fake in host tests, where the native calls do not exist.
type channelOps interface {
	Call(h ipc.Handle, req []byte, reqHs []ipc.Handle, resp []byte, respHs []ipc.Handle) (n, nh int, err error)
	Read(h ipc.Handle, buf []byte, hs []ipc.Handle) (n, nh int, err error)
	Write(h ipc.Handle, data []byte, hs []ipc.Handle) error
	Close(h ipc.Handle) error
	// Ready reports, without waiting, whether channel h has a message
	// queued or its peer has closed.
	Ready(h ipc.Handle) (bool, error)
}

type kernel struct{}

func (kernel) Call(h ipc.Handle, req []byte, reqHs []ipc.Handle, resp []byte, respHs []ipc.Handle) (int, int, error) {
	return ipc.Call(h, req, reqHs, resp, respHs)
}

func (kernel) Read(h ipc.Handle, buf []byte, hs []ipc.Handle) (int, int, error) {
	return ipc.Read(h, buf, hs)
}

func (kernel) Write(h ipc.Handle, data []byte, hs []ipc.Handle) error { return ipc.Write(h, data, hs) }

func (kernel) Close(h ipc.Handle) error { return ipc.Close(h) }

func (kernel) Ready(h ipc.Handle) (bool, error) {
	_, err := ipc.WaitMany([]ipc.Handle{h}, 0)
	if errors.Is(err, syscall.ETIMEDOUT) {
		return false, nil
	}
	return err == nil, err
}

// Client is the client end of a kernel channel, as an rpc.Transport.
type Client struct {
	ops channelOps
	h   ipc.Handle

	mu   sync.Mutex // one call in flight; guards the buffers
	buf  []byte
	hbuf []ipc.Handle
}

// NewClient returns a Transport that calls over channel h.
func NewClient(h ipc.Handle) *Client {
	return newClient(kernel{}, h)
}

func newClient(ops channelOps, h ipc.Handle) *Client {
	return &Client{ops: ops, h: h, buf: make([]byte, rpc.MaxMessageSize), hbuf: make([]ipc.Handle, rpc.MaxHandles)}
}

// Call implements rpc.Transport. The kernel cannot abandon a call, so ctx
// is only checked before it starts.
//
// A request without handles goes out as one channel_call, which hands the
// CPU to the server. One with handles is a write then a read: the kernel
// leaves a failed write's handles with the sender, and a channel_call's
// EPIPE does not say whether its write happened, so only a separate write
// tells Call whether to close them, as the rpc contract (a call consumes
// its handles) requires. Requests with handles are rare (registrations).
func (c *Client) Call(ctx context.Context, req rpc.Message) (rpc.Message, error) {
	hs := toHandles(req.Handles)
	if err := ctx.Err(); err != nil {
		closeAll(c.ops, hs)
		return rpc.Message{}, rpc.Errno(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var n, nh int
	var err error
	if len(hs) == 0 {
		n, nh, err = c.ops.Call(c.h, req.Data, nil, c.buf, c.hbuf)
	} else if err = c.ops.Write(c.h, req.Data, hs); err != nil {
		closeAll(c.ops, hs)
	} else {
		n, nh, err = c.ops.Read(c.h, c.buf, c.hbuf)
	}
	if err != nil {
		return rpc.Message{}, err
	}
	rep := rpc.Message{Data: append([]byte(nil), c.buf[:n]...)}
	for _, h := range c.hbuf[:nh] {
		rep.Handles = append(rep.Handles, uint32(h))
	}
	return rep, nil
}

// PeerGone reports whether the server has closed its end, so that the
// next call would fail with EPIPE: between calls nothing is queued on a
// client's channel, so a ready channel is one whose peer is gone. It costs
// one kernel call and no message.
func (c *Client) PeerGone() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	ready, err := c.ops.Ready(c.h)
	return ready || err != nil
}

// Close closes the channel; calls after it fail.
func (c *Client) Close() error { return c.ops.Close(c.h) }

// Release implements rpc.Transport.
func (c *Client) Release(handles []uint32) {
	closeAll(c.ops, toHandles(handles))
}

// Dialer turns received channel handles into Clients.
type Dialer struct{}

// Dial implements rpc.Dialer.
func (Dialer) Dial(h uint32) (rpc.Transport, error) {
	return NewClient(ipc.Handle(h)), nil
}

// Handles resolves the handles a server receives with the kernel's calls:
// channels become Clients, and memory objects are mapped (for the life of
// the process, as the kernel cannot unmap them yet).
type Handles struct{ Dialer }

var _ rpc.Handles = Handles{}

// Memory maps the memory object h.
func (Handles) Memory(h uint32) (rpc.Memory, error) { return ipc.MapMemory(ipc.Handle(h)) }

// Close closes h.
func (Handles) Close(h uint32) error { return ipc.Close(ipc.Handle(h)) }

// Serve answers the requests that arrive on channel h with d, in order,
// until the peer closes the channel (nil) or the channel fails. Requests
// reach d with h as their rpc.Peer.
func Serve(ctx context.Context, h ipc.Handle, d rpc.Dispatcher) error {
	return serve(ctx, kernel{}, h, d)
}

func serve(ctx context.Context, ops channelOps, h ipc.Handle, d rpc.Dispatcher) error {
	ctx = rpc.WithPeer(ctx, rpc.Peer(h))
	buf := make([]byte, rpc.MaxMessageSize)
	hbuf := make([]ipc.Handle, rpc.MaxHandles)
	for {
		n, nh, err := ops.Read(h, buf, hbuf)
		if errors.Is(err, syscall.EPIPE) {
			return nil
		}
		if err != nil {
			return err
		}
		req := rpc.Message{Data: buf[:n]}
		for _, rh := range hbuf[:nh] {
			req.Handles = append(req.Handles, uint32(rh))
		}
		rep, release := d.Dispatch(ctx, req)
		for _, rh := range release {
			ops.Close(ipc.Handle(rh))
		}
		if err := reply(ops, h, rep); errors.Is(err, syscall.EPIPE) {
			return nil
		}
	}
}

// reply sends rep. If the kernel refuses it (too large for its channels),
// the reply's handles, which a failed write leaves with the sender, are
// closed and the caller gets the errno instead, so it is never left
// waiting.
func reply(ops channelOps, h ipc.Handle, rep rpc.Message) error {
	hs := toHandles(rep.Handles)
	err := ops.Write(h, rep.Data, hs)
	if err == nil {
		return nil
	}
	closeAll(ops, hs)
	if errors.Is(err, syscall.EPIPE) {
		return err
	}
	return ops.Write(h, rpc.ErrorReply(err).Data, nil)
}

func closeAll(ops channelOps, hs []ipc.Handle) {
	for _, h := range hs {
		ops.Close(h)
	}
}

func toHandles(hs []uint32) []ipc.Handle {
	out := make([]ipc.Handle, len(hs))
	for i, h := range hs {
		out[i] = ipc.Handle(h)
	}
	return out
}
