package inproc

import (
	"io"
	"sync"
	"syscall"
)

// Memory stands in for a kernel memory object in host tests: a fixed-size
// byte array that both ends of a channel can read and write once its
// handle has been passed. Protocols move bulk data through such objects
// rather than through message bytes (see docs/protocols.md).
type Memory struct {
	mu sync.RWMutex
	b  []byte
}

// NewMemory returns a zeroed memory object of size bytes.
func NewMemory(size int) *Memory {
	return &Memory{b: make([]byte, size)}
}

// Size is the object's size in bytes.
func (m *Memory) Size() int64 {
	return int64(len(m.b))
}

// ReadAt implements io.ReaderAt.
func (m *Memory) ReadAt(p []byte, off int64) (int, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if off < 0 {
		return 0, syscall.EINVAL
	}
	if off >= int64(len(m.b)) {
		return 0, io.EOF
	}
	n := copy(p, m.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// WriteAt implements io.WriterAt. Writing past the end is EFAULT, as a
// store beyond a mapping would be.
func (m *Memory) WriteAt(p []byte, off int64) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if off < 0 || off > int64(len(m.b)) || int64(len(p)) > int64(len(m.b))-off {
		return 0, syscall.EFAULT
	}
	return copy(m.b[off:], p), nil
}
