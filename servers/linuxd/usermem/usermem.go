// Package usermem reads and writes the memory of a Linux process: the
// arguments of its system calls. The kernel checks every access against
// the process's page tables (a bad address is EFAULT); this package adds
// the typed helpers that system calls need.
package usermem

import (
	"bytes"
	"encoding/binary"
	"syscall"
)

// Memory is a Linux process's address space as linuxd sees it.
type Memory interface {
	ReadAt(b []byte, addr uint64) error
	WriteAt(b []byte, addr uint64) error
}

// maxPath is PATH_MAX, the longest string CString reads.
const maxPath = 4096

// CString reads a NUL-terminated string of at most max bytes at addr.
// A string without its NUL within max bytes is ENAMETOOLONG, as Linux
// answers for paths.
func CString(m Memory, addr uint64, max int) (string, error) {
	if addr == 0 {
		return "", syscall.EFAULT
	}
	var out []byte
	chunk := make([]byte, 256)
	for len(out) < max {
		// Read up to the end of the page, so a string that ends just
		// before an unmapped page is read without touching it.
		n := min(len(chunk), int(4096-(addr+uint64(len(out)))%4096), max-len(out))
		if err := m.ReadAt(chunk[:n], addr+uint64(len(out))); err != nil {
			return "", err
		}
		if i := bytes.IndexByte(chunk[:n], 0); i >= 0 {
			return string(append(out, chunk[:i]...)), nil
		}
		out = append(out, chunk[:n]...)
	}
	return "", syscall.ENAMETOOLONG
}

// Path reads a path argument: at most PATH_MAX bytes; empty is ENOENT.
func Path(m Memory, addr uint64) (string, error) {
	s, err := CString(m, addr, maxPath)
	if err == nil && s == "" {
		return "", syscall.ENOENT
	}
	return s, err
}

// Strings reads a NULL-terminated array of string pointers (argv, envp),
// at most max of them (E2BIG beyond).
func Strings(m Memory, addr uint64, max int) ([]string, error) {
	var out []string
	for addr != 0 {
		if len(out) == max {
			return nil, syscall.E2BIG
		}
		p, err := U64(m, addr+8*uint64(len(out)))
		if err != nil {
			return nil, err
		}
		if p == 0 {
			break
		}
		s, err := CString(m, p, 128<<10)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// U64 reads a little-endian uint64 at addr.
func U64(m Memory, addr uint64) (uint64, error) {
	var b [8]byte
	err := m.ReadAt(b[:], addr)
	return binary.LittleEndian.Uint64(b[:]), err
}

// U32 reads a little-endian uint32 at addr.
func U32(m Memory, addr uint64) (uint32, error) {
	var b [4]byte
	err := m.ReadAt(b[:], addr)
	return binary.LittleEndian.Uint32(b[:]), err
}

// PutU64 writes v at addr.
func PutU64(m Memory, addr, v uint64) error {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	return m.WriteAt(b[:], addr)
}

// PutU32 writes v at addr.
func PutU32(m Memory, addr uint64, v uint32) error {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	return m.WriteAt(b[:], addr)
}

// Read reads the fixed-size value v (a struct of fixed-size fields) at
// addr.
func Read(m Memory, addr uint64, v any) error {
	b := make([]byte, binary.Size(v))
	if err := m.ReadAt(b, addr); err != nil {
		return err
	}
	_, err := binary.Decode(b, binary.LittleEndian, v)
	return err
}

// Write writes the fixed-size value v at addr.
func Write(m Memory, addr uint64, v any) error {
	b, err := binary.Append(nil, binary.LittleEndian, v)
	if err != nil {
		return err
	}
	return m.WriteAt(b, addr)
}

// Fake is a Memory of one contiguous range, for tests.
type Fake struct {
	Base uint64
	Mem  []byte
}

func (f *Fake) span(n int, addr uint64) ([]byte, error) {
	if addr < f.Base || addr-f.Base+uint64(n) > uint64(len(f.Mem)) || addr+uint64(n) < addr {
		return nil, syscall.EFAULT
	}
	return f.Mem[addr-f.Base : addr-f.Base+uint64(n)], nil
}

// ReadAt implements Memory.
func (f *Fake) ReadAt(b []byte, addr uint64) error {
	s, err := f.span(len(b), addr)
	copy(b, s)
	return err
}

// WriteAt implements Memory.
func (f *Fake) WriteAt(b []byte, addr uint64) error {
	s, err := f.span(len(b), addr)
	copy(s, b)
	return err
}
