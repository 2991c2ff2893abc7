package ext4_test

import (
	"bytes"
	"path/filepath"
	"regexp"
	"testing"
)

// TestExtentTreeDepth grows a file to a depth-2 extent tree by writing
// every other block, then shrinks it again by filling the holes and
// truncating, checking contents and e2fsck at each stage.
func TestExtentTreeDepth(t *testing.T) {
	needTools(t)
	img := filepath.Join(t.TempDir(), "img")
	mkfs(t, img, "", 16<<10, "-t", "ext4", "-b", "1024")
	fs, dev := openImage(t, img, false)
	defer dev.Close()
	ino, err := fs.Create(fs.Root(), "f", 0o644, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	const blocks = 3000
	var want []byte
	put := func(blk int, c byte) {
		b := bytes.Repeat([]byte{c}, 1024)
		if n := (blk + 1) * 1024; n > len(want) {
			want = append(want, make([]byte, n-len(want))...)
		}
		if _, err := fs.WriteAt(ino, b, int64(blk)*1024); err != nil {
			t.Fatalf("write block %d: %v", blk, err)
		}
		copy(want[blk*1024:], b)
	}
	check := func(stage string, depth string) {
		t.Helper()
		if got := readAll(t, fs, ino); !bytes.Equal(got, want) {
			t.Fatalf("%s: contents differ", stage)
		}
		if err := fs.Sync(); err != nil {
			t.Fatal(err)
		}
		fsckClean(t, img)
		ex := stdout(t, "debugfs", "-R", "ex /f", img)
		if depth != "" && !regexp.MustCompile(`(?m)^\s*\d+/\s*`+depth+`\s`).MatchString(ex) {
			t.Fatalf("%s: extent tree is not of depth %s:\n%.400s", stage, depth, ex)
		}
	}
	for b := 0; b < blocks; b += 2 {
		put(b, byte(b))
	}
	check("sparse", "2")
	for b := 1; b < blocks; b += 2 {
		put(b, byte(b))
	}
	check("filled", "")
	if err := fs.Truncate(ino, 1000*1024+17); err != nil {
		t.Fatal(err)
	}
	want = want[:1000*1024+17]
	check("truncated", "")
	if err := fs.Unlink(fs.Root(), "f"); err != nil {
		t.Fatal(err)
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	fsckClean(t, img)
}
