package vfs

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"aramid/servers/vfsd/fs"
	"aramid/servers/vfsd/tmpfs"
)

// fuzzTree builds a namespace with the shapes resolution must handle:
// nested directories, a mount, relative, absolute, looping and dangling
// symlinks, and a file.
func fuzzTree(t testing.TB) (*VFS, *Proc) {
	v, p := rootProc(t)
	for _, d := range []string{"a", "a/b", "m"} {
		must(t, v.Mkdir(p, Loc{}, d, 0755))
	}
	at, _ := v.Resolve(p, Loc{}, "m", true)
	_, err := v.Mount(at, tmpfs.New(tmpfs.Options{Mode: 0755}), 0)
	must(t, err)
	must(t, v.Mkdir(p, Loc{}, "m/sub", 0755))
	open(t, v, p, "a/b/f", 0o101).Close()
	for _, l := range [][2]string{{"../..", "a/b/up"}, {"/a", "m/sub/abs"}, {"loop", "loop"},
		{"nowhere/x", "dangling"}, {"a/b/f/", "slash"}, {"m/sub/abs/b/up/m", "deep"}} {
		must(t, v.Symlink(p, l[0], Loc{}, l[1]))
	}
	return v, p
}

// FuzzResolve resolves arbitrary paths: the answer is a live file or one
// of the errnos resolution may give, never a panic or a hang.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"/", ".", "..", "a/b/f", "a/b/up/m/sub/abs/b/f", "loop/x", "dangling",
		"slash", "deep/sub/../..", "m/../a//b/./f/", strings.Repeat("../", 50), "\x00", ""} {
		f.Add(s, true)
	}
	v, p := fuzzTree(f)
	allowed := []error{syscall.ENOENT, syscall.ENOTDIR, syscall.ELOOP, syscall.ENAMETOOLONG,
		syscall.EINVAL}
	f.Fuzz(func(t *testing.T, path string, follow bool) {
		l, err := v.Resolve(p, Loc{}, path, follow)
		if err != nil {
			for _, e := range allowed {
				if errors.Is(err, e) {
					return
				}
			}
			t.Fatalf("%q: unexpected error %v", path, err)
		}
		st, err := v.Stat(p, l)
		if err != nil {
			t.Fatalf("%q resolved to %+v, which does not stat: %v", path, l, err)
		}
		if strings.HasSuffix(path, "/") && !fs.IsDir(st.Mode) {
			t.Fatalf("%q has a trailing slash but resolved to mode %o", path, st.Mode)
		}
	})
}

// FuzzScript runs arbitrary operation scripts on a namespace: every
// operation ends with a result, and afterwards every directory's link
// count is 2 plus its subdirectories, as on Linux.
func FuzzScript(f *testing.F) {
	f.Add("mkdir x\nsymlink x y\ncreat y/f\nrename y/f x/g\nrmdir x\nunlink x/g\nrmdir x")
	f.Add("mkdir a\nmkdir a/b\nrename a a/b/c\nlink a/b b\nopen a O_RDONLY|O_DIRECTORY")
	f.Fuzz(func(t *testing.T, script string) {
		v, p := fuzzTree(t)
		r := &vfsRunner{v, p}
		for i, line := range strings.Split(script, "\n") {
			if i == 64 {
				break
			}
			if len(strings.Fields(line)) > 0 && !strings.Contains(line, "REP(") {
				run(r, line)
			}
		}
		checkLinks(t, v, p, v.Root(), 0)
	})
}

// checkLinks walks the tree under l, checking directory link counts.
func checkLinks(t *testing.T, v *VFS, p *Proc, l Loc, depth int) {
	if depth > 40 {
		t.Fatal("directory tree deeper than 40: a cycle?")
	}
	ents, err := l.M.FS.ReadDir(l.Ino, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	subdirs := 0
	for _, e := range ents {
		if e.Name == "." || e.Name == ".." || e.Type != syscall.DT_DIR {
			continue
		}
		subdirs++
		checkLinks(t, v, p, Loc{l.M, e.Ino}, depth+1)
	}
	st, _ := v.Stat(p, l)
	if st.Nlink != uint32(2+subdirs) {
		t.Fatalf("dir ino %d has nlink %d with %d subdirectories", l.Ino, st.Nlink, subdirs)
	}
}
