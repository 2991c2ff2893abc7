package tmpfs

import (
	"bytes"
	"syscall"
	"testing"
	"time"
)

func TestSparseAndTruncate(t *testing.T) {
	f := New(Options{Mode: 0755})
	ino, err := f.Create(f.Root(), "f", 0644, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(ino, []byte("end"), 1<<30); err != nil {
		t.Fatal(err)
	}
	a, _ := f.Stat(ino)
	if a.Size != 1<<30+3 || a.Blocks != pageSize/512 {
		t.Errorf("sparse file: size %d blocks %d", a.Size, a.Blocks)
	}
	b := make([]byte, 8)
	if n, _ := f.ReadAt(ino, b, 1<<30-5); n != 8 || !bytes.Equal(b, []byte("\x00\x00\x00\x00\x00end")) {
		t.Errorf("read across the hole: %d %q", n, b)
	}
	// Shrinking zeroes the tail of the last page, so growing again reads zeros.
	f.Truncate(ino, 1<<30+1)
	f.Truncate(ino, 1<<30+3)
	f.ReadAt(ino, b[:3], 1<<30)
	if !bytes.Equal(b[:3], []byte("e\x00\x00")) {
		t.Errorf("after shrink and grow: %q", b[:3])
	}
	f.Truncate(ino, 0)
	if a, _ := f.Stat(ino); a.Blocks != 0 || f.pages != 0 {
		t.Errorf("truncate to 0 left %d blocks, %d pages", a.Blocks, f.pages)
	}
	if _, err := f.WriteAt(ino, []byte("x"), -1); err != syscall.EINVAL {
		t.Errorf("negative offset: %v", err)
	}
	if _, err := f.WriteAt(ino, []byte("xy"), maxFileSize-1); err != syscall.EFBIG {
		t.Errorf("past the maximum size: %v", err)
	}
}

func TestMaxBytes(t *testing.T) {
	f := New(Options{Mode: 0755, MaxBytes: 2 * pageSize})
	ino, _ := f.Create(f.Root(), "f", 0644, 0, 0)
	n, err := f.WriteAt(ino, make([]byte, 3*pageSize), 0)
	if n != 2*pageSize || err != nil {
		t.Errorf("write past the limit: %d %v", n, err)
	}
	if _, err := f.WriteAt(ino, []byte("x"), 3*pageSize); err != syscall.ENOSPC {
		t.Errorf("full: %v", err)
	}
	st, _ := f.Statfs()
	if st.FreeBlocks != 0 || st.Type != Magic {
		t.Errorf("statfs %+v", st)
	}
	if err := f.Unlink(f.Root(), "f"); err != nil {
		t.Fatal(err)
	}
	if f.pages != 0 {
		t.Errorf("%d pages after unlink", f.pages)
	}
}

func TestTimesAndLinks(t *testing.T) {
	now := time.Unix(1000, 0)
	f := New(Options{Mode: 0755, Now: func() time.Time { return now }})
	d, _ := f.Mkdir(f.Root(), "d", 0755, 0, 0)
	ino, _ := f.Create(d, "f", 0644, 0, 0)
	now = time.Unix(2000, 0)
	f.WriteAt(ino, []byte("x"), 0)
	a, _ := f.Stat(ino)
	if !a.Mtime.Equal(now) || !a.Ctime.Equal(now) || !a.Atime.Equal(time.Unix(1000, 0)) {
		t.Errorf("times after write: %v %v %v", a.Atime, a.Mtime, a.Ctime)
	}
	f.Link(ino, f.Root(), "g")
	if a, _ := f.Stat(ino); a.Nlink != 2 {
		t.Errorf("nlink after link %d", a.Nlink)
	}
	if err := f.Rename(f.Root(), "d", d, "x"); err != syscall.EINVAL {
		t.Errorf("rename into itself: %v", err)
	}
	e, _ := f.Mkdir(f.Root(), "e", 0755, 0, 0)
	if err := f.Rename(f.Root(), "e", f.Root(), "d"); err != syscall.ENOTEMPTY {
		t.Errorf("rename over a non-empty dir: %v", err)
	}
	if err := f.Rename(d, "f", f.Root(), "e"); err != syscall.EISDIR {
		t.Errorf("rename a file over a dir: %v", err)
	}
	if err := f.Rename(f.Root(), "e", f.Root(), "g"); err != syscall.ENOTDIR {
		t.Errorf("rename a dir over a file: %v", err)
	}
	if err := f.Rename(f.Root(), "e", d, "sub"); err != nil {
		t.Fatal(err)
	}
	if up, _ := f.Lookup(e, ".."); up != d {
		t.Errorf(".. after a move is %d, want %d", up, d)
	}
	if r, _ := f.Stat(f.Root()); r.Nlink != 3 {
		t.Errorf("root nlink %d", r.Nlink)
	}
	if a, _ := f.Stat(d); a.Nlink != 3 {
		t.Errorf("d nlink %d", a.Nlink)
	}
}

func BenchmarkRead64K(b *testing.B) {
	f := New(Options{Mode: 0755})
	ino, _ := f.Create(f.Root(), "f", 0644, 0, 0)
	f.WriteAt(ino, make([]byte, 1<<20), 0)
	buf := make([]byte, 64<<10)
	b.SetBytes(int64(len(buf)))
	for i := 0; b.Loop(); i++ {
		f.ReadAt(ino, buf, int64(i%16)*int64(len(buf)))
	}
}
