package ext4_test

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strconv"
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

// TestTruncateExposesZeros: bytes past a file's end read as zeros when the
// file grows again, whether it shrank inside a block, to a block
// boundary, or into a hole (POSIX truncate and Linux's ext4 zero the tail
// of the last block).
func TestTruncateExposesZeros(t *testing.T) {
	needTools(t)
	for _, bs := range []int{1024, 4096} {
		img := filepath.Join(t.TempDir(), "img")
		mkfs(t, img, "", 8<<10, "-t", "ext4", "-b", strconv.Itoa(bs))
		fs, dev := openImage(t, img, false)
		defer dev.Close()
		type file struct {
			name        string
			write, hole int64 // data [0, write), then one block at hole (0: none)
			cut         uint64
			ino         uint32
		}
		// Each file's blocks follow the one before's: zeroing one's
		// tail must stop at the end of its block.
		files := []*file{
			{name: "within a block", write: 3 * int64(bs), cut: 2*uint64(bs) + 100},
			{name: "at a block boundary", write: 3 * int64(bs), cut: 2 * uint64(bs)},
			{name: "into a hole", write: int64(bs), hole: 6 * int64(bs), cut: 3*uint64(bs) + 7},
		}
		for _, f := range files {
			ino := newFile(t, fs, f.name, bytes.Repeat([]byte("x"), int(f.write)), 0)
			f.ino = ino
			if f.hole != 0 {
				if _, err := fs.WriteAt(ino, bytes.Repeat([]byte("h"), bs), f.hole); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, f := range files {
			if err := fs.Truncate(f.ino, f.cut); err != nil {
				t.Fatal(err)
			}
		}
		for _, f := range files {
			if err := fs.Truncate(f.ino, 5*uint64(bs)); err != nil {
				t.Fatal(err)
			}
			want := make([]byte, 5*bs)
			copy(want, bytes.Repeat([]byte("x"), int(min(f.write, int64(f.cut)))))
			if got := readAll(t, fs, f.ino); !bytes.Equal(got, want) {
				i := 0
				for i < len(got) && i < len(want) && got[i] == want[i] {
					i++
				}
				t.Errorf("%d-byte blocks, %s: after shrinking to %d and growing, byte %d differs (%d bytes)", bs, f.name, f.cut, i, len(got))
			}
		}
		if err := fs.Close(); err != nil {
			t.Fatal(err)
		}
		fsckClean(t, img)
	}
}
