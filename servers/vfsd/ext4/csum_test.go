package ext4_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
)

// corrupt flips one byte of block blk (1 KiB blocks) at offset off.
func corrupt(t *testing.T, img string, blk uint64, off int64) {
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	pos := int64(blk)*1024 + off
	f.ReadAt(b, pos)
	b[0] ^= 0x40
	f.WriteAt(b, pos)
}

// TestChecksumMismatch: a directory block or extent block whose crc32c
// does not match reads as EIO, as on Linux.
func TestChecksumMismatch(t *testing.T) {
	needTools(t)
	img := filepath.Join(t.TempDir(), "img")
	mkfs(t, img, "", 8<<10, "-t", "ext4", "-b", "1024")
	fs, dev := openImage(t, img, false)
	d, _ := fs.Mkdir(fs.Root(), "d", 0o755, 0, 0)
	for i := 0; i < 20; i++ {
		fs.Create(d, "entry"+strconv.Itoa(i), 0o644, 0, 0)
	}
	f, _ := fs.Create(fs.Root(), "f", 0o644, 0, 0)
	for b := int64(0); b < 40; b += 2 {
		fs.WriteAt(f, []byte("x"), b*1024)
	}
	fs.Close()
	dev.Close()
	fsckClean(t, img)

	// The directory's only block, and the extent tree's leaf block.
	blocks := stdout(t, "debugfs", "-R", "blocks /d", img)
	dirBlk, _ := strconv.ParseUint(regexp.MustCompile(`\d+`).FindString(blocks), 10, 64)
	ex := stdout(t, "debugfs", "-R", "ex /f", img)
	m := regexp.MustCompile(`(?m)^\s*0/\s*1\s+1/\s*1\s+\d+\s*-\s*\d+\s+(\d+)`).FindStringSubmatch(ex)
	if dirBlk == 0 || m == nil {
		t.Fatalf("cannot find blocks:\n%s\n%s", blocks, ex)
	}
	leafBlk, _ := strconv.ParseUint(m[1], 10, 64)
	corrupt(t, img, dirBlk, 30)
	corrupt(t, img, leafBlk, 20)

	fs, dev = openImage(t, img, true)
	defer dev.Close()
	defer fs.Close()
	d, err := lookupPath(fs, "/d")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Lookup(d, "entry3"); err != syscall.EIO {
		t.Errorf("Lookup in corrupt directory block: %v, want EIO", err)
	}
	f, _ = lookupPath(fs, "/f")
	if _, err := fs.ReadAt(f, make([]byte, 10), 0); err != syscall.EIO {
		t.Errorf("ReadAt through corrupt extent block: %v, want EIO", err)
	}
}
