package ext4_test

import (
	"bytes"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"aramid/servers/vfsd/ext4"
)

// TestTimestamps stores nanoseconds and dates outside 1901–2038 (the
// epoch bits of the _extra fields) and reads them back, and checks that
// debugfs agrees on the seconds.
func TestTimestamps(t *testing.T) {
	needTools(t)
	img := filepath.Join(t.TempDir(), "img")
	mkfs(t, img, "", 4<<10, "-t", "ext4")
	fs, dev := openImage(t, img, false)
	defer dev.Close()
	ino, err := fs.Create(fs.Root(), "f", 0o644, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range []time.Time{
		time.Unix(1700000000, 123456789),
		time.Unix(4102444800, 999999999), // 2100
		time.Unix(-1000000000, 5),        // 1938
		time.Unix(0, 0),
	} {
		if err := fs.SetAttr(ino, ext4.SetAttrs{Atime: &tm, Mtime: &tm}); err != nil {
			t.Fatal(err)
		}
		a, err := fs.Stat(ino)
		if err != nil {
			t.Fatal(err)
		}
		if !a.Mtime.Equal(tm) || !a.Atime.Equal(tm) {
			t.Fatalf("set %v, got mtime %v atime %v", tm, a.Mtime, a.Atime)
		}
		if a.Ctime.Before(time.Now().Add(-time.Minute)) || a.Crtime.IsZero() {
			t.Fatalf("ctime %v crtime %v", a.Ctime, a.Crtime)
		}
	}
	tm := time.Unix(4102444800, 0)
	fs.SetAttr(ino, ext4.SetAttrs{Mtime: &tm})
	fs.Close()
	fsckClean(t, img)
	if out := stdout(t, "debugfs", "-R", "stat /f", img); !bytes.Contains([]byte(out), []byte("2100")) {
		t.Fatalf("debugfs does not see year 2100:\n%s", out)
	}
}

// TestConcurrentReadWrite runs readers against writers (run it with -race:
// make test-ext4).
func TestConcurrentReadWrite(t *testing.T) {
	needTools(t)
	img := filepath.Join(t.TempDir(), "img")
	mkfs(t, img, "", 16<<10, "-t", "ext4", "-b", "1024")
	fs, dev := openImage(t, img, false)
	defer dev.Close()
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		d, err := fs.Mkdir(fs.Root(), "w"+strconv.Itoa(w), 0o755, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(2)
		go func() { // writer
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for i := 0; i < 150; i++ {
				name := "f" + strconv.Itoa(r.IntN(20))
				ino, err := fs.Create(d, name, 0o644, 0, 0)
				if err == nil {
					fs.WriteAt(ino, bytes.Repeat([]byte{byte(i)}, r.IntN(5000)), 0)
				} else {
					fs.Unlink(d, name)
				}
			}
		}()
		go func() { // reader
			defer wg.Done()
			for i := 0; i < 150; i++ {
				ents, _ := fs.ReadDir(d, 0, 0)
				for _, e := range ents {
					if a, err := fs.Stat(e.Ino); err == nil && a.Mode&0o170000 == 0o100000 {
						fs.ReadAt(e.Ino, make([]byte, 6000), 0)
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	fsckClean(t, img)
}

// TestHugeSparseFile writes single bytes near 1 TiB and near the largest
// offset an extent can map, then checks e2fsck and the contents.
func TestHugeSparseFile(t *testing.T) {
	needTools(t)
	img := filepath.Join(t.TempDir(), "img")
	mkfs(t, img, "", 8<<10, "-t", "ext4", "-b", "4096")
	fs, dev := openImage(t, img, false)
	defer dev.Close()
	ino, err := fs.Create(fs.Root(), "huge", 0o644, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	offs := []int64{1<<40 - 1, (1<<32-1)*4096 - 1}
	for _, off := range offs {
		if _, err := fs.WriteAt(ino, []byte{'H'}, off); err != nil {
			t.Fatalf("write at %d: %v", off, err)
		}
	}
	for _, off := range offs {
		b := make([]byte, 2)
		n, _ := fs.ReadAt(ino, b, off-1)
		if n != 2 || b[0] != 0 || b[1] != 'H' {
			t.Fatalf("read at %d: %q", off-1, b[:n])
		}
	}
	if a, _ := fs.Stat(ino); a.Size != uint64(offs[1]+1) || a.Blocks != 16 {
		t.Fatalf("size %d blocks %d", a.Size, a.Blocks)
	}
	// Truncating frees the last block an extent can map.
	if err := fs.Truncate(ino, uint64(offs[0]+1)); err != nil {
		t.Fatal(err)
	}
	if a, _ := fs.Stat(ino); a.Blocks != 8 {
		t.Fatalf("after truncating to %d: %d sectors, want one block's 8", offs[0]+1, a.Blocks)
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	fsckClean(t, img)
}
