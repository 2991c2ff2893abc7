package blockdev

import (
	"errors"
	"io"
	"sync"
)

// Overlay is a Device that keeps every write in memory, in blocks of a
// fixed size, over a device it only reads. The ext4 engine replays a
// journal into one to mount an image that needs recovery read-only.
type Overlay struct {
	base Device
	bs   int64
	mu   sync.RWMutex
	m    map[int64][]byte // block number → contents
}

// NewOverlay returns an overlay of base in blocks of bs bytes.
func NewOverlay(base Device, bs int) *Overlay {
	return &Overlay{base: base, bs: int64(bs), m: map[int64][]byte{}}
}

// ReadAt implements io.ReaderAt.
func (o *Overlay) ReadAt(p []byte, off int64) (int, error) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	n := 0
	for n < len(p) {
		blk, in := (off+int64(n))/o.bs, (off+int64(n))%o.bs
		k := min(len(p)-n, int(o.bs-in))
		if b, ok := o.m[blk]; ok {
			copy(p[n:n+k], b[in:])
		} else if got, err := o.base.ReadAt(p[n:n+k], off+int64(n)); got < k {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return n + got, err
		}
		n += k
	}
	return n, nil
}

// WriteAt implements io.WriterAt; the base device is never written.
func (o *Overlay) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("blockdev: negative offset")
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for n := 0; n < len(p); {
		blk, in := (off+int64(n))/o.bs, (off+int64(n))%o.bs
		b, ok := o.m[blk]
		if !ok {
			b = make([]byte, o.bs)
			if got, err := o.base.ReadAt(b, blk*o.bs); got < len(b) && !errors.Is(err, io.EOF) {
				return n, err
			}
			o.m[blk] = b
		}
		n += copy(b[in:], p[n:])
	}
	return len(p), nil
}

// Flush implements Device: memory needs none.
func (o *Overlay) Flush() error { return nil }
