package rpc

import (
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

// Buffers is one client's table of registered buffers (RegisterBuffer and
// UnregisterBuffer in bulk.proto), for the servers that move bulk data.
// The zero value is an empty table; it is safe for concurrent use.
type Buffers struct {
	mu   sync.Mutex
	next uint32
	m    map[uint32]registered
}

type registered struct {
	mem    Memory
	handle uint32
}

// Add registers mem, which arrived as handle, and returns its buffer number.
func (b *Buffers) Add(mem Memory, handle uint32) uint32 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[uint32]registered{}
	}
	b.next++
	b.m[b.next] = registered{mem: mem, handle: handle}
	return b.next
}

// Remove unregisters buffer id and returns the handle it arrived as, for
// the caller to close.
func (b *Buffers) Remove(id uint32) (handle uint32, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r, ok := b.m[id]
	delete(b.m, id)
	return r.handle, ok
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

// Clear empties the table and returns the handles of the buffers it held,
// for the caller to close.
func (b *Buffers) Clear() []uint32 {
	b.mu.Lock()
	defer b.mu.Unlock()
	hs := make([]uint32, 0, len(b.m))
	for _, r := range b.m {
		hs = append(hs, r.handle)
	}
	b.m = nil
	return hs
}
