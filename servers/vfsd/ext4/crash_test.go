package ext4_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"aramid/servers/vfsd/blockdev"
	"aramid/servers/vfsd/ext4"
)

// crashDev is a device that loses power right after the cutAt-th write:
// later writes are dropped, later flushes do nothing, and of the writes
// not flushed when power went, image keeps the ones it is told to.
// Reads see every write that was not dropped.
type crashDev struct {
	mu      sync.Mutex
	cur     []byte
	durable []byte // the contents as of the last flush
	pending []pendingWrite
	n       int
	cutAt   int // -1: never
	cut     bool
	commits []int // the numbers of the writes that were jbd2 commit blocks
}

type pendingWrite struct {
	off int64
	p   []byte
}

func newCrashDev(img []byte, cutAt int) *crashDev {
	return &crashDev{cur: bytes.Clone(img), durable: bytes.Clone(img), cutAt: cutAt}
}

func (d *crashDev) ReadAt(p []byte, off int64) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if off < 0 || off+int64(len(p)) > int64(len(d.cur)) {
		return 0, io.EOF
	}
	return copy(p, d.cur[off:]), nil
}

func (d *crashDev) WriteAt(p []byte, off int64) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if off < 0 || off+int64(len(p)) > int64(len(d.cur)) {
		return 0, io.ErrShortWrite
	}
	d.n++
	if len(p) >= 8 && bytes.Equal(p[:8], []byte{0xC0, 0x3B, 0x39, 0x98, 0, 0, 0, 2}) {
		d.commits = append(d.commits, d.n)
	}
	if d.cutAt >= 0 && d.n > d.cutAt {
		d.cut = true
		return len(p), nil
	}
	copy(d.cur[off:], p)
	d.pending = append(d.pending, pendingWrite{off, bytes.Clone(p)})
	return len(p), nil
}

// Flush makes the writes so far durable, unless the power went after
// the cutAt-th write.
func (d *crashDev) Flush() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cutAt >= 0 && d.n >= d.cutAt {
		d.cut = true
	}
	if !d.cut {
		for _, w := range d.pending {
			copy(d.durable[w.off:], w.p)
		}
		d.pending = nil
	}
	return nil
}

func (d *crashDev) isCut() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cut
}

// image is the disk after the power cut: the flushed contents and, in
// order, the unflushed writes keep selects.
func (d *crashDev) image(keep func() bool) []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	img := bytes.Clone(d.durable)
	for _, w := range d.pending {
		if keep() {
			copy(img[w.off:], w.p)
		}
	}
	return img
}

// crashModel is what the workload did: the files it expects, those
// synced, and the paths changed since the last sync.
type crashModel struct {
	files   map[string][]byte
	durable map[string][]byte
	touched map[string]bool
}

