package ext4_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"aramid/servers/vfsd/ext4"
)

// sbField reads a little-endian superblock field of size 2 or 4.
func sbField(t *testing.T, img string, off, size int) uint32 {
	t.Helper()
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 4)
	if _, err := f.ReadAt(b[:size], int64(1024+off)); err != nil {
		t.Fatal(err)
	}
	return binary.LittleEndian.Uint32(b)
}

// groupsOf runs dumpe2fs and returns, per group, its "N unused inodes"
// and "M directories" figures and its flags.
type groupInfo struct {
	dirs, unused int
	flags        string
}

func groupsOf(t *testing.T, img string) []groupInfo {
	t.Helper()
	out := stdout(t, "dumpe2fs", img)
	var gs []groupInfo
	head := regexp.MustCompile(`^Group \d+: .*?(\[[^\]]*\])?$`)
	counts := regexp.MustCompile(`(\d+) directories(?:, (\d+) unused inodes)?`)
	for _, line := range strings.Split(out, "\n") {
		if m := head.FindStringSubmatch(line); m != nil {
			gs = append(gs, groupInfo{flags: m[1]})
			continue
		}
		if m := counts.FindStringSubmatch(line); m != nil && len(gs) > 0 {
			g := &gs[len(gs)-1]
			g.dirs, _ = strconv.Atoi(m[1])
			g.unused, _ = strconv.Atoi(m[2])
		}
	}
	return gs
}

