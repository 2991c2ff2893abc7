package ext4_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestHtreeLookup indexes directories with each hash algorithm (and names
// with bytes above 0x7f, where signed and unsigned hashes differ) and
// checks that the index finds every name and rejects absent ones.
func TestHtreeLookup(t *testing.T) {
	needTools(t)
	for _, alg := range []string{"half_md4", "tea", "legacy", "half_md4/unsigned", "tea/unsigned", "legacy/unsigned"} {
		t.Run(strings.ReplaceAll(alg, "/", "-"), func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, "src")
			os.MkdirAll(filepath.Join(src, "big"), 0o755)
			var want []string
			for i := 0; i < 3000; i++ {
				name := "n" + strconv.Itoa(i) + strings.Repeat("\xe9", i%5) + strings.Repeat("x", i%70)
				want = append(want, name)
				os.WriteFile(filepath.Join(src, "big", name), nil, 0o644)
			}
			img := filepath.Join(dir, "img")
			mkfs(t, img, src, 16<<10, "-t", "ext4", "-b", "1024")
			hash, unsigned := strings.CutSuffix(alg, "/unsigned")
			run(t, "tune2fs", "-E", "hash_alg="+hash, img)
			if unsigned {
				debugfsW(t, img, "ssv flags 2") // unsigned_directory_hash
			}
			fsckIndex(t, img)
			fs, dev := openImage(t, img, true)
			defer dev.Close()
			defer fs.Close()
			d, err := lookupPath(fs, "/big")
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range want {
				ino, found, usable := fs.DxLookup(d, name)
				if !usable || !found {
					t.Fatalf("%q: found %v usable %v", name, found, usable)
				}
				if lin, err := fs.Lookup(d, name); err != nil || lin != ino {
					t.Fatalf("%q: index says %d, Lookup %d %v", name, ino, lin, err)
				}
			}
			for _, name := range []string{".", ".."} {
				if ino, err := fs.Lookup(d, name); err != nil || ino == 0 {
					t.Fatalf("Lookup %q in an indexed directory: %d %v", name, ino, err)
				}
			}
			for _, name := range []string{"absent", "n1x", "n30000"} {
				if _, found, usable := fs.DxLookup(d, name); !usable || found {
					t.Fatalf("%q: found %v usable %v", name, found, usable)
				}
			}
		})
	}
}

// TestHtreeInsert adds thousands of names to indexed directories (leaf
// splits, index entries with collision bits) and requires the directory
// to stay indexed, every name to be found through the index, and e2fsck
// to agree.
func TestHtreeInsert(t *testing.T) {
	needTools(t)
	for _, v := range []struct {
		name string
		args []string
	}{
		{"4k-csum", []string{"-b", "4096"}},
		{"1k-csum", []string{"-b", "1024"}},
		{"1k-nocsum", []string{"-b", "1024", "-O", "^metadata_csum,^64bit"}},
	} {
		t.Run(v.name, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, "src")
			os.MkdirAll(filepath.Join(src, "big"), 0o755)
			for i := 0; i < 300; i++ {
				os.WriteFile(filepath.Join(src, "big", "orig"+strconv.Itoa(i)+strings.Repeat("o", i%30)), nil, 0o644)
			}
			img := filepath.Join(dir, "img")
			mkfs(t, img, src, 32<<10, append([]string{"-t", "ext4"}, v.args...)...)
			fsckIndex(t, img)
			fs, dev := openImage(t, img, false)
			defer dev.Close()
			d, _ := lookupPath(fs, "/big")
			var added []string
			n := 2500
			if strings.HasPrefix(v.name, "1k") {
				n = 5000
			}
			for i := 0; i < n; i++ {
				name := "added" + strconv.Itoa(i*7919%100000) + strings.Repeat("a", i%50)
				if _, err := fs.Create(d, name, 0o644, 0, 0); err != nil {
					t.Fatalf("create %d: %v", i, err)
				}
				added = append(added, name)
				if i%3 == 0 {
					if err := fs.Unlink(d, added[i/3]); err != nil {
						t.Fatal(err)
					}
				}
			}
			a, _ := fs.Stat(d)
			if a.Flags&0x1000 == 0 {
				t.Fatal("directory lost its index")
			}
			removed := map[string]bool{}
			for i := 0; i*3 < len(added); i++ {
				removed[added[i]] = true
			}
			for _, name := range added {
				_, found, usable := fs.DxLookup(d, name)
				if !usable || found == removed[name] {
					t.Fatalf("%q: found %v usable %v removed %v", name, found, usable, removed[name])
				}
			}
			// Moving an indexed directory rewrites ".." in its index root.
			other, err := fs.Mkdir(fs.Root(), "other", 0o755, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := fs.Rename(fs.Root(), "big", other, "big"); err != nil {
				t.Fatal(err)
			}
			if up, err := fs.Lookup(d, ".."); err != nil || up != other {
				t.Fatalf(".. of the moved directory: %d %v, want %d", up, err, other)
			}
			if err := fs.Close(); err != nil {
				t.Fatal(err)
			}
			fsckClean(t, img)
			if strings.HasPrefix(v.name, "1k") {
				// 1 KiB blocks force a second index level and a split
				// of a second-level node (two entries in the root).
				ht := stdout(t, "debugfs", "-R", "htree /other/big", img)
				if !strings.Contains(ht, "Indirect levels: 1") || !regexp.MustCompile(`Number of entries \(count\): [2-9]\n`).MatchString(ht) {
					t.Fatalf("index did not grow as expected:\n%.500s", ht)
				}
			}
			// Entries freed at the start of a block show up with inode 0.
			ls := stdout(t, "debugfs", "-R", "ls -p /other/big", img)
			live := 0
			for _, l := range strings.Split(ls, "\n") {
				if strings.Contains(l, "added") && !strings.HasPrefix(l, "/0/") {
					live++
				}
			}
			if live != len(added)-len(removed) {
				t.Fatalf("debugfs lists %d added names, want %d", live, len(added)-len(removed))
			}
		})
	}
}
