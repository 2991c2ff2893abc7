package ext4_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"aramid/servers/vfsd/ext4"
)

// variants are the mke2fs configurations the reader must handle.
var variants = []struct {
	name   string
	sizeK  int
	args   []string
	sparse bool // the source tree may hold sparse files
	ro     bool // the engine must refuse to write it
}{
	{"4k-default", 48 << 10, []string{"-t", "ext4", "-b", "4096"}, true, false},
	{"1k-default", 24 << 10, []string{"-t", "ext4", "-b", "1024"}, true, false},
	{"4k-32bit-nocsum", 48 << 10, []string{"-t", "ext4", "-b", "4096", "-O", "^64bit,^metadata_csum"}, true, false},
	{"1k-32bit-uninit_bg", 24 << 10, []string{"-t", "ext4", "-b", "1024", "-O", "^64bit,^metadata_csum,uninit_bg"}, true, false},
	// Small groups make many groups and a partial last group; lazy
	// inode table init leaves itable_unused and unzeroed tables to honour.
	{"4k-small-groups", 41 << 10, []string{"-t", "ext4", "-b", "4096", "-g", "2048", "-E", "lazy_itable_init=1"}, true, false},
	{"1k-no-flex_bg", 20<<10 + 7, []string{"-t", "ext4", "-b", "1024", "-O", "^flex_bg"}, true, false},
	{"4k-inline_data", 48 << 10, []string{"-t", "ext4", "-b", "4096", "-O", "inline_data"}, false, false},
	{"1k-ext2-indirect", 24 << 10, []string{"-t", "ext2", "-b", "1024"}, true, true},
	{"4k-ext3", 48 << 10, []string{"-t", "ext3", "-b", "4096"}, true, true},
	{"1k-meta_bg", 24 << 10, []string{"-t", "ext4", "-b", "1024", "-O", "meta_bg,^resize_inode"}, true, true},
	{"1k-sparse_super2", 24 << 10, []string{"-t", "ext4", "-b", "1024", "-O", "sparse_super2"}, true, false},
}

// TestReadImages builds each variant from the same kind of tree,
// fragments it with debugfs, indexes its directories with e2fsck -D, and
// compares every file with the host tree.
func TestReadImages(t *testing.T) {
	needTools(t)
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, "src")
			genTree(t, src, rand.New(rand.NewPCG(1, uint64(len(v.name)))), v.sparse)
			// Filler files to be removed, so that a file written later is
			// scattered over the holes they leave.
			if err := os.Mkdir(filepath.Join(src, "filler"), 0o755); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 1200; i++ {
				os.WriteFile(filepath.Join(src, "filler", strconv.Itoa(i)), bytes.Repeat([]byte{'f'}, 1500), 0o644)
			}
			img := filepath.Join(dir, "img")
			mkfs(t, img, src, v.sizeK, v.args...)
			var cmds []string
			for i := 0; i < 1200; i += 2 {
				cmds = append(cmds, "rm /filler/"+strconv.Itoa(i))
				os.Remove(filepath.Join(src, "filler", strconv.Itoa(i)))
			}
			frag := filepath.Join(dir, "frag")
			data := make([]byte, 1500*1024)
			for i := range data {
				data[i] = byte(i*7 + i/4096)
			}
			os.WriteFile(frag, data, 0o644)
			cmds = append(cmds, "write "+frag+" /fragmented", "sif /fragmented mtime 20200101", "sif /filler mtime 20200101", "sif / mtime 20200101")
			debugfsW(t, img, cmds...)
			os.WriteFile(filepath.Join(src, "fragmented"), data, 0o644)
			for _, p := range []string{"fragmented", "filler", "."} {
				os.Chtimes(filepath.Join(src, p), mtime2020, mtime2020)
			}
			fsckIndex(t, img)
			if !v.ro {
				// The scattered file must need an extent tree below the inode.
				ex := stdout(t, "debugfs", "-R", "ex /fragmented", img)
				if !regexp.MustCompile(`(?m)^\s*0/\s*[12]\s`).MatchString(ex) {
					t.Fatalf("/fragmented has a depth-0 extent tree:\n%.300s", ex)
				}
			}

			fs, dev := openImage(t, img, false)
			defer dev.Close()
			if got := fs.ReadOnlyReason() != ""; got != v.ro {
				t.Fatalf("read-only = %v (%q), want %v", got, fs.ReadOnlyReason(), v.ro)
			}
			n := compareWithHost(t, fs, src)
			t.Logf("%d paths compared", n)
			if strings.Contains(v.name, "inline") {
				checkInlineRefusal(t, fs)
			}
			if v.ro {
				if _, err := fs.Create(fs.Root(), "x", 0o644, 0, 0); err != syscall.EROFS {
					t.Fatalf("Create on read-only image: %v", err)
				}
			}
			if err := fs.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

var mtime2020 = mustTime("2020-01-01T00:00:00Z")

// TestUninitExtents reads extents made by debugfs fallocate as zeros, then
// writes into the middle of one and checks with e2fsck.
func TestUninitExtents(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	img := filepath.Join(dir, "img")
	mkfs(t, img, "", 8<<10, "-t", "ext4", "-b", "1024")
	debugfsW(t, img, "write /dev/null /f", "fallocate /f 0 99", "sif /f size 102400")
	fs, dev := openImage(t, img, false)
	defer dev.Close()
	ino, err := lookupPath(fs, "/f")
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, fs, ino); len(got) != 102400 || !bytes.Equal(got, make([]byte, 102400)) {
		t.Fatalf("uninitialised extent read %d bytes, not all zero", len(got))
	}
	if _, err := fs.WriteAt(ino, []byte("hello"), 50000); err != nil {
		t.Fatal(err)
	}
	want := make([]byte, 102400)
	copy(want[50000:], "hello")
	if got := readAll(t, fs, ino); !bytes.Equal(got, want) {
		t.Fatal("contents wrong after writing into an uninitialised extent")
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	fsckClean(t, img)
	if out := stdout(t, "debugfs", "-R", "cat /f", img); !bytes.Equal([]byte(out), want) {
		t.Fatal("debugfs reads different contents")
	}
}

