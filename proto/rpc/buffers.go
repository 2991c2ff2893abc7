package rpc

import (
	"context"
	"io"
	"math"
	"sync"
	"syscall"
)

// Memory is a memory object a client registered for bulk data: a kernel
// memory object in the real system, an inproc.Memory in host tests.
type Memory interface {
	io.ReaderAt
	io.WriterAt
	Size() int64
}

// Handles turns the handles a server receives into the objects they name:
// channels to call back on and memory objects. kchan.Handles does it with
// the kernel's calls; an inproc.Table does it in host tests.
type Handles interface {
	Dialer
	Memory(h uint32) (Memory, error)
	Close(h uint32) error
}

// Buffers is one client's table of registered buffers. It serves
// RegisterBuffer and UnregisterBuffer (bulk.proto) for the servers that
// move bulk data, which embed it in their per-client type. It is safe for
// concurrent use.
type Buffers struct {
	h Handles

	mu   sync.Mutex
	next uint32
	m    map[uint32]registered
}

type registered struct {
	mem    Memory
	handle uint32
}

// NewBuffers returns an empty table that maps and closes memory objects
// with h.
func NewBuffers(h Handles) *Buffers {
	return &Buffers{h: h, m: map[uint32]registered{}}
}

// RegisterBuffer maps the memory object the request carries and returns its
// buffer number. A handle that is not a memory object is EINVAL, and is
// closed like any other handle the server cannot use.
func (b *Buffers) RegisterBuffer(_ context.Context, req *RegisterBufferRequest) (*RegisterBufferReply, error) {
	h := req.GetMemory().GetValue()
	mem, err := b.h.Memory(h)
	if err != nil {
		b.h.Close(h)
		return nil, syscall.EINVAL
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.next++
	b.m[b.next] = registered{mem: mem, handle: h}
	return &RegisterBufferReply{Buffer: b.next}, nil
}

// UnregisterBuffer closes a buffer's memory object; a buffer number that is
// not registered is EINVAL.
func (b *Buffers) UnregisterBuffer(_ context.Context, req *UnregisterBufferRequest) (*UnregisterBufferReply, error) {
	b.mu.Lock()
	r, ok := b.m[req.GetBuffer()]
	delete(b.m, req.GetBuffer())
	b.mu.Unlock()
	if !ok {
		return nil, syscall.EINVAL
	}
	b.h.Close(r.handle)
	return &UnregisterBufferReply{}, nil
}

// Region returns the memory, offset and length that r names, or EFAULT, as
// the kernel gives for a bad user pointer, when r is not inside a
// registered buffer.
func (b *Buffers) Region(r *Region) (Memory, int64, int64, error) {
	b.mu.Lock()
	reg, ok := b.m[r.GetBuffer()]
	b.mu.Unlock()
	off, n := r.GetOffset(), r.GetLength()
	if !ok || off > math.MaxInt64 || n > uint64(reg.mem.Size()) || off > uint64(reg.mem.Size())-n {
		return nil, 0, 0, syscall.EFAULT
	}
	return reg.mem, int64(off), int64(n), nil
}

// ReleaseBuffers empties the table and closes the memory objects it held,
// when the client's channel closes.
func (b *Buffers) ReleaseBuffers() {
	b.mu.Lock()
	m := b.m
	b.m = map[uint32]registered{}
	b.mu.Unlock()
	for _, r := range m {
		b.h.Close(r.handle)
	}
}
