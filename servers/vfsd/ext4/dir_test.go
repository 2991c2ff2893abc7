package ext4_test

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"aramid/servers/vfsd/ext4"
)

// TestReadDirCookiesStable lists an htree directory in small batches
// while entries are added and removed between batches: every entry that
// exists throughout is returned exactly once.
func TestReadDirCookiesStable(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	genTree(t, src, rand.New(rand.NewPCG(5, 5)), false)
	img := filepath.Join(dir, "img")
	mkfs(t, img, src, 16<<10, "-t", "ext4", "-b", "1024")
	fsckIndex(t, img)
	fs, dev := openImage(t, img, false)
	defer dev.Close()
	many, err := lookupPath(fs, "/many")
	if err != nil {
		t.Fatal(err)
	}
	stable := names(t, fs, many) // entries never touched below
	a0, _ := fs.Stat(many)
	stableSize := a0.Size
	seen := map[string]int{}
	var cookie uint64
	for round := 0; ; round++ {
		ents, err := fs.ReadDir(many, cookie, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) == 0 {
			break
		}
		for _, e := range ents {
			seen[e.Name]++
			if int64(e.Next) <= 0 {
				t.Fatalf("cookie %#x is not a positive off_t", e.Next)
			}
		}
		cookie = ents[len(ents)-1].Next
		// Churn: add new names (splitting leaves) and remove some we
		// added before.
		for k := 0; k < 6; k++ {
			name := "churn-" + strconv.Itoa(round) + "-" + strconv.Itoa(k) + strings.Repeat("c", 60)
			if _, err := fs.Create(many, name, 0o644, 0, 0); err != nil {
				t.Fatal(err)
			}
			if k%2 == 1 {
				if err := fs.Unlink(many, name); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for name := range stable {
		if seen[name] != 1 {
			t.Fatalf("%q returned %d times", name, seen[name])
		}
	}
	for name, n := range seen {
		if n != 1 {
			t.Fatalf("%q returned %d times", name, n)
		}
	}
	if a, _ := fs.Stat(many); a.Flags&0x1000 == 0 {
		t.Fatal("directory is no longer indexed; the test lost its point")
	}
	if a, _ := fs.Stat(many); a.Size < 2*stableSize {
		t.Fatalf("directory grew from %d to %d bytes only: too few leaf splits", stableSize, a.Size)
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	fsckClean(t, img)
}

// TestFillDisk writes until ENOSPC and checks that the image stays
// consistent and that freeing space makes writes possible again. The
// small-group layouts fill groups that start BLOCK_UNINIT, some holding
// superblock backups and, without flex_bg, their own bitmaps and inode
// tables, which the allocator must not hand out.
func TestFillDisk(t *testing.T) {
	needTools(t)
	for _, v := range []struct {
		name  string
		sizeK int
		args  []string
	}{
		{"1024", 4 << 10, []string{"-b", "1024"}},
		{"4096", 4 << 10, []string{"-b", "4096"}},
		{"1024-small-groups", 4 << 10, []string{"-b", "1024", "-g", "1024"}},
		{"1024-small-groups-no-flex_bg", 4 << 10, []string{"-b", "1024", "-g", "1024", "-O", "^flex_bg"}},
		// 20 groups: their 64-byte descriptors fill more than one block.
		{"1024-two-descriptor-blocks", 20 << 10, []string{"-b", "1024", "-g", "1024"}},
		// Full-sized groups without flex_bg: group 2's block bitmap is
		// its first block, just past the end of BLOCK_UNINIT group 1.
		{"1024-three-groups-no-flex_bg", 24 << 10, []string{"-b", "1024", "-O", "^flex_bg"}},
	} {
		t.Run(v.name, func(t *testing.T) {
			img := filepath.Join(t.TempDir(), "img")
			mkfs(t, img, "", v.sizeK, append([]string{"-t", "ext4", "-m", "0"}, v.args...)...)
			fs, dev := openImage(t, img, false)
			defer dev.Close()
			chunk := bytes.Repeat([]byte("z"), 100000)
			var files int
			var outOf string
			for ; ; files++ {
				ino, err := fs.Create(fs.Root(), "f"+strconv.Itoa(files), 0o644, 0, 0)
				if err == syscall.ENOSPC {
					outOf = "inodes"
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if _, err := fs.WriteAt(ino, chunk, 0); err == syscall.ENOSPC {
					outOf = "blocks"
					break
				} else if err != nil {
					t.Fatal(err)
				}
			}
			if files < 10 {
				t.Fatalf("only %d files before ENOSPC", files)
			}
			// ENOSPC means the disk is full: fewer free blocks than the
			// failed write needed (its data and a few extent blocks),
			// or no free inode.
			st, err := fs.Statfs()
			if err != nil {
				t.Fatal(err)
			}
			if need := uint64(len(chunk))/uint64(st.BlockSize) + 8; outOf == "blocks" && st.FreeBlocks >= need ||
				outOf == "inodes" && st.FreeFiles != 0 {
				t.Fatalf("ENOSPC for %s with %d blocks and %d inodes free", outOf, st.FreeBlocks, st.FreeFiles)
			}
			if err := fs.Sync(); err != nil {
				t.Fatal(err)
			}
			fsckClean(t, img)
			for i := 0; i < files; i += 2 {
				if err := fs.Unlink(fs.Root(), "f"+strconv.Itoa(i)); err != nil {
					t.Fatal(err)
				}
			}
			newFile(t, fs, "after", chunk, 0)
			st, err = fs.Statfs()
			if err != nil || st.FreeBlocks == 0 || st.FreeBlocks > st.Blocks {
				t.Fatalf("statfs %+v %v", st, err)
			}
			if err := fs.Close(); err != nil {
				t.Fatal(err)
			}
			fsckClean(t, img)
			superCounts(t, img, st)
		})
	}
}

// superCounts requires the superblock's free block and inode counts to be
// the groups' sums, st as Statfs gave them: e2fsck accepts stale ones,
// but dumpe2fs, tune2fs and an unjournalled mount read them.
func superCounts(t *testing.T, img string, st ext4.Statfs) {
	t.Helper()
	sb := make([]byte, 1024)
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.ReadAt(sb, 1024); err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	blocks := uint64(le.Uint32(sb[0x0c:])) | uint64(le.Uint32(sb[0x158:]))<<32
	if le.Uint32(sb[0x60:])&0x80 == 0 { // no 64bit feature: no high half
		blocks = uint64(le.Uint32(sb[0x0c:]))
	}
	if inodes := le.Uint32(sb[0x10:]); blocks != st.FreeBlocks || uint64(inodes) != st.FreeFiles {
		t.Errorf("superblock free counts %d blocks, %d inodes; groups say %d, %d", blocks, inodes, st.FreeBlocks, st.FreeFiles)
	}
}

// TestAllocBelowGoal fills the disk with files a, b and c, deletes a and
// appends to b: the only free blocks now lie below b's goal block (where
// the allocator looks first), and the search must wrap around to them.
// With three full-sized groups (no padding bits after a group's last
// block) the search runs to the exact end of each group's bitmap.
func TestAllocBelowGoal(t *testing.T) {
	needTools(t)
	for _, v := range []struct {
		name, bs string
		sizeK    int
	}{{"1024", "1024", 2 << 10}, {"4096", "4096", 2 << 10}, {"1024-three-groups", "1024", 3 * 8 << 10}} {
		bs := v.bs
		t.Run(v.name, func(t *testing.T) {
			img := filepath.Join(t.TempDir(), "img")
			mkfs(t, img, "", v.sizeK, "-t", "ext4", "-b", bs, "-m", "0")
			fs, dev := openImage(t, img, false)
			defer dev.Close()
			st, err := fs.Statfs()
			if err != nil {
				t.Fatal(err)
			}
			third := int(st.FreeBlocks/3) * int(st.BlockSize)
			chunk := bytes.Repeat([]byte("y"), 8192)
			var b uint32
			for _, name := range []string{"a", "b", "c"} {
				ino, err := fs.Create(fs.Root(), name, 0o644, 0, 0)
				if err != nil {
					t.Fatal(err)
				}
				if name == "b" {
					b = ino
				}
				for off := 0; name == "c" || off < third; off += len(chunk) {
					if _, err := fs.WriteAt(ino, chunk, int64(off)); err == syscall.ENOSPC {
						break
					} else if err != nil {
						t.Fatalf("write %s at %d: %v", name, off, err)
					}
				}
			}
			if err := fs.Unlink(fs.Root(), "a"); err != nil {
				t.Fatal(err)
			}
			st, err = fs.Statfs()
			if err != nil || int(st.FreeBlocks)*int(st.BlockSize) < third {
				t.Fatalf("after deleting a: statfs %+v %v, want %d bytes free", st, err, third)
			}
			size := len(readAll(t, fs, b))
			more := bytes.Repeat([]byte("B"), int(st.FreeBlocks/2)*int(st.BlockSize))
			if _, err := fs.WriteAt(b, more, int64(size)); err != nil {
				t.Fatalf("append %d bytes to b with %d blocks free: %v", len(more), st.FreeBlocks, err)
			}
			got := readAll(t, fs, b)
			if len(got) != size+len(more) || !bytes.Equal(got[size:], more) {
				t.Fatalf("b reads back %d bytes, want %d ending in the appended data", len(got), size+len(more))
			}
			if err := fs.Close(); err != nil {
				t.Fatal(err)
			}
			fsckClean(t, img)
		})
	}
}

// TestOpenUnlinked keeps an unlinked inode readable until Release.
func TestOpenUnlinked(t *testing.T) {
	needTools(t)
	img := filepath.Join(t.TempDir(), "img")
	mkfs(t, img, "", 4<<10, "-t", "ext4")
	fs, dev := openImage(t, img, false)
	defer dev.Close()
	ino, err := fs.Create(fs.Root(), "f", 0o644, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	fs.WriteAt(ino, []byte("still here"), 0)
	fs.Acquire(ino)
	if err := fs.Unlink(fs.Root(), "f"); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, fs, ino); string(got) != "still here" {
		t.Fatalf("unlinked file reads %q", got)
	}
	if err := fs.Release(ino); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat(ino); err != syscall.ENOENT {
		t.Fatalf("Stat after release: %v", err)
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	fsckClean(t, img)
}

// TestErrors checks the errno of each operation's failure modes.
func TestErrors(t *testing.T) {
	needTools(t)
	img := filepath.Join(t.TempDir(), "img")
	mkfs(t, img, "", 4<<10, "-t", "ext4")
	fs, dev := openImage(t, img, false)
	defer dev.Close()
	defer fs.Close()
	root := fs.Root()
	d, _ := fs.Mkdir(root, "d", 0o755, 0, 0)
	f, _ := fs.Create(d, "f", 0o644, 0, 0)
	long := string(bytes.Repeat([]byte("n"), 256))
	for _, c := range []struct {
		what string
		err  error
		want syscall.Errno
	}{
		{"lookup missing", second(fs.Lookup(root, "nope")), syscall.ENOENT},
		{"lookup in file", second(fs.Lookup(f, "x")), syscall.ENOTDIR},
		{"lookup long", second(fs.Lookup(root, long)), syscall.ENAMETOOLONG},
		{"create long", second(fs.Create(root, long, 0o644, 0, 0)), syscall.ENAMETOOLONG},
		{"create exists", second(fs.Create(root, "d", 0o644, 0, 0)), syscall.EEXIST},
		{"create slash", second(fs.Create(root, "a/b", 0o644, 0, 0)), syscall.EINVAL},
		{"mkdir dot", second(fs.Mkdir(root, ".", 0o755, 0, 0)), syscall.EEXIST},
		{"rmdir non-empty", fs.Rmdir(root, "d"), syscall.ENOTEMPTY},
		{"rmdir file", fs.Rmdir(d, "f"), syscall.ENOTDIR},
		{"rmdir dot", fs.Rmdir(d, "."), syscall.EINVAL},
		{"unlink dir", fs.Unlink(root, "d"), syscall.EISDIR},
		{"link dir", fs.Link(d, root, "d2"), syscall.EPERM},
		{"rename into self", fs.Rename(root, "d", d, "sub"), syscall.EINVAL},
		{"rename dir over file", fs.Rename(root, "lost+found", d, "f"), syscall.ENOTDIR},
		{"rename file over dir", fs.Rename(d, "f", root, "d"), syscall.EISDIR},
		{"read dir", second(fs.ReadAt(d, make([]byte, 1), 0)), syscall.EISDIR},
		{"write dir", second(fs.WriteAt(d, []byte("x"), 0)), syscall.EISDIR},
		{"truncate dir", fs.Truncate(d, 0), syscall.EISDIR},
		{"readlink file", second(fs.Readlink(f)), syscall.EINVAL},
		{"readdir file", second(fs.ReadDir(f, 0, 1)), syscall.ENOTDIR},
		{"stat bad ino", second(fs.Stat(1 << 30)), syscall.EINVAL},
		{"mknod dir", second(fs.Mknod(root, "x", syscall.S_IFDIR, 0, 0, 0)), syscall.EINVAL},
		{"write past the largest offset", second(fs.WriteAt(f, []byte("x"), 1<<62)), syscall.EFBIG},
		{"truncate past the largest size", fs.Truncate(f, 1<<62), syscall.EFBIG},
		{"negative offset", second(fs.WriteAt(f, []byte("x"), -1)), syscall.EINVAL},
	} {
		if c.err != c.want {
			t.Errorf("%s: %v, want %v", c.what, c.err, c.want)
		}
	}
	if _, err := fs.Stat(f); err != nil {
		t.Fatal(err)
	}
}

func second[T any](_ T, err error) error { return err }
