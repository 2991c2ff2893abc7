// Package blockdev defines the block device that vfsd's filesystems run on,
// and its host implementation over a plain file.
//
// The interface is byte-addressed (io.ReaderAt/io.WriterAt) rather than
// sector-addressed so that the host file, a virtio-blk driver and in-memory
// test devices all fit it without adapters; a driver that needs whole
// sectors does the read-modify-write itself.
package blockdev

import (
	"io"
	"os"
	"sync"
)

// Device is a random-access store of bytes. ReadAt and WriteAt must be safe
// for concurrent use. Flush returns only when every completed WriteAt is
// durable.
type Device interface {
	io.ReaderAt
	io.WriterAt
	Flush() error
}

// Sizer is implemented by devices that know their size in bytes.
type Sizer interface {
	Size() (int64, error)
}

// File is a Device backed by a host file.
type File struct {
	f *os.File
}

// OpenFile opens the host file at path as a device; readOnly opens it
// without write access.
func OpenFile(path string, readOnly bool) (*File, error) {
	flag := os.O_RDWR
	if readOnly {
		flag = os.O_RDONLY
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return nil, err
	}
	return &File{f: f}, nil
}

// ReadAt implements io.ReaderAt.
func (d *File) ReadAt(p []byte, off int64) (int, error) { return d.f.ReadAt(p, off) }

// WriteAt implements io.WriterAt.
func (d *File) WriteAt(p []byte, off int64) (int, error) { return d.f.WriteAt(p, off) }

// Flush makes every completed write durable (fsync).
func (d *File) Flush() error { return d.f.Sync() }

// Size returns the file's current size.
func (d *File) Size() (int64, error) {
	st, err := d.f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// Close closes the host file.
func (d *File) Close() error { return d.f.Close() }

// Mem is an in-memory Device, for tests and fuzzing. Writes beyond the end
// grow it.
type Mem struct {
	mu  sync.RWMutex
	buf []byte
}

// NewMem returns a device holding a copy of b.
func NewMem(b []byte) *Mem { return &Mem{buf: append([]byte(nil), b...)} }

// Bytes returns a copy of the device's contents.
func (m *Mem) Bytes() []byte {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return append([]byte(nil), m.buf...)
}

// ReadAt implements io.ReaderAt.
func (m *Mem) ReadAt(p []byte, off int64) (int, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if off < 0 || off >= int64(len(m.buf)) {
		return 0, io.EOF
	}
	n := copy(p, m.buf[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// WriteAt implements io.WriterAt.
func (m *Mem) WriteAt(p []byte, off int64) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if off < 0 {
		return 0, os.ErrInvalid
	}
	if end := off + int64(len(p)); end > int64(len(m.buf)) {
		m.buf = append(m.buf, make([]byte, end-int64(len(m.buf)))...)
	}
	return copy(m.buf[off:], p), nil
}

// Flush implements Device; memory is always durable.
func (m *Mem) Flush() error { return nil }

// Size returns the current size.
func (m *Mem) Size() (int64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return int64(len(m.buf)), nil
}
