package ext4_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"testing"

	"aramid/servers/vfsd/blockdev"
	"aramid/servers/vfsd/ext4"
)

// smallImage is a 400 KiB ext4 image (1 KiB blocks, metadata_csum, an
// htree directory, fast and slow symlinks) made by mke2fs -d and e2fsck -D.
func smallImage(tb testing.TB) []byte {
	f, err := os.Open("testdata/small.img.gz")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// FuzzImage patches bytes of a valid image and then mounts, reads and
// writes it: every failure must be an error, never a panic or a hang.
func FuzzImage(f *testing.F) {
	base := smallImage(f)
	// Seeds aim at the superblock, descriptors, bitmaps, inode table and
	// directory and extent blocks.
	for _, off := range []uint32{1024 + 0x18, 1024 + 0x28, 2048, 2048 + 0x1E, 3072, 5 * 1024, 40 * 1024, 41*1024 + 0x28, 60 * 1024, 100 * 1024} {
		f.Add(off, []byte{0xff, 0x00, 0x7f})
	}
	f.Add(uint32(0), []byte{})
	f.Fuzz(func(t *testing.T, off uint32, patch []byte) {
		img := append([]byte(nil), base...)
		if len(patch) > 256 {
			patch = patch[:256]
		}
		// Most of the interesting metadata is in the first 128 KiB.
		copy(img[int(off)%(128<<10):], patch)
		exercise(t, img)
	})
}

// exercise mounts img and runs reads and writes over it, ignoring errors.
func exercise(t *testing.T, img []byte) {
	fs, err := ext4.Open(blockdev.NewMem(img), ext4.Options{})
	if err != nil {
		return
	}
	defer fs.Close()
	visited := 0
	var walk func(dir uint32, depth int)
	walk = func(dir uint32, depth int) {
		ents, err := fs.ReadDir(dir, 0, 300)
		if err != nil || depth > 8 {
			return
		}
		for _, e := range ents {
			if visited++; visited > 500 || e.Name == "." || e.Name == ".." {
				continue
			}
			a, err := fs.Stat(e.Ino)
			if err != nil {
				continue
			}
			buf := make([]byte, 8192)
			fs.ReadAt(e.Ino, buf, 0)
			fs.ReadAt(e.Ino, buf, int64(a.Size)-100)
			fs.Readlink(e.Ino)
			if _, err := fs.Lookup(dir, e.Name); err == nil && a.Mode&0o170000 == 0o040000 {
				walk(e.Ino, depth+1)
			}
		}
	}
	walk(fs.Root(), 0)
	root := fs.Root()
	ino, err := fs.Create(root, "new", 0o644, 0, 0)
	if err == nil {
		fs.WriteAt(ino, bytes.Repeat([]byte("x"), 5000), 3000)
		fs.Truncate(ino, 100)
	}
	d, _ := fs.Mkdir(root, "newdir", 0o755, 0, 0)
	fs.Rename(root, "new", d, "moved")
	fs.Symlink(root, "sl", string(bytes.Repeat([]byte("s"), 200)), 0, 0)
	if many, err := fs.Lookup(root, "d"); err == nil {
		if m, err := fs.Lookup(many, "many"); err == nil {
			fs.Create(m, "another", 0o644, 0, 0)
			fs.Unlink(m, "name_1")
		}
	}
	fs.Unlink(root, "a")
	fs.Rmdir(root, "newdir")
	fs.Statfs()
}

// TestSmallImageClean runs the fuzz body on the unmodified image and
// checks the result with e2fsck, so the fuzz target's writes are known to
// be correct on a valid image.
func TestSmallImageClean(t *testing.T) {
	img := smallImage(t)
	exercise(t, img)
	needTools(t)
	fs, err := ext4.Open(blockdev.NewMem(img), ext4.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fs.Close()
	p := t.TempDir() + "/img"
	dev := blockdev.NewMem(img)
	fs, _ = ext4.Open(dev, ext4.Options{})
	exerciseCheck(t, fs)
	fs.Close()
	os.WriteFile(p, dev.Bytes(), 0o644)
	fsckClean(t, p)
}

func exerciseCheck(t *testing.T, fs *ext4.FS) {
	newFile(t, fs, "new", []byte("data"), 10000)
	d, _ := fs.Lookup(fs.Root(), "d")
	m, _ := fs.Lookup(d, "many")
	if _, err := fs.Create(m, "another", 0o644, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := fs.Unlink(m, "name_1"); err != nil {
		t.Fatal(err)
	}
}
