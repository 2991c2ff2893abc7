package rpc

import (
	"context"
	"errors"
	"slices"
	"syscall"
	"testing"
)

type fakeMemory []byte

func (m fakeMemory) ReadAt(p []byte, off int64) (int, error)  { return copy(p, m[off:]), nil }
func (m fakeMemory) WriteAt(p []byte, off int64) (int, error) { return copy(m[off:], p), nil }
func (m fakeMemory) Size() int64                              { return int64(len(m)) }

// fakeHandles is a handle table of memory objects that records closes.
type fakeHandles struct {
	mems   map[uint32]Memory
	closed []uint32
}

func (f *fakeHandles) Dial(uint32) (Transport, error) { return nil, syscall.ENOTSOCK }

func (f *fakeHandles) Memory(h uint32) (Memory, error) {
	if m, ok := f.mems[h]; ok {
		return m, nil
	}
	return nil, syscall.EBADF
}

func (f *fakeHandles) Close(h uint32) error {
	f.closed = append(f.closed, h)
	return nil
}

func TestBuffers(t *testing.T) {
	ctx := context.Background()
	fh := &fakeHandles{mems: map[uint32]Memory{7: make(fakeMemory, 4096), 8: make(fakeMemory, 10)}}
	b := NewBuffers(fh)
	register := func(h uint32) (uint32, error) {
		rep, err := b.RegisterBuffer(ctx, &RegisterBufferRequest{Memory: &Handle{Value: h}})
		return rep.GetBuffer(), err
	}
	id, err := register(7)
	if err != nil {
		t.Fatal(err)
	}
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
	if _, err := register(9); !errors.Is(err, syscall.EINVAL) || !slices.Equal(fh.closed, []uint32{9}) {
		t.Fatalf("registering a handle that is no memory object: %v, closed %v", err, fh.closed)
	}
	id2, err := register(8)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.UnregisterBuffer(ctx, &UnregisterBufferRequest{Buffer: id}); err != nil || !slices.Equal(fh.closed, []uint32{9, 7}) {
		t.Fatalf("unregister: %v, closed %v", err, fh.closed)
	}
	if _, err := b.UnregisterBuffer(ctx, &UnregisterBufferRequest{Buffer: id}); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("unregistered twice: %v", err)
	}
	b.ReleaseBuffers()
	if !slices.Equal(fh.closed, []uint32{9, 7, 8}) {
		t.Fatalf("release closed %v", fh.closed)
	}
	if _, _, _, err := b.Region(&Region{Buffer: id2, Length: 1}); !errors.Is(err, syscall.EFAULT) {
		t.Fatal("a buffer survived ReleaseBuffers")
	}
}

// TestRegionBounds: a region may cover its whole buffer, or be empty at
// its end; one byte past either is EFAULT.
func TestRegionBounds(t *testing.T) {
	b := NewBuffers(&fakeHandles{mems: map[uint32]Memory{1: make(fakeMemory, 100)}})
	rep, err := b.RegisterBuffer(context.Background(), &RegisterBufferRequest{Memory: &Handle{Value: 1}})
	if err != nil {
		t.Fatal(err)
	}
	id := rep.GetBuffer()
	for _, c := range []struct {
		off, n uint64
		ok     bool
	}{
		{0, 100, true},
		{100, 0, true},
		{0, 101, false},
		{101, 0, false},
		{1, 100, false},
	} {
		_, off, n, err := b.Region(&Region{Buffer: id, Offset: c.off, Length: c.n})
		if c.ok && (err != nil || uint64(off) != c.off || uint64(n) != c.n) {
			t.Errorf("region [%d, +%d) = %d, %d, %v; want it", c.off, c.n, off, n, err)
		}
		if !c.ok && !errors.Is(err, syscall.EFAULT) {
			t.Errorf("region [%d, +%d): %v, want EFAULT", c.off, c.n, err)
		}
	}
}
