// Package fd is a Linux process's file-descriptor table: numbers that
// name open file descriptions, which dup and fork share (with their
// offset and status flags), and the close-on-exec flag, which they do not.
package fd

import (
	"sync/atomic"
	"syscall"
)

// File is an open file of any kind: a vfsd file, a pipe, the console.
// Optional abilities are further interfaces (Seeker, Stater, ...); a file
// without one answers that call with the errno Linux gives.
type File interface {
	Read(b []byte) (int, error)
	Write(b []byte) (int, error)
	Close() error
}

// Description is an open file description: the File and the flags that
// every descriptor sharing it sees.
type Description struct {
	File  File
	Flags uint32 // O_ACCMODE, O_APPEND, O_NONBLOCK ...
	refs  atomic.Int32
}

// NewDescription wraps f, opened with flags, with one reference.
func NewDescription(f File, flags uint32) *Description {
	d := &Description{File: f, Flags: flags}
	d.refs.Store(1)
	return d
}

// IncRef takes another reference.
func (d *Description) IncRef() { d.refs.Add(1) }

// Open reports whether a descriptor still refers to d.
func (d *Description) Open() bool { return d.refs.Load() > 0 }

// DecRef drops a reference and closes the file with the last.
func (d *Description) DecRef() error {
	if d.refs.Add(-1) == 0 {
		return d.File.Close()
	}
	return nil
}

type entry struct {
	d       *Description
	cloexec bool
}

// Max is the descriptor limit, RLIMIT_NOFILE's default soft value.
const Max = 1024

// Table maps descriptor numbers to descriptions. Its caller serializes
// access (linuxd's lock).
type Table struct {
	m map[int]entry
}

// NewTable returns an empty table.
func NewTable() *Table { return &Table{m: map[int]entry{}} }

// Get returns the description of fd, or EBADF.
func (t *Table) Get(fd int) (*Description, error) {
	e, ok := t.m[fd]
	if !ok {
		return nil, syscall.EBADF
	}
	return e.d, nil
}

// Install puts d at the lowest free number at or above min, taking over
// the caller's reference.
func (t *Table) Install(d *Description, min int, cloexec bool) (int, error) {
	for fd := min; fd < Max; fd++ {
		if _, used := t.m[fd]; !used {
			t.m[fd] = entry{d, cloexec}
			return fd, nil
		}
	}
	d.DecRef()
	return 0, syscall.EMFILE
}

// Set puts d at fd, closing what was there (dup2), taking over the
// caller's reference.
func (t *Table) Set(fd int, d *Description, cloexec bool) error {
	if fd < 0 || fd >= Max {
		d.DecRef()
		return syscall.EBADF
	}
	if old, ok := t.m[fd]; ok {
		old.d.DecRef()
	}
	t.m[fd] = entry{d, cloexec}
	return nil
}

// Close removes fd.
func (t *Table) Close(fd int) error {
	e, ok := t.m[fd]
	if !ok {
		return syscall.EBADF
	}
	delete(t.m, fd)
	e.d.DecRef()
	return nil
}

// CloseOnExec reports fd's close-on-exec flag.
func (t *Table) CloseOnExec(fd int) (bool, error) {
	e, ok := t.m[fd]
	if !ok {
		return false, syscall.EBADF
	}
	return e.cloexec, nil
}

// SetCloseOnExec sets fd's close-on-exec flag.
func (t *Table) SetCloseOnExec(fd int, on bool) error {
	e, ok := t.m[fd]
	if !ok {
		return syscall.EBADF
	}
	e.cloexec = on
	t.m[fd] = e
	return nil
}

// Fork returns a copy that shares every description (fork, and clone
// without CLONE_FILES).
func (t *Table) Fork() *Table {
	n := NewTable()
	for fd, e := range t.m {
		e.d.IncRef()
		n.m[fd] = e
	}
	return n
}

// Exec closes the close-on-exec descriptors.
func (t *Table) Exec() {
	for fd, e := range t.m {
		if e.cloexec {
			delete(t.m, fd)
			e.d.DecRef()
		}
	}
}

// CloseAll closes every descriptor (process exit).
func (t *Table) CloseAll() {
	for fd, e := range t.m {
		delete(t.m, fd)
		e.d.DecRef()
	}
}
