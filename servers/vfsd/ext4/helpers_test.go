package ext4_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"aramid/servers/vfsd/blockdev"
	"aramid/servers/vfsd/ext4"
)

// needTools skips the test when e2fsprogs is not installed (CI installs it).
func needTools(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"mke2fs", "e2fsck", "debugfs"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
}

func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// stdout runs a command and returns its standard output only.
func stdout(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return string(out)
}

// mkfs makes an image of sizeK KiB from src with mke2fs -d.
func mkfs(t testing.TB, img, src string, sizeK int, args ...string) {
	t.Helper()
	ext := "lazy_itable_init=0,root_owner=0:0"
	var rest []string
	for k := 0; k < len(args); k++ {
		if args[k] == "-E" && k+1 < len(args) {
			ext += "," + args[k+1]
			k++
			continue
		}
		rest = append(rest, args[k])
	}
	a := append([]string{"-q", "-F", "-E", ext}, rest...)
	if src != "" {
		a = append(a, "-d", src)
	}
	a = append(a, img, strconv.Itoa(sizeK)+"k")
	run(t, "mke2fs", a...)
}

// debugfsW runs debugfs commands against img in write mode.
func debugfsW(t testing.TB, img string, cmds ...string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "cmds")
	if err := os.WriteFile(f, []byte(strings.Join(cmds, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return run(t, "debugfs", "-w", "-f", f, img)
}

// fsckIndex builds htree indexes (exit 1, "fixed", is expected) and then
// requires a clean check.
func fsckIndex(t testing.TB, img string) {
	t.Helper()
	err := exec.Command("e2fsck", "-fyD", img).Run()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) {
		t.Fatalf("e2fsck -fyD: %v", err)
	}
	fsckClean(t, img)
}

func fsckClean(t testing.TB, img string) {
	t.Helper()
	out, err := exec.Command("e2fsck", "-fn", img).CombinedOutput()
	if err != nil {
		t.Fatalf("e2fsck -fn %s: %v\n%s", img, err, out)
	}
}

func openImage(t testing.TB, img string, ro bool) (*ext4.FS, *blockdev.File) {
	t.Helper()
	dev, err := blockdev.OpenFile(img, ro)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := ext4.Open(dev, ext4.Options{ReadOnly: ro})
	if err != nil {
		dev.Close()
		t.Fatal(err)
	}
	return fs, dev
}

// lookupPath resolves a slash-separated path without following symlinks.
func lookupPath(fs *ext4.FS, p string) (uint32, error) {
	ino := fs.Root()
	for _, name := range strings.Split(strings.Trim(p, "/"), "/") {
		if name == "" {
			continue
		}
		next, err := fs.Lookup(ino, name)
		if err != nil {
			return 0, err
		}
		ino = next
	}
	return ino, nil
}

func readAll(t testing.TB, fs *ext4.FS, ino uint32) []byte {
	t.Helper()
	var out bytes.Buffer
	buf := make([]byte, 70000) // not a multiple of any block size
	for off := int64(0); ; {
		n, err := fs.ReadAt(ino, buf, off)
		out.Write(buf[:n])
		off += int64(n)
		if err == io.EOF {
			return out.Bytes()
		}
		if err != nil {
			t.Fatalf("ReadAt ino %d: %v", ino, err)
		}
	}
}

// names lists a directory through ReadDir with small batches (so that
// cookies are exercised), without "." and "..", sorted.
func names(t testing.TB, fs *ext4.FS, dir uint32) map[string]ext4.DirEntry {
	t.Helper()
	out := map[string]ext4.DirEntry{}
	for cookie := uint64(0); ; {
		ents, err := fs.ReadDir(dir, cookie, 7)
		if err != nil {
			t.Fatalf("ReadDir %d: %v", dir, err)
		}
		if len(ents) == 0 {
			return out
		}
		for _, e := range ents {
			if e.Name == "." || e.Name == ".." {
				continue
			}
			if _, dup := out[e.Name]; dup {
				t.Fatalf("ReadDir %d: %q listed twice", dir, e.Name)
			}
			out[e.Name] = e
		}
		cookie = ents[len(ents)-1].Next
	}
}

// compareWithHost checks that the image's tree below root equals the host
// directory src: names, types, permissions, owners, sizes, link counts,
// mtimes (seconds), contents, symlink targets and device numbers.
func compareWithHost(t testing.TB, fs *ext4.FS, src string) int {
	t.Helper()
	count := 0
	var walk func(hostDir string, dir uint32, rel string)
	walk = func(hostDir string, dir uint32, rel string) {
		got := names(t, fs, dir)
		delete(got, "lost+found")
		hostEnts, err := os.ReadDir(hostDir)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, e := range hostEnts {
			want = append(want, e.Name())
		}
		var have []string
		for n := range got {
			have = append(have, n)
		}
		sort.Strings(have)
		if strings.Join(want, "\n") != strings.Join(have, "\n") {
			t.Fatalf("%s: entries differ:\nhost  %q\nimage %q", rel, want, have)
		}
		for _, name := range want {
			count++
			hp := filepath.Join(hostDir, name)
			p := rel + "/" + name
			var st syscall.Stat_t
			if err := syscall.Lstat(hp, &st); err != nil {
				t.Fatal(err)
			}
			a, err := fs.Stat(got[name].Ino)
			if err != nil {
				t.Fatalf("%s: Stat: %v", p, err)
			}
			if a.Mode != st.Mode || a.UID != st.Uid || a.GID != st.Gid || a.Nlink != uint32(st.Nlink) ||
				a.Mtime.Unix() != st.Mtim.Sec {
				t.Fatalf("%s: attr %+v, host mode %o uid %d gid %d nlink %d mtime %d", p, a, st.Mode, st.Uid, st.Gid, st.Nlink, st.Mtim.Sec)
			}
			switch st.Mode & syscall.S_IFMT {
			case syscall.S_IFDIR:
				walk(hp, got[name].Ino, p)
			case syscall.S_IFREG:
				want, _ := os.ReadFile(hp)
				if a.Size != uint64(len(want)) || !bytes.Equal(readAll(t, fs, a.Ino), want) {
					t.Fatalf("%s: contents differ", p)
				}
			case syscall.S_IFLNK:
				want, _ := os.Readlink(hp)
				if got, err := fs.Readlink(a.Ino); err != nil || got != want {
					t.Fatalf("%s: readlink %q, %v; want %q", p, got, err, want)
				}
			case syscall.S_IFCHR, syscall.S_IFBLK:
				if a.Rdev != st.Rdev {
					t.Fatalf("%s: rdev %#x, want %#x", p, a.Rdev, st.Rdev)
				}
			}
		}
	}
	walk(src, fs.Root(), "")
	return count
}

// genTree writes a source tree exercising the reader: small, large and
// sparse files, fast and slow symlinks, hard links, fifos, device nodes,
// a directory large enough to be indexed, deep paths, long names, setuid
// bits and large uids.
func genTree(t testing.TB, dir string, r *rand.Rand, sparse bool) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	write := func(p string, n int) {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		must(os.WriteFile(filepath.Join(dir, p), b, 0o644))
	}
	must(os.MkdirAll(filepath.Join(dir, "deep/a/b/c/d/e"), 0o755))
	must(os.MkdirAll(filepath.Join(dir, "many"), 0o750))
	write("empty", 0)
	write("small", 100)
	write("block", 4096)
	write("big", 3<<20+123)
	write("deep/a/b/c/d/e/leaf", 5000)
	write(strings.Repeat("n", 255), 10)
	for i := 0; i < 400; i++ {
		write("many/entry-"+strconv.Itoa(i)+strings.Repeat("x", i%40), r.IntN(300))
	}
	if sparse {
		f, err := os.Create(filepath.Join(dir, "sparse"))
		must(err)
		_, err = f.WriteAt([]byte("middle"), 5<<20)
		must(err)
		must(f.Truncate(9 << 20)) // trailing hole
		must(f.Close())
	}
	must(os.Symlink("small", filepath.Join(dir, "fast")))
	must(os.Symlink(strings.Repeat("long/", 60)+"target", filepath.Join(dir, "slow")))
	must(os.Link(filepath.Join(dir, "small"), filepath.Join(dir, "deep/hardlink")))
	must(syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o640))
	// Device nodes need privilege; without it the tree simply has none.
	if syscall.Mknod(filepath.Join(dir, "chr"), syscall.S_IFCHR|0o600, int(ext4Mkdev(1, 3))) == nil {
		must(syscall.Mknod(filepath.Join(dir, "blk"), syscall.S_IFBLK|0o660, int(ext4Mkdev(259, 70000))))
	}
	must(os.Chown(filepath.Join(dir, "small"), 1000, 1000))
	must(os.Lchown(filepath.Join(dir, "slow"), 100000, 200000))
	must(os.Chown(filepath.Join(dir, "block"), 70000, 5))
	// chown clears setuid, so chmod afterwards.
	must(syscall.Chmod(filepath.Join(dir, "block"), 0o4755))
	must(syscall.Chmod(filepath.Join(dir, "deep"), 0o1777))
	must(syscall.Chmod(filepath.Join(dir, "big"), 0o2640))
}

func ext4Mkdev(major, minor uint64) uint64 {
	return (major&0xfff)<<8 | (major&^0xfff)<<32 | minor&0xff | (minor&^0xff)<<12
}

func mustTime(s string) time.Time {
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return tm
}

func openDev(img string) (*blockdev.File, error) { return blockdev.OpenFile(img, false) }

// newFile creates name in fs's root directory and writes data into it at
// off, failing the test if either fails; it returns the file's inode.
func newFile(t *testing.T, fs *ext4.FS, name string, data []byte, off int64) uint32 {
	t.Helper()
	ino, err := fs.Create(fs.Root(), name, 0o644, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.WriteAt(ino, data, off); err != nil {
		t.Fatal(err)
	}
	return ino
}
