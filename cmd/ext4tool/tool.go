package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"aramid/servers/vfsd/ext4"
)

type tool struct {
	fs    *ext4.FS
	out   io.Writer
	flags map[string]bool
}

// pathErr decorates an engine error with the path it concerns.
func pathErr(p string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", p, err)
}

// resolve walks an absolute path from the root, following symlinks in
// every component but the last (and the last too if follow is set).
func (t *tool) resolve(p string, follow bool) (uint32, error) {
	ino, _, err := t.walk(p, follow, 0)
	return ino, pathErr(p, err)
}

func (t *tool) walk(p string, follow bool, depth int) (ino, parent uint32, err error) {
	if depth > 40 {
		return 0, 0, syscall.ELOOP
	}
	if !strings.HasPrefix(p, "/") {
		return 0, 0, fmt.Errorf("path must be absolute")
	}
	ino, parent = t.fs.Root(), t.fs.Root()
	parts := strings.Split(strings.Trim(p, "/"), "/")
	for k, name := range parts {
		if name == "" {
			continue
		}
		next, err := t.fs.Lookup(ino, name)
		if err != nil {
			return 0, 0, err
		}
		parent = ino
		a, err := t.fs.Stat(next)
		if err != nil {
			return 0, 0, err
		}
		last := k == len(parts)-1
		if a.Mode&syscall.S_IFMT == syscall.S_IFLNK && (!last || follow) {
			target, err := t.fs.Readlink(next)
			if err != nil {
				return 0, 0, err
			}
			if !strings.HasPrefix(target, "/") {
				target = path.Join(t.pathOf(parts[:k]), target)
			}
			rest := strings.Join(parts[k+1:], "/")
			next, _, err = t.walk(path.Join(target, rest), follow, depth+1)
			if err != nil {
				return 0, 0, err
			}
			return next, 0, nil
		}
		ino = next
	}
	return ino, parent, nil
}

func (t *tool) pathOf(parts []string) string { return "/" + strings.Join(parts, "/") }

// parentOf resolves the directory that will hold p's last component.
func (t *tool) parentOf(p string) (uint32, string, error) {
	p = path.Clean(p)
	dir, name := path.Split(p)
	if name == "" || name == "/" {
		return 0, "", fmt.Errorf("%s: no file name", p)
	}
	d, err := t.resolve(dir, true)
	return d, name, err
}

func (t *tool) ls(args []string) error {
	p := "/"
	if len(args) > 0 {
		p = args[0]
	}
	ino, err := t.resolve(p, true)
	if err != nil {
		return err
	}
	a, err := t.fs.Stat(ino)
	if err != nil {
		return pathErr(p, err)
	}
	if a.Mode&syscall.S_IFMT != syscall.S_IFDIR {
		return t.lsLine(path.Base(p), a)
	}
	ents, err := t.readDir(ino)
	if err != nil {
		return pathErr(p, err)
	}
	for _, e := range ents {
		a, err := t.fs.Stat(e.Ino)
		if err != nil {
			return pathErr(path.Join(p, e.Name), err)
		}
		if err := t.lsLine(e.Name, a); err != nil {
			return err
		}
	}
	return nil
}

func (t *tool) lsLine(name string, a ext4.Attr) error {
	if a.Mode&syscall.S_IFMT == syscall.S_IFLNK {
		if target, err := t.fs.Readlink(a.Ino); err == nil {
			name += " -> " + target
		}
	}
	_, err := fmt.Fprintf(t.out, "%c%04o %3d %5d %5d %10d %s %s\n", typeLetter(a.Mode), a.Mode&07777,
		a.Nlink, a.UID, a.GID, a.Size, a.Mtime.UTC().Format("2006-01-02 15:04:05"), name)
	return err
}

