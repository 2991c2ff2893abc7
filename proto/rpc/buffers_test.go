package rpc

import (
	"errors"
	"syscall"
	"testing"
)

type fakeMemory []byte

func (m fakeMemory) ReadAt(p []byte, off int64) (int, error)  { return copy(p, m[off:]), nil }
func (m fakeMemory) WriteAt(p []byte, off int64) (int, error) { return copy(m[off:], p), nil }
func (m fakeMemory) Size() int64                              { return int64(len(m)) }

func TestBuffers(t *testing.T) {
	var b Buffers
	id := b.Add(make(fakeMemory, 4096), 7)
	if mem, off, n, err := b.Region(&Region{Buffer: id, Offset: 4000, Length: 96}); err != nil || mem == nil || off != 4000 || n != 96 {
		t.Fatalf("region at the end: %v %d %d %v", mem, off, n, err)
	}
	for _, r := range []*Region{
		{Buffer: id, Offset: 4000, Length: 97},
		{Buffer: id, Offset: 1 << 63, Length: 1},
		{Buffer: id, Offset: 1, Length: ^uint64(0)},
		{Buffer: id + 1, Length: 1},
	} {
		if _, _, _, err := b.Region(r); !errors.Is(err, syscall.EFAULT) {
			t.Errorf("region %+v: %v, want EFAULT", r, err)
		}
	}
	id2 := b.Add(make(fakeMemory, 10), 8)
	if h, ok := b.Remove(id); !ok || h != 7 {
		t.Fatalf("remove: %d %v", h, ok)
	}
	if _, ok := b.Remove(id); ok {
		t.Fatal("removed twice")
	}
	if hs := b.Clear(); len(hs) != 1 || hs[0] != 8 {
		t.Fatalf("clear returned %v", hs)
	}
	if _, _, _, err := b.Region(&Region{Buffer: id2, Length: 1}); !errors.Is(err, syscall.EFAULT) {
		t.Fatal("a buffer survived Clear")
	}
}
