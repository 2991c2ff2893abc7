package tmpfs

import (
	"syscall"
)

// ReadAt reads file data; holes read as zeros.
func (f *FS) ReadAt(ino uint64, p []byte, off int64) (int, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	in, err := f.dataAt(ino, off)
	if err != nil {
		return 0, err
	}
	size := int64(in.attr.Size)
	if off >= size {
		return 0, nil
	}
	if int64(len(p)) > size-off {
		p = p[:size-off]
	}
	for n := 0; n < len(p); {
		pos := off + int64(n)
		pg, po := pos/pageSize, pos%pageSize
		chunk := p[n:min(len(p), n+int(pageSize-po))]
		if b := in.data[pg]; b != nil {
			copy(chunk, b[po:])
		} else {
			clear(chunk)
		}
		n += len(chunk)
	}
	return len(p), nil
}

// dataAt returns the regular file ino for I/O at off.
func (f *FS) dataAt(ino uint64, off int64) (*inode, error) {
	in, err := f.get(ino)
	if err != nil {
		return nil, err
	}
	if err := regular(in); err != nil {
		return nil, err
	}
	if off < 0 {
		return nil, syscall.EINVAL
	}
	return in, nil
}

func regular(in *inode) error {
	if in.dir != nil {
		return syscall.EISDIR
	}
	if in.attr.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return syscall.EINVAL
	}
	return nil
}

// WriteAt writes file data, extending the file as needed.
func (f *FS) WriteAt(ino uint64, p []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	in, err := f.dataAt(ino, off)
	if err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if off > maxFileSize-int64(len(p)) {
		return 0, syscall.EFBIG
	}
	n := 0
	for n < len(p) {
		pos := off + int64(n)
		pg, po := pos/pageSize, pos%pageSize
		b := in.data[pg]
		if b == nil {
			if err := f.allocPage(); err != nil {
				break
			}
			b = make([]byte, pageSize)
			if in.data == nil {
				in.data = map[int64][]byte{}
			}
			in.data[pg] = b
		}
		n += copy(b[po:], p[n:])
	}
	if end := uint64(off) + uint64(n); end > in.attr.Size {
		in.attr.Size = end
	}
	in.attr.Blocks = uint64(len(in.data)) * pageSize / 512
	if n > 0 {
		f.touch(in, false, true)
	}
	if n == 0 {
		return 0, syscall.ENOSPC
	}
	return n, nil
}

func (f *FS) allocPage() error {
	if f.opt.MaxBytes > 0 && (f.pages+1)*pageSize > f.opt.MaxBytes {
		return syscall.ENOSPC
	}
	f.pages++
	return nil
}

// Truncate sets a regular file's size, dropping pages past the end and
// zeroing the tail of the last one.
func (f *FS) Truncate(ino uint64, size uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	in, err := f.get(ino)
	if err != nil {
		return err
	}
	if err := regular(in); err != nil {
		return err
	}
	if size > maxFileSize {
		return syscall.EFBIG
	}
	last := int64((size + pageSize - 1) / pageSize)
	for pg := range in.data {
		if pg >= last {
			delete(in.data, pg)
			f.pages--
		}
	}
	if po := size % pageSize; po != 0 {
		if b := in.data[int64(size/pageSize)]; b != nil {
			clear(b[po:])
		}
	}
	in.attr.Size = size
	in.attr.Blocks = uint64(len(in.data)) * pageSize / 512
	f.touch(in, false, true)
	return nil
}

func (f *FS) touch(in *inode, atime, mtime bool) {
	now := f.opt.Now()
	if atime {
		in.attr.Atime = now
	}
	if mtime {
		in.attr.Mtime = now
	}
	in.attr.Ctime = now
}