// readDir returns a directory's entries without "." and "..", sorted.
func (t *tool) readDir(ino uint32) ([]ext4.DirEntry, error) {
	var all []ext4.DirEntry
	for cookie := uint64(0); ; {
		ents, err := t.fs.ReadDir(ino, cookie, 256)
		if err != nil {
			return nil, err
		}
		if len(ents) == 0 {
			break
		}
		for _, e := range ents {
			if e.Name != "." && e.Name != ".." {
				all = append(all, e)
			}
		}
		cookie = ents[len(ents)-1].Next
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	return all, nil
}

func typeLetter(mode uint32) byte {
	switch mode & syscall.S_IFMT {
	case syscall.S_IFREG:
		return 'f'
	case syscall.S_IFDIR:
		return 'd'
	case syscall.S_IFLNK:
		return 'l'
	case syscall.S_IFCHR:
		return 'c'
	case syscall.S_IFBLK:
		return 'b'
	case syscall.S_IFIFO:
		return 'p'
	case syscall.S_IFSOCK:
		return 's'
	}
	return '?'
}

// copyOut streams a regular file's contents to w.
func (t *tool) copyOut(ino uint32, w io.Writer) error {
	buf := make([]byte, 1<<20)
	for off := int64(0); ; {
		n, err := t.fs.ReadAt(ino, buf, off)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
			off += int64(n)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (t *tool) cat(args []string) error {
	ino, err := t.resolve(args[0], true)
	if err != nil {
		return err
	}
	return pathErr(args[0], t.copyOut(ino, t.out))
}

func (t *tool) get(args []string) error {
	ino, err := t.resolve(args[0], true)
	if err != nil {
		return err
	}
	f, err := os.Create(args[1])
	if err != nil {
		return err
	}
	if err := t.copyOut(ino, f); err != nil {
		f.Close()
		return pathErr(args[0], err)
	}
	return f.Close()
}

func (t *tool) stat(args []string) error {
	ino, err := t.resolve(args[0], false)
	if err != nil {
		return err
	}
	a, err := t.fs.Stat(ino)
	if err != nil {
		return pathErr(args[0], err)
	}
	ts := func(x interface{ UnixNano() int64 }) string {
		n := x.UnixNano()
		return fmt.Sprintf("%d.%09d", n/1e9, n%1e9)
	}
	fmt.Fprintf(t.out, "inode: %d\ntype: %c\nmode: %04o\nuid: %d\ngid: %d\nsize: %d\nnlink: %d\nblocks: %d\n",
		a.Ino, typeLetter(a.Mode), a.Mode&07777, a.UID, a.GID, a.Size, a.Nlink, a.Blocks)
	if c := typeLetter(a.Mode); c == 'c' || c == 'b' {
		fmt.Fprintf(t.out, "rdev: %d,%d\n", ext4.Major(a.Rdev), ext4.Minor(a.Rdev))
	}
	fmt.Fprintf(t.out, "atime: %s\nmtime: %s\nctime: %s\n", ts(a.Atime), ts(a.Mtime), ts(a.Ctime))
	if !a.Crtime.IsZero() {
		fmt.Fprintf(t.out, "crtime: %s\n", ts(a.Crtime))
	}
	_, err = fmt.Fprintf(t.out, "flags: %#x\n", a.Flags)
	return err
}

func (t *tool) put(args []string) error {
	src, err := os.Open(args[0])
	if err != nil {
		return err
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", args[0])
	}
	dst := args[1]
	d, name, err := t.parentOf(dst)
	if err != nil {
		return err
	}
	ino, err := t.fs.Lookup(d, name)
	switch {
	case err == syscall.ENOENT:
		ino, err = t.fs.Create(d, name, uint32(st.Mode().Perm()), 0, 0)
	case err == nil:
		err = t.fs.Truncate(ino, 0)
	}
	if err != nil {
		return pathErr(dst, err)
	}
	buf := make([]byte, 1<<20)
	for off := int64(0); ; {
		n, rerr := src.Read(buf)
		if n > 0 {
			if _, err := t.fs.WriteAt(ino, buf[:n], off); err != nil {
				return pathErr(dst, err)
			}
			off += int64(n)
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

func (t *tool) mkdir(args []string) error {
	p := path.Clean(args[0])
	if t.flags["p"] {
		cur := "/"
		for _, part := range strings.Split(strings.Trim(p, "/"), "/") {
			cur = path.Join(cur, part)
			if _, err := t.resolve(cur, true); err == nil {
				continue
			}
			if err := t.mkdirOne(cur); err != nil {
				return err
			}
		}
		return nil
	}
	return t.mkdirOne(p)
}

func (t *tool) mkdirOne(p string) error {
	d, name, err := t.parentOf(p)
	if err != nil {
		return err
	}
	_, err = t.fs.Mkdir(d, name, 0755, 0, 0)
	return pathErr(p, err)
}

func (t *tool) rm(args []string) error {
	d, name, err := t.parentOf(args[0])
	if err != nil {
		return err
	}
	return pathErr(args[0], t.remove(d, name, t.flags["r"]))
}

func (t *tool) remove(dir uint32, name string, recursive bool) error {
	ino, err := t.fs.Lookup(dir, name)
	if err != nil {
		return err
	}
	a, err := t.fs.Stat(ino)
	if err != nil {
		return err
	}
	if a.Mode&syscall.S_IFMT != syscall.S_IFDIR {
		return t.fs.Unlink(dir, name)
	}
	if !recursive {
		return syscall.EISDIR
	}
	ents, err := t.readDir(ino)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if err := t.remove(ino, e.Name, true); err != nil {
			return fmt.Errorf("%s: %w", e.Name, err)
		}
	}
	return t.fs.Rmdir(dir, name)
}

func (t *tool) mv(args []string) error {
	od, on, err := t.parentOf(args[0])
	if err != nil {
		return err
	}
	nd, nn, err := t.parentOf(args[1])
	if err != nil {
		return err
	}
	// Moving onto an existing directory moves into it, like mv(1).
	if ino, err := t.fs.Lookup(nd, nn); err == nil {
		if a, err := t.fs.Stat(ino); err == nil && a.Mode&syscall.S_IFMT == syscall.S_IFDIR {
			if src, _ := t.fs.Lookup(od, on); src != ino {
				nd, nn = ino, on
			}
		}
	}
	return pathErr(args[0], t.fs.Rename(od, on, nd, nn))
}

func (t *tool) ln(args []string) error {
	d, name, err := t.parentOf(args[1])
	if err != nil {
		return err
	}
	if t.flags["s"] {
		_, err := t.fs.Symlink(d, name, args[0], 0, 0)
		return pathErr(args[1], err)
	}
	ino, err := t.resolve(args[0], false)
	if err != nil {
		return err
	}
	return pathErr(args[1], t.fs.Link(ino, d, name))
}

func (t *tool) chmod(args []string) error {
	mode, err := strconv.ParseUint(args[0], 8, 32)
	if err != nil || mode > 07777 {
		return fmt.Errorf("bad mode %q (want octal, at most 7777)", args[0])
	}
	ino, err := t.resolve(args[1], true)
	if err != nil {
		return err
	}
	m := uint32(mode)
	return pathErr(args[1], t.fs.SetAttr(ino, ext4.SetAttrs{Mode: &m}))
}

func (t *tool) chown(args []string) error {
	u, g, hasG := strings.Cut(args[0], ":")
	uid, err := strconv.ParseUint(u, 10, 32)
	if err != nil {
		return fmt.Errorf("bad uid %q", u)
	}
	set := ext4.SetAttrs{UID: new(uint32)}
	*set.UID = uint32(uid)
	if hasG {
		gid, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			return fmt.Errorf("bad gid %q", g)
		}
		set.GID = new(uint32)
		*set.GID = uint32(gid)
	}
	ino, err := t.resolve(args[1], false)
	if err != nil {
		return err
	}
	return pathErr(args[1], t.fs.SetAttr(ino, set))
}

func (t *tool) truncate(args []string) error {
	size, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil {
		return fmt.Errorf("bad size %q", args[0])
	}
	ino, err := t.resolve(args[1], true)
	if err != nil {
		return err
	}
	return pathErr(args[1], t.fs.Truncate(ino, size))
}

// manifest prints one line per path, sorted bytewise:
// PATH TYPE PERM UID GID SIZE NLINK DIGEST, tab-separated.
func (t *tool) manifest(_ []string) error {
	var lines []string
	var walk func(p string, ino uint32) error
	walk = func(p string, ino uint32) error {
		a, err := t.fs.Stat(ino)
		if err != nil {
			return pathErr(p, err)
		}
		digest := "-"
		switch a.Mode & syscall.S_IFMT {
		case syscall.S_IFREG:
			h := sha256.New()
			if err := t.copyOut(ino, h); err != nil {
				return pathErr(p, err)
			}
			digest = hex.EncodeToString(h.Sum(nil))
		case syscall.S_IFLNK:
			if digest, err = t.fs.Readlink(ino); err != nil {
				return pathErr(p, err)
			}
		}
		lines = append(lines, fmt.Sprintf("%s\t%c\t%04o\t%d\t%d\t%d\t%d\t%s",
			p, typeLetter(a.Mode), a.Mode&07777, a.UID, a.GID, a.Size, a.Nlink, digest))
		if a.Mode&syscall.S_IFMT != syscall.S_IFDIR {
			return nil
		}
		ents, err := t.readDir(ino)
		if err != nil {
			return pathErr(p, err)
		}
		for _, e := range ents {
			if err := walk(path.Join(p, e.Name), e.Ino); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk("/", t.fs.Root()); err != nil {
		return err
	}
	sort.Strings(lines)
	for _, l := range lines {
		if _, err := fmt.Fprintln(t.out, l); err != nil {
			return err
		}
	}
	return nil
}
