package blockdev

import (
	"io"
	"sync"
)

// Overlay is a writable device over a read-only base: written blocks live
// in memory and shadow the base, which is never written. It lets vfsd
// mount a root image from the boot bundle read-write, as an initramfs
// would be, with nothing written back.
type Overlay struct {
	base io.ReaderAt
	size int64

	mu     sync.RWMutex
	blocks map[int64][]byte // by block number, overlayBlock bytes each
}

const overlayBlock = 4096

// NewOverlay returns a device of size bytes whose unwritten blocks read
// from base.
func NewOverlay(base io.ReaderAt, size int64) *Overlay {
	return &Overlay{base: base, size: size, blocks: map[int64][]byte{}}
}

// Size implements Sizer.
func (o *Overlay) Size() (int64, error) { return o.size, nil }

// ReadAt implements Device.
func (o *Overlay) ReadAt(p []byte, off int64) (int, error) {
	if off >= o.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && off+int64(n) < o.size {
		pos := off + int64(n)
		bn, bo := pos/overlayBlock, pos%overlayBlock
		k := int(min(int64(len(p)-n), overlayBlock-bo, o.size-pos))
		o.mu.RLock()
		b, ok := o.blocks[bn]
		if ok {
			copy(p[n:n+k], b[bo:])
		}
		o.mu.RUnlock()
		if !ok {
			if _, err := o.base.ReadAt(p[n:n+k], pos); err != nil && err != io.EOF {
				return n, err
			}
		}
		n += k
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// WriteAt implements Device.
func (o *Overlay) WriteAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > o.size {
		return 0, io.ErrShortWrite
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for n := 0; n < len(p); {
		pos := off + int64(n)
		bn, bo := pos/overlayBlock, pos%overlayBlock
		b, ok := o.blocks[bn]
		if !ok {
			b = make([]byte, overlayBlock)
			if _, err := o.base.ReadAt(b[:min(overlayBlock, o.size-bn*overlayBlock)], bn*overlayBlock); err != nil && err != io.EOF {
				return n, err
			}
			o.blocks[bn] = b
		}
		n += copy(b[bo:], p[n:])
	}
	return len(p), nil
}

// Flush implements Device: there is nowhere to write back to.
func (o *Overlay) Flush() error { return nil }