// TestFillInodes creates files and directories until no inode is left, in
// groups that start INODE_UNINIT, then frees some and creates again.
// Linux's format rules checked: an inode in use never lies in a group's
// unused inode table tail (bg_itable_unused), per-group directory and
// free counts add up (e2fsck pass 5), the superblock counts are the sums,
// and every inode from s_first_ino on is usable (lost+found, which
// mke2fs puts there, is removed first) but none below.
func TestFillInodes(t *testing.T) {
	needTools(t)
	img := filepath.Join(t.TempDir(), "img")
	mkfs(t, img, "", 4<<10, "-t", "ext4", "-b", "1024", "-g", "1024", "-N", "256", "-m", "0")
	ipg := int(sbField(t, img, 0x28, 4))
	firstIno := sbField(t, img, 0x54, 4)
	before := groupsOf(t, img)
	if len(before) < 3 || !strings.Contains(before[2].flags, "INODE_UNINIT") {
		t.Fatalf("the image has no INODE_UNINIT group to fill: %+v", before)
	}
	fs, dev := openImage(t, img, false)
	defer dev.Close()
	if err := fs.Rmdir(fs.Root(), "lost+found"); err != nil {
		t.Fatal(err)
	}
	st, err := fs.Statfs()
	if err != nil {
		t.Fatal(err)
	}
	free := int(st.FreeFiles)
	var prev uint32
	var made []string
	var dirs []uint32
	for i := 0; ; i++ {
		name := "f" + strconv.Itoa(i)
		var ino uint32
		var err error
		if i%5 == 0 {
			ino, err = fs.Mkdir(fs.Root(), name, 0o755, 0, 0)
		} else {
			ino, err = fs.Create(fs.Root(), name, 0o644, 0, 0)
		}
		if err == syscall.ENOSPC {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		// Each group's lowest free inode first, then the next group's
		// (as Linux's find_group_other tries the next group first).
		if ino < firstIno || ino <= prev {
			t.Fatalf("inode %d handed out after %d (first usable %d)", ino, prev, firstIno)
		}
		prev = ino
		made = append(made, name)
		if i%5 == 0 && i%2 == 1 { // kept below
			dirs = append(dirs, ino)
		}
	}
	st, err = fs.Statfs()
	if err != nil || st.FreeFiles != 0 || len(made) != free {
		t.Fatalf("ENOSPC after %d of %d free inodes, %d still free (%v)", len(made), free, st.FreeFiles, err)
	}
	if err := fs.Sync(); err != nil {
		t.Fatal(err)
	}
	fsckClean(t, img)
	superCounts(t, img, st)
	for g, gi := range groupsOf(t, img) {
		if gi.unused != 0 {
			t.Errorf("group %d: %d unused inodes on a full file system", g, gi.unused)
		}
	}
	// A directory keeps what is created in it in its own group.
	for i := 0; i < len(made); i += 2 {
		if i%5 == 0 {
			err = fs.Rmdir(fs.Root(), made[i])
		} else {
			err = fs.Unlink(fs.Root(), made[i])
		}
		if err != nil {
			t.Fatalf("remove %s: %v", made[i], err)
		}
	}
	var ino uint32
	for _, d := range dirs {
		if ino, err = fs.Create(d, "near", 0o644, 0, 0); err != nil {
			t.Fatal(err)
		}
		if (ino-1)/uint32(ipg) != (d-1)/uint32(ipg) {
			t.Errorf("file in directory %d got inode %d, outside its group", d, ino)
		}
	}
	if _, err := fs.WriteAt(ino, bytes.Repeat([]byte("n"), 5000), 0); err != nil {
		t.Fatal(err)
	}
	st, err = fs.Statfs()
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	fsckClean(t, img)
	superCounts(t, img, st)
	blocks := stdout(t, "debugfs", "-R", "blocks <"+strconv.Itoa(int(ino))+">", img)
	bpg := sbField(t, img, 0x20, 4)
	for _, f := range strings.Fields(blocks) {
		b, _ := strconv.Atoi(f)
		if g := (uint32(b) - 1) / bpg; g != (ino-1)/uint32(ipg) {
			t.Errorf("block %d of inode %d lies in group %d, not its inode's", b, ino, g)
		}
	}
}

// TestAppendContiguous: appends continue a file's last extent when the
// blocks after it are free, so a file written in pieces is one extent.
func TestAppendContiguous(t *testing.T) {
	needTools(t)
	for _, bs := range []string{"1024", "4096"} {
		t.Run(bs, func(t *testing.T) {
			img := filepath.Join(t.TempDir(), "img")
			mkfs(t, img, "", 8<<10, "-t", "ext4", "-b", bs, "-g", "1024")
			fs, dev := openImage(t, img, false)
			defer dev.Close()
			// A file written and removed before f's appends leaves free
			// blocks before f, which its appends must not go back to.
			newFile(t, fs, "x", make([]byte, 5<<12), 0)
			ino, err := fs.Create(fs.Root(), "f", 0o644, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			var want []byte
			for k := 0; k < 20; k++ {
				if k == 1 {
					if err := fs.Unlink(fs.Root(), "x"); err != nil {
						t.Fatal(err)
					}
					if err := fs.Sync(); err != nil { // the freed blocks are reusable once committed
						t.Fatal(err)
					}
				}
				p := bytes.Repeat([]byte{byte('a' + k)}, 1000+k*37)
				if _, err := fs.WriteAt(ino, p, int64(len(want))); err != nil {
					t.Fatal(err)
				}
				want = append(want, p...)
			}
			if err := fs.Sync(); err != nil {
				t.Fatal(err)
			}
			var prev int
			for i, f := range strings.Fields(stdout(t, "debugfs", "-R", "blocks /f", img)) {
				b, _ := strconv.Atoi(f)
				if i > 0 && b != prev+1 {
					t.Fatalf("block %d follows %d: the appends are not contiguous", b, prev)
				}
				prev = b
			}
			// Block by block past the end of 1024-block groups: each
			// goal is the block after the file's last, which is once
			// the last block of a group (with 1 KiB blocks, group g
			// ends at block 1024(g+1), not 1024(g+1)-1). When a group
			// is full the next one is used, so the blocks only ascend
			// and skip only blocks in use.
			for bs == "1024" && len(want) < 1536*1024 {
				p := bytes.Repeat([]byte{byte(len(want) / 1024)}, 1024)
				if _, err := fs.WriteAt(ino, p, int64(len(want))); err != nil {
					t.Fatal(err)
				}
				want = append(want, p...)
			}
			if got := readAll(t, fs, ino); !bytes.Equal(got, want) {
				t.Fatal("contents differ")
			}
			if err := fs.Close(); err != nil {
				t.Fatal(err)
			}
			fsckClean(t, img)
			prev = 0
			for _, f := range strings.Fields(stdout(t, "debugfs", "-R", "blocks /f", img)) {
				b, _ := strconv.Atoi(f)
				if b <= prev {
					t.Fatalf("block %d follows %d", b, prev)
				}
				if prev != 0 && b > prev+1 {
					cmd := "testb " + strconv.Itoa(prev+1) + " " + strconv.Itoa(b-prev-1)
					if out := stdout(t, "debugfs", "-R", cmd, img); strings.Contains(out, "not in use") {
						t.Fatalf("the file skips free blocks between %d and %d:\n%.300s", prev, b, out)
					}
				}
				prev = b
			}
			if bs == "1024" {
				truncateAtGroupEnd(t, img)
			}
		})
	}
}

// truncateAtGroupEnd truncates /f in img so that the blocks it frees
// start at the last block of a group (which, with 1 KiB blocks, is a
// multiple of 1024), then requires a clean check.
func truncateAtGroupEnd(t *testing.T, img string) {
	t.Helper()
	keep := -1
	for _, line := range strings.Split(stdout(t, "debugfs", "-R", "ex /f", img), "\n") {
		var lvl, max, ent, entMax, l0, l1, p0, p1 int
		if n, _ := fmt.Sscanf(strings.TrimSpace(line), "%d/ %d %d/ %d %d - %d %d - %d", &lvl, &max, &ent, &entMax, &l0, &l1, &p0, &p1); n == 8 && p1%1024 == 0 {
			keep = l1 // lblk l1 is at physical block p1
		}
	}
	if keep < 0 {
		t.Fatal("no extent of /f ends at a group's last block")
	}
	fs, dev := openImage(t, img, false)
	defer dev.Close()
	ino, err := lookupPath(fs, "/f")
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Truncate(ino, uint64(keep)*1024); err != nil {
		t.Fatal(err)
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	fsckClean(t, img)
}

// TestDescriptorTailKept: the bytes after the last group descriptor in
// its block belong to no group; a descriptor update leaves them as they
// were.
func TestDescriptorTailKept(t *testing.T) {
	needTools(t)
	img := filepath.Join(t.TempDir(), "img")
	// 20 groups of 64-byte descriptors: the second descriptor block holds
	// four and a 768-byte tail.
	mkfs(t, img, "", 20<<10, "-t", "ext4", "-b", "1024", "-g", "1024")
	if n := sbField(t, img, 0x04, 4) / 1024; n != 20 {
		t.Fatalf("%d groups", n)
	}
	tail := int64(1024*3 + 4*64) // block 1 is the superblock, 2 and 3 the descriptors
	mark := bytes.Repeat([]byte{0xa5}, 1024-4*64)
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(mark, tail); err != nil {
		t.Fatal(err)
	}
	f.Close()
	fs, dev := openImage(t, img, false)
	defer dev.Close()
	// Fill the disk so that every group's descriptor changes.
	chunk := bytes.Repeat([]byte("t"), 1<<20)
	for i := 0; ; i++ {
		ino, err := fs.Create(fs.Root(), "f"+strconv.Itoa(i), 0o644, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fs.WriteAt(ino, chunk, 0); err == syscall.ENOSPC {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(mark))
	f, err = os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.ReadAt(got, tail); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, mark) {
		t.Error("the tail of the last descriptor block changed")
	}
	fsckClean(t, img)
	var st ext4.Statfs
	fs, dev2 := openImage(t, img, true)
	defer dev2.Close()
	if st, err = fs.Statfs(); err != nil {
		t.Fatal(err)
	}
	superCounts(t, img, st)
}

// TestFreeAcrossGroups removes a file that mke2fs wrote with an extent
// running from one block group into the next (ext4 extents may cross
// group boundaries; this allocator never makes one): each group gets back
// exactly its own blocks, and the padding bits after a group's last
// block stay set.
func TestFreeAcrossGroups(t *testing.T) {
	needTools(t)
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "big"), bytes.Repeat([]byte("0123456789abcdef"), 3<<16), 0o644); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(t.TempDir(), "img")
	mkfs(t, img, src, 8<<10, "-t", "ext4", "-b", "1024", "-g", "1024")
	crosses := false
	for _, line := range strings.Split(stdout(t, "debugfs", "-R", "ex /big", img), "\n") {
		var lvl, max, ent, entMax, l0, l1, p0, p1 int
		if n, _ := fmt.Sscanf(strings.TrimSpace(line), "%d/ %d %d/ %d %d - %d %d - %d", &lvl, &max, &ent, &entMax, &l0, &l1, &p0, &p1); n == 8 && (p0-1)/1024 != (p1-1)/1024 {
			crosses = true
		}
	}
	if !crosses {
		t.Fatal("mke2fs made no extent that crosses a group boundary; the test needs one")
	}
	fs, dev := openImage(t, img, false)
	defer dev.Close()
	if err := fs.Unlink(fs.Root(), "big"); err != nil {
		t.Fatal(err)
	}
	st, err := fs.Statfs()
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	fsckClean(t, img)
	superCounts(t, img, st)
}

// TestSuperblockThroughJournal: with a journal, the superblock's new
// counts reach its home location only through the journal: after an
// allocation that has not been committed, the superblock on disk is as
// it was (jbd2's write-ahead rule), and after Sync it has the new counts.
func TestSuperblockThroughJournal(t *testing.T) {
	needTools(t)
	img := filepath.Join(t.TempDir(), "img")
	mkfs(t, img, "", 4<<10, "-t", "ext4", "-b", "1024")
	before := sbField(t, img, 0x0c, 4)
	fs, dev := openImage(t, img, false)
	defer dev.Close()
	newFile(t, fs, "f", make([]byte, 50<<10), 0)
	if got := sbField(t, img, 0x0c, 4); got != before {
		t.Errorf("the superblock's free block count changed on disk before the commit: %d, was %d", got, before)
	}
	if err := fs.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	if got := sbField(t, img, 0x0c, 4); got > before-50 {
		t.Errorf("after the commit the superblock counts %d free blocks, was %d: the 50 allocated are not taken off", got, before)
	}
	fsckClean(t, img)
}
