package ext4_test

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"aramid/servers/vfsd/ext4"
)

// mnode is a file in the in-memory model; hard links share one mnode.
type mnode struct {
	kind     byte // f d l p
	data     []byte
	target   string
	perm     uint32
	uid, gid uint32
}

// model is what the filesystem should contain, by absolute path.
type model map[string]*mnode

func (m model) sorted(kind byte) []string {
	var out []string
	for p, n := range m {
		if kind == 0 || n.kind == kind {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func (m model) children(dir string) []string {
	var out []string
	prefix := strings.TrimSuffix(dir, "/") + "/"
	for p := range m {
		if p != dir && strings.HasPrefix(p, prefix) && !strings.Contains(p[len(prefix):], "/") {
			out = append(out, p)
		}
	}
	return out
}

func (m model) nlink(p string) uint32 {
	n := m[p]
	if n.kind == 'd' {
		links := uint32(2)
		for _, c := range m.children(p) {
			if m[c].kind == 'd' {
				links++
			}
		}
		if p == "/" {
			links++ // lost+found
		}
		return links
	}
	links := uint32(0)
	for _, o := range m {
		if o == n {
			links++
		}
	}
	return links
}

// workload drives random operations against an FS and the model, and
// checks that each returns what Linux would.
type workload struct {
	t   *testing.T
	fs  *ext4.FS
	r   *rand.Rand
	m   model
	ops int
	// enospc counts operations that failed for lack of space.
	enospc int
}

func (w *workload) pick(kind byte) string {
	s := w.m.sorted(kind)
	if len(s) == 0 {
		return ""
	}
	return s[w.r.IntN(len(s))]
}

func (w *workload) randData(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(w.r.Uint32())
	}
	return b
}

func (w *workload) size() int {
	switch x := w.r.IntN(100); {
	case x < 60:
		return w.r.IntN(3000)
	case x < 97:
		return w.r.IntN(60000)
	default:
		return w.r.IntN(2 << 20)
	}
}

func (w *workload) ino(p string) uint32 {
	ino, err := lookupPath(w.fs, p)
	if err != nil {
		w.t.Fatalf("op %d: lookup %s: %v", w.ops, p, err)
	}
	return ino
}

// expect checks an operation's result.
func (w *workload) expect(what string, err, want error) bool {
	if err != want {
		w.t.Fatalf("op %d: %s = %v, want %v", w.ops, what, err, want)
	}
	return err == nil
}

// Slack bounds the metadata blocks one operation may add besides its data:
// a directory block, an htree leaf split and index block, extent tree
// blocks when the tree grows a level.
const slack = 6

// expectSpace checks the result of an operation that should succeed and
// needs at most blocks free blocks, and a free inode if inode is set.
// ENOSPC is accepted only when the image really is that short, and is
// reported as false: the operation must then have changed nothing.
func (w *workload) expectSpace(what string, err error, blocks int, inode bool) bool {
	if err != syscall.ENOSPC {
		return w.expect(what, err, nil)
	}
	st, serr := w.fs.Statfs()
	if serr != nil {
		w.t.Fatalf("op %d: statfs: %v", w.ops, serr)
	}
	if st.FreeBlocks >= uint64(blocks) && (!inode || st.FreeFiles > 0) {
		w.t.Fatalf("op %d: %s = ENOSPC with %d blocks and %d inodes free (needs at most %d blocks, inode %v)",
			w.ops, what, st.FreeBlocks, st.FreeFiles, blocks, inode)
	}
	w.enospc++
	return false
}

// dataBlocks bounds the blocks a write of n bytes needs.
func (w *workload) dataBlocks(n int) int {
	return n/w.fs.BlockSize() + 2 + slack
}

// newName picks a name in a random directory; names come from a small
// set so that collisions (EEXIST, rename over a target) are common.
func (w *workload) newName() (dir, name string) {
	dir = w.pick('d')
	if n := w.m["/many"]; n != nil && n.kind == 'd' && w.r.IntN(3) == 0 {
		dir = "/many" // the htree directory of populated images
	}
	if dir == "/many" {
		// Enough distinct names to split leaves, and some of the
		// existing ones to hit.
		return dir, "entry-" + strconv.Itoa(w.r.IntN(1500)) + strings.Repeat("x", w.r.IntN(40))
	}
	return dir, string(rune('a'+w.r.IntN(6))) + strconv.Itoa(w.r.IntN(12)) + strings.Repeat("_", w.r.IntN(3)*40)
}

func (w *workload) step() {
	w.ops++
	switch op := w.r.IntN(100); {
	case op < 18:
		dir, name := w.newName()
		p := path.Join(dir, name)
		ino, err := w.fs.Create(w.ino(dir), name, 0o644, 0, 0)
		if _, exists := w.m[p]; exists {
			w.expect("create "+p, err, syscall.EEXIST)
			return
		}
		if !w.expectSpace("create "+p, err, slack, true) {
			return
		}
		n := &mnode{kind: 'f', perm: 0o644}
		w.m[p] = n
		data := w.randData(w.size())
		// Write in random pieces, in random order.
		for len(data) > 0 {
			k := 1 + w.r.IntN(len(data))
			off := len(n.data)
			if _, err := w.fs.WriteAt(ino, data[:k], int64(off)); !w.expectSpace("write "+p, err, w.dataBlocks(k), false) {
				return
			}
			n.data = append(n.data, data[:k]...)
			data = data[k:]
		}
	case op < 33:
		p := w.pick('f')
		if p == "" {
			return
		}
		n := w.m[p]
		off := w.r.IntN(len(n.data) + 20000)
		data := w.randData(1 + w.r.IntN(20000))
		_, err := w.fs.WriteAt(w.ino(p), data, int64(off))
		if !w.expectSpace("write "+p, err, w.dataBlocks(len(data)), false) {
			return
		}
		if end := off + len(data); end > len(n.data) {
			n.data = append(n.data, make([]byte, end-len(n.data))...)
		}
		copy(n.data[off:], data)
	case op < 41:
		p := w.pick('f')
		if p == "" {
			return
		}
		n := w.m[p]
		size := w.r.IntN(2*len(n.data) + 10000)
		if !w.expect("truncate "+p, w.fs.Truncate(w.ino(p), uint64(size)), nil) {
			return
		}
		if size < len(n.data) {
			n.data = n.data[:size]
		} else {
			n.data = append(n.data, make([]byte, size-len(n.data))...)
		}
	case op < 51:
		p := w.pick(0)
		if p == "/" {
			return
		}
		dir, name := path.Split(p)
		err := w.fs.Unlink(w.ino(dir), name)
		if w.m[p].kind == 'd' {
			w.expect("unlink "+p, err, syscall.EISDIR)
			return
		}
		if !w.expect("unlink "+p, err, nil) {
			return
		}
		delete(w.m, p)
	case op < 60:
		dir, name := w.newName()
		p := path.Join(dir, name)
		_, err := w.fs.Mkdir(w.ino(dir), name, 0o755, 0, 0)
		if _, exists := w.m[p]; exists {
			w.expect("mkdir "+p, err, syscall.EEXIST)
			return
		}
		if !w.expectSpace("mkdir "+p, err, 1+slack, true) {
			return
		}
		w.m[p] = &mnode{kind: 'd', perm: 0o755}
	case op < 66:
		p := w.pick('d')
		if p == "/" {
			return
		}
		dir, name := path.Split(p)
		err := w.fs.Rmdir(w.ino(dir), name)
		if len(w.m.children(p)) > 0 {
			w.expect("rmdir "+p, err, syscall.ENOTEMPTY)
			return
		}
		if !w.expect("rmdir "+p, err, nil) {
			return
		}
		delete(w.m, p)
	case op < 80:
		w.rename()
	case op < 85:
		src := w.pick('f')
		if src == "" {
			return
		}
		dir, name := w.newName()
		p := path.Join(dir, name)
		err := w.fs.Link(w.ino(src), w.ino(dir), name)
		if _, exists := w.m[p]; exists {
			w.expect("link "+p, err, syscall.EEXIST)
			return
		}
		if !w.expectSpace("link "+p, err, slack, false) {
			return
		}
		w.m[p] = w.m[src]
	case op < 91:
		dir, name := w.newName()
		p := path.Join(dir, name)
		target := strings.Repeat("t", 1+w.r.IntN(100)) + strings.Repeat("/long", w.r.IntN(2)*w.r.IntN(200))
		_, err := w.fs.Symlink(w.ino(dir), name, target, 0, 0)
		if _, exists := w.m[p]; exists {
			w.expect("symlink "+p, err, syscall.EEXIST)
			return
		}
		if len(target) >= w.fs.BlockSize() {
			w.expect("symlink "+p, err, syscall.ENAMETOOLONG)
			return
		}
		if !w.expectSpace("symlink "+p, err, 1+slack, true) {
			return
		}
		w.m[p] = &mnode{kind: 'l', target: target, perm: 0o777}
	case op < 93:
		dir, name := w.newName()
		p := path.Join(dir, name)
		_, err := w.fs.Mknod(w.ino(dir), name, syscall.S_IFIFO|0o600, 0, 0, 0)
		if _, exists := w.m[p]; exists {
			w.expect("mknod "+p, err, syscall.EEXIST)
			return
		}
		if !w.expectSpace("mknod "+p, err, slack, true) {
			return
		}
		w.m[p] = &mnode{kind: 'p', perm: 0o600}
	default:
		p := w.pick(0)
		n := w.m[p]
		if n.kind == 'l' {
			return
		}
		perm, uid, gid := uint32(w.r.IntN(07777)), w.r.Uint32(), w.r.Uint32()
		err := w.fs.SetAttr(w.ino(p), ext4.SetAttrs{Mode: &perm, UID: &uid, GID: &gid})
		if !w.expect("setattr "+p, err, nil) {
			return
		}
		n.perm, n.uid, n.gid = perm, uid, gid
	}
}

func (w *workload) rename() {
	src := w.pick(0)
	if src == "/" {
		return
	}
	dir, name := w.newName()
	dst := path.Join(dir, name)
	sd, sn := path.Split(src)
	err := w.fs.Rename(w.ino(sd), sn, w.ino(dir), name)
	sn0, dn := w.m[src], w.m[dst]
	var want error
	switch {
	case dst == src:
	case sn0.kind == 'd' && (dir == src || strings.HasPrefix(dir, src+"/")):
		want = syscall.EINVAL
	case dn != nil && dn == sn0:
	case dn != nil && sn0.kind == 'd' && dn.kind != 'd':
		want = syscall.ENOTDIR
	case dn != nil && sn0.kind == 'd' && len(w.m.children(dst)) > 0:
		want = syscall.ENOTEMPTY
	case dn != nil && sn0.kind != 'd' && dn.kind == 'd':
		want = syscall.EISDIR
	}
	what := "rename " + src + " " + dst
	var ok bool
	if want == nil {
		ok = w.expectSpace(what, err, slack, false)
	} else {
		ok = w.expect(what, err, want)
	}
	if !ok || dst == src || dn == sn0 {
		return
	}
	moved := model{}
	for p, n := range w.m {
		if p == src || strings.HasPrefix(p, src+"/") {
			moved[dst+p[len(src):]] = n
			delete(w.m, p)
		}
	}
	delete(w.m, dst)
	for p, n := range moved {
		w.m[p] = n
	}
}

// verify compares the whole filesystem with the model.
func (w *workload) verify() {
	seen := 0
	var walk func(p string, ino uint32)
	walk = func(p string, ino uint32) {
		n := w.m[p]
		if n == nil {
			w.t.Fatalf("op %d: %s exists but not in the model", w.ops, p)
		}
		seen++
		a, err := w.fs.Stat(ino)
		if err != nil {
			w.t.Fatalf("op %d: stat %s: %v", w.ops, p, err)
		}
		if a.Mode&07777 != n.perm || a.UID != n.uid || a.GID != n.gid || a.Nlink != w.m.nlink(p) {
			w.t.Fatalf("op %d: %s: attr %+v, model %+v nlink %d", w.ops, p, a, n, w.m.nlink(p))
		}
		switch n.kind {
		case 'f':
			if got := readAll(w.t, w.fs, ino); a.Size != uint64(len(n.data)) || !bytes.Equal(got, n.data) {
				w.t.Fatalf("op %d: %s: contents differ (size %d, model %d)", w.ops, p, a.Size, len(n.data))
			}
		case 'l':
			if got, err := w.fs.Readlink(ino); err != nil || got != n.target {
				w.t.Fatalf("op %d: %s: readlink %q %v", w.ops, p, got, err)
			}
		case 'd':
			for name, e := range names(w.t, w.fs, ino) {
				if p == "/" && name == "lost+found" {
					continue
				}
				walk(path.Join(p, name), e.Ino)
			}
		}
	}
	walk("/", w.fs.Root())
	if seen != len(w.m) {
		w.t.Fatalf("op %d: %d paths in the image, %d in the model", w.ops, seen, len(w.m))
	}
}

// compareDump checks debugfs's view of the image (rdump) with the model.
func (w *workload) compareDump(img string) {
	out := filepath.Join(w.t.TempDir(), "dump")
	os.Mkdir(out, 0o755)
	run(w.t, "debugfs", "-R", "rdump / "+out, img)
	for p, n := range w.m {
		hp := filepath.Join(out, p)
		switch n.kind {
		case 'f':
			got, err := os.ReadFile(hp)
			if err != nil || !bytes.Equal(got, n.data) {
				w.t.Fatalf("debugfs reads %s differently (%v)", p, err)
			}
		case 'l':
			if got, err := os.Readlink(hp); err != nil || got != n.target {
				w.t.Fatalf("debugfs reads link %s as %q (%v)", p, got, err)
			}
		}
	}
}

// loadModel builds the model of a host tree.
func loadModel(t *testing.T, src string) model {
	m := model{}
	byIno := map[uint64]*mnode{}
	err := filepath.Walk(src, func(hp string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		p := "/" + strings.TrimPrefix(strings.TrimPrefix(hp, src), "/")
		if n := byIno[st.Ino]; n != nil {
			m[p] = n
			return nil
		}
		n := &mnode{perm: st.Mode & 07777, uid: st.Uid, gid: st.Gid}
		switch st.Mode & syscall.S_IFMT {
		case syscall.S_IFDIR:
			n.kind = 'd'
		case syscall.S_IFREG:
			n.kind = 'f'
			n.data, err = os.ReadFile(hp)
		case syscall.S_IFLNK:
			n.kind = 'l'
			n.target, err = os.Readlink(hp)
		default:
			n.kind = 'p'
		}
		byIno[st.Ino] = n
		m[p] = n
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	m["/"].perm = 0o755
	return m
}

// seed is the workload's random seed; EXT4_SEED overrides the default.
func seed() uint64 {
	if n, err := strconv.ParseUint(os.Getenv("EXT4_SEED"), 10, 64); err == nil {
		return n
	}
	return 42
}

// opsPerVariant is the length of each randomized run; EXT4_OPS overrides.
func opsPerVariant() int {
	if n, err := strconv.Atoi(os.Getenv("EXT4_OPS")); err == nil && n > 0 {
		return n
	}
	if testing.Short() {
		return 300
	}
	return 1500
}

// TestRandomWorkload runs random operations on fresh images of several
// layouts, checking every result against the model, then requires e2fsck
// -fn to find nothing and debugfs to read the same contents.
func TestRandomWorkload(t *testing.T) {
	needTools(t)
	total := 0
	// A tiny image as well, where ENOSPC is frequent: a failed operation
	// must leave no trace.
	layouts := append(variants[:len(variants):len(variants)], struct {
		name   string
		sizeK  int
		args   []string
		sparse bool
		ro     bool
	}{"1k-nearly-full", 3 << 10, []string{"-t", "ext4", "-b", "1024"}, false, false})
	for k, v := range layouts {
		if v.ro {
			continue
		}
		t.Run(v.name, func(t *testing.T) {
			img := filepath.Join(t.TempDir(), "img")
			m := model{"/": {kind: 'd', perm: 0o755}}
			if k%2 == 0 || v.name == "1k-nearly-full" {
				mkfs(t, img, "", v.sizeK*2, v.args...)
			} else {
				// Start from a populated image with htree directories.
				src := filepath.Join(t.TempDir(), "src")
				genTree(t, src, rand.New(rand.NewPCG(uint64(k), 7)), v.sparse)
				mkfs(t, img, src, v.sizeK*2, v.args...)
				fsckIndex(t, img)
				m = loadModel(t, src)
			}
			fs, dev := openImage(t, img, false)
			defer dev.Close()
			w := &workload{t: t, fs: fs, r: rand.New(rand.NewPCG(uint64(k), seed())), m: m}
			n := opsPerVariant()
			for w.ops < n {
				w.step()
				if os.Getenv("EXT4_DEBUG") != "" {
					w.verify()
				}
				if w.ops%500 == 0 {
					w.verify()
					if err := fs.Sync(); err != nil {
						t.Fatal(err)
					}
					fsckClean(t, img)
				}
			}
			w.verify()
			if _, ok := w.m["/many"]; ok {
				a, _ := fs.Stat(w.ino("/many"))
				if a.Flags&0x1000 == 0 {
					t.Fatal("/many lost its htree index")
				}
				t.Logf("/many: indexed, %d entries, %d bytes", len(w.m.children("/many")), a.Size)
			}
			if err := fs.Close(); err != nil {
				t.Fatal(err)
			}
			fsckClean(t, img)
			w.compareDump(img)
			fs, dev2 := openImage(t, img, true)
			defer dev2.Close()
			w.fs = fs
			w.verify()
			total += w.ops
			t.Logf("%d operations (%d ENOSPC), %d paths, e2fsck clean", w.ops, w.enospc, len(w.m))
		})
	}
	t.Logf("%d randomized operations verified by e2fsck", total)
}
