// Package inproc is the in-process transport: it connects a client and a
// server inside one Go program the way a kernel channel connects two
// processes, so every server can run, and be called through its real
// generated client, under go test on the host.
//
// It keeps the kernel's rules where a test could otherwise pass by
// accident: bytes are copied, handles are moved between per-process handle
// tables and renumbered, and size and handle-count limits are enforced.
package inproc

import (
	"io"
	"sync"
	"sync/atomic"
	"syscall"

	"aramid/proto/rpc"
)

var tableBase atomic.Uint32

// Table is one process's handle table. A handle is a number naming a Go
// object (a *Channel, a *Memory, or anything a test likes).
type Table struct {
	mu   sync.Mutex
	next uint32
	objs map[uint32]any
}

// NewTable returns an empty handle table.
func NewTable() *Table {
	// Each table numbers from its own base, so a handle number that
	// leaks from one process to another is not valid there.
	return &Table{next: tableBase.Add(1) << 16, objs: map[uint32]any{}}
}

// Install adds obj to the table and returns its new handle.
func (t *Table) Install(obj any) uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.install(obj)
}

func (t *Table) install(obj any) uint32 {
	t.next++
	t.objs[t.next] = obj
	return t.next
}

// Get returns the object handle h names, or EBADF.
func (t *Table) Get(h uint32) (any, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	obj, ok := t.objs[h]
	if !ok {
		return nil, syscall.EBADF
	}
	return obj, nil
}

// Close removes h from the table and closes its object if it is an
// io.Closer.
func (t *Table) Close(h uint32) error {
	t.mu.Lock()
	obj, ok := t.objs[h]
	delete(t.objs, h)
	t.mu.Unlock()
	if !ok {
		return syscall.EBADF
	}
	closeObjects([]any{obj})
	return nil
}

// Len is the number of open handles; tests use it to find leaks.
func (t *Table) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.objs)
}

// Dial returns a Transport that calls over the channel handle h names,
// with t as the caller's handle table.
func (t *Table) Dial(h uint32) (rpc.Transport, error) {
	obj, err := t.Get(h)
	if err != nil {
		return nil, err
	}
	ch, ok := obj.(*Channel)
	if !ok {
		return nil, syscall.ENOTSOCK
	}
	return ch.Transport(t), nil
}

// Memory returns the memory object handle h names, or EBADF: a Table is
// the rpc.Handles of a server in host tests.
func (t *Table) Memory(h uint32) (rpc.Memory, error) {
	obj, err := t.Get(h)
	if err != nil {
		return nil, err
	}
	m, ok := obj.(*Memory)
	if !ok {
		return nil, syscall.EBADF
	}
	return m, nil
}

var _ rpc.Handles = (*Table)(nil)

// take removes the objects named by hs, as a kernel channel write does.
// Like the kernel it consumes every valid handle even when one is invalid
// or repeated, and then fails with EBADF.
func (t *Table) take(hs []uint32) ([]any, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	objs := make([]any, 0, len(hs))
	bad := false
	for _, h := range hs {
		obj, ok := t.objs[h]
		if !ok {
			bad = true
			continue
		}
		delete(t.objs, h)
		objs = append(objs, obj)
	}
	if bad {
		closeObjects(objs)
		return nil, syscall.EBADF
	}
	return objs, nil
}

// installAll installs objs and returns their handles, in order.
func (t *Table) installAll(objs []any) []uint32 {
	if len(objs) == 0 {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	hs := make([]uint32, len(objs))
	for i, obj := range objs {
		hs[i] = t.install(obj)
	}
	return hs
}

func closeObjects(objs []any) {
	for _, obj := range objs {
		if c, ok := obj.(io.Closer); ok {
			c.Close()
		}
	}
}
