package ext4_test

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// BenchmarkSequentialRead reads a 32 MiB file made by mke2fs -d in 1 MiB
// requests (the way ext4tool cat does).
func BenchmarkSequentialRead(b *testing.B) {
	needTools(b)
	dir := b.TempDir()
	src := filepath.Join(dir, "src")
	os.Mkdir(src, 0o755)
	data := make([]byte, 32<<20)
	for i := range data {
		data[i] = byte(i * 31)
	}
	os.WriteFile(filepath.Join(src, "f"), data, 0o644)
	img := filepath.Join(dir, "img")
	mkfs(b, img, src, 64<<10, "-t", "ext4", "-b", "4096")
	fs, dev := openImage(b, img, true)
	defer dev.Close()
	defer fs.Close()
	ino, err := lookupPath(fs, "/f")
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for off := int64(0); ; off += int64(len(buf)) {
			if _, err := fs.ReadAt(ino, buf, off); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkLookupHtree looks names up in a 400-entry indexed directory.
func BenchmarkLookupHtree(b *testing.B) {
	needTools(b)
	dir := b.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(filepath.Join(src, "d"), 0o755)
	for i := 0; i < 400; i++ {
		os.WriteFile(filepath.Join(src, "d", "name-"+strconv.Itoa(i)), nil, 0o644)
	}
	img := filepath.Join(dir, "img")
	mkfs(b, img, src, 8<<10, "-t", "ext4", "-b", "4096")
	fsckIndex(b, img)
	fs, dev := openImage(b, img, true)
	defer dev.Close()
	defer fs.Close()
	d, _ := lookupPath(fs, "/d")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := fs.Lookup(d, "name-"+strconv.Itoa(i%400)); err != nil {
			b.Fatal(err)
		}
	}
}