// crashWorkload creates, truncates, renames and removes files in three
// directories, makes subdirectories of many entries and removes them
// again (freeing directory blocks the log holds, which must be revoked),
// syncing now and then, until steps are done or the device loses power.
func crashWorkload(fs *ext4.FS, dev *crashDev, seed uint64, steps int) *crashModel {
	rng := rand.New(rand.NewPCG(seed, 1))
	m := &crashModel{files: map[string][]byte{}, durable: map[string][]byte{}, touched: map[string]bool{}}
	dirs := map[string]uint32{}
	for _, d := range []string{"d0", "d1", "d2"} {
		ino, err := fs.Mkdir(fs.Root(), d, 0o755, 0, 0)
		if err != nil {
			return m
		}
		dirs[d] = ino
	}
	split := func(p string) (uint32, string) {
		d, name, _ := strings.Cut(p, "/")
		return dirs[d], name
	}
	pick := func() (string, bool) {
		if len(m.files) == 0 {
			return "", false
		}
		keys := make([]string, 0, len(m.files))
		for k := range m.files {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return keys[rng.IntN(len(keys))], true
	}
	bs := fs.BlockSize()
	var subdirs []string
	for i := 0; i < steps && !dev.isCut(); i++ {
		switch r := rng.IntN(100); {
		case r < 40:
			p := fmt.Sprintf("d%d/file-%04d-%s", rng.IntN(3), i, strings.Repeat("x", rng.IntN(40)))
			data := make([]byte, rng.IntN(3*bs+bs/2))
			for k := range data {
				data[k] = byte(rng.Uint32())
			}
			m.touched[p] = true
			d, name := split(p)
			ino, err := fs.Create(d, name, 0o644, 0, 0)
			if err != nil {
				continue
			}
			m.files[p] = nil
			for off := 0; off < len(data); {
				n := min(len(data)-off, 1+rng.IntN(2*bs))
				if _, err := fs.WriteAt(ino, data[off:off+n], int64(off)); err != nil {
					break
				}
				off += n
				m.files[p] = data[:off]
			}
		case r < 50:
			p, ok := pick()
			if !ok {
				continue
			}
			m.touched[p] = true
			d, name := split(p)
			if fs.Unlink(d, name) == nil {
				delete(m.files, p)
			}
		case r < 60:
			p, ok := pick()
			if !ok {
				continue
			}
			q := fmt.Sprintf("d%d/moved-%04d", rng.IntN(3), i)
			m.touched[p], m.touched[q] = true, true
			d, name := split(p)
			e, newName := split(q)
			if fs.Rename(d, name, e, newName) == nil {
				m.files[q] = m.files[p]
				delete(m.files, p)
			}
		case r < 67:
			p, ok := pick()
			if !ok {
				continue
			}
			m.touched[p] = true
			d, name := split(p)
			ino, err := fs.Lookup(d, name)
			size := len(m.files[p]) / 2
			if err == nil && fs.Truncate(ino, uint64(size)) == nil {
				m.files[p] = m.files[p][:size]
			}
		case r < 75:
			d := fmt.Sprintf("sub-%04d", i)
			if _, err := fs.Mkdir(dirs["d0"], d, 0o755, 0, 0); err == nil {
				subdirs = append(subdirs, d)
				makeEntries(fs, dirs["d0"], d, 10+rng.IntN(40))
			}
		case r < 82:
			if len(subdirs) > 0 {
				k := rng.IntN(len(subdirs))
				removeTree(fs, dirs["d0"], subdirs[k])
				subdirs = slices.Delete(subdirs, k, k+1)
			}
		default:
			if fs.Sync() == nil && !dev.isCut() {
				m.durable = maps.Clone(m.files)
				clear(m.touched)
			}
		}
	}
	return m
}

// checkDurable requires every file synced and not touched since to be
// there with its contents. A synced file touched since (removed, renamed
// or truncated) may be gone, but if it is there it holds its synced
// contents, a prefix of them, or (a truncation that did not commit) them
// with the zeros truncation wrote past the new end: never another
// file's blocks.
func checkDurable(fs *ext4.FS, m *crashModel) error {
	for p, want := range m.durable {
		got, err := readPath(fs, p)
		switch {
		case m.touched[p] && err == syscall.ENOENT:
		case err != nil:
			return fmt.Errorf("synced file %s: %v", p, err)
		case m.touched[p] && !truncatedFrom(got, want):
			return fmt.Errorf("synced file %s, changed since: contents not those synced, nor truncated", p)
		case !m.touched[p] && !bytes.Equal(got, want):
			return fmt.Errorf("synced file %s: %d bytes, want %d, or different contents", p, len(got), len(want))
		}
	}
	return nil
}

// makeEntries fills directory name in dir with n empty files with long
// names, so that it spans several blocks.
func makeEntries(fs *ext4.FS, dir uint32, name string, n int) {
	d, err := fs.Lookup(dir, name)
	if err != nil {
		return
	}
	for k := 0; k < n; k++ {
		fs.Create(d, fmt.Sprintf("entry-%03d-%s", k, strings.Repeat("y", 60)), 0o644, 0, 0)
	}
}

// removeTree removes directory name in dir and the files in it.
func removeTree(fs *ext4.FS, dir uint32, name string) {
	d, err := fs.Lookup(dir, name)
	if err != nil {
		return
	}
	ents, _ := fs.ReadDir(d, 0, 1000)
	for _, e := range ents {
		if e.Name != "." && e.Name != ".." {
			fs.Unlink(d, e.Name)
		}
	}
	fs.Rmdir(dir, name)
}

// truncatedFrom reports whether got is want, a prefix of it, or either
// with some bytes zeroed.
func truncatedFrom(got, want []byte) bool {
	if len(got) > len(want) {
		return false
	}
	for i, b := range got {
		if b != want[i] && b != 0 {
			return false
		}
	}
	return true
}

func readPath(fs *ext4.FS, p string) ([]byte, error) {
	d, name, _ := strings.Cut(p, "/")
	dir, err := fs.Lookup(fs.Root(), d)
	if err != nil {
		return nil, err
	}
	ino, err := fs.Lookup(dir, name)
	if err != nil {
		return nil, err
	}
	a, err := fs.Stat(ino)
	if err != nil {
		return nil, err
	}
	got := make([]byte, a.Size)
	n, err := fs.ReadAt(ino, got, 0)
	if err != nil && err != io.EOF {
		return nil, err
	}
	return got[:n], nil
}

// TestJournalCrash cuts the power of a write workload after every few
// writes: after each cut the image must mount (our replay) with every
// synced file intact and be e2fsck-clean, and e2fsck's own replay must
// give a clean image with the same files. Each cut is tried twice: with
// every unflushed write kept, and with a random half of them lost. Half
// the cut points are spread over the workload; the other half fall just
// after a commit block, the moment when a missing flush would show.
// EXT4_CRASH_CUTS sets the number of cut points per layout (default 20).
func TestJournalCrash(t *testing.T) {
	needTools(t)
	cuts := 20
	if s := os.Getenv("EXT4_CRASH_CUTS"); s != "" {
		cuts, _ = strconv.Atoi(s)
	}
	for _, layout := range []struct {
		name  string
		sizeK int
		args  []string
	}{
		{"1k-csum", 16 << 10, []string{"-t", "ext4", "-b", "1024"}},
		{"4k-nocsum", 32 << 10, []string{"-t", "ext4", "-b", "4096", "-O", "^metadata_csum"}},
		// The smallest log, which the workload fills several times, with
		// a fast-commit area at its end, which is the log's while the
		// journal's fast-commit feature is off (e2fsck must agree).
		{"1k-fastcommit", 16 << 10, []string{"-t", "ext4", "-b", "1024", "-O", "fast_commit", "-J", "size=1"}},
	} {
		t.Run(layout.name, func(t *testing.T) {
			dir := t.TempDir()
			img := filepath.Join(dir, "base")
			mkfs(t, img, "", layout.sizeK, layout.args...)
			base, err := os.ReadFile(img)
			if err != nil {
				t.Fatal(err)
			}
			const seed, steps = 11, 400
			full := newCrashDev(base, -1)
			fs, err := ext4.Open(full, ext4.Options{})
			if err != nil {
				t.Fatal(err)
			}
			crashWorkload(fs, full, seed, steps)
			total := full.n
			if err := fs.Close(); err != nil {
				t.Fatal(err)
			}
			t.Logf("%d writes in the whole workload; cutting at %d points", total, cuts)
			var points []int
			for c := 0; c < cuts/2; c++ {
				points = append(points, 1+c*total/(cuts/2)+rand.IntN(max(1, total/(cuts/2))))
				points = append(points, full.commits[rand.IntN(len(full.commits))]+rand.IntN(2))
			}
			for _, k := range points {
				dev := newCrashDev(base, k)
				fs, err := ext4.Open(dev, ext4.Options{})
				if err != nil {
					t.Fatalf("cut %d: Open: %v", k, err)
				}
				m := crashWorkload(fs, dev, seed, steps)
				rng := rand.New(rand.NewPCG(uint64(k), 2))
				for _, mode := range []struct {
					name string
					keep func() bool
				}{{"all", func() bool { return true }}, {"half", func() bool { return rng.IntN(2) == 0 }}} {
					after := dev.image(mode.keep)
					if err := checkCrashImage(t, dir, after, m); err != nil {
						t.Fatalf("cut after write %d of %d (unflushed writes kept: %s): %v", k, total, mode.name, err)
					}
				}
			}
		})
	}
}

// checkCrashImage replays img with our engine (in memory for a
// read-only mount, then on disk) and with e2fsck and checks the results.
func checkCrashImage(t *testing.T, dir string, img []byte, m *crashModel) error {
	ours, theirs := filepath.Join(dir, "ours"), filepath.Join(dir, "theirs")
	for _, p := range []string{ours, theirs} {
		if err := os.WriteFile(p, img, 0o644); err != nil {
			return err
		}
	}
	if err := mountAndCheck(ours, true, m); err != nil {
		return fmt.Errorf("after our replay in memory: %v", err)
	}
	if err := mountAndCheck(ours, false, m); err != nil {
		return fmt.Errorf("after our replay: %v", err)
	}
	if out, err := exec.Command("e2fsck", "-fn", ours).CombinedOutput(); err != nil {
		return fmt.Errorf("e2fsck -fn after our replay: %v\n%s", err, out)
	}
	err := exec.Command("e2fsck", "-fy", "-E", "journal_only", theirs).Run()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) {
		return fmt.Errorf("e2fsck -E journal_only: %v", err)
	}
	if out, err := exec.Command("e2fsck", "-fn", theirs).CombinedOutput(); err != nil {
		return fmt.Errorf("e2fsck -fn after e2fsck's replay: %v\n%s", err, out)
	}
	if err := mountAndCheck(theirs, true, m); err != nil {
		return fmt.Errorf("after e2fsck's replay: %v", err)
	}
	return nil
}

func mountAndCheck(img string, ro bool, m *crashModel) error {
	dev, err := blockdev.OpenFile(img, ro)
	if err != nil {
		return err
	}
	defer dev.Close()
	fs, err := ext4.Open(dev, ext4.Options{ReadOnly: ro})
	if err != nil {
		return err
	}
	if err := checkDurable(fs, m); err != nil {
		fs.Close()
		return err
	}
	return fs.Close()
}
