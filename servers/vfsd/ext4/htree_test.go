package ext4_test

import (
	"os"
	"path/filepath"
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
			for _, name := range []string{"absent", "n1x", "n30000"} {
				if _, found, usable := fs.DxLookup(d, name); !usable || found {
					t.Fatalf("%q: found %v usable %v", name, found, usable)
				}
			}
		})
	}
}