// TestJournalNeedsRecovery: an image marked needs_recovery is replayed in
// memory when mounted read-only (the image keeps its mark), and on disk
// when mounted read-write, which clears the mark at Close. A journal that
// cannot be replayed is EUCLEAN.
func TestJournalNeedsRecovery(t *testing.T) {
	needTools(t)
	img := filepath.Join(t.TempDir(), "img")
	mkfs(t, img, "", 8<<10, "-t", "ext4")
	debugfsW(t, img, "feature needs_recovery")
	dev, err := openDev(img)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	ro, err := ext4.Open(dev, ext4.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only Open = %v, want a replay in memory", err)
	}
	ro.Close()
	if out := stdout(t, "dumpe2fs", "-h", img); !strings.Contains(out, "needs_recovery") {
		t.Error("a read-only mount cleared needs_recovery")
	}
	fs, err := ext4.Open(dev, ext4.Options{})
	if err != nil {
		t.Fatalf("read-write Open = %v, want a replay", err)
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	if out := stdout(t, "dumpe2fs", "-h", img); strings.Contains(out, "needs_recovery") {
		t.Errorf("needs_recovery still set after Close:\n%s", out)
	}
	fsckClean(t, img)

	// A journal whose superblock is zeros: the replay is refused.
	debugfsW(t, img, "feature needs_recovery", "zap_block -f <8> 0")
	_, err = ext4.Open(dev, ext4.Options{})
	var me *ext4.MountError
	if !errors.As(err, &me) || !errors.Is(err, syscall.EUCLEAN) || !strings.Contains(err.Error(), "recovery") {
		t.Fatalf("Open with a broken journal = %v, want a recovery error", err)
	}
}

// TestRefusedFeatures: images with features the engine cannot read are
// refused at mount with a message naming the problem.
func TestRefusedFeatures(t *testing.T) {
	needTools(t)
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"-t", "ext4", "-O", "bigalloc", "-C", "16384"}, "bigalloc"},
		{[]string{"-t", "ext4", "-O", "encrypt"}, "unsupported incompatible features"},
		{[]string{"-t", "ext4", "-O", "casefold"}, "unsupported incompatible features"},
	} {
		img := filepath.Join(t.TempDir(), "img")
		mkfs(t, img, "", 16<<10, c.args...)
		dev, err := openDev(img)
		if err != nil {
			t.Fatal(err)
		}
		_, err = ext4.Open(dev, ext4.Options{})
		dev.Close()
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%v: Open = %v, want an error about %s", c.args, err, c.msg)
		}
	}
}

// TestReadOnlyFeatures: images whose features the writer does not keep
// consistent (quota files, MMP) mount read-only and say why.
func TestReadOnlyFeatures(t *testing.T) {
	needTools(t)
	for _, feature := range []string{"quota", "mmp"} {
		img := filepath.Join(t.TempDir(), "img")
		mkfs(t, img, "", 16<<10, "-t", "ext4", "-O", feature)
		fs, dev := openImage(t, img, false)
		if fs.ReadOnlyReason() == "" {
			t.Errorf("%s: mounted writable", feature)
		}
		if _, err := fs.Mkdir(fs.Root(), "x", 0o755, 0, 0); err != syscall.EROFS {
			t.Errorf("%s: Mkdir = %v, want EROFS", feature, err)
		}
		fs.Close()
		dev.Close()
	}
}

// TestConcurrentReads reads every file from many goroutines at once.
func TestConcurrentReads(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	genTree(t, src, rand.New(rand.NewPCG(3, 4)), true)
	img := filepath.Join(dir, "img")
	mkfs(t, img, src, 32<<10, "-t", "ext4", "-b", "4096")
	fs, dev := openImage(t, img, true)
	defer dev.Close()
	defer fs.Close()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			compareWithHost(t, fs, src)
		}()
	}
	wg.Wait()
}

// checkInlineRefusal: inline-data inodes are read, and every change to
// one fails with EOPNOTSUPP before anything is modified.
func checkInlineRefusal(t *testing.T, fs *ext4.FS) {
	t.Helper()
	small, err := lookupPath(fs, "/small")
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := fs.Stat(small); a.Flags&0x10000000 == 0 {
		t.Fatalf("/small is not inline (flags %#x)", a.Flags)
	}
	e, _ := lookupPath(fs, "/deep/a/b/c/d/e")
	for what, err := range map[string]error{
		"write":    second(fs.WriteAt(small, []byte("x"), 0)),
		"truncate": fs.Truncate(small, 1),
		"create":   second(fs.Create(e, "new", 0o644, 0, 0)),
		"unlink":   fs.Unlink(e, "leaf"),
		"rename":   fs.Rename(e, "leaf", fs.Root(), "leaf2"),
	} {
		if err != syscall.EOPNOTSUPP {
			t.Errorf("%s on inline data: %v, want EOPNOTSUPP", what, err)
		}
	}
}
