package vfs

import (
	"strings"
	"syscall"

	"aramid/lib/linux"
	"aramid/lib/linux/dac"
	"aramid/servers/vfsd/fs"
)

// walker resolves paths for one operation; its link count spans every
// symlink followed during the operation, as nameidata's does.
type walker struct {
	v     *VFS
	p     *Proc
	links int
}

// lastKind classifies a path's final component as namei's last_type does.
type lastKind int

const (
	lastNorm lastKind = iota
	lastRoot          // the path was "/" (or only slashes)
	lastDot
	lastDotDot
)

// parent is the result of resolving all but a path's last component.
type parent struct {
	dir      Loc
	name     string
	kind     lastKind
	trailing bool // a slash followed the last component
}

func checkPath(path string) error {
	switch {
	case path == "":
		return syscall.ENOENT
	case len(path) >= linux.PATH_MAX:
		return syscall.ENAMETOOLONG
	case strings.IndexByte(path, 0) >= 0:
		return syscall.EINVAL
	}
	return nil
}

// next splits the first component from rest, skipping leading slashes.
func next(rest string) (name, tail string) {
	rest = strings.TrimLeft(rest, "/")
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		return rest[:i], rest[i:]
	}
	return rest, ""
}

// parentOf resolves path up to its last component, following symlinks on
// the way.
func (w *walker) parentOf(start Loc, path string) (parent, error) {
	if err := checkPath(path); err != nil {
		return parent{}, err
	}
	cur := start
	if path[0] == '/' {
		cur = w.p.Root
	}
	rest := path
	for {
		name, tail := next(rest)
		if name == "" {
			return parent{dir: cur, kind: lastRoot, trailing: true}, nil
		}
		if len(name) > linux.NAME_MAX {
			return parent{}, syscall.ENAMETOOLONG
		}
		if strings.Trim(tail, "/") == "" {
			if err := w.searchable(cur); err != nil {
				return parent{}, err
			}
			pr := parent{dir: cur, name: name, trailing: tail != ""}
			switch name {
			case ".":
				pr.kind = lastDot
			case "..":
				pr.kind = lastDotDot
			}
			return pr, nil
		}
		nxt, err := w.step(cur, name)
		if err != nil {
			return parent{}, err
		}
		a, err := w.v.stat(w.p, nxt)
		if err != nil {
			return parent{}, err
		}
		if a.Mode&syscall.S_IFMT == syscall.S_IFLNK {
			target, err := w.readlink(nxt)
			if err != nil {
				return parent{}, err
			}
			if target[0] == '/' {
				cur = w.p.Root
			}
			rest = target + tail
			continue
		}
		cur, rest = nxt, tail
	}
}

// resolve returns the file path names. The last component's symlink is
// followed if follow is set or a slash follows it.
func (w *walker) resolve(start Loc, path string, follow bool) (Loc, error) {
	pr, err := w.parentOf(start, path)
	if err != nil {
		return Loc{}, err
	}
	return w.last(pr, follow)
}

// last looks up a parent's last component, following a final symlink when
// asked, and checks that a path with a trailing slash names a directory.
func (w *walker) last(pr parent, follow bool) (Loc, error) {
	for {
		l, err := w.lastNoFollow(pr)
		if err != nil {
			return Loc{}, err
		}
		a, err := w.v.stat(w.p, l)
		if err != nil {
			return Loc{}, err
		}
		isLink := a.Mode&syscall.S_IFMT == syscall.S_IFLNK
		if isLink && (follow || pr.trailing) {
			if pr, err = w.followLast(pr.dir, l, pr.trailing); err != nil {
				return Loc{}, err
			}
			continue
		}
		if pr.trailing && !fs.IsDir(a.Mode) {
			return Loc{}, syscall.ENOTDIR
		}
		return l, nil
	}
}

// followLast resolves a final symlink's target to its parent, keeping a
// trailing slash of the original path.
func (w *walker) followLast(dir, link Loc, trailing bool) (parent, error) {
	target, err := w.readlink(link)
	if err != nil {
		return parent{}, err
	}
	if trailing {
		target += "/"
	}
	return w.parentOf(dir, target)
}

func (w *walker) lastNoFollow(pr parent) (Loc, error) {
	if pr.kind == lastRoot {
		return pr.dir, nil
	}
	return w.step(pr.dir, pr.name)
}

// readlink reads a symlink being followed, counting it against the limit.
func (w *walker) readlink(l Loc) (string, error) {
	w.links++
	if w.links > linux.MAXSYMLINKS {
		return "", syscall.ELOOP
	}
	t, err := l.M.fsFor(w.p).Readlink(l.Ino)
	if err != nil {
		return "", err
	}
	if t == "" {
		return "", syscall.ENOENT
	}
	return t, nil
}

// searchable checks that dir is a directory the caller may search.
func (w *walker) searchable(dir Loc) error {
	a, err := w.v.stat(w.p, dir)
	if err != nil {
		return err
	}
	if !fs.IsDir(a.Mode) {
		return syscall.ENOTDIR
	}
	return dac.Check(w.p.Cred, dacFile(a.Attr), dac.MayExec)
}

// step moves from directory dir to its entry name, crossing mounts: into
// a filesystem mounted on the entry, and out through the mount point for
// ".." at a mount's root. ".." at the caller's root stays there.
func (w *walker) step(dir Loc, name string) (Loc, error) {
	if err := w.searchable(dir); err != nil {
		return Loc{}, err
	}
	switch name {
	case ".":
		return dir, nil
	case "..":
		for dir != w.p.Root && dir.Ino == dir.M.FS.Root() && dir.M.parent != nil {
			dir = Loc{dir.M.parent, dir.M.point}
		}
		if dir == w.p.Root {
			return dir, nil
		}
	}
	ino, err := dir.M.fsFor(w.p).Lookup(dir.Ino, name)
	if err != nil {
		return Loc{}, err
	}
	l := Loc{dir.M, ino}
	for {
		m := w.v.mountedOn(l)
		if m == nil {
			return l, nil
		}
		l = Loc{m, m.FS.Root()}
	}
}
